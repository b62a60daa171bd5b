// First phase of the wizard: welcome (with the host check), choices, plan. Resolves with the accepted choices.
import {Box, Text, useApp, useInput, useStdin} from 'ink';
import {useEffect, useState} from 'react';
import type {Choices} from './choices.js';
import {ChoiceForm} from './choice-form.js';
import type {HostSummary} from './host.js';
import {Spinner} from './spinner.js';
import {PlanScreen, type PlanSummary} from './plan-screen.js';
import {Welcome, type ResumeInfo} from './welcome.js';

export type SetupOutcome = {action: 'run'; choices: Choices} | {action: 'quit'};

type Props = {
	initial: Choices;
	resume?: ResumeInfo;
	checkHost: () => Promise<HostSummary | undefined>;
	makePlan: (choices: Choices) => Promise<PlanSummary>;
	onDone: (outcome: SetupOutcome) => void;
};

export function SetupApp({initial, resume, checkHost, makePlan, onDone}: Props) {
	const {exit} = useApp();
	const {isRawModeSupported} = useStdin();
	const [screen, setScreen] = useState<'welcome' | 'choices' | 'planning' | 'plan'>('welcome');
	const [host, setHost] = useState<HostSummary | undefined>();
	const [checking, setChecking] = useState(true);
	const [choices, setChoices] = useState(initial);
	const [plan, setPlan] = useState<PlanSummary | undefined>();
	const [error, setError] = useState<string | undefined>();
	const [continueWhenChecked, setContinueWhenChecked] = useState(false);

	useEffect(() => {
		if (!checking && continueWhenChecked && screen === 'welcome') setScreen('choices');
	}, [checking, continueWhenChecked, screen]);

	useEffect(() => {
		let live = true;
		checkHost().then(
			(summary) => {
				if (!live) return;
				setHost(summary);
				setChecking(false);
				if (summary && !resume?.done) setChoices((current) => ({...current, platform: summary.recommended}));
			},
			(failure: unknown) => {
				if (!live) return;
				setError(`host check failed: ${String(failure)}`);
				setChecking(false);
			},
		);
		return () => {
			live = false;
		};
	}, []);

	const finish = (outcome: SetupOutcome) => {
		onDone(outcome);
		exit();
	};

	useInput(
		(input, key) => {
			if (key.ctrl && input === 'c') return finish({action: 'quit'});
			if (screen === 'welcome') {
				// Enter during the host check continues as soon as it is done.
				if (key.return) setContinueWhenChecked(true);
				else if (input === 'q') finish({action: 'quit'});
			}
		},
		{isActive: isRawModeSupported},
	);

	const toPlan = (accepted: Choices) => {
		setChoices(accepted);
		setScreen('planning');
		makePlan(accepted).then(
			(summary) => {
				setPlan(summary);
				setScreen('plan');
			},
			(failure: unknown) => {
				setError(failure instanceof Error ? failure.message : String(failure));
				setScreen('choices');
			},
		);
	};

	return (
		<Box flexDirection="column">
			{screen === 'welcome' ? (
				<Welcome host={host} resume={resume} checking={checking} active={isRawModeSupported} />
			) : null}
			{screen === 'choices' ? <ChoiceForm initial={choices} host={host} onSubmit={toPlan} onBack={() => setScreen('welcome')} active={isRawModeSupported} /> : null}
			{screen === 'planning' ? <Spinner label="Working out the plan…" /> : null}
			{screen === 'plan' && plan ? (
				<PlanScreen
					plan={plan}
					onAccept={() => finish({action: 'run', choices})}
					onBack={() => setScreen('choices')}
					onQuit={() => finish({action: 'quit'})}
					active={isRawModeSupported}
				/>
			) : null}
			{error ? <Text color="red">{error}</Text> : null}
		</Box>
	);
}
