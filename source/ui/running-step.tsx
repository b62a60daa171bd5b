import {Box, Text} from 'ink';
import type {StepState} from '../engine/reducer.js';
import {formatDuration} from '../reporters/format.js';
import {spinnerFrame} from './theme.js';

/** The running step: spinner, elapsed time, its command and its last few output lines. */
export function RunningStep({step, tail, now, lines = 6}: {step: StepState; tail: string[]; now: number; lines?: number}) {
	const elapsed = step.startedAt ? formatDuration(Math.max(0, now - step.startedAt)) : '';
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
			{tail.slice(-lines).map((line, index) => (
				<Text key={index} dimColor wrap="truncate-end">
					{'  │ '}
					{line === '' ? ' ' : line}
				</Text>
			))}
		</Box>
	);
}
