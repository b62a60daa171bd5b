// Runs one resolved command as a child process: stdin ignored, output as raw chunks, its own process group
// so that cancelling stops the whole tree, and a timeout.
import {execa} from 'execa';
import {fileURLToPath} from 'node:url';
import {dirname, join} from 'node:path';
import type {CommandSpec} from './schema.js';
import {expand, formatArgv, splitWords} from './vars.js';

export type ResolvedCommand =
	| {kind: 'argv'; argv: string[]; display: string}
	| {kind: 'sh'; script: string; display: string};

/** The running CLI, so recipe commands can call `sel4-llm ...` without it being on PATH. */
export const selfArgv = [process.execPath, join(dirname(fileURLToPath(import.meta.url)), '..', 'cli.js')];

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export function resolveCommand(spec: CommandSpec, values: ReadonlyMap<string, string>): ResolvedCommand {
	let words: string[] | undefined;
	let sudo = false;
	if (typeof spec === 'string') words = splitWords(spec).map((word) => expand(word, values));
	else if (Array.isArray(spec)) words = spec.map((word) => expand(word, values));
	else if ('argv' in spec) {
		words = spec.argv.map((word) => expand(word, values));
		sudo = Boolean(spec.sudo);
	} else {
		const prefix = spec.sudo && !isRoot ? 'sudo -n ' : '';
		return {kind: 'sh', script: spec.sh, display: `${prefix}sh -c ${formatArgv([spec.sh])}`};
	}
	const display = (sudo && !isRoot ? 'sudo -n ' : '') + formatArgv(words);
	if (words[0] === 'sel4-llm') words = [...selfArgv, ...words.slice(1)];
	if (sudo && !isRoot) words = ['sudo', '-n', ...words];
	return {kind: 'argv', argv: words, display};
}

export type ExecResult = {exitCode: number | undefined; signal: string | undefined; timedOut: boolean; cancelled: boolean; error?: string};

export type ExecOptions = {
	cwd: string;
	env: Record<string, string>;
	signal?: AbortSignal;
	timeoutMs?: number;
	onChunk?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
	/** Asked after each chunk whether the consumer is full; the child's output is paused until it is not. */
	flow?: {pause(): boolean};
	/** Called with the child's pid (also its process group id) once it has started. */
	onSpawn?: (pid: number) => void;
	/** Filled in once the child has started: stop (SIGSTOP) and continue (SIGCONT) its whole process group. */
	control?: ProcessControl;
};

/** Pausing a running command; time spent paused does not count against its timeout. */
export type ProcessControl = {pause?: () => boolean; resume?: () => void};

/** Signals a process group (or the process alone); false when neither could be signalled (gone, or not ours). */
export function killTree(pid: number, signal: NodeJS.Signals): boolean {
	try {
		process.kill(-pid, signal);
		return true;
	} catch {
		try {
			process.kill(pid, signal);
			return true;
		} catch {
			return false;
		}
	}
}

export async function runProcess(command: ResolvedCommand, options: ExecOptions): Promise<ExecResult> {
	const [file, ...args] = command.kind === 'argv' ? command.argv : ['/bin/sh', '-c', command.script];
	let subprocess;
	try {
		subprocess = execa(file!, args, {
			cwd: options.cwd,
			env: options.env,
			extendEnv: false,
			stdin: 'ignore',
			stdout: 'pipe',
			stderr: 'pipe',
			buffer: false,
			reject: false,
			detached: true,
			stripFinalNewline: false,
			encoding: 'buffer',
		});
	} catch (error) {
		return {exitCode: undefined, signal: undefined, timedOut: false, cancelled: false, error: (error as Error).message};
	}
	const pid = subprocess.pid;
	if (pid !== undefined) options.onSpawn?.(pid);
	let cancelled = false;
	let timedOut = false;
	let killTimer: NodeJS.Timeout | undefined;
	const startedAt = Date.now();
	let pausedSince: number | undefined;
	let pausedMs = 0;
	if (pid !== undefined && options.control) {
		options.control.pause = () => {
			if (pausedSince !== undefined) return true;
			// A process of another user (a sudo step run by a user) cannot be stopped: say so rather than pretend.
			if (!killTree(pid, 'SIGSTOP')) return false;
			pausedSince = Date.now();
			return true;
		};
		options.control.resume = () => {
			if (pausedSince === undefined) return;
			killTree(pid, 'SIGCONT');
			pausedMs += Date.now() - pausedSince;
			pausedSince = undefined;
		};
	}
	const stop = () => {
		if (pid === undefined) return;
		killTree(pid, 'SIGTERM');
		// A stopped process group only acts on SIGTERM once it runs again.
		if (pausedSince !== undefined) killTree(pid, 'SIGCONT');
		killTimer ??= setTimeout(() => killTree(pid, 'SIGKILL'), 3000);
		killTimer.unref();
	};
	const onAbort = () => {
		cancelled = true;
		stop();
	};
	if (options.signal?.aborted) onAbort();
	options.signal?.addEventListener('abort', onAbort, {once: true});
	let timer: NodeJS.Timeout | undefined;
	const onTimeout = (limit: number) => {
		// Time spent paused (waiting for disk space) is not the command's.
		const paused = pausedMs + (pausedSince === undefined ? 0 : Date.now() - pausedSince);
		const remaining = limit - (Date.now() - startedAt - paused);
		if (remaining > 0) {
			timer = setTimeout(onTimeout, remaining, limit);
			return;
		}
		timedOut = true;
		stop();
	};
	if (options.timeoutMs !== undefined) timer = setTimeout(onTimeout, options.timeoutMs, options.timeoutMs);
	for (const stream of ['stdout', 'stderr'] as const) {
		const readable = subprocess[stream];
		readable?.on('data', (chunk: Buffer) => {
			options.onChunk?.(stream, chunk);
			if (options.flow?.pause()) {
				readable.pause();
				setImmediate(function retry() {
					if (options.flow?.pause()) setTimeout(retry, 5);
					else readable.resume();
				});
			}
		});
	}
	const result = await subprocess;
	if (timer) clearTimeout(timer);
	if (killTimer) clearTimeout(killTimer);
	options.signal?.removeEventListener('abort', onAbort);
	// Anything the command left behind in its process group goes with it.
	if (pid !== undefined && (cancelled || timedOut)) killTree(pid, 'SIGKILL');
	const failedToStart = result.exitCode === undefined && !result.signal && !cancelled && !timedOut;
	return {
		exitCode: result.exitCode,
		signal: result.signal ?? undefined,
		timedOut,
		cancelled,
		...(failedToStart ? {error: result.shortMessage ?? result.message} : {}),
		...((result as {code?: string}).code === 'ENOENT' ? {error: `command not found: ${file}`} : {}),
	};
}

/** Runs a command quietly and tells whether it exited 0 (for status checks and preconditions). */
export async function succeeds(command: ResolvedCommand, options: Omit<ExecOptions, 'onChunk'>): Promise<{ok: boolean; exitCode: number | undefined}> {
	const result = await runProcess(command, options);
	return {ok: result.exitCode === 0, exitCode: result.exitCode};
}
