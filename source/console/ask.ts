// Asks the guest's model one prompt through its console (the socket launch shares) and writes the answer: the
// text as it streams (or one JSON document), then its statistics. Used by `sel4-llm ask` and `launch --ask`.
import type {Writable} from 'node:stream';
import {ExitCode, UserError} from '../errors.js';
import {ConsoleError, GuestConsole} from './client.js';
import type {Flag} from './protocol.js';
import type {EventStream} from '../reporters/stream.js';
import {stopSignal, stoppedError} from '../system/interrupt.js';

export type AskRequest = {
	socket: string;
	prompt: string;
	maxTokens: number;
	flags: Flag[];
	/** How long to wait for the guest's readiness marker. */
	waitSeconds: number;
	/** How long the answer may pause before it counts as stalled. */
	idleSeconds: number;
};

/** Where the answer goes: streamed text on `out` for people; with --json, a `ready` event, and the caller reports the answer. */
export type AskOutput = {out: Writable; err: Writable; events: Pick<EventStream, 'enabled' | 'emit'>};

/** The answer as data: what the `answer` event and the result of `ask --json` carry. */
export type AskAnswer = {answer: string; tokens: number; promptTokens: number; tokensPerSecond: number; ttftMs: number; totalMs: number; stop: string; hostTtftMs: number; hostTotalMs: number};

const hints: Record<string, string> = {
	'not-ready': 'the guest may still be booting (wait longer with --wait SECONDS), or another program holds its console socket',
	closed: 'QEMU exited or the console was taken over; check the launch log',
	died: 'the guest kernel failed; see the launch log',
	timeout: 'the guest stopped answering; raise --timeout for big models under emulation',
	restarted: 'the guest service crashed and started again; see /run/sel4llm/log in the guest',
	'guest-error': 'see the message from the guest',
	connect: 'start the system with sel4-llm launch',
};

/** The answer once given; a console failure is a UserError with its hint and the last console lines. */
export async function askGuest(request: AskRequest, output: AskOutput): Promise<AskAnswer> {
	const {out, err, events} = output;
	const json = events.enabled;
	let guest: GuestConsole;
	try {
		guest = await GuestConsole.connect(request.socket);
	} catch (error) {
		if (error instanceof ConsoleError) {
			throw new UserError(`no guest is running: ${error.message}`, {
				exitCode: ExitCode.refused,
				nextSteps: ['start the system: sel4-llm launch'],
			});
		}
		throw error;
	}
	// Ctrl-C, SIGTERM or a closed output (`| head`) ends the wait at once rather than when the answer ends.
	const signal = stopSignal();
	const onStop = () => guest.close('stopped here');
	if (signal.aborted) onStop();
	else signal.addEventListener('abort', onStop, {once: true});
	try {
		const ready = await guest.waitReady({timeoutMs: request.waitSeconds * 1000});
		if (json) events.emit({type: 'ready', via: ready.via, model: ready.model ?? null, threads: ready.threads ?? null});
		else if (ready.via === 'ready') err.write(`guest ready: model ${ready.model ?? '?'}, ${ready.threads ?? '?'} thread(s)\n`);
		const result = await guest.ask(request.prompt, {
			maxTokens: request.maxTokens,
			flags: request.flags,
			idleTimeoutMs: request.idleSeconds * 1000,
			...(json ? {} : {onText: (text: string) => out.write(text)}),
		});
		const stats = result.stats;
		const answer: AskAnswer = {
			answer: result.text,
			tokens: stats.tokens,
			promptTokens: stats.promptTokens,
			tokensPerSecond: stats.tokensPerSecond,
			ttftMs: stats.ttftMs,
			totalMs: stats.totalMs,
			stop: stats.stop,
			hostTtftMs: Math.round(result.hostTtftMs),
			hostTotalMs: Math.round(result.hostTotalMs),
		};
		if (!json) {
			if (!result.text.endsWith('\n')) out.write('\n');
			err.write(
				`${stats.tokens} tokens, ${stats.tokensPerSecond.toFixed(1)} tokens/s, first token after ${(stats.ttftMs / 1000).toFixed(2)} s in the guest (${(result.hostTtftMs / 1000).toFixed(2)} s here), prompt ${stats.promptTokens} tokens, stop: ${stats.stop}\n`,
			);
		}
		return answer;
	} catch (error) {
		if (signal.aborted) {
			throw stoppedError('stopped while waiting for the guest\'s answer', 'the guest may still finish this answer (up to --max-tokens) before it takes the next prompt');
		}
		if (!(error instanceof ConsoleError)) throw error;
		if (!json && error.partial.text) out.write('\n');
		const last = error.lastLines.filter((line) => line.trim() !== '').slice(-3);
		throw new UserError(error.message, {
			exitCode: error.kind === 'not-ready' || error.kind === 'connect' ? ExitCode.refused : ExitCode.failed,
			...(hints[error.kind] ? {hint: hints[error.kind]} : {}),
			nextSteps: last.map((line) => `last console line: ${line.trim().slice(0, 200)}`),
		});
	} finally {
		signal.removeEventListener('abort', onStop);
		guest.close();
	}
}
