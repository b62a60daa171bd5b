import {Box, Text} from 'ink';
import type {RunState} from '../engine/reducer.js';
import {tailAfterFirst} from '../reporters/format.js';

/** The error window: first error line in context, the last lines, the log path and matched causes. */
export function FailureWindow({failure}: {failure: NonNullable<RunState['failure']>}) {
	const window = failure.window;
	const tail = tailAfterFirst(window, 8);
	if (failure.interrupted) {
		return (
			<Box flexDirection="column" marginTop={1}>
				<Text color="yellow">Interrupted: {failure.id} was stopped and will run again next time.</Text>
				<Text dimColor>Log: {window.logPath}</Text>
			</Box>
		);
	}
	return (
		<Box flexDirection="column" marginTop={1}>
			<Text color="red" bold>
				✗ {failure.id}: {failure.error}
			</Text>
			{window.first ? (
				<Box flexDirection="column" marginTop={1}>
					<Text dimColor>First error (line {window.first.line}):</Text>
					{window.first.before.map((line, index) => (
						<Text key={`b${index}`} dimColor wrap="truncate-end">
							{'    '}
							{line}
						</Text>
					))}
					<Text color="red" wrap="wrap">
						{'  › '}
						{window.first.text}
					</Text>
					{window.first.after.map((line, index) => (
						<Text key={`a${index}`} dimColor wrap="truncate-end">
							{'    '}
							{line}
						</Text>
					))}
				</Box>
			) : null}
			{tail.length > 0 ? (
				<Box flexDirection="column" marginTop={1}>
					<Text dimColor>{window.first ? 'Then, the last lines:' : 'Last lines:'}</Text>
					{tail.map((line, index) => (
						<Text key={`t${index}`} wrap="truncate-end">
							{'    '}
							{line}
						</Text>
					))}
				</Box>
			) : null}
			<Text dimColor>
				Full log ({window.totalLines} lines): {window.logPath}
			</Text>
			{failure.diagnoses.map((diagnosis) => (
				<Box key={diagnosis.id} flexDirection="column" marginTop={1}>
					<Text color="yellow" bold>
						Known cause: {diagnosis.title}
					</Text>
					<Text>{diagnosis.cause}</Text>
					{diagnosis.explanation ? <Text dimColor>{diagnosis.explanation.trim()}</Text> : null}
					{diagnosis.fix ? (
						<Box flexDirection="column">
							<Text>Fix: {diagnosis.fix.description}</Text>
							{diagnosis.fix.commands.map((command, index) => (
								<Text key={index} color="cyan">
									{'  $ '}
									{command}
								</Text>
							))}
						</Box>
					) : null}
				</Box>
			))}
		</Box>
	);
}
