// The line protocol between the host and the guest's inference service on the serial console.
//
// Host -> guest (each line ends with "\n" only; the guest's tty holds at most 4095 bytes per line):
//   "+<escaped text>"                                  a piece of the next prompt (long or multi-line prompts)
//   "ask <id> <max_tokens> <flags> <escaped text>"     the prompt's last piece; flags: chat|raw|noeos list or "-"
//   "ping <id>"                                        the guest answers "SEL4LLM-PONG <id>"
// Guest -> host:
//   "SEL4LLM-READY model=<file> threads=<n>"           the model is loaded; requests are read from now on
//   "SEL4LLM-BEGIN <id> prompt_tokens=<n>"
//   "SEL4LLM-TOK <id> <escaped piece>"                 one generated token
//   "SEL4LLM-END <id> tokens=<n> prompt_tokens=<n> tps=<x> ttft_ms=<x> total_ms=<x> stop=<eog|length>"
//   "SEL4LLM-ERROR <id|-> <escaped message>"
//   "SEL4LLM-PONG <id>"
//   "SEL4LLM-PART <bytes>"                            after each "+" line; only then is the next line sent, so the
//                                                     tty never holds more than one line of ours
// Escaping: "\\", "\n", "\r", "\t" and "\xHH" for any other byte outside printable ASCII. The host escapes every
// control byte of a prompt (the guest's tty would act on ^C, ^D, ^U, DEL...) and may leave UTF-8 as it is.

export const readyPrefix = 'SEL4LLM-READY';
/** The tty's canonical line limit is 4095 bytes plus the newline; stay well below it. */
export const maxLineBytes = 4000;

export type AnswerStats = {
	tokens: number;
	promptTokens: number;
	tokensPerSecond: number;
	ttftMs: number;
	totalMs: number;
	stop: string;
};

export type GuestEvent =
	| {type: 'ready'; model: string; threads: number}
	| {type: 'begin'; id: string; promptTokens: number}
	| {type: 'token'; id: string; bytes: Buffer}
	| {type: 'end'; id: string; stats: AnswerStats}
	| {type: 'error'; id: string; message: string}
	| {type: 'pong'; id: string}
	| {type: 'part'; bytes: number}
	/** Anything else on the console: boot messages, the guest's own prints. */
	| {type: 'other'; text: string};

export type Flag = 'chat' | 'raw' | 'noeos';

/** Escapes bytes for a protocol line. `keepUtf8` leaves bytes >= 0x80 as they are (host -> guest). */
export function escapeBytes(bytes: Buffer, keepUtf8 = false): string {
	const out: number[] = [];
	const text = (value: string) => {
		for (let index = 0; index < value.length; index++) out.push(value.charCodeAt(index));
	};
	for (const byte of bytes) {
		if (byte === 0x5c) text('\\\\');
		else if (byte === 0x0a) text('\\n');
		else if (byte === 0x0d) text('\\r');
		else if (byte === 0x09) text('\\t');
		else if (byte < 0x20 || byte === 0x7f || (byte > 0x7f && !keepUtf8)) text(`\\x${byte.toString(16).padStart(2, '0')}`);
		else out.push(byte);
	}
	// Bytes kept as they are form valid UTF-8 again (the escapes are ASCII and never split a sequence).
	return Buffer.from(out).toString(keepUtf8 ? 'utf8' : 'latin1');
}

export class ProtocolError extends Error {
	override name = 'ProtocolError';
}

/** Reverses escapeBytes. The input is a line as raw bytes (latin1 string: one char per byte). */
export function unescapeBytes(text: string): Buffer {
	const out: number[] = [];
	for (let index = 0; index < text.length; index++) {
		const code = text.charCodeAt(index);
		if (code !== 0x5c) {
			out.push(code & 0xff);
			continue;
		}
		const next = text[++index];
		if (next === '\\') out.push(0x5c);
		else if (next === 'n') out.push(0x0a);
		else if (next === 'r') out.push(0x0d);
		else if (next === 't') out.push(0x09);
		else if (next === 'x') {
			const hex = text.slice(index + 1, index + 3);
			if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new ProtocolError(`bad \\x escape at ${index - 1}`);
			out.push(Number.parseInt(hex, 16));
			index += 2;
		} else throw new ProtocolError(`bad escape "\\${next ?? ''}" at ${index - 1}`);
	}
	return Buffer.from(out);
}

/** Splits a prompt's escaped text into pieces of at most `limit` bytes without cutting an escape or a UTF-8 sequence. */
function splitEscaped(escaped: string, limit: number): string[] {
	const bytes = Buffer.from(escaped, 'utf8');
	const pieces: string[] = [];
	let start = 0;
	while (bytes.length - start > limit) {
		let end = start + limit;
		// Do not cut inside a UTF-8 sequence (continuation bytes are 10xxxxxx).
		while (end > start && (bytes[end]! & 0xc0) === 0x80) end--;
		// Do not cut inside an escape: back up to before any backslash in the last 3 bytes.
		for (let back = 1; back <= 3 && end - back > start; back++) {
			if (bytes[end - back] === 0x5c) {
				// Count the run of backslashes ending there: an even run is complete escapes.
				let run = 0;
				while (end - back - run >= start && bytes[end - back - run] === 0x5c) run++;
				if (run % 2 === 1) end = end - back;
				break;
			}
		}
		pieces.push(bytes.subarray(start, end).toString('utf8'));
		start = end;
	}
	pieces.push(bytes.subarray(start).toString('utf8'));
	return pieces;
}

const idPattern = /^[A-Za-z0-9_-]{1,32}$/;

/** The request lines for one prompt, each ending with "\n" and at most maxLineBytes long. */
export function encodeAsk(id: string, prompt: string, options: {maxTokens: number; flags?: Flag[]}): string[] {
	if (!idPattern.test(id)) throw new RangeError(`request id must match ${idPattern}`);
	if (!Number.isInteger(options.maxTokens) || options.maxTokens < 1 || options.maxTokens > 100_000) {
		throw new RangeError('maxTokens must be an integer from 1 to 100000');
	}
	const flags = options.flags && options.flags.length > 0 ? options.flags.join(',') : '-';
	const head = `ask ${id} ${options.maxTokens} ${flags} `;
	const escaped = escapeBytes(Buffer.from(prompt, 'utf8'), true);
	const pieces = splitEscaped(escaped, maxLineBytes - head.length - 1);
	const last = pieces.pop() ?? '';
	return [...pieces.map((piece) => `+${piece}\n`), `${head}${last}\n`];
}

export function encodePing(id: string): string {
	if (!idPattern.test(id)) throw new RangeError(`request id must match ${idPattern}`);
	return `ping ${id}\n`;
}

function fields(text: string): Map<string, string> {
	const map = new Map<string, string>();
	for (const part of text.split(' ')) {
		const equals = part.indexOf('=');
		if (equals > 0) map.set(part.slice(0, equals), part.slice(equals + 1));
	}
	return map;
}

function number(map: Map<string, string>, key: string): number {
	const value = Number(map.get(key));
	return Number.isFinite(value) ? value : Number.NaN;
}

/** Parses one console line (without its line ending, as latin1: one char per byte). */
export function parseGuestLine(raw: string): GuestEvent {
	// A marker may follow other text on the same line (a kernel message without a newline): look for it anywhere.
	const at = raw.indexOf('SEL4LLM-');
	if (at < 0) return {type: 'other', text: raw};
	const line = raw.slice(at);
	const space = line.indexOf(' ');
	const tag = space < 0 ? line : line.slice(0, space);
	const rest = space < 0 ? '' : line.slice(space + 1);
	const idEnd = rest.indexOf(' ');
	const id = idEnd < 0 ? rest : rest.slice(0, idEnd);
	const after = idEnd < 0 ? '' : rest.slice(idEnd + 1);
	try {
		switch (tag) {
			case readyPrefix: {
				const map = fields(rest);
				return {type: 'ready', model: unescapeBytes(map.get('model') ?? '').toString('utf8'), threads: number(map, 'threads')};
			}
			case 'SEL4LLM-BEGIN':
				return {type: 'begin', id, promptTokens: number(fields(after), 'prompt_tokens')};
			case 'SEL4LLM-TOK':
				return {type: 'token', id, bytes: unescapeBytes(after)};
			case 'SEL4LLM-END': {
				const map = fields(after);
				return {
					type: 'end',
					id,
					stats: {
						tokens: number(map, 'tokens'),
						promptTokens: number(map, 'prompt_tokens'),
						tokensPerSecond: number(map, 'tps'),
						ttftMs: number(map, 'ttft_ms'),
						totalMs: number(map, 'total_ms'),
						stop: map.get('stop') ?? '',
					},
				};
			}
			case 'SEL4LLM-ERROR':
				return {type: 'error', id, message: unescapeBytes(after).toString('utf8')};
			case 'SEL4LLM-PONG':
				return {type: 'pong', id};
			case 'SEL4LLM-PART':
				return {type: 'part', bytes: Number(id)};
			default:
				return {type: 'other', text: raw};
		}
	} catch (error) {
		if (error instanceof ProtocolError) return {type: 'other', text: raw};
		throw error;
	}
}

/**
 * Collects bytes from the console into lines: handles lines split across reads, several lines in one read,
 * "\r\n" endings (the guest's tty adds "\r"), and a runaway line without a newline (cut at `limit` bytes).
 */
export class LineSplitter {
	private pending: Buffer[] = [];
	private pendingLength = 0;

	constructor(private readonly limit = 1 << 20) {}

	/** Feeds bytes; returns the complete lines (latin1, one char per byte, without "\r\n"). */
	push(chunk: Buffer): string[] {
		const lines: string[] = [];
		let start = 0;
		for (;;) {
			const newline = chunk.indexOf(0x0a, start);
			if (newline < 0) break;
			this.pending.push(chunk.subarray(start, newline));
			lines.push(this.take());
			start = newline + 1;
		}
		if (start < chunk.length) {
			this.pending.push(chunk.subarray(start));
			this.pendingLength += chunk.length - start;
			if (this.pendingLength >= this.limit) lines.push(this.take());
		}
		return lines;
	}

	/** What is left without a newline (e.g. when the console closes). */
	flush(): string | undefined {
		if (this.pendingLength === 0 && this.pending.length === 0) return undefined;
		const line = this.take();
		return line === '' ? undefined : line;
	}

	private take(): string {
		let text = Buffer.concat(this.pending).toString('latin1');
		this.pending = [];
		this.pendingLength = 0;
		while (text.endsWith('\r')) text = text.slice(0, -1);
		// A tty may put "\r" before a line's text too (after a cursor return); it is never part of a marker.
		if (text.startsWith('\r')) text = text.replace(/^\r+/, '');
		return text;
	}
}
