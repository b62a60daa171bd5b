// First phase of the wizard: welcome (with the host check), choices, plan. Resolves with the accepted choices.
import {Box, Text, useApp, useInput, useStdin} from 'ink';
import {useEffect, useState} from 'react';
import type {Choices} from './choices.js';
import {ChoiceForm} from './choice-form.js';
import type {HostSummary} from './host.js';
import {NetworkScreen} from './network-screen.js';
import {Spinner} from './spinner.js';
import {PlanScreen, type PlanSummary} from './plan-screen.js';
import {Welcome, type ResumeInfo} from './welcome.js';

/** vars: recipe settings given on the way (a mirror from the network screen), used like --set values. */
export type SetupOutcome = {action: 'run'; choices: Choices; vars: Record<string, string>} | {action: 'quit'};

type Props = {
	initial: Choices;
	resume?: ResumeInfo;
	checkHost: () => Promise<HostSummary | undefined>;
	/** The plan for the choices and settings; `progress` hears what it is checking (the network). */
	makePlan: (choices: Choices, vars: Record<string, string>, progress: (label: string) => void) => Promise<PlanSummary>;
	/** The current values of the recipes' mirror settings, offered when a host cannot be reached. */
	mirrorValues?: () => Record<string, string>;
	onDone: (outcome: SetupOutcome) => void;
};

export function SetupApp({initial, resume, checkHost, makePlan, mirrorValues = () => ({}), onDone}: Props) {
	const {exit} = useApp();
	const {isRawModeSupported} = useStdin();
	const [screen, setScreen] = useState<'welcome' | 'choices' | 'planning' | 'network' | 'plan'>('welcome');
	const [planning, setPlanning] = useState('Working out the plan…');
	const [vars, setVars] = useState<Record<string, string>>({});
	const [mirrors] = useState(mirrorValues);
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

	const toPlan = (accepted: Choices, settings: Record<string, string> = vars, checkNetwork = true) => {
		setChoices(accepted);
		setVars(settings);
		setPlanning('Working out the plan…');
		setScreen('planning');
		makePlan(accepted, settings, setPlanning).then(
			(summary) => {
				setPlan(summary);
				setScreen(checkNetwork && summary.network?.some((reach) => !reach.ok) ? 'network' : 'plan');
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
			{screen === 'planning' ? <Spinner label={planning} /> : null}
			{screen === 'network' && plan?.network ? (
				<NetworkScreen
					reaches={plan.network}
					values={{...mirrors, ...vars}}
					onUse={(changed) => (Object.keys(changed).length > 0 ? toPlan(choices, {...vars, ...changed}) : setScreen('plan'))}
					onBack={() => setScreen('choices')}
					active={isRawModeSupported}
				/>
			) : null}
			{screen === 'plan' && plan ? (
				<PlanScreen
					plan={plan}
					onAccept={() => finish({action: 'run', choices, vars})}
					onBack={() => setScreen('choices')}
					onQuit={() => finish({action: 'quit'})}
					active={isRawModeSupported}
				/>
			) : null}
			{error ? <Text color="red">{error}</Text> : null}
		</Box>
	);
}
