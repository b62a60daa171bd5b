// Starting and stopping QEMU: its own process group (so the whole tree is stopped), the console on a unix
// socket, and a last-resort kill when Node exits for any reason.
import {killTree} from '../engine/exec.js';
import {spawn, type ChildProcess} from 'node:child_process';
import {connect, type Socket} from 'node:net';
import type {QemuCommand} from './command.js';

export type QemuProcess = {
	child: ChildProcess;
	pid: number;
	/** The console, once connected (socket serial only). */
	console: Promise<Socket | undefined>;
	exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>;
	running(): boolean;
	/** Stops QEMU and everything it started: SIGTERM to the group, SIGKILL after `graceMs`. */
	stop(graceMs?: number): Promise<void>;
};

const live = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	// 'exit' handlers run synchronously on every normal exit, process.exit() and uncaught exceptions.
	process.on('exit', () => {
		for (const pid of live) killTree(pid, 'SIGKILL');
	});
}

async function connectConsole(path: string, child: ChildProcess, deadlineMs: number): Promise<Socket | undefined> {
	const start = Date.now();
	// QEMU creates the socket while it sets up its chardevs, before the guest runs; poll quickly so that no early
	// output is lost (with wait=off, output nobody reads is dropped).
	for (;;) {
		if (child.exitCode !== null || child.signalCode !== null) return undefined;
		const socket = await new Promise<Socket | undefined>((resolve) => {
			const attempt = connect(path);
			attempt.once('connect', () => resolve(attempt));
			attempt.once('error', () => {
				attempt.destroy();
				resolve(undefined);
			});
		});
		if (socket) return socket;
		if (Date.now() - start > deadlineMs) return undefined;
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

export function startQemu(command: QemuCommand, options: {env?: NodeJS.ProcessEnv; connectTimeoutMs?: number} = {}): QemuProcess {
	installExitHook();
	const child = spawn('sh', ['-c', watchdog, 'sel4-llm-qemu', String(process.pid), command.program, ...command.args], {
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
		env: options.env ?? process.env,
	});
	const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => {
		child.once('exit', (code, signal) => {
			if (child.pid) live.delete(child.pid);
			resolve({code, signal});
		});
		child.once('error', () => {
			if (child.pid) live.delete(child.pid);
			resolve({code: 127, signal: null});
		});
	});
	const pid = child.pid ?? -1;
	if (pid > 0) live.add(pid);
	const consolePromise =
		command.serial === 'stdio' || pid <= 0
			? Promise.resolve(undefined)
			: connectConsole(command.serial.socketPath, child, options.connectTimeoutMs ?? 15_000);
	const running = () => child.exitCode === null && child.signalCode === null && pid > 0;
	const stop = async (graceMs = 3000) => {
		if (pid <= 0) return;
		if (running()) killTree(pid, 'SIGTERM');
		const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
		if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
			killTree(pid, 'SIGKILL');
			await exited;
		}
		live.delete(pid);
	};
	return {child, pid, console: consolePromise, exited, running, stop};
}
