import {Box, Text} from 'ink';
import {lineText, type Line, type Tone} from '../../system/wrap.js';

const styles: Record<Tone, {color?: string; bold?: boolean; dimColor?: boolean}> = {
	pass: {color: 'green'},
	warn: {color: 'yellow'},
	fail: {color: 'red'},
	skip: {color: 'gray'},
	heading: {bold: true},
	dim: {dimColor: true},
	command: {color: 'cyan'},
};

/** One laid-out line. A line wider than the terminal (only a fix command is) keeps its width instead of wrapping. */
function ReportLine({line, columns, colour}: {line: Line; columns: number; colour: boolean}) {
	const text = (
		<Text>
			{line.length === 0
				? ' '
				: line.map((segment, index) =>
						colour && segment.tone ? (
							<Text key={index} {...styles[segment.tone]}>
								{segment.text}
							</Text>
						) : (
							segment.text
						),
					)}
		</Text>
	);
	const width = lineText(line).length;
	return width > columns ? <Box width={width}>{text}</Box> : text;
}

/** Laid-out report lines (doctor/layout.ts), with Ink's colours (none when `colour` is false). */
export function ReportLines({lines, columns, colour}: {lines: readonly Line[]; columns: number; colour: boolean}) {
	return (
		<Box flexDirection="column" width={columns}>
			{lines.map((line, index) => (
				<ReportLine key={index} line={line} columns={columns} colour={colour} />
			))}
		</Box>
	);
}
