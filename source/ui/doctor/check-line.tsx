import {Box, Text} from 'ink';
import {fixText, marks} from '../../doctor/format.js';
import type {CheckResult} from '../../doctor/types.js';

const colors: Record<CheckResult['status'], string> = {pass: 'green', warn: 'yellow', fail: 'red', skip: 'gray'};

/** One check: mark and title in a fixed column, the summary wrapping in its own column, then hint and fix lines. */
export function CheckLine({check, width, root}: {check: CheckResult; width: number; root: boolean}) {
	const open = check.status === 'fail' || check.status === 'warn';
	const dim = check.status === 'skip';
	return (
		<Box flexDirection="column">
			<Box>
				<Box width={width + 4} flexShrink={0}>
					<Text>
						{'  '}
						<Text color={colors[check.status]}>{marks[check.status]}</Text> <Text dimColor={dim}>{check.title}</Text>
					</Text>
				</Box>
				<Box flexShrink={1}>
					<Text dimColor={dim}>
						{check.summary}
						{check.status === 'fail' && !check.required ? <Text dimColor> (optional)</Text> : null}
					</Text>
				</Box>
			</Box>
			{open && check.hint ? (
				<Box paddingLeft={6}>
					<Text dimColor>hint: {check.hint}</Text>
				</Box>
			) : null}
			{open
				? fixText(check, root).map((command) => (
						<Box key={command} paddingLeft={6}>
							<Text color="cyan">fix: {command}</Text>
						</Box>
					))
				: null}
		</Box>
	);
}
