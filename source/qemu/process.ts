// Starting and stopping QEMU through the process layer: its own process group (so the whole tree is stopped), the
// console on a unix socket, and a watchdog that stops QEMU if this process dies without cleaning up.
import {connect, type Socket} from 'node:net';
import {start, type OutputStream} from '../system/exec.js';
import type {QemuCommand} from './command.js';

export type QemuProcess = {
	/** The pid (and process group) of QEMU's watchdog, once it has started. */
	pid: number | undefined;
	/** Resolves with that pid once QEMU has started (undefined when it could not start). */
	spawned: Promise<number | undefined>;
	/** The console, once connected (socket serial only). */
	console: Promise<Socket | undefined>;
	exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>;
	running(): boolean;
	/** Stops QEMU and everything it started: SIGTERM to the group, SIGKILL after `graceMs`. */
	stop(graceMs?: number): Promise<void>;
};

async function connectConsole(path: string, running: () => boolean, deadlineMs: number): Promise<Socket | undefined> {
	const begin = Date.now();
	// QEMU creates the socket while it sets up its chardevs and, with wait=on, starts the machine only once we are
	// connected: nothing the guest prints is lost however late this connects (with wait=off, the first lines were).
	for (;;) {
		if (!running()) return undefined;
		const socket = await new Promise<Socket | undefined>((resolve) => {
			const attempt = connect(path);
			attempt.once('connect', () => resolve(attempt));
			attempt.once('error', () => {
				attempt.destroy();
				resolve(undefined);
			});
		});
		if (socket) return socket;
		if (Date.now() - begin > deadlineMs) return undefined;
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

// QEMU runs under a small shell watchdog in the same process group: if this Node process dies without cleaning
// up (SIGKILL, a crash of the runtime), the watchdog notices within a second and stops QEMU.
const watchdog = [
	'parent=$1; shift',
	'"$@" &',
	'qemu=$!',
	"trap 'kill -TERM $qemu 2>/dev/null' TERM INT HUP",
	'while kill -0 "$parent" 2>/dev/null && kill -0 "$qemu" 2>/dev/null; do sleep 1 & wait $!; done',
	'kill -TERM "$qemu" 2>/dev/null',
	'wait "$qemu"',
].join('\n');

export type QemuStartOptions = {
	env?: NodeJS.ProcessEnv;
	connectTimeoutMs?: number;
	/** QEMU's own stdout and stderr (the console too, when it is on stdio). */
	onOutput?: (stream: OutputStream, chunk: Buffer) => void;
};

export function startQemu(command: QemuCommand, options: QemuStartOptions = {}): QemuProcess {
	const child = start(['sh', '-c', watchdog, 'sel4-llm-qemu', String(process.pid), command.program, ...command.args], {
		...(options.env ? {env: options.env} : {}),
		maxCapture: 0,
		tailLines: 0,
		drainMs: 200,
		...(options.onOutput ? {onChunk: options.onOutput} : {}),
	});
	const exited = child.result.then((result) => ({
		code: result.startError ? 127 : (result.exitCode ?? null),
		signal: (result.signal ?? null) as NodeJS.Signals | null,
	}));
	const running = () => child.running();
	const consolePromise =
		command.serial === 'stdio'
			? Promise.resolve(undefined)
			: child.spawned.then(() => connectConsole(command.serial === 'stdio' ? '' : command.serial.socketPath, running, options.connectTimeoutMs ?? 15_000));
	const handle: QemuProcess = {
		get pid() {
			return child.pid;
		},
		spawned: child.spawned,
		console: consolePromise,
		exited,
		running,
		stop: async (graceMs = 3000) => {
			if (child.running()) await child.stop(graceMs);
			else await child.result;
		},
	};
	return handle;
}
