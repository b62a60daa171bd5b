// The console pane's text: raw guest output folded into lines the way a terminal would show them
// (newlines, carriage returns, backspaces), without escape sequences, keeping the last `limit` lines.
// The console protocol's framing lines (SEL4LLM-TOK, -BEGIN, -END, ...) are for programs, not people: the pane
// leaves them out (the log file keeps every line, and the prompt box shows the answer they carry).
import {isProtocolLine, shownLine} from '../../qemu/protocol-lines.js';
import {cleanLine} from '../../qemu/stages.js';

export class ConsoleBuffer {
	private done: string[] = [];
	private current = '';
	private version = 0;

	constructor(private readonly limit = 500) {}

	get changes(): number {
		return this.version;
	}

	push(text: string): void {
		// Escape sequences first (they may contain bytes that look like the controls handled below).
		// eslint-disable-next-line no-control-regex
		const plain = text.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_a-z=>78]/g, '');
		for (const char of plain) {
			if (char === '\n') {
				const shown = shownLine(this.current);
				if (shown !== undefined) this.done.push(shown);
				this.current = '';
			} else if (char === '\r') {
				// A bare carriage return rewrites the line; \r\n is handled by the \n that follows.
				continue;
			} else if (char === '\b' || char === '\x7f') {
				this.current = this.current.slice(0, -1);
			} else if (char === '\t') {
				this.current += ' '.repeat(8 - (this.current.length % 8));
			} else {
				this.current += cleanLine(char);
			}
		}
		if (this.done.length > this.limit) this.done = this.done.slice(-this.limit);
		this.version++;
	}

	/** The last `count` lines, the unfinished one included. */
	tail(count: number): string[] {
		const all = this.current === '' || isProtocolLine(this.current, false) ? this.done : [...this.done, this.current];
		return all.slice(-Math.max(0, count));
	}
}
