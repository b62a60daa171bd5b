// Confirm by typing the device path: a slip of a key cannot erase the wrong disk.
import {Box, Text, useStdin} from 'ink';
import {useEffect, useRef, useState} from 'react';
import {describeDisk, formatSize} from '../../flash/lsblk.js';
import type {Verdict} from '../../flash/policy.js';

/**
 * Applies one chunk of raw terminal input to the typed text. Keys that arrive together (a paste, or a busy machine
 * delivering several key presses at once) are all applied in order, each backspace included.
 */
export function applyTyping(typed: string, chunk: string): {typed: string; submit: boolean; cancel: boolean} {
	let text = typed;
	for (let index = 0; index < chunk.length; index++) {
		const char = chunk[index]!;
		if (char === '\u001B') {
			const next = chunk[index + 1];
			if (next !== '[' && next !== 'O') return {typed: text, submit: false, cancel: true};
			// An escape sequence (an arrow key, Delete): skip it to its final byte.
			index += 2;
			while (index < chunk.length && !/[A-Za-z~]/.test(chunk[index]!)) index++;
			continue;
		}
		if (char === '\u0003') return {typed: text, submit: false, cancel: true};
		if (char === '\r' || char === '\n') return {typed: text, submit: true, cancel: false};
		if (char === '\u007F' || char === '\b') text = text.slice(0, -1);
		else if (char >= ' ') text += char;
	}
	return {typed: text, submit: false, cancel: false};
}

export function ConfirmDevice({verdict, imageSize, notes, onDone}: {verdict: Verdict; imageSize: number; notes: string[]; onDone: (ok: boolean) => void}) {
	const [typed, setTypedState] = useState('');
	const [wrong, setWrong] = useState(false);
	// Keys can arrive faster than renders: the ref always holds what was typed so far.
	const current = useRef('');
	const done = useRef(onDone);
	done.current = onDone;
	// The raw chunks, not useInput: Ink reads a chunk of several keys as one key press and would drop backspaces.
	const {internal_eventEmitter: events, setRawMode, isRawModeSupported} = useStdin();
	useEffect(() => {
		if (isRawModeSupported) setRawMode(true);
		return () => {
			if (isRawModeSupported) setRawMode(false);
		};
	}, [isRawModeSupported, setRawMode]);
	useEffect(() => {
		const onData = (data: string | Buffer) => {
			const result = applyTyping(current.current, String(data));
			if (result.typed !== current.current) setWrong(false);
			current.current = result.typed;
			setTypedState(result.typed);
			if (result.cancel) done.current(false);
			else if (result.submit) {
				if (current.current === verdict.disk.path) done.current(true);
				else setWrong(true);
			}
		};
		events?.on('input', onData);
		return () => {
			events?.removeListener('input', onData);
		};
	}, [events, verdict.disk.path]);
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
