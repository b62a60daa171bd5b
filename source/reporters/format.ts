// Text shared by every reporter: sizes, the error window and diagnoses as lines, what a stopped run recorded.
import {progressOf, type RunState} from '../engine/reducer.js';
import type {ErrorWindow} from '../engine/output.js';

/** Bytes in binary units: "820 MiB", "1.5 GiB". */
export function formatBytes(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	const units = ['KiB', 'MiB', 'GiB', 'TiB'];
	let value = bytes / 1024;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}
	return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** What a step stopped for lack of disk space waits for: what happened, then what to do about it. */
export function pausedLines(paused: Omit<NonNullable<RunState['paused']>, 'since'>): [string, string] {
	return [
		`paused ${paused.id}: only ${formatBytes(paused.freeBytes)} free on ${paused.path} (below ${formatBytes(paused.pauseBelow)})`,
		`free some space and it continues at ${formatBytes(paused.resumeAbove)} free (Ctrl-C stops it; it runs again next time)`,
	];
}

/**
 * The last lines of the log that the first error's context does not already show (at most `max`): on a short log
 * the two would repeat the same lines.
 */
export function tailAfterFirst(window: ErrorWindow, max: number): string[] {
	const tail = window.tail.slice(-max);
	if (!window.first) return tail;
	const shownUpTo = window.first.line + window.first.after.length;
	const tailFrom = window.totalLines - tail.length + 1;
	return tail.slice(Math.max(0, shownUpTo - tailFrom + 1));
}

/** The error window and the matched troubleshooting entries, as plain lines (no colour). */
export function failureLines(failure: NonNullable<RunState['failure']>, options: {tail?: number} = {}): string[] {
	const lines: string[] = [];
	const window = failure.window;
	if (failure.interrupted) {
		lines.push(`Interrupted: ${failure.id} was stopped; it will run again next time.`);
		lines.push(`Log: ${window.logPath}`);
		return lines;
	}
	lines.push(`Error: ${failure.error}`);
	if (window.first) {
		lines.push(`First error at line ${window.first.line} of the log:`);
		for (const line of window.first.before) lines.push(`    ${line}`);
		lines.push(`  > ${window.first.text}`);
		for (const line of window.first.after) lines.push(`    ${line}`);
	}
	const tail = tailAfterFirst(window, options.tail ?? 12);
	if (tail.length > 0) {
		lines.push(`${window.first ? 'Then, the last' : 'Last'} ${tail.length} line${tail.length === 1 ? '' : 's'}:`);
		for (const line of tail) lines.push(`    ${line}`);
	}
	lines.push(`Full log (${window.totalLines} lines): ${window.logPath}`);
	for (const diagnosis of failure.diagnoses) {
		lines.push(`Known cause: ${diagnosis.title}${diagnosis.confidence === 'high' ? '' : ` (${diagnosis.confidence} confidence)`}`);
		lines.push(`  ${diagnosis.cause}`);
		if (diagnosis.explanation) lines.push(`  ${diagnosis.explanation.trim().replaceAll('\n', '\n  ')}`);
		if (diagnosis.fix) {
			lines.push(`  Fix: ${diagnosis.fix.description}`);
			for (const command of diagnosis.fix.commands) lines.push(`    $ ${command}`);
		}
	}
	return lines;
}

/**
 * What an interrupted run recorded, in one line for every reporter: the step it stopped at (or would have run
 * next), how many steps are done, and how to go on.
 */
export function interruptedSummary(state: RunState): string {
	const {done, total, at} = progressOf(state);
	return `${at ? `interrupted at ${at}` : 'interrupted after the last step'}; ${done} of ${total} steps done; re-run the same command to resume`;
}
