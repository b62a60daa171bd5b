import {Box, Text} from 'ink';
import {fixText, marks} from '../../doctor/format.js';
import type {CheckResult} from '../../doctor/types.js';

const colors: Record<CheckResult['status'], string> = {pass: 'green', warn: 'yellow', fail: 'red', skip: 'gray'};

export function CheckLine({check, width, root}: {check: CheckResult; width: number; root: boolean}) {
	const open = check.status === 'fail' || check.status === 'warn';
	return (
		<Box flexDirection="column">
			<Text>
				{'  '}
				<Text color={colors[check.status]}>{marks[check.status]}</Text> <Text dimColor={check.status === 'skip'}>{check.title.padEnd(width)}</Text>
				<Text dimColor={check.status === 'skip'}>{check.summary}</Text>
				{check.status === 'fail' && !check.required ? <Text dimColor> (optional)</Text> : null}
			</Text>
			{open && check.hint ? <Text dimColor>{`      hint: ${check.hint}`}</Text> : null}
			{open
				? fixText(check, root).map((command) => (
						<Text key={command} color="cyan">
							{`      fix:  ${command}`}
						</Text>
					))
				: null}
		</Box>
	);
}
