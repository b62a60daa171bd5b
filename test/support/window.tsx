/** @jsxRuntime automatic */
// Views in a terminal of a given size: Ink and useWindowSize read the stdout's columns and rows.
import type {ReactElement} from 'react';
import {render} from 'ink-testing-library';
import {tick} from './keys.js';

export async function mountAt(tree: ReactElement, columns: number, rows: number) {
	const view = render(<></>);
	const size = {columns, rows};
	Object.defineProperty(view.stdout, 'columns', {get: () => size.columns, configurable: true});
	Object.defineProperty(view.stdout, 'rows', {get: () => size.rows, configurable: true});
	view.rerender(tree);
	await tick(30);
	return {
		...view,
		/** Resizes the window as a terminal does: new size, then a resize event. */
		async resize(newColumns: number, newRows: number) {
			size.columns = newColumns;
			size.rows = newRows;
			view.stdout.emit('resize');
			await tick(30);
		},
	};
}

/** Every line of a frame fits the window, and the frame leaves its last row free (so Ink never scrolls). */
export function fits(frame: string, columns: number, rows: number): string | undefined {
	const lines = frame.split('\n');
	if (lines.length >= rows) return `${lines.length} lines in ${rows} rows`;
	const wide = lines.find((line) => [...line].length > columns);
	return wide === undefined ? undefined : `wider than ${columns}: ${wide}`;
}
