// Confirm by typing the device path: a slip of a key cannot erase the wrong disk.
import {Box, Text, useInput} from 'ink';
import {useRef, useState} from 'react';
import {describeDisk, formatSize} from '../../flash/lsblk.js';
import type {Verdict} from '../../flash/policy.js';

export function ConfirmDevice({verdict, imageSize, notes, onDone}: {verdict: Verdict; imageSize: number; notes: string[]; onDone: (ok: boolean) => void}) {
	const [typed, setTypedState] = useState('');
	const [wrong, setWrong] = useState(false);
	// Keys can arrive faster than renders: the ref always holds what was typed so far.
	const current = useRef('');
	const setTyped = (value: string) => {
		current.current = value;
		setTypedState(value);
	};
	const submit = () => {
		if (current.current === verdict.disk.path) onDone(true);
		else setWrong(true);
	};
	useInput((input, key) => {
		if (key.escape || (key.ctrl && input === 'c')) onDone(false);
		else if (key.return) submit();
		else if (key.backspace || key.delete) setTyped(current.current.slice(0, -Math.max(1, input.length)));
		else if (input && !key.ctrl && !key.meta) {
			// Typed or pasted text may arrive in one piece with the Enter at its end.
			setWrong(false);
			setTyped(current.current + input.replace(/[\r\n][\s\S]*$/, ''));
			if (/[\r\n]/.test(input)) submit();
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
