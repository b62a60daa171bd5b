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

export class OutputCollector {
	readonly logPath: string;
	private readonly fd: number;
	private readonly partial = {stdout: '', stderr: ''};
	private readonly ring: string[];
	private ringStart = 0;
	private ringCount = 0;
	private lineCount = 0;
	private first: ErrorWindow['first'];
	private previous: string[] = [];
	private pendingAfter = 0;
	private readonly decoder = {stdout: new TextDecoder(), stderr: new TextDecoder()};

	constructor(
		logPath: string,
		private readonly onLines: (lines: string[]) => void,
		private readonly ringSize = 2000,
	) {
		this.logPath = logPath;
		mkdirSync(dirname(logPath), {recursive: true});
		this.fd = openSync(logPath, 'w');
		this.ring = new Array<string>(ringSize);
	}

	write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
		writeSync(this.fd, chunk);
		const text = this.partial[stream] + this.decoder[stream].decode(chunk, {stream: true});
		const parts = text.split('\n');
		this.partial[stream] = parts.pop()!;
		if (parts.length === 0) return;
		for (let index = 0; index < parts.length; index++) {
			let line = parts[index]!;
			if (line.endsWith('\r')) line = line.slice(0, -1);
			if (line.includes('\r')) line = line.slice(line.lastIndexOf('\r') + 1);
			parts[index] = line;
			this.track(line);
		}
		this.onLines(parts);
	}

	/** Flushes partial lines at the end of a command. */
	flush(): void {
		const rest: string[] = [];
		for (const stream of ['stdout', 'stderr'] as const) {
			const tail = this.partial[stream] + this.decoder[stream].decode();
			this.partial[stream] = '';
			if (tail !== '') {
				this.track(tail);
				rest.push(tail);
			}
		}
		if (rest.length > 0) this.onLines(rest);
	}

	private track(line: string): void {
		this.lineCount++;
		this.ring[(this.ringStart + this.ringCount) % this.ringSize] = line;
		if (this.ringCount < this.ringSize) this.ringCount++;
		else this.ringStart = (this.ringStart + 1) % this.ringSize;
		if (this.pendingAfter > 0 && this.first) {
			this.first.after.push(line);
			this.pendingAfter--;
		}
		if (!this.first && errorPattern.test(line) && !notAnError.test(line)) {
			this.first = {line: this.lineCount, text: line, before: [...this.previous], after: []};
			this.pendingAfter = 3;
		}
		this.previous.push(line);
		if (this.previous.length > 3) this.previous.shift();
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
		closeSync(this.fd);
	}
}
