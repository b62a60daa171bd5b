// Choose a disk: offered ones can be selected with the arrow keys; the others are listed dimmed with the reason.
import {Box, Text, useInput} from 'ink';
import {useRef, useState} from 'react';
import {describeDisk} from '../../flash/lsblk.js';
import {explain, type Verdict} from '../../flash/policy.js';

export function DevicePicker({verdicts, onPick}: {verdicts: Verdict[]; onPick: (verdict: Verdict | undefined) => void}) {
	const offered = verdicts.filter((verdict) => verdict.offered);
	const [index, setIndexState] = useState(0);
	// Keys can arrive faster than renders: Enter must pick the row the arrows last moved to.
	const current = useRef(0);
	const setIndex = (value: number) => {
		current.current = Math.max(0, Math.min(offered.length - 1, value));
		setIndexState(current.current);
	};
	useInput((input, key) => {
		if (key.upArrow) setIndex(current.current - 1);
		else if (key.downArrow) setIndex(current.current + 1);
		else if (key.return) onPick(offered[current.current]);
		else if (key.escape || input === 'q' || (key.ctrl && input === 'c')) onPick(undefined);
	});
	return (
		<Box flexDirection="column">
			<Text bold>Choose the disk to write (↑/↓, Enter; q to cancel)</Text>
			{offered.length === 0 && <Text color="yellow">No disk is offered: plug in a USB stick or SD card.</Text>}
			{offered.map((verdict, position) => (
				<Text key={verdict.disk.path} color={position === index ? 'cyan' : undefined}>
					{position === index ? '❯ ' : '  '}
					{describeDisk(verdict.disk)}
					{verdict.warnings.length > 0 ? `  (${verdict.warnings.map((each) => each.code).join(', ')})` : ''}
				</Text>
			))}
			{verdicts
				.filter((verdict) => !verdict.offered)
				.map((verdict) => (
					<Box key={verdict.disk.path} flexDirection="column">
						<Text dimColor>
							{'  '}
							{describeDisk(verdict.disk)}
						</Text>
						<Text dimColor>
							{'    '}
							{explain(verdict)}
						</Text>
					</Box>
				))}
		</Box>
	);
}
