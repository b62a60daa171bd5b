// Collects a step's output: the raw bytes go to the log file unchanged; lines are split for the UI with a
// bounded tail and the first error-looking line kept with its context (the error window).
import {closeSync, mkdirSync, openSync, writeSync} from 'node:fs';
import {dirname} from 'node:path';

export type ErrorWindow = {
	/** The first error-looking line (1-based line number in the log) with a few lines around it. */
	first?: {line: number; text: string; before: string[]; after: string[]};
	/** The last lines of output. */
	tail: string[];
	logPath: string;
	totalLines: number;
};

const errorPattern =
	/\b(error|fatal|failed|failure|cannot|can't|could not|couldn't|not found|no such file|permission denied|denied|traceback|exception|panic|abort(?:ed)?|segmentation fault|killed|undefined reference)\b/i;

/** Lines that look like errors but are not (e.g. "0 errors", "-Werror", "error.c"). */
const notAnError = /\b0 (errors|failed)\b|-W(no-)?error|\berror\.[ch]\b|\bwarning\b.*-Werror/i;

/** Whether a line of output looks like an error (the first such line opens a failed step's error window). */
export function looksLikeError(line: string): boolean {
	return errorPattern.test(line) && !notAnError.test(line);
}

export class OutputCollector {
	readonly logPath: string;
	private readonly fd: number;
	private readonly partial = {stdout: '', stderr: ''};
	private readonly ring: string[];
	private ringStart = 0;
	private ringCount = 0;
	private lineCount = 0;
	private first: ErrorWindow['first'];
	private pendingAfter = 0;
	private readonly decoder = {stdout: new TextDecoder(), stderr: new TextDecoder()};

	constructor(
		logPath: string,
		private readonly onLines: (lines: string[]) => void,
		private readonly ringSize = 2000,
	) {
		this.logPath = logPath;
		let fd = -1;
		try {
			mkdirSync(dirname(logPath), {recursive: true});
			fd = openSync(logPath, 'w');
		} catch (error) {
			this.logProblem = `no log: ${(error as Error).message}`;
		}
		this.fd = fd;
		this.ring = new Array<string>(ringSize);
	}

	write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
		this.writeLog(chunk);
		const text = this.partial[stream] + this.decoder[stream].decode(chunk, {stream: true});
		const parts = text.split('\n');
		this.partial[stream] = parts.pop()!;
		if (parts.length === 0) return;
		if (text.includes('\r')) {
			for (let index = 0; index < parts.length; index++) {
				let line = parts[index]!;
				if (line.endsWith('\r')) line = line.slice(0, -1);
				if (line.includes('\r')) line = line.slice(line.lastIndexOf('\r') + 1);
				parts[index] = line;
			}
		}
		this.track(parts, text);
		this.onLines(parts);
	}

	/** Why the log stopped before the output did (the disk filled up), if it did. */
	logProblem: string | undefined;

	private writeLog(chunk: Buffer): void {
		if (this.logProblem !== undefined) return;
		try {
			writeSync(this.fd, chunk);
		} catch (error) {
			// A full disk must not take the run down: the lines still reach the screen and the error window.
			this.logProblem = `the log stops here: ${(error as NodeJS.ErrnoException).code === 'ENOSPC' ? 'the disk is full' : (error as Error).message}`;
			this.onLines([`[sel4-llm] ${this.logProblem}`]);
		}
	}

	/** Flushes partial lines at the end of a command. */
	flush(): void {
		const rest: string[] = [];
		for (const stream of ['stdout', 'stderr'] as const) {
			const tail = this.partial[stream] + this.decoder[stream].decode();
			this.partial[stream] = '';
			if (tail !== '') rest.push(tail);
		}
		if (rest.length > 0) {
			this.track(rest, rest.join('\n'));
			this.onLines(rest);
		}
	}

	private track(lines: string[], text: string): void {
		// Lines after the first error, for its context.
		let start = 0;
		if (this.first && this.pendingAfter > 0) {
			const take = lines.slice(0, this.pendingAfter);
			this.first.after.push(...take);
			this.pendingAfter -= take.length;
		}
		// The first error: one scan of the whole chunk, then only the lines of a chunk that matched.
		if (!this.first && errorPattern.test(text)) {
			for (let index = 0; index < lines.length; index++) {
				const line = lines[index]!;
				if (looksLikeError(line)) {
					const before = [...this.tail(3), ...lines.slice(0, index)].slice(-3);
					this.first = {line: this.lineCount + index + 1, text: line, before, after: lines.slice(index + 1, index + 4)};
					this.pendingAfter = 3 - this.first.after.length;
					break;
				}
			}
		}
		start = lines.length > this.ringSize ? lines.length - this.ringSize : 0;
		for (let index = start; index < lines.length; index++) {
			this.ring[(this.ringStart + this.ringCount) % this.ringSize] = lines[index]!;
			if (this.ringCount < this.ringSize) this.ringCount++;
			else this.ringStart = (this.ringStart + 1) % this.ringSize;
		}
		this.lineCount += lines.length;
	}

	tail(count: number): string[] {
		const take = Math.min(count, this.ringCount);
		const lines: string[] = [];
		for (let index = this.ringCount - take; index < this.ringCount; index++) {
			lines.push(this.ring[(this.ringStart + index) % this.ringSize]!);
		}
		return lines;
	}

	window(tailLines = 20): ErrorWindow {
		return {
			...(this.first ? {first: this.first} : {}),
			tail: this.tail(tailLines),
			logPath: this.logPath,
			totalLines: this.lineCount,
		};
	}

	close(): void {
		if (this.fd >= 0) closeSync(this.fd);
	}
}
