// How flash talks to a person: choose a disk, confirm by typing its path, show progress. Plain terminal version
// here (readline on stderr); the Ink version lives in source/ui/flash/ and is loaded only on an interactive terminal.
import {createInterface} from 'node:readline/promises';
import {formatDuration} from '../system/duration.js';
import {paintLines} from '../system/paint.js';
import {summaryLines, type FlashSummary} from './summary.js';
import {describeDisk, formatSize, partitionLines} from './lsblk.js';
import {reasons, type Verdict} from './policy.js';
import type {Progress} from './writer.js';
import type {EventStream} from '../reporters/stream.js';

export type FlashUi = {
	/** Pick one of the offered disks; undefined when the person cancels. */
	pick(verdicts: Verdict[], imageSize: number): Promise<Verdict | undefined>;
	/** The person types the device path to confirm; false when cancelled or mistyped. */
	confirm(verdict: Verdict, imageSize: number, notes: string[]): Promise<boolean>;
	progress(progress: Progress): void;
	message(line: string): void;
	/** The final screen, once: nothing of the progress is repeated after it. */
	summary(summary: FlashSummary): void;
	close(): Promise<void>;
};

/** Flash counts in seconds; its progress lines show them compact ("2m33s", "--" while unknown). */
export function formatProgressTime(seconds: number | undefined): string {
	return formatDuration(seconds === undefined ? undefined : seconds * 1000, 'compact');
}

export function formatProgress(progress: Progress): string {
	if (progress.phase === 'sync') {
		return `sync    ${progress.done >= progress.total ? 'done' : 'flushing the written data to the device'} (${formatProgressTime(progress.elapsedSeconds)})`;
	}
	const percent = progress.total > 0 ? Math.floor((100 * progress.done) / progress.total) : 100;
	return `${progress.phase.padEnd(7)} ${formatSize(progress.done).padStart(8)} / ${formatSize(progress.total)}  ${String(percent).padStart(3)}%  ${formatSize(progress.bytesPerSecond)}/s  ETA ${formatProgressTime(progress.etaSeconds)}`;
}

/** Each disk with its verdict, then what is on it (partitions, filesystems, labels, mount points), indented under it. */
export function verdictLines(verdicts: Verdict[]): string[] {
	return verdicts.flatMap((verdict) => [
		`${verdict.offered ? 'offered    ' : 'not offered'}  ${describeDisk(verdict.disk)}${reasons(verdict) ? `  (${reasons(verdict)})` : ''}`,
		...partitionLines(verdict.disk).map((line) => `${' '.repeat(15)}${line}`),
	]);
}

/**
 * With --json nobody is asked anything (flash needs --device and --yes there): progress and messages are events of
 * the output stream, progress at most once a second per phase and always at a phase's end.
 */
export function jsonUi(events: Pick<EventStream, 'emit'>): FlashUi {
	let lastAt = 0;
	let lastPhase = '';
	return {
		async pick() {
			return undefined;
		},
		async confirm() {
			return false;
		},
		progress(progress) {
			const now = Date.now();
			const finished = progress.done >= progress.total;
			if (progress.phase === lastPhase && !finished && now - lastAt < 1000) return;
			lastAt = now;
			lastPhase = progress.phase;
			events.emit({type: 'progress', phase: progress.phase, done: progress.done, total: progress.total, bytesPerSecond: progress.bytesPerSecond, etaSeconds: progress.etaSeconds ?? null, elapsedSeconds: progress.elapsedSeconds});
		},
		message(text) {
			events.emit({type: 'message', text});
		},
		// The command's result event carries the same facts.
		summary() {},
		async close() {},
	};
}

export function plainUi(io: {stderr: NodeJS.WriteStream; stdin: NodeJS.ReadStream}, options: {canAsk: boolean; signal?: AbortSignal; colour?: boolean}): FlashUi {
	let lastLine = 0;
	let lastPhase = '';
	const ask = async (question: string) => {
		const readline = createInterface({input: io.stdin, output: io.stderr, terminal: Boolean(io.stdin.isTTY)});
		// A stop (Ctrl-C, SIGTERM) ends the question and releases the terminal; the caller reports the stop.
		const onAbort = () => readline.close();
		options.signal?.addEventListener('abort', onAbort, {once: true});
		try {
			return (await readline.question(question, options.signal ? {signal: options.signal} : {})).trim();
		} catch (error) {
			if (options.signal?.aborted) return '';
			throw error;
		} finally {
			options.signal?.removeEventListener('abort', onAbort);
			readline.close();
		}
	};
	return {
		async pick(verdicts) {
			const offered = verdicts.filter((verdict) => verdict.offered);
			for (const line of verdictLines(verdicts)) io.stderr.write(`  ${line}\n`);
			if (!options.canAsk || offered.length === 0) return undefined;
			offered.forEach((verdict, index) => io.stderr.write(`  ${index + 1}) ${describeDisk(verdict.disk)}\n`));
			const answer = await ask(`Write to which disk? [1-${offered.length}, empty to cancel] `);
			const index = Number(answer) - 1;
			return Number.isInteger(index) ? offered[index] : undefined;
		},
		async confirm(verdict, imageSize, notes) {
			io.stderr.write(`\nAbout to ERASE ${describeDisk(verdict.disk)} and write ${formatSize(imageSize)}.\n`);
			if (verdict.disk.serial) io.stderr.write(`  serial ${verdict.disk.serial}\n`);
			if (verdict.disk.partitions.length > 0) {
				io.stderr.write('  on it now (all of it is erased):\n');
				for (const line of partitionLines(verdict.disk)) io.stderr.write(`    ${line}\n`);
			}
			for (const warning of verdict.warnings) io.stderr.write(`  note: ${warning.message}\n`);
			for (const note of notes) io.stderr.write(`  ${note}\n`);
			if (!options.canAsk) return false;
			const answer = await ask(`Type the device path (${verdict.disk.path}) to confirm, anything else cancels: `);
			return answer === verdict.disk.path;
		},
		progress(progress) {
			const now = Date.now();
			const finished = progress.done >= progress.total;
			if (progress.phase !== lastPhase || finished || now - lastLine >= 2000) {
				lastLine = now;
				lastPhase = progress.phase;
				io.stderr.write(`${formatProgress(progress)}\n`);
			}
		},
		message(line) {
			io.stderr.write(`${line}\n`);
		},
		summary(summary) {
			// Wrapped to a terminal's width; a log or a pipe gets each row on one line.
			const width = io.stderr.isTTY && io.stderr.columns ? io.stderr.columns : Number.POSITIVE_INFINITY;
			io.stderr.write(`\n${paintLines(summaryLines(summary, width), options.colour ?? false)}\n`);
		},
		async close() {},
	};
}
