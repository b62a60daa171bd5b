// sel4-llm ask "prompt": sends a prompt to the guest that `launch` started and streams the answer.
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {ConsoleError, GuestConsole} from '../console/client.js';
import type {Flag} from '../console/protocol.js';
import {ExitCode, UserError} from '../errors.js';
import type {CommandContext} from './context.js';

export type LaunchRecord = {pid?: number; serialSocket?: string; platform?: string};

export function launchFile(workspace: string): string {
	return join(workspace, '.sel4-llm', 'launch.json');
}

function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** Where the guest's console is: --socket, else the launch record of the workspace. */
export function findConsole(context: CommandContext): {socket: string; record: LaunchRecord | undefined} {
	const explicit = context.options.socket;
	if (typeof explicit === 'string' && explicit !== '') return {socket: explicit, record: undefined};
	const file = launchFile(context.workspace);
	if (!existsSync(file)) {
		throw new UserError('no guest is running: launch has not recorded one in this workspace', {
			exitCode: ExitCode.refused,
			hint: `looked for ${file}`,
			nextSteps: ['start the system: sel4-llm launch', 'or give the console socket: sel4-llm ask --socket PATH "prompt"'],
		});
	}
	let record: LaunchRecord;
	try {
		record = JSON.parse(readFileSync(file, 'utf8')) as LaunchRecord;
	} catch (error) {
		throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`, {exitCode: ExitCode.invalidInput});
	}
	if (typeof record.serialSocket !== 'string' || record.serialSocket === '') {
		throw new UserError(`${file} names no serial console socket`, {
			exitCode: ExitCode.invalidInput,
			hint: 'the guest was launched with its console on stdio; launch it again with sel4-llm launch',
		});
	}
	if (typeof record.pid === 'number' && !processAlive(record.pid)) {
		throw new UserError(`no guest is running: the QEMU started by launch (pid ${record.pid}) has exited`, {
			exitCode: ExitCode.refused,
			nextSteps: ['start it again: sel4-llm launch'],
		});
	}
	return {socket: record.serialSocket, record};
}

function seconds(context: CommandContext, name: string, fallback: number, max: number): number {
	const raw = context.options[name];
	if (raw === undefined) return fallback;
	const value = Number(raw);
	if (typeof raw !== 'string' || !Number.isFinite(value) || value <= 0 || value > max) {
		throw new UserError(`--${name} must be a number of seconds from 1 to ${max} (got "${String(raw)}")`);
	}
	return value;
}

function positiveInt(context: CommandContext, name: string, fallback: number, max: number): number {
	const raw = context.options[name];
	if (raw === undefined) return fallback;
	const value = Number(raw);
	if (typeof raw !== 'string' || !Number.isInteger(value) || value < 1 || value > max) {
		throw new UserError(`--${name} must be a whole number from 1 to ${max} (got "${String(raw)}")`);
	}
	return value;
}

async function readStdin(context: CommandContext): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of context.io.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
	return Buffer.concat(chunks).toString('utf8').replace(/\n$/, '');
}

export async function run(context: CommandContext): Promise<number> {
	const maxTokens = positiveInt(context, 'max-tokens', 128, 100_000);
	const waitSeconds = seconds(context, 'wait', 10, 3600);
	const idleSeconds = seconds(context, 'timeout', 120, 3600);
	let prompt = context.positionals.join(' ');
	if (prompt === '-') prompt = await readStdin(context);
	if (prompt.trim() === '') {
		throw new UserError('the prompt is empty', {hint: 'sel4-llm ask "What is seL4?"  (or "-" to read it from stdin)'});
	}
	const flags: Flag[] = [context.options.raw ? 'raw' : 'chat'];
	if (context.options['ignore-eos']) flags.push('noeos');
	const {socket} = findConsole(context);
	const err = context.io.stderr;
	const out = context.io.stdout;
	const json = context.mode === 'json';

	let guest: GuestConsole;
	try {
		guest = await GuestConsole.connect(socket);
	} catch (error) {
		if (error instanceof ConsoleError) {
			throw new UserError(`no guest is running: ${error.message}`, {
				exitCode: ExitCode.refused,
				nextSteps: ['start the system: sel4-llm launch'],
			});
		}
		throw error;
	}
	try {
		const ready = await guest.waitReady({timeoutMs: waitSeconds * 1000});
		if (!json && ready.via === 'ready') err.write(`guest ready: model ${ready.model ?? '?'}, ${ready.threads ?? '?'} thread(s)\n`);
		const result = await guest.ask(prompt, {
			maxTokens,
			flags,
			idleTimeoutMs: idleSeconds * 1000,
			...(json ? {} : {onText: (text: string) => out.write(text)}),
		});
		const stats = result.stats;
		if (json) {
			out.write(
				`${JSON.stringify({
					answer: result.text,
					tokens: stats.tokens,
					promptTokens: stats.promptTokens,
					tokensPerSecond: stats.tokensPerSecond,
					ttftMs: stats.ttftMs,
					totalMs: stats.totalMs,
					stop: stats.stop,
					hostTtftMs: Math.round(result.hostTtftMs),
					hostTotalMs: Math.round(result.hostTotalMs),
				})}\n`,
			);
		} else {
			if (!result.text.endsWith('\n')) out.write('\n');
			err.write(
				`${stats.tokens} tokens, ${stats.tokensPerSecond.toFixed(1)} tokens/s, first token after ${(stats.ttftMs / 1000).toFixed(2)} s in the guest (${(result.hostTtftMs / 1000).toFixed(2)} s here), prompt ${stats.promptTokens} tokens, stop: ${stats.stop}\n`,
			);
		}
		return ExitCode.ok;
	} catch (error) {
		if (!(error instanceof ConsoleError)) throw error;
		if (!json && error.partial.text) out.write('\n');
		const last = error.lastLines.filter((line) => line.trim() !== '').slice(-3);
		const hints: Record<string, string> = {
			'not-ready': 'the guest may still be booting (wait longer with --wait SECONDS), or another program holds its console socket',
			closed: 'QEMU exited or the console was taken over; check the launch log',
			died: 'the guest kernel failed; see the launch log',
			timeout: 'the guest stopped answering; raise --timeout for big models under emulation',
			restarted: 'the guest service crashed and started again; see /run/sel4llm/log in the guest',
			'guest-error': 'see the message from the guest',
			connect: 'start the system with sel4-llm launch',
		};
		throw new UserError(error.message, {
			exitCode: error.kind === 'not-ready' || error.kind === 'connect' ? ExitCode.refused : ExitCode.failed,
			...(hints[error.kind] ? {hint: hints[error.kind]} : {}),
			nextSteps: last.map((line) => `last console line: ${line.trim().slice(0, 200)}`),
		});
	} finally {
		guest.close();
	}
}
