import {Box, Text} from 'ink';
import type {StepState} from '../engine/reducer.js';
import {formatDuration} from '../system/duration.js';
import {colours, marks} from './theme.js';

/** One finished (or skipped) step: mark, id, title, and duration or reason. */
export function StepLine({step}: {step: StepState}) {
	const detail =
		step.status === 'skipped'
			? step.reason
			: step.durationMs !== undefined
				? formatDuration(step.durationMs)
				: '';
	return (
		<Box>
			<Text color={colours[step.status]}>{marks[step.status]} </Text>
			<Text bold={step.status !== 'skipped'} dimColor={step.status === 'skipped'}>
				{step.id}
			</Text>
			<Text dimColor wrap="truncate-end">
				{'  '}
				{step.title}
				{detail ? ` · ${detail}` : ''}
			</Text>
		</Box>
	);
}
