import {Box, Text} from 'ink';
import type {RunState, StepState} from '../engine/reducer.js';
import {pausedLines} from '../reporters/format.js';
import {formatDuration} from '../system/duration.js';
import {spinnerFrame} from './theme.js';

/** The running step: spinner, elapsed time, its command and its last few output lines. */
export function RunningStep({step, tail, now, lines = 6, paused}: {step: StepState; tail: string[]; now: number; lines?: number; paused?: RunState['paused']}) {
	const elapsed = step.startedAt ? formatDuration(Math.max(0, now - step.startedAt)) : '';
	const [pausedWhat, pausedNext] = paused && paused.id === step.id ? pausedLines(paused) : [];
	return (
		<Box flexDirection="column">
			<Box>
				<Text color="cyan">{spinnerFrame(now)} </Text>
				<Text bold>{step.id}</Text>
				<Text>
					{'  '}
					{step.title} · {elapsed}
				</Text>
			</Box>
			{step.command ? (
				<Text dimColor wrap="truncate-end">
					{'  $ '}
					{step.command}
				</Text>
			) : null}
			{paused && pausedWhat ? (
				<Box flexDirection="column">
					<Text color="yellow" wrap="truncate-end">
						{'  ‖ '}
						{pausedWhat} · {formatDuration(Math.max(0, now - paused.since))}
					</Text>
					<Text color="yellow" wrap="wrap">
						{'    '}
						{pausedNext}
					</Text>
				</Box>
			) : null}
			{tail.slice(-lines).map((line, index) => (
				<Text key={index} dimColor wrap="truncate-end">
					{'  │ '}
					{line === '' ? ' ' : line}
				</Text>
			))}
		</Box>
	);
}
