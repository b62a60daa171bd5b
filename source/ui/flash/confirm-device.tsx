// Confirm by typing the device path: a slip of a key cannot erase the wrong disk.
import {Box, Text} from 'ink';
import {useRef, useState} from 'react';
import {useRawKeys, type RawKey} from '../raw-keys.js';
import {describeDisk, formatSize, partitionLines} from '../../flash/lsblk.js';
import type {Verdict} from '../../flash/policy.js';

/** One key applied to the typed text. */
export function typingStep(typed: string, key: RawKey): {typed: string; submit?: true; cancel?: true} {
	if (key.kind === 'escape' || key.kind === 'ctrl-c') return {typed, cancel: true};
	if (key.kind === 'return') return {typed, submit: true};
	if (key.kind === 'backspace') return {typed: typed.slice(0, -1)};
	return {typed: key.kind === 'text' ? typed + key.text : typed};
}

export function ConfirmDevice({verdict, imageSize, notes, onDone}: {verdict: Verdict; imageSize: number; notes: string[]; onDone: (ok: boolean) => void}) {
	const [typed, setTypedState] = useState('');
	const [wrong, setWrong] = useState(false);
	// Keys can arrive faster than renders: the ref always holds what was typed so far.
	const current = useRef('');
	// Raw keys, not useInput: Ink reads a chunk of several keys as one key press and would drop backspaces.
	useRawKeys((key) => {
		const step = typingStep(current.current, key);
		if (step.typed !== current.current) setWrong(false);
		current.current = step.typed;
		setTypedState(step.typed);
		if (step.cancel) onDone(false);
		else if (step.submit) {
			if (current.current === verdict.disk.path) onDone(true);
			else setWrong(true);
		}
	});
	return (
		<Box flexDirection="column">
			<Text color="red" bold>
				About to ERASE {describeDisk(verdict.disk)} and write {formatSize(imageSize)}.
			</Text>
			{verdict.disk.serial && <Text>serial {verdict.disk.serial}</Text>}
			{verdict.disk.partitions.length > 0 && <Text>on it now (all of it is erased):</Text>}
			{verdict.disk.partitions.length > 0 &&
				partitionLines(verdict.disk).map((line) => (
					<Text key={line}>
						{'  '}
						{line}
					</Text>
				))}
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
