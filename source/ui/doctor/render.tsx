// The Ink view of doctor: a line while the facts are gathered, then the report. Loaded only in mode 'ink'.
import {render, Text} from 'ink';
import {useEffect, useState} from 'react';
import type {CommandContext} from '../../commands/context.js';
import type {DoctorReport} from '../../doctor/types.js';
import type {HostFacts} from '../../system/facts.js';
import {DoctorView} from './doctor-view.js';

type State = {phase: 'gathering'} | {phase: 'done'; report: DoctorReport; root: boolean} | {phase: 'error'; error: unknown};

function DoctorApp({gathering, evaluate, onDone}: {gathering: Promise<HostFacts>; evaluate: (facts: HostFacts) => DoctorReport; onDone: (state: State) => void}) {
	const [state, setState] = useState<State>({phase: 'gathering'});
	useEffect(() => {
		gathering.then(
			(facts) => setState({phase: 'done', report: evaluate(facts), root: facts.privileges?.root ?? false}),
			(error: unknown) => setState({phase: 'error', error}),
		);
	}, [gathering, evaluate]);
	useEffect(() => {
		if (state.phase !== 'gathering') onDone(state);
	}, [state, onDone]);
	if (state.phase === 'gathering') return <Text dimColor>Checking this host…</Text>;
	if (state.phase === 'error') return null;
	return <DoctorView report={state.report} root={state.root} />;
}

export async function renderDoctor(context: CommandContext, gathering: Promise<HostFacts>, evaluate: (facts: HostFacts) => DoctorReport): Promise<number> {
	let final: State = {phase: 'gathering'};
	const instance = render(
		<DoctorApp
			gathering={gathering}
			evaluate={evaluate}
			onDone={(state) => {
				final = state;
				// Let Ink paint the last frame, then exit.
				setImmediate(() => instance.unmount());
			}}
		/>,
		{stdout: context.io.stderr, stdin: context.io.stdin, patchConsole: false, exitOnCtrlC: true},
	);
	await instance.waitUntilExit();
	const done = final as State;
	if (done.phase === 'error') throw done.error;
	if (done.phase !== 'done') return 1;
	return done.report.ok ? 0 : 1;
}
