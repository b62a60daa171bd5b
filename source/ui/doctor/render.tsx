// The Ink view of doctor: a spinner with what gathering is at, then the report, written once into <Static> so a
// report taller than the terminal scrolls like any output (and ends with a newline). Loaded only in mode 'ink'.
import {render, Static, Text} from 'ink';
import {useEffect, useState, useSyncExternalStore} from 'react';
import type {CommandContext} from '../../commands/context.js';
import {progressText} from '../../doctor/format.js';
import {reportLines} from '../../doctor/layout.js';
import type {DoctorReport} from '../../doctor/types.js';
import type {HostFacts} from '../../system/facts.js';
import type {GatherProgress} from '../../system/gather.js';
import {spinnerFrame} from '../theme.js';
import {ReportLines} from './report-lines.js';

/** The latest progress of gathering, and a way to hear of the next. */
export type ProgressFeed = {get(): GatherProgress | undefined; subscribe(listener: () => void): () => void};

type State = {phase: 'gathering'} | {phase: 'done'; report: DoctorReport; root: boolean} | {phase: 'error'; error: unknown};

export type DoctorAppProps = {
	gathering: Promise<HostFacts>;
	evaluate: (facts: HostFacts) => DoctorReport;
	progress: ProgressFeed;
	columns: number;
	verbose: boolean;
	colour: boolean;
	onDone?: (state: State) => void;
	clock?: () => number;
};

export function DoctorApp({gathering, evaluate, progress, columns, verbose, colour, onDone, clock = Date.now}: DoctorAppProps) {
	const [state, setState] = useState<State>({phase: 'gathering'});
	const [now, setNow] = useState(clock);
	const current = useSyncExternalStore(progress.subscribe, progress.get);
	useEffect(() => {
		gathering.then(
			(facts) => setState({phase: 'done', report: evaluate(facts), root: facts.privileges?.root ?? false}),
			(error: unknown) => setState({phase: 'error', error}),
		);
	}, [gathering, evaluate]);
	useEffect(() => {
		if (state.phase !== 'gathering') {
			onDone?.(state);
			return;
		}
		const timer = setInterval(() => setNow(clock()), 80);
		return () => clearInterval(timer);
	}, [state, onDone, clock]);
	if (state.phase === 'gathering') {
		return (
			<Text>
				<Text {...(colour ? {color: 'cyan'} : {})}>{spinnerFrame(now)}</Text> {progressText(current)}
			</Text>
		);
	}
	if (state.phase === 'error') return null;
	// All but the last line go to <Static>, printed once; the last stays in the live region, which Ink ends with a newline.
	const lines = reportLines(state.report, {width: columns, verbose, root: state.root});
	return (
		<>
			<Static items={[lines.slice(0, -1)]}>{(head) => <ReportLines key="report" lines={head} columns={columns} colour={colour} />}</Static>
			<ReportLines lines={lines.slice(-1)} columns={columns} colour={colour} />
		</>
	);
}

export async function renderDoctor(
	context: CommandContext,
	app: Omit<DoctorAppProps, 'onDone' | 'clock' | 'columns'>,
): Promise<number> {
	let final: State = {phase: 'gathering'};
	const instance = render(
		<DoctorApp
			{...app}
			columns={context.io.stderr.columns ?? 80}
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
