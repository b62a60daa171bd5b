// The live console: the boot timeline on top, the guest's console below, a status line at the bottom.
import {Box, Text} from 'ink';
import {formatSeconds, stageIds, stageTitle} from '../../qemu/stages.js';
import type {Timeline} from '../../qemu/watcher.js';

export type LaunchViewProps = {
	timeline: Pick<Timeline, 'stages' | 'current' | 'halt' | 'stalls'>;
	lines: string[];
	elapsedMs: number;
	leaveLabel: string;
	logFile: string;
	columns: number;
	/** A message that replaces the key hint, e.g. "stopping QEMU...". */
	status?: string;
	/** The prompt box (Ctrl-P): the text being typed, or the last question with its answer so far. */
	prompt?: {editing: boolean; text: string; answer: string; note?: string};
	/** The key that opens the prompt box. */
	promptLabel?: string;
};

export function StageStrip({timeline}: {timeline: LaunchViewProps['timeline']}) {
	const reached = new Map(timeline.stages.map((record) => [record.stage, record]));
	const furthest = timeline.current ? stageIds.indexOf(timeline.current) : -1;
	return (
		<Box flexWrap="wrap" columnGap={2}>
			{stageIds.map((stage, index) => {
				const record = reached.get(stage);
				if (record) {
					return (
						<Text key={stage} color="green">
							✓ {stageTitle(stage)} {formatSeconds(record.t).trim()}
						</Text>
					);
				}
				if (index < furthest) {
					return (
						<Text key={stage} dimColor>
							· {stageTitle(stage)}
						</Text>
					);
				}
				return (
					<Text key={stage} dimColor>
						○ {stageTitle(stage)}
					</Text>
				);
			})}
		</Box>
	);
}

export function LaunchView(props: LaunchViewProps) {
	const {timeline} = props;
	const stall = timeline.stalls.at(-1);
	const width = Math.max(20, props.columns);
	return (
		<Box flexDirection="column">
			<StageStrip timeline={timeline} />
			{timeline.halt ? <Text color="red">✗ {timeline.halt.description}: {timeline.halt.line.trim().slice(0, width - 4)}</Text> : null}
			{stall && !timeline.halt ? (
				<Text color="yellow">! no output for {stall.idleSeconds} s at {stall.stage}</Text>
			) : null}
			<Text dimColor>{'─'.repeat(Math.min(width, 200))}</Text>
			{props.lines.map((line, index) => (
				<Text key={index} wrap="truncate-end">
					{line === '' ? ' ' : line}
				</Text>
			))}
			<Text dimColor>{'─'.repeat(Math.min(width, 200))}</Text>
			{props.prompt ? (
				<Box flexDirection="column">
					<Text>
						<Text color="cyan">ask› </Text>
						<Text>{props.prompt.text}</Text>
						{props.prompt.editing ? <Text color="cyan">▏</Text> : null}
					</Text>
					{props.prompt.answer ? <Text wrap="wrap">{props.prompt.answer.trim()}</Text> : null}
					{props.prompt.note ? <Text dimColor>{props.prompt.note}</Text> : null}
				</Box>
			) : null}
			<Text>
				<Text color="cyan">{formatSeconds(props.elapsedMs).trim()}</Text>
				<Text> · </Text>
				{props.status ? (
					<Text color="yellow">{props.status}</Text>
				) : props.prompt?.editing ? (
					<Text>enter asks the model · esc closes · {props.leaveLabel} leaves</Text>
				) : (
					<Text>
						keys go to the guest{props.promptLabel ? ` · ${props.promptLabel} asks the model` : ''} · {props.leaveLabel} leaves
					</Text>
				)}
				<Text dimColor> · log {props.logFile}</Text>
			</Text>
		</Box>
	);
}
