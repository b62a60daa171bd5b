// The host side of the console protocol: connects to QEMU's serial socket, waits until the guest's service is
// ready, sends a prompt and streams the answer until its end marker with the stats.
import {randomBytes} from 'node:crypto';
import {connect, type Socket} from 'node:net';
import {
	encodeAsk,
	encodePing,
	LineSplitter,
	parseGuestLine,
	type AnswerStats,
	type Flag,
	type GuestEvent,
} from './protocol.js';

export type ConsoleErrorKind = 'connect' | 'closed' | 'timeout' | 'not-ready' | 'died' | 'restarted' | 'guest-error';

export class ConsoleError extends Error {
	override name = 'ConsoleError';
	constructor(
		readonly kind: ConsoleErrorKind,
		message: string,
		/** What arrived of the answer before the failure. */
		readonly partial: {text: string; tokens: number} = {text: '', tokens: 0},
		/** The last console lines that were not protocol lines (boot messages, a panic). */
		readonly lastLines: string[] = [],
	) {
		super(message);
	}
}

export type ReadyInfo = {via: 'ready' | 'pong'; model?: string; threads?: number; waitedMs: number};

export type AnswerResult = {
	id: string;
	text: string;
	tokens: number;
	stats: AnswerStats;
	/** Host-side: from sending the prompt to the first token line. */
	hostTtftMs: number;
	/** Host-side: from sending the prompt to the end marker. */
	hostTotalMs: number;
};

export type AskOptions = {
	maxTokens: number;
	flags?: Flag[];
	/** Called with each piece of decoded text as it arrives. */
	onText?: (text: string) => void;
	/** Give up when nothing arrives for this long (default 120 s: the first token of a big prompt under TCG is slow). */
	idleTimeoutMs?: number;
};

const panicPattern = /Kernel panic - not syncing|Unable to handle kernel|Internal error: Oops|end Kernel panic|halting\.\.\./i;

type Waiter = {resolve: (event: GuestEvent | undefined) => void; timer: NodeJS.Timeout | undefined};

export class GuestConsole {
	private readonly splitter = new LineSplitter();
	private readonly queue: GuestEvent[] = [];
	private waiter: Waiter | undefined;
	private closed = false;
	private closeReason = '';
	readonly recentLines: string[] = [];
	ready: ReadyInfo | undefined;

	constructor(private readonly socket: Socket) {
		socket.on('data', (chunk: Buffer) => {
			for (const line of this.splitter.push(chunk)) this.deliver(parseGuestLine(line));
		});
		const onClose = (reason: string) => {
			if (this.closed) return;
			// A line cut off by the close is never trusted as protocol (a token could be half there).
			const rest = this.splitter.flush();
			if (rest !== undefined) this.deliver({type: 'other', text: rest});
			this.closed = true;
			this.closeReason = reason;
			this.wake(undefined);
		};
		socket.on('end', () => onClose('the console closed (QEMU exited or another program took it)'));
		socket.on('close', () => onClose('the console closed'));
		socket.on('error', (error) => onClose(`console error: ${error.message}`));
	}

	static async connect(path: string, timeoutMs = 5000): Promise<GuestConsole> {
		const socket = await new Promise<Socket>((resolvePromise, reject) => {
			const attempt = connect(path);
			const timer = setTimeout(() => {
				attempt.destroy();
				reject(new ConsoleError('connect', `no connection to ${path} within ${timeoutMs} ms`));
			}, timeoutMs);
			attempt.once('connect', () => {
				clearTimeout(timer);
				resolvePromise(attempt);
			});
			attempt.once('error', (error: NodeJS.ErrnoException) => {
				clearTimeout(timer);
				attempt.destroy();
				const why =
					error.code === 'ENOENT'
						? 'the socket does not exist'
						: error.code === 'ECONNREFUSED'
							? 'nothing listens on it (QEMU is not running)'
							: error.message;
				reject(new ConsoleError('connect', `cannot connect to the guest console ${path}: ${why}`));
			});
		});
		return new GuestConsole(socket);
	}

	private deliver(event: GuestEvent): void {
		if (event.type === 'other') {
			this.recentLines.push(event.text);
			if (this.recentLines.length > 20) this.recentLines.shift();
		}
		if (this.waiter) this.wake(event);
		else this.queue.push(event);
	}

	private wake(event: GuestEvent | undefined): void {
		const waiter = this.waiter;
		if (!waiter) return;
		this.waiter = undefined;
		if (waiter.timer) clearTimeout(waiter.timer);
		waiter.resolve(event);
	}

	/** The next event; undefined on timeout or when the console closed (see isClosed). */
	private next(timeoutMs: number): Promise<GuestEvent | undefined> {
		const queued = this.queue.shift();
		if (queued) return Promise.resolve(queued);
		if (this.closed) return Promise.resolve(undefined);
		return new Promise((resolvePromise) => {
			const timer = setTimeout(() => this.wake(undefined), Math.max(0, timeoutMs));
			this.waiter = {resolve: resolvePromise, timer};
		});
	}

	isClosed(): boolean {
		return this.closed;
	}

	private send(text: string): void {
		if (this.closed) throw new ConsoleError('closed', this.closeReason || 'the console is closed');
		this.socket.write(text);
	}

	/**
	 * Waits until the guest's service can take prompts: its SEL4LLM-READY line, or, when the console stays quiet
	 * (the guest was ready before we connected), an answer to a ping. Pings are sent only after `quietMs` of
	 * silence, never while the guest is printing boot messages.
	 */
	async waitReady(options: {timeoutMs: number; quietMs?: number; bootQuietMs?: number; pingEveryMs?: number}): Promise<ReadyInfo> {
		if (this.ready) return this.ready;
		const start = Date.now();
		// A console that has said nothing since we connected belongs to a guest that is up (or not started): ping
		// soon. Once boot messages were seen, the guest is booting: its ready line will come, and a ping that
		// arrives before its serial port is open can reach the service later as a damaged line. Ping only after a
		// long silence then.
		const idleQuietMs = options.quietMs ?? 1500;
		const bootQuietMs = Math.max(idleQuietMs, options.bootQuietMs ?? 10_000);
		let seenOutput = false;
		const pingEveryMs = options.pingEveryMs ?? 2000;
		const pingId = `p${randomBytes(4).toString('hex')}`;
		let lastOutput = Date.now();
		let lastPing = 0;
		for (;;) {
			const now = Date.now();
			const left = start + options.timeoutMs - now;
			if (left <= 0) {
				throw new ConsoleError(
					'not-ready',
					this.recentLines.length > 0
						? `the guest is not ready yet: no SEL4LLM-READY line and no answer to a ping within ${Math.round(options.timeoutMs / 1000)} s`
						: `the guest is not ready: its console stayed silent for ${Math.round(options.timeoutMs / 1000)} s: no SEL4LLM-READY line and no answer to a ping`,
					undefined,
					[...this.recentLines],
				);
			}
			const quietMs = seenOutput ? bootQuietMs : idleQuietMs;
			if (now - lastOutput >= quietMs && now - lastPing >= pingEveryMs) {
				this.send(encodePing(pingId));
				lastPing = now;
			}
			const event = await this.next(Math.min(left, 250));
			if (!event) {
				if (this.closed) throw new ConsoleError('closed', `${this.closeReason} before the guest was ready`, undefined, [...this.recentLines]);
				continue;
			}
			lastOutput = Date.now();
			seenOutput = true;
			if (event.type === 'ready') {
				this.ready = {via: 'ready', model: event.model, threads: event.threads, waitedMs: Date.now() - start};
				return this.ready;
			}
			if (event.type === 'pong' && event.id === pingId) {
				this.ready = {via: 'pong', waitedMs: Date.now() - start};
				return this.ready;
			}
			if (event.type === 'error' && event.id === '-') {
				throw new ConsoleError('guest-error', `the guest's service failed: ${event.message}`, undefined, [...this.recentLines]);
			}
			if (event.type === 'other' && panicPattern.test(event.text)) {
				throw new ConsoleError('died', `the guest failed while booting: ${event.text.trim()}`, undefined, [...this.recentLines]);
			}
		}
	}

	/** Sends one prompt and collects the answer until its end marker. */
	async ask(prompt: string, options: AskOptions): Promise<AnswerResult> {
		const id = `q${randomBytes(4).toString('hex')}`;
		const idleMs = options.idleTimeoutMs ?? 120_000;
		const lines = encodeAsk(id, prompt, {maxTokens: options.maxTokens, ...(options.flags ? {flags: options.flags} : {})});
		const decoder = new TextDecoder('utf-8');
		let text = '';
		let tokens = 0;
		const partial = () => ({text: text + decoder.decode(), tokens});
		const fail = (kind: ConsoleErrorKind, message: string): never => {
			throw new ConsoleError(kind, message, partial(), [...this.recentLines]);
		};
		// Continuation lines, one at a time: each is acknowledged before the next goes out.
		for (const line of lines.slice(0, -1)) {
			this.send(line);
			for (;;) {
				const event = await this.next(idleMs);
				if (!event) fail(this.closed ? 'closed' : 'timeout', this.closed ? this.closeReason : 'the guest did not acknowledge a prompt line');
				if (event!.type === 'part') break;
				if (event!.type === 'error') fail('guest-error', `the guest refused the prompt: ${event!.message}`);
			}
		}
		const sentAt = performance.now();
		this.send(lines[lines.length - 1]!);
		let firstTokenAt: number | undefined;
		for (;;) {
			const event = await this.next(idleMs);
			if (!event) {
				if (this.closed) fail('closed', `${this.closeReason} in the middle of the answer (${tokens} tokens received)`);
				fail('timeout', `no output from the guest for ${Math.round(idleMs / 1000)} s (${tokens} tokens received)`);
			}
			const current = event!;
			switch (current.type) {
				case 'token':
					if (current.id !== id) break;
					firstTokenAt ??= performance.now();
					tokens++;
					{
						const piece = decoder.decode(current.bytes, {stream: true});
						text += piece;
						if (piece) options.onText?.(piece);
					}
					break;
				case 'end': {
					if (current.id !== id) break;
					const rest = decoder.decode();
					if (rest) {
						text += rest;
						options.onText?.(rest);
					}
					const endAt = performance.now();
					return {
						id,
						text,
						tokens,
						stats: current.stats,
						hostTtftMs: (firstTokenAt ?? endAt) - sentAt,
						hostTotalMs: endAt - sentAt,
					};
				}
				case 'error':
					// "-" errors about lines the guest could not read as a request come from damaged input (a ping
					// that met the guest before its serial port was open); they are not about this prompt.
					if (current.id === id || (current.id === '-' && !/^(unknown request|bad request id)/.test(current.message))) {
						fail('guest-error', `the guest could not answer: ${current.message}`);
					}
					break;
				case 'ready':
					fail('restarted', `the guest's service restarted in the middle of the answer (${tokens} tokens received)`);
					break;
				case 'other':
					if (panicPattern.test(current.text)) fail('died', `the guest failed in the middle of the answer: ${current.text.trim()}`);
					break;
				default:
					break;
			}
		}
	}

	/** Closes the console; a wait in progress ends at once, as when the guest closes it. */
	close(reason = 'the console was closed here'): void {
		if (!this.closed) this.closeReason = reason;
		this.closed = true;
		this.socket.destroy();
		this.wake(undefined);
	}
}
