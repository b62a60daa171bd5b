// The live view of a run: finished steps scroll up in <Static>; the live region is small (the running step
// and its last lines, then a progress line), so it never flickers or wipes scrollback.
import {useEffect, useState, useSyncExternalStore} from 'react';
import {Box, Static, Text} from 'ink';
import {counts, type RunState} from '../engine/reducer.js';
import {formatDuration} from '../system/duration.js';
import {interruptedSummary} from '../reporters/format.js';
import {FailureWindow} from './failure-window.js';
import {RunningStep} from './running-step.js';
import type {RunStore} from './run-store.js';
import {StepLine} from './step-line.js';

function useNow(active: boolean, intervalMs = 250, clock: () => number = Date.now): number {
	const [now, setNow] = useState(clock());
	useEffect(() => {
		if (!active) return;
		const timer = setInterval(() => setNow(clock()), intervalMs);
		return () => clearInterval(timer);
	}, [active, intervalMs, clock]);
	return now;
}

/**
 * The step the run is at, counted among the steps the plan runs (skipped ones are not counted): the running step,
 * else the last one reached. `of` is 0 when the plan runs nothing.
 */
export function runningCounter(state: RunState): {at: number; of: number} {
	const runs = state.order.filter((id) => state.steps[id]!.action === 'run');
	const reached = runs.filter((id) => state.steps[id]!.status !== 'pending').length;
	return {at: Math.max(reached, runs.length > 0 && !state.finished ? 1 : 0), of: runs.length};
}

/** `stepCounter`: the progress line starts "step 3 of 12", counting only the steps that run (the wizard's run screen). */
export function RunView({store, clock = Date.now, tailLines = 6, stepCounter = false}: {store: RunStore; clock?: () => number; tailLines?: number; stepCounter?: boolean}) {
	const {state, finished} = useSyncExternalStore(store.subscribe, store.getSnapshot);
	const now = useNow(!state.finished, 250, clock);
	const running = state.running ? state.steps[state.running] : undefined;
	const tally = counts(state);
	const total = state.order.length;
	const elapsed = state.startedAt ? formatDuration(Math.max(0, (state.finished ? state.startedAt + state.finished.durationMs : now) - state.startedAt)) : '';
	return (
		<Box flexDirection="column">
			<Static items={finished.map((id) => state.steps[id]!)}>{(step) => <StepLine key={step.id} step={step} />}</Static>
			{running ? <RunningStep step={running} tail={state.tail} now={now} lines={tailLines} paused={state.paused} /> : null}
			{state.failure ? <FailureWindow failure={state.failure} /> : null}
			{total > 0 ? (
				<Text dimColor>
					{stepCounter ? `step ${runningCounter(state).at} of ${runningCounter(state).of}` : `${tally.done + tally.skipped} of ${total} steps`} · {tally.done} ran · {tally.skipped} skipped
					{tally.failed ? ` · ${tally.failed} failed` : ''} · {elapsed}
					{state.finished ? (state.finished.ok ? ' · finished' : state.finished.interrupted ? ' · interrupted' : ' · stopped at the failure') : ''}
				</Text>
			) : null}
			{state.finished?.interrupted ? <Text color="yellow">{interruptedSummary(state)}</Text> : null}
		</Box>
	);
}
