// Keys as the terminal sent them. Ink's useInput reads a chunk of several keys as one key press (a burst of
// backspaces arrives as one event that is neither backspace nor delete; "abc" and two backspaces arrive as "abc"),
// so views that edit text read the raw chunks here and get every key, in order.
import {useStdin} from 'ink';
import {useEffect, useRef} from 'react';

type KeyName = 'backspace' | 'delete' | 'return' | 'escape' | 'up' | 'down' | 'left' | 'right' | 'tab' | 'backtab' | 'ctrl-c' | 'other';
export type RawKey = {kind: 'text'; text: string} | {kind: KeyName};

const sequences: Record<string, KeyName> = {A: 'up', B: 'down', C: 'right', D: 'left', Z: 'backtab', '3~': 'delete'};

/** Splits one chunk of terminal input into keys; runs of printable characters become one text key. */
export function splitKeys(chunk: string): RawKey[] {
	const keys: RawKey[] = [];
	let text = '';
	const flush = () => {
		if (text) keys.push({kind: 'text', text});
		text = '';
	};
	for (let index = 0; index < chunk.length; index++) {
		const char = chunk[index]!;
		if (char >= ' ' && char !== '\u007F') {
			text += char;
			continue;
		}
		flush();
		if (char === '\u001B') {
			const next = chunk[index + 1];
			if (next !== '[' && next !== 'O') {
				keys.push({kind: 'escape'});
				continue;
			}
			let end = index + 2;
			while (end < chunk.length && !/[A-Za-z~]/.test(chunk[end]!)) end++;
			keys.push({kind: sequences[chunk.slice(index + 2, end + 1)] ?? 'other'});
			index = end;
		} else if (char === '\u007F' || char === '\b') keys.push({kind: 'backspace'});
		else if (char === '\r' || char === '\n') keys.push({kind: 'return'});
		else if (char === '\t') keys.push({kind: 'tab'});
		else if (char === '\u0003') keys.push({kind: 'ctrl-c'});
		else keys.push({kind: 'other'});
	}
	flush();
	return keys;
}

/** Calls the handler for every key of every chunk, in order, while active; puts the terminal in raw mode meanwhile. */
export function useRawKeys(handler: (key: RawKey) => void, options: {isActive?: boolean} = {}): void {
	const {internal_eventEmitter: events, setRawMode, isRawModeSupported} = useStdin();
	const latest = useRef(handler);
	latest.current = handler;
	const active = options.isActive !== false;
	useEffect(() => {
		if (!active || !isRawModeSupported) return;
		setRawMode(true);
		return () => setRawMode(false);
	}, [active, isRawModeSupported, setRawMode]);
	useEffect(() => {
		if (!active) return;
		const onData = (data: string | Buffer) => {
			for (const key of splitKeys(String(data))) latest.current(key);
		};
		events?.on('input', onData);
		return () => {
			events?.removeListener('input', onData);
		};
	}, [active, events]);
}
