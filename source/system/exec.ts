// The one place where sel4-llm starts child processes (on execa). Every child:
// - gets real pipes (FIFOs) as stdout and stderr, never sockets: programs such as CMake open /dev/stdout and
//   /dev/stderr by path, which fails on a socket (what Node gives a child for 'pipe');
// - runs in its own process group, so that stopping it stops everything it started;
// - is stopped with its whole group when sel4-llm exits for any reason while it still runs;
// - has stdin ignored unless input is given, so it never waits for a terminal it does not own.
// A missing program is a clear error naming it; values from outside go after `--` (see `operand`).
import {execa, execaSync, type Options} from 'execa';
import {closeSync, constants, mkdtempSync, openSync, rmSync, unlinkSync} from 'node:fs';
import {Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {CommandError, RefusedError} from '../errors.js';
import {killTree, onExit, stopAllChildren, trackChild, untrackChild} from './children.js';
import {formatCommand} from './quote.js';

export type OutputStream = 'stdout' | 'stderr';

/** Pausing a running command (the disk guard); time spent paused does not count against its timeout. */
export type ProcessControl = {pause?: () => boolean; resume?: () => void};

export type ExecOptions = {
	cwd?: string;
	/** The child's whole environment (default: this process's environment). */
	env?: NodeJS.ProcessEnv | Record<string, string>;
	/** Data written to the child's stdin (otherwise stdin is /dev/null). */
	input?: string | Uint8Array;
	timeoutMs?: number;
	signal?: AbortSignal;
	/** Milliseconds between SIGTERM and SIGKILL when the command is stopped (default 3000). */
	graceMs?: number;
	/** Bytes of stdout and of stderr kept in the result (default 4 MiB each; 0 keeps none). */
	maxCapture?: number;
	/** Lines of output kept for error messages (default 40). */
	tailLines?: number;
	/** Every chunk of output as it arrives, unchanged. */
	onChunk?: (stream: OutputStream, chunk: Buffer) => void;
	/** Every complete line of output (without its newline). */
	onLine?: (line: string, stream: OutputStream) => void;
	/** Asked after each chunk whether the consumer is full; the child's output is paused until it is not. */
	flow?: {pause(): boolean};
	/** Called with the child's pid (also its process group id) once it has started. */
	onSpawn?: (pid: number) => void;
	/** Filled in once the child has started: stop (SIGSTOP) and continue (SIGCONT) its whole process group. */
	control?: ProcessControl;
	/** How long to wait for the pipes to close after the command exited (children it left behind may hold them). */
	drainMs?: number;
};

export type ExecResult = {
	argv: string[];
	exitCode: number | undefined;
	signal: string | undefined;
	timedOut: boolean;
	cancelled: boolean;
	/** The program could not be started; `missing` when it does not exist. */
	startError?: {message: string; missing: boolean};
	stdout: string;
	stderr: string;
	/** The last lines of stdout and stderr, interleaved as they arrived. */
	tail: string[];
	durationMs: number;
	/** Exited 0, not stopped. */
	ok: boolean;
};

export type RunningProcess = {
	/** The child's pid, which is also its process group id; undefined when it did not start. */
	pid: number | undefined;
	result: Promise<ExecResult>;
	/** Resolves with the pid once the child has started (undefined when it could not start). */
	spawned: Promise<number | undefined>;
	running(): boolean;
	/** Stops the whole process group: SIGTERM, then SIGKILL after the grace time. Resolves with the result. */
	stop(graceMs?: number): Promise<ExecResult>;
};

export {killTree, stopAllChildren};

// Real pipes: Node has no pipe(2), but a FIFO is one. FIFOs are made in batches by one `mkfifo` in a private
// directory, and each is opened at both ends and unlinked at once, so only the pipe itself remains.
let pipeDir: string | undefined;
let spare: string[] = [];
let counter = 0;
let refill: Promise<void> | undefined;

async function fifoPath(): Promise<string> {
	while (spare.length === 0) {
		refill ??= (async () => {
			if (!pipeDir) {
				const dir = mkdtempSync(join(tmpdir(), 'sel4-llm-pipes-'));
				pipeDir = dir;
				onExit(() => rmSync(dir, {recursive: true, force: true}));
			}
			const names = Array.from({length: 32}, () => join(pipeDir!, `p${++counter}`));
			// mkfifo itself only writes to its own stdio, so it may use Node's default pipes.
			await execa('mkfifo', ['-m', '600', '--', ...names], {stdin: 'ignore', stdout: 'ignore', stderr: 'pipe'});
			spare.push(...names);
		})().finally(() => {
			refill = undefined;
		});
		await refill;
	}
	return spare.pop()!;
}

type RealPipe = {readable: Socket; writeFd: number};

async function realPipe(): Promise<RealPipe> {
	const path = await fifoPath();
	// The read end first and without blocking (there is no writer yet); then the write end opens at once.
	const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
	const writeFd = openSync(path, constants.O_WRONLY);
	unlinkSync(path);
	return {readable: new Socket({fd: readFd, readable: true, writable: false}), writeFd};
}

/** The message for a program that is not installed, with the Debian package that has it where we know it. */
export function missingProgramHint(program: string): string {
	const name = program.split('/').pop()!;
	const known: Record<string, string> = {
		'aarch64-linux-gnu-gcc': 'gcc-aarch64-linux-gnu',
		'aarch64-linux-gnu-g++': 'g++-aarch64-linux-gnu',
		ninja: 'ninja-build',
		'qemu-system-aarch64': 'qemu-system-arm',
		'qemu-system-x86_64': 'qemu-system-x86',
		'grub-mkrescue': 'grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools',
		mke2fs: 'e2fsprogs',
		debugfs: 'e2fsprogs',
		dtc: 'device-tree-compiler',
		lsblk: 'util-linux',
		losetup: 'mount',
		python3: 'python3',
		stack: 'haskell-stack',
	};
	return `install it (Debian/Ubuntu: sudo apt-get install -y --no-install-recommends ${known[name] ?? name})`;
}

const defaultCapture = 4 * 1024 * 1024;

/** Starts a command. The result never rejects: look at exitCode, signal, timedOut, cancelled and startError. */
export function start(argv: readonly string[], options: ExecOptions = {}): RunningProcess {
	const started = Date.now();
	const maxCapture = options.maxCapture ?? defaultCapture;
	const tailLines = options.tailLines ?? 40;
	const captured = {stdout: [] as Buffer[], stderr: [] as Buffer[]};
	const capturedBytes = {stdout: 0, stderr: 0};
	const tail: string[] = [];
	const partial = {stdout: '', stderr: ''};
	const decoders = {stdout: new TextDecoder(), stderr: new TextDecoder()};
	let pid: number | undefined;
	let cancelled = false;
	let timedOut = false;
	let exited = false;
	let stopRequested: ((value: void) => void) | undefined;
	let pausedSince: number | undefined;
	let pausedMs = 0;
	let killTimer: NodeJS.Timeout | undefined;
	let announce!: (pid: number | undefined) => void;
	const spawned = new Promise<number | undefined>((resolve) => {
		announce = resolve;
	});

	const keepLine = (line: string, stream: OutputStream) => {
		if (tailLines > 0) {
			tail.push(line);
			if (tail.length > tailLines) tail.shift();
		}
		options.onLine?.(line, stream);
	};
	const take = (stream: OutputStream, chunk: Buffer) => {
		if (capturedBytes[stream] < maxCapture) {
			captured[stream].push(chunk);
			capturedBytes[stream] += chunk.length;
		}
		options.onChunk?.(stream, chunk);
		if (tailLines > 0 || options.onLine) {
			const lines = (partial[stream] + decoders[stream].decode(chunk, {stream: true})).split('\n');
			partial[stream] = lines.pop()!;
			for (const line of lines) keepLine(line.endsWith('\r') ? line.slice(0, -1) : line, stream);
		}
	};
	const stopGroup = (graceMs: number) => {
		if (pid === undefined || exited) return;
		killTree(pid, 'SIGTERM');
		// A stopped process group only acts on SIGTERM once it runs again.
		if (pausedSince !== undefined) killTree(pid, 'SIGCONT');
		killTimer ??= setTimeout(() => {
			if (pid !== undefined) killTree(pid, 'SIGKILL');
		}, graceMs);
		killTimer.unref();
	};

	const result = (async (): Promise<ExecResult> => {
		const finish = (fields: Partial<ExecResult>): ExecResult => {
			for (const stream of ['stdout', 'stderr'] as const) {
				const rest = partial[stream] + decoders[stream].decode();
				partial[stream] = '';
				if (rest !== '') keepLine(rest, stream);
			}
			const exitCode = fields.exitCode;
			return {
				argv: [...argv],
				exitCode,
				signal: fields.signal,
				timedOut,
				cancelled,
				...(fields.startError ? {startError: fields.startError} : {}),
				stdout: Buffer.concat(captured.stdout).toString('utf8'),
				stderr: Buffer.concat(captured.stderr).toString('utf8'),
				tail: [...tail],
				durationMs: Date.now() - started,
				ok: exitCode === 0 && !cancelled && !timedOut && !fields.startError,
			};
		};
		if (argv.length === 0 || !argv[0]) return finish({startError: {message: 'empty command', missing: false}});
		let out: RealPipe;
		let err: RealPipe;
		try {
			out = await realPipe();
			err = await realPipe();
		} catch (error) {
			return finish({startError: {message: `cannot create pipes: ${(error as Error).message}`, missing: false}});
		}
		if (options.signal?.aborted) {
			cancelled = true;
			for (const pipe of [out, err]) {
				closeSync(pipe.writeFd);
				pipe.readable.destroy();
			}
			return finish({});
		}
		const [file, ...args] = argv;
		// execa passes file descriptor numbers through to the child (its types only list 3-9).
		const execaOptions: Record<string, unknown> = {
			env: (options.env ?? process.env) as NodeJS.ProcessEnv,
			extendEnv: false,
			stdout: out.writeFd,
			stderr: err.writeFd,
			reject: false,
			detached: true,
			cleanup: false,
		};
		if (options.cwd) execaOptions.cwd = options.cwd;
		if (options.input !== undefined) execaOptions.input = options.input;
		else execaOptions.stdin = 'ignore';
		const subprocess = execa(file!, args, execaOptions as Options);
		// Our copies of the write ends: the child has its own now; closing ours lets the pipes end with it.
		closeSync(out.writeFd);
		closeSync(err.writeFd);
		pid = subprocess.pid;
		announce(pid);
		if (pid !== undefined) {
			trackChild(pid);
			options.onSpawn?.(pid);
			if (options.control) {
				options.control.pause = () => {
					if (pausedSince !== undefined) return true;
					// A process of another user (a sudo step) cannot be stopped: say so rather than pretend.
					if (exited || !killTree(pid!, 'SIGSTOP')) return false;
					pausedSince = Date.now();
					return true;
				};
				options.control.resume = () => {
					if (pausedSince === undefined) return;
					killTree(pid!, 'SIGCONT');
					pausedMs += Date.now() - pausedSince;
					pausedSince = undefined;
				};
			}
		}
		const graceMs = options.graceMs ?? 3000;
		const onAbort = () => {
			cancelled = true;
			stopGroup(graceMs);
		};
		options.signal?.addEventListener('abort', onAbort, {once: true});
		let timer: NodeJS.Timeout | undefined;
		if (options.timeoutMs !== undefined) {
			const limit = options.timeoutMs;
			const check = () => {
				// Time spent paused (waiting for disk space) is not the command's.
				const paused = pausedMs + (pausedSince === undefined ? 0 : Date.now() - pausedSince);
				const remaining = limit - (Date.now() - started - paused);
				if (remaining > 0) {
					timer = setTimeout(check, remaining);
					return;
				}
				timedOut = true;
				stopGroup(graceMs);
			};
			timer = setTimeout(check, limit);
		}
		const ended = [out, err].map(
			(pipe, index) =>
				new Promise<void>((done) => {
					const stream: OutputStream = index === 0 ? 'stdout' : 'stderr';
					pipe.readable.on('data', (chunk: Buffer) => {
						take(stream, chunk);
						if (options.flow?.pause()) {
							pipe.readable.pause();
							setImmediate(function retry() {
								if (options.flow?.pause()) setTimeout(retry, 5);
								else pipe.readable.resume();
							});
						}
					});
					pipe.readable.once('end', () => done());
					pipe.readable.once('close', () => done());
					pipe.readable.once('error', () => done());
				}),
		);
		const stopWaiting = new Promise<void>((resolve) => {
			stopRequested = resolve;
		});
		const outcome = await subprocess;
		exited = true;
		if (pid !== undefined) untrackChild(pid);
		if (timer) clearTimeout(timer);
		options.signal?.removeEventListener('abort', onAbort);
		// Children the command left behind may keep the pipes open; read what they write for a moment, then stop.
		const drain = new Promise<void>((resolve) => setTimeout(resolve, options.drainMs ?? (cancelled || timedOut ? 200 : 2000)).unref());
		await Promise.race([Promise.all(ended), drain, stopWaiting]);
		for (const pipe of [out, err]) pipe.readable.destroy();
		if (killTimer) clearTimeout(killTimer);
		// Anything a stopped command left behind in its process group goes with it.
		if (pid !== undefined && (cancelled || timedOut)) killTree(pid, 'SIGKILL');
		const code = (outcome as {code?: string}).code;
		if (outcome.exitCode === undefined && !outcome.signal && !cancelled && !timedOut) {
			const missing = code === 'ENOENT';
			return finish({startError: {message: missing ? `${file} is not installed or not on PATH` : (outcome.shortMessage ?? outcome.message ?? 'could not start'), missing}});
		}
		return finish({exitCode: outcome.exitCode, signal: outcome.signal ?? undefined});
	})();

	void result.then(() => announce(undefined));
	return {
		get pid() {
			return pid;
		},
		result,
		spawned,
		running: () => pid !== undefined && !exited,
		stop: async (graceMs = options.graceMs ?? 3000) => {
			cancelled = true;
			stopGroup(graceMs);
			stopRequested?.();
			return result;
		},
	};
}

/** Runs a command to its end and gives its result (never rejects). */
export function exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
	return start(argv, options).result;
}

/** The error for a command that did not succeed: a missing program is refused with an install hint. */
export function failureOf(result: ExecResult, what?: string): Error {
	const display = formatCommand(result.argv);
	if (result.startError?.missing) {
		return new RefusedError(`${result.argv[0]} is not installed (needed to ${what ?? `run ${display}`})`, {hint: missingProgramHint(result.argv[0]!)});
	}
	const why = result.startError
		? result.startError.message
		: result.timedOut
			? 'timed out'
			: result.cancelled
				? 'stopped'
				: result.signal
					? `killed by ${result.signal}`
					: `exit code ${result.exitCode}`;
	return new CommandError(display, result.exitCode, result.tail, `${what ? `${what}: ` : ''}${display} failed (${why})`);
}

/** Runs a command and throws unless it exits 0 (a missing program is refused with an install hint). */
export async function execOk(argv: readonly string[], options: ExecOptions & {what?: string} = {}): Promise<ExecResult> {
	const result = await exec(argv, options);
	if (!result.ok) throw failureOf(result, options.what);
	return result;
}

/**
 * Hands the terminal to a command (a pager, `sudo -v`, a nested sel4-llm) and waits for it: the one kind of
 * child that shares our stdin, stdout and stderr. Returns its exit code (undefined when it did not run).
 */
export function handOver(argv: readonly string[], options: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): {exitCode: number | undefined; signal?: string; missing: boolean} {
	const [file = '', ...args] = argv;
	const result = execaSync(file, args, {
		stdio: 'inherit',
		reject: false,
		...(options.cwd ? {cwd: options.cwd} : {}),
		...(options.env ? {env: options.env, extendEnv: false} : {}),
	});
	return {exitCode: result.exitCode, ...(result.signal ? {signal: result.signal} : {}), missing: (result as {code?: string}).code === 'ENOENT'};
}
