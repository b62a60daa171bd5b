// The console pane's text: raw guest output folded into lines the way a terminal would show them
// (newlines, carriage returns, backspaces), without escape sequences, keeping the last `limit` lines.
// The console protocol's framing lines (SEL4LLM-TOK, -BEGIN, -END, ...) are for programs, not people: the pane
// leaves them out (the log file keeps every line, and the prompt box shows the answer they carry).
import {parseGuestLine} from '../../console/protocol.js';
import {cleanLine} from '../../qemu/stages.js';

const protocolTags = ['SEL4LLM-READY', 'SEL4LLM-BEGIN', 'SEL4LLM-TOK', 'SEL4LLM-END', 'SEL4LLM-ERROR', 'SEL4LLM-PONG', 'SEL4LLM-PART'];

/**
 * A line of the console protocol, or the start of one still arriving ("SEL4LLM-TO"). Only a line that starts with
 * the marker: a shell command that mentions one (`echo SEL4LLM-READY`) is shown.
 */
export function isProtocolLine(line: string, finished = true): boolean {
	const text = line.trimStart();
	if (!text.startsWith('SEL4LLM-') && !(!finished && 'SEL4LLM-'.startsWith(text) && text !== '')) return false;
	if (finished) return parseGuestLine(text).type !== 'other';
	return protocolTags.some((tag) => tag.startsWith(text) || text.startsWith(tag));
}

/** What the pane shows for a finished line: protocol lines left out, except an error, shown unescaped. */
function paneLine(line: string): string | undefined {
	if (!isProtocolLine(line)) return line;
	const event = parseGuestLine(line.trimStart());
	return event.type === 'error' ? `SEL4LLM-ERROR ${event.id} ${event.message}` : undefined;
}

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
				const shown = paneLine(this.current);
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
