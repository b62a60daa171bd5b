// Choose a disk: offered ones can be selected with the arrow keys; the others are listed dimmed with the reason.
// Under each disk, its partitions with their filesystem, label and mount points, so the person sees what is on it.
// The list is cut to the window around the selected disk.
import {Box, Text} from 'ink';
import {useRef, useState} from 'react';
import {describeDisk, partitionLines} from '../../flash/lsblk.js';
import {explain, type Verdict} from '../../flash/policy.js';
import {wrapText} from '../../system/wrap.js';
import {useRawKeys} from '../raw-keys.js';
import {fitList, useWindowSize} from '../window.js';

type Row = {text: string; look: 'selected' | 'offered' | 'refused'; drive: number};

/** The picker's rows, wrapped to `columns`: each disk, the reason it is refused or the note about it, its partitions. */
export function pickerRows(offered: Verdict[], refused: Verdict[], selected: number, columns: number): Row[] {
	const rows: Row[] = [];
	const add = (text: string, indent: number, hanging: number, look: Row['look'], drive: number, mark = '') => {
		wrapText(text, columns, indent, hanging).forEach((line, index) => rows.push({text: index === 0 && mark ? mark + line.slice(mark.length) : line, look, drive}));
	};
	[...offered, ...refused].forEach((verdict, drive) => {
		const isOffered = drive < offered.length;
		const look = drive === selected ? 'selected' : isOffered ? 'offered' : 'refused';
		add(describeDisk(verdict.disk), 2, 4, look, drive, drive === selected ? '❯ ' : '');
		const why = explain(verdict);
		if (why) add(why, 4, 6, isOffered ? 'offered' : 'refused', drive);
		for (const line of partitionLines(verdict.disk)) add(line, 6, 8, isOffered ? 'offered' : 'refused', drive);
	});
	return rows;
}

export function DevicePicker({verdicts, onPick}: {verdicts: Verdict[]; onPick: (verdict: Verdict | undefined) => void}) {
	const offered = verdicts.filter((verdict) => verdict.offered);
	const refused = verdicts.filter((verdict) => !verdict.offered);
	const {rows, columns} = useWindowSize();
	const [index, setIndexState] = useState(0);
	// Keys can arrive faster than renders: Enter must pick the row the arrows last moved to.
	const current = useRef(0);
	const setIndex = (value: number) => {
		current.current = Math.max(0, Math.min(offered.length - 1, value));
		setIndexState(current.current);
	};
	// Raw keys: every key of a chunk counts ("down, down, Enter" arriving together picks the third disk).
	useRawKeys((key) => {
		if (key.kind === 'up') setIndex(current.current - 1);
		else if (key.kind === 'down') setIndex(current.current + 1);
		else if (key.kind === 'return') onPick(offered[current.current]);
		else if (key.kind === 'escape' || key.kind === 'ctrl-c' || (key.kind === 'text' && key.text.includes('q'))) onPick(undefined);
	});
	const all = pickerRows(offered, refused, offered.length > 0 ? index : -1, columns);
	// The title, the note when nothing is offered and a spare line (the cursor's) stay on screen with the list.
	const room = Math.max(3, rows - 2 - (offered.length === 0 ? 1 : 0) - 1);
	const focus = Math.max(0, all.findIndex((row) => row.look === 'selected'));
	const {shown, above, below} = fitList(all, room, focus);
	return (
		<Box flexDirection="column">
			<Text bold>Choose the disk to write (↑/↓, Enter; q to cancel)</Text>
			{offered.length === 0 && <Text color="yellow">No disk is offered: plug in a USB stick or SD card.</Text>}
			{above > 0 && <Text dimColor>  … {above} more lines above</Text>}
			{shown.map((row, position) => (
				<Text key={`${above + position}`} color={row.look === 'selected' ? 'cyan' : undefined} dimColor={row.look === 'refused'}>
					{row.text}
				</Text>
			))}
			{below > 0 && <Text dimColor>  … {below} more lines below</Text>}
		</Box>
	);
}
