// Confirm by typing the device path: a slip of a key cannot erase the wrong disk.
import {Box, Text, useInput} from 'ink';
import {useState} from 'react';
import {describeDisk, formatSize} from '../../flash/lsblk.js';
import type {Verdict} from '../../flash/policy.js';

export function ConfirmDevice({verdict, imageSize, notes, onDone}: {verdict: Verdict; imageSize: number; notes: string[]; onDone: (ok: boolean) => void}) {
	const [typed, setTyped] = useState('');
	const [wrong, setWrong] = useState(false);
	useInput((input, key) => {
		if (key.escape || (key.ctrl && input === 'c')) onDone(false);
		else if (key.return) {
			if (typed === verdict.disk.path) onDone(true);
			else setWrong(true);
		} else if (key.backspace || key.delete) setTyped((value) => value.slice(0, -1));
		else if (input && !key.ctrl && !key.meta) {
			setWrong(false);
			setTyped((value) => value + input);
		}
	});
	return (
		<Box flexDirection="column">
			<Text color="red" bold>
				About to ERASE {describeDisk(verdict.disk)} and write {formatSize(imageSize)}.
			</Text>
			{verdict.disk.serial && <Text>serial {verdict.disk.serial}</Text>}
			{verdict.warnings.map((warning) => (
				<Text key={warning.code} color="yellow">
					note: {warning.message}
				</Text>
			))}
			{notes.map((note) => (
				<Text key={note}>{note}</Text>
			))}
			<Text>
				Type <Text bold>{verdict.disk.path}</Text> and press Enter to confirm (Esc cancels): {typed}
			</Text>
			{wrong && <Text color="red">That is not {verdict.disk.path}. Type it exactly, or press Esc.</Text>}
		</Box>
	);
}
