// The terminal window a view paints into: its size (re-read on every resize) and the rows a view may use.
// Every full-screen view sizes itself from here, so what it shows fits the rows and columns the user has.
import {useStdout} from 'ink';
import {useEffect, useState} from 'react';

export type WindowSize = {rows: number; columns: number};

/** What a stream that is not a terminal (or reports no size) is taken to be. */
export const defaultWindow: WindowSize = {rows: 24, columns: 80};

export function windowOf(stream: {rows?: number; columns?: number} | undefined): WindowSize {
	return {rows: stream?.rows || defaultWindow.rows, columns: stream?.columns || defaultWindow.columns};
}

/** The size of the stream Ink paints to, updated when the window is resized. */
export function useWindowSize(): WindowSize {
	const {stdout} = useStdout();
	const [size, setSize] = useState(() => windowOf(stdout));
	useEffect(() => {
		const update = () => setSize(windowOf(stdout));
		stdout.on('resize', update);
		return () => {
			stdout.off('resize', update);
		};
	}, [stdout]);
	return size;
}

/**
 * At most `rows` of `items`, keeping the one at `focus` (the running step, the cursor) in view, with how many
 * were left out above and below so the view can say "… N more". With room for all of them, all are shown.
 */
export function fitList<T>(items: readonly T[], rows: number, focus = 0): {shown: T[]; above: number; below: number} {
	const room = Math.max(1, Math.floor(rows));
	if (items.length <= room) return {shown: [...items], above: 0, below: 0};
	// One row each for the "more above" and "more below" notes that the cut needs.
	const inner = Math.max(1, room - 2);
	const centre = Math.min(Math.max(0, focus), items.length - 1);
	let start = Math.max(0, centre - Math.floor(inner / 2));
	start = Math.min(start, items.length - inner);
	if (start <= 1) return {shown: items.slice(0, room - 1), above: 0, below: items.length - (room - 1)};
	if (start + inner >= items.length - 1) return {shown: items.slice(items.length - (room - 1)), above: items.length - (room - 1), below: 0};
	return {shown: items.slice(start, start + inner), above: start, below: items.length - start - inner};
}
