// One watched boot: QEMU started, its console fed to a SerialWatcher and written to a log, stopped when the
// expectation is met, the system halts, the time is up or the caller asks. QEMU never outlives it.
import {writeLaunchRecord} from './launch-record.js';
import {createWriteStream, mkdirSync, readFileSync, rmSync, type WriteStream} from 'node:fs';
import {inputFile} from '../system/input-file.js';
import {createServer, type Server, type Socket} from 'node:net';
import {dirname} from 'node:path';
import type {Catalogue} from '../engine/troubleshoot.js';
import type {QemuCommand} from './command.js';
import {startQemu, type QemuProcess} from './process.js';
import {splitHostTime} from './stages.js';
import {judgeBoot, SerialWatcher, type BootVerdict, type Expectation, type Timeline, type WatchEvent} from './watcher.js';

export type BootOutcome = 'expected' | 'halted' | 'exited' | 'timeout' | 'stopped';

export type BootOptions = {
	command: QemuCommand;
	/** The full console log, each line prefixed with the host's seconds since QEMU started. */
	logFile?: string;
	catalogue?: Catalogue;
	expect?: Expectation[];
	timeoutSeconds?: number;
	stallSeconds?: number;
	/** How long to keep reading after a halt before stopping QEMU (trailing lines explain it). */
	haltGraceMs?: number;
	/** Stop when every expectation is met (default true when there are expectations). */
	stopWhenExpected?: boolean;
	onEvent?: (event: WatchEvent) => void;
	/** Raw console bytes, for a terminal that shows them as they are. */
	onOutput?: (chunk: Buffer) => void;
	env?: NodeJS.ProcessEnv;
	/**
	 * Share the console with other programs (`sel4-llm ask`): a unix socket that relays the guest console both
	 * ways, recorded in `recordFile` (launch.json) while the boot runs. QEMU's own socket takes one client, us.
	 */
	share?: {socketPath: string; recordFile: string; platform: string};
};

export type BootResult = {
	outcome: BootOutcome;
	ok: boolean;
	qemuExit: {code: number | null; signal: NodeJS.Signals | null} | undefined;
	timeline: Timeline;
	diagnosis: BootVerdict;
	logFile: string | undefined;
	durationMs: number;
	command: QemuCommand;
};

export type BootSession = {
	watcher: SerialWatcher;
	qemu: QemuProcess;
	/** Sends bytes to the guest's console (dropped until the console is connected). */
	write(data: Buffer | string): boolean;
	/** Ends the boot: QEMU is stopped and `done` resolves with outcome "stopped" (unless already finished). */
	stop(): void;
	done: Promise<BootResult>;
};

function stamp(ms: number): string {
	return `[${(ms / 1000).toFixed(3).padStart(8)}] `;
}

export function startBoot(options: BootOptions): BootSession {
	const started = Date.now();
	const now = () => Date.now() - started;
	let log: WriteStream | undefined;
	if (options.logFile) {
		mkdirSync(dirname(options.logFile), {recursive: true});
		log = createWriteStream(options.logFile);
		log.write(`CMD: ${options.command.display}\n`);
	}
	let finish: ((outcome: BootOutcome) => void) | undefined;
	const watcher = new SerialWatcher({
		...(options.catalogue ? {catalogue: options.catalogue} : {}),
		...(options.stallSeconds !== undefined ? {stallSeconds: options.stallSeconds} : {}),
		...(options.expect ? {expect: options.expect} : {}),
		onEvent: (event) => {
			if (event.type === 'line') log?.write(`${stamp(event.t ?? now())}${event.source === 'qemu' && !/^qemu-/.test(event.text) ? 'qemu: ' : ''}${event.text}\n`);
			options.onEvent?.(event);
			if (event.type === 'halt') {
				const grace = setTimeout(() => finish?.('halted'), options.haltGraceMs ?? 1500);
				grace.unref();
			}
			if (event.type === 'expected' && watcher.expectationsDone && (options.stopWhenExpected ?? true)) {
				// Let the rest of the line arrive in the log, then stop.
				setTimeout(() => finish?.('expected'), 100).unref();
			}
		},
	});
	watcher.start(0);
	const qemu = startQemu(options.command, {
		...(options.env ? {env: options.env} : {}),
		onOutput: (stream, chunk) => {
			if (stream === 'stderr') {
				watcher.push(chunk, now(), 'qemu');
				return;
			}
			watcher.push(chunk, now(), 'serial');
			options.onOutput?.(chunk);
		},
	});
	let socket: Awaited<QemuProcess['console']>;
	void qemu.console.then((connected) => {
		socket = connected;
		connected?.on('data', (chunk: Buffer) => {
			watcher.push(chunk, now(), 'serial');
			options.onOutput?.(chunk);
		});
		connected?.on('error', () => undefined);
	});

	const clients = new Set<Socket>();
	let server: Server | undefined;
	if (options.share) {
		const share = options.share;
		rmSync(share.socketPath, {force: true});
		mkdirSync(dirname(share.socketPath), {recursive: true});
		server = createServer((client) => {
			clients.add(client);
			client.on('data', (chunk: Buffer) => {
				if (socket && !socket.destroyed) socket.write(chunk);
			});
			const forget = () => clients.delete(client);
			client.on('close', forget);
			client.on('error', forget);
		});
		server.listen(share.socketPath, () => {
			void qemu.spawned.then((qemuPid) => {
				if (qemuPid === undefined || !server?.listening) return;
				writeLaunchRecord(share.recordFile, {pid: process.pid, qemuPid, serialSocket: share.socketPath, platform: share.platform, logFile: options.logFile ?? null, startedAt: new Date(started).toISOString()});
			});
		});
		void qemu.console.then((connected) => connected?.on('data', (chunk: Buffer) => {
			for (const client of clients) client.write(chunk);
		}));
	}
	const unshare = () => {
		if (!options.share) return;
		for (const client of clients) client.destroy();
		server?.close();
		rmSync(options.share.socketPath, {force: true});
		rmSync(options.share.recordFile, {force: true});
	};

	const done = new Promise<BootResult>((resolve) => {
		let finished = false;
		const timer = setInterval(() => {
			const t = now();
			watcher.tick(t);
			if (options.timeoutSeconds !== undefined && t >= options.timeoutSeconds * 1000) finish?.('timeout');
		}, 200);
		finish = (outcome) => {
			if (finished) return;
			finished = true;
			clearInterval(timer);
			void (async () => {
				unshare();
				await qemu.stop();
				socket?.destroy();
				watcher.end(now());
				const qemuExit = await qemu.exited;
				if (log) await new Promise<void>((resolveLog) => log!.end(resolveLog));
				const timeline = watcher.timeline;
				const diagnosis = judgeBoot(timeline, {
					kind: outcome,
					exitCode: qemuExit.code,
					...(options.timeoutSeconds !== undefined ? {timeoutSeconds: options.timeoutSeconds} : {}),
				});
				// ok follows the verdict's marks: no ✗ (a halt, a known problem, a stall never got past) and a normal end.
				const ok = outcome === 'expected' || (!diagnosis.failed && (outcome === 'stopped' || outcome === 'halted' || (outcome === 'exited' && !watcher.expectations.length && qemuExit.code === 0)));
				resolve({
					outcome,
					ok,
					qemuExit,
					timeline,
					diagnosis,
					logFile: options.logFile,
					durationMs: now(),
					command: options.command,
				});
			})();
		};
		void qemu.exited.then(() => {
			// Give the socket a moment to deliver the last bytes.
			setTimeout(() => finish?.(watcher.expectationsDone ? 'expected' : watcher.timeline.halt ? 'halted' : 'exited'), 150);
		});
	});
	return {
		watcher,
		qemu,
		write: (data) => (socket && !socket.destroyed ? socket.write(data) : false),
		stop: () => finish?.('stopped'),
		done,
	};
}

export type ReplayResult = {timeline: Timeline; diagnosis: BootVerdict; command: string | undefined; timed: boolean};

/**
 * Reads a recorded console log (ours, a user's, or one whose lines start with "[ seconds]" host times) through
 * the same watcher and diagnosis as a live boot.
 */
export function replayLog(text: string, options: {catalogue?: Catalogue; stallSeconds?: number; expect?: Expectation[]; onEvent?: (event: WatchEvent) => void} = {}): ReplayResult {
	const lines = text.split(/\r?\n/);
	if (lines.at(-1) === '') lines.pop();
	let command: string | undefined;
	if (lines[0]?.startsWith('CMD: ')) command = lines.shift()!.slice(5);
	const sample = lines.filter((line) => line.trim() !== '').slice(0, 40);
	const timed = sample.length > 0 && sample.filter((line) => splitHostTime(line).seconds !== undefined).length >= sample.length / 2;
	const watcher = new SerialWatcher({
		...(options.catalogue ? {catalogue: options.catalogue} : {}),
		stallSeconds: options.stallSeconds ?? 60,
		...(options.expect ? {expect: options.expect} : {}),
		...(options.onEvent ? {onEvent: options.onEvent} : {}),
	});
	let lastT: number | undefined;
	for (const raw of lines) {
		const {seconds, text: rest} = timed ? splitHostTime(raw) : {seconds: undefined, text: raw};
		const t = seconds === undefined ? lastT : Math.round(seconds * 1000);
		// Gaps between recorded lines are stalls too.
		if (t !== undefined && lastT !== undefined) watcher.tick(t);
		watcher.line(rest, t);
		if (t !== undefined) {
			if (lastT === undefined) watcher.start(t);
			lastT = t;
		}
	}
	watcher.end(lastT);
	const timeline = watcher.timeline;
	const kind = options.expect?.length ? (watcher.expectationsDone ? 'expected' : 'ended') : 'ended';
	return {timeline, diagnosis: judgeBoot(timeline, {kind}), command, timed};
}

export function replayFile(file: string, options: Parameters<typeof replayLog>[1] = {}): ReplayResult {
	// A console log is text of a few MB; a device or a directory given by mistake is refused, not read forever.
	return replayLog(readFileSync(inputFile(file, 'the console log', {maxBytes: 512 * 1024 * 1024}), 'utf8'), options);
}
