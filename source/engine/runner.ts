// Runs a plan: an async stream of events that every reporter consumes through the same reducer.
import {existsSync, mkdirSync, readFileSync, renameSync} from 'node:fs';
import {join} from 'node:path';
import type {RecipeSet} from './load.js';
import {stateDir, type Journal, type StepRecord} from './journal.js';
import {killTree, runProcess, resolveCommand, succeeds, type ProcessControl, type ResolvedCommand} from './exec.js';
import {watchDisk, type DiskGuardOptions} from './disk-guard.js';
import {OutputCollector, type ErrorWindow} from './output.js';
import {decide, outputsDigest, processEnv, type PlannedStep} from './plan.js';
import type {Capability} from './schema.js';
import {diagnose, type Diagnosis} from './troubleshoot.js';
import {glob} from './fingerprint.js';
import {expand} from './vars.js';

export type StepSummary = {id: string; title: string; action: 'run' | 'skip'; reason: string; capabilities: Capability[]; commands: string[]};

export type RunEvent =
	| {type: 'run-start'; at: number; steps: StepSummary[]; workspace: string}
	| {type: 'step-skip'; at: number; id: string; reason: string}
	| {type: 'step-start'; at: number; id: string; title: string; logPath: string; reason: string}
	| {type: 'step-command'; at: number; id: string; command: string}
	| {type: 'step-output'; at: number; id: string; lines: string[]}
	/** A running step has printed nothing for a while: says so, with its last line, so no step is silent for long. */
	| {type: 'step-quiet'; at: number; id: string; quietMs: number; elapsedMs: number; lastLine?: string}
	/** The step's processes are stopped until more disk space is free. */
	| {type: 'step-paused'; at: number; id: string; freeBytes: number; path: string; pauseBelow: number; resumeAbove: number}
	| {type: 'step-resumed'; at: number; id: string; freeBytes: number; pausedMs: number}
	| {type: 'step-done'; at: number; id: string; durationMs: number; artifacts: Record<string, string>}
	| {
			type: 'step-fail';
			at: number;
			id: string;
			durationMs: number;
			error: string;
			exitCode?: number;
			interrupted: boolean;
			window: ErrorWindow;
			diagnoses: Diagnosis[];
	  }
	| {type: 'run-done'; at: number; ok: boolean; interrupted: boolean; failed?: string; durationMs: number};

export type RunPlanOptions = {
	set: RecipeSet;
	plan: PlannedStep[];
	journal: Journal;
	values: ReadonlyMap<string, string>;
	workspace: string;
	signal?: AbortSignal;
	baseEnv?: NodeJS.ProcessEnv;
	/** Step ids forced to run. */
	forced?: ReadonlySet<string>;
	/** Stop a running step while its filesystem is nearly full, and continue it when space is freed. */
	diskGuard?: DiskGuardOptions | undefined;
	/** After this long without output a running step reports that it is still at work (default 10 s). */
	quietMs?: number;
};

/** A small unbounded queue between process callbacks and the async generator, with a high-water mark. */
class EventQueue<T> {
	private items: T[] = [];
	private waiting: ((value: void) => void) | undefined;
	constructor(private readonly highWater = 512) {}
	push(item: T): void {
		this.items.push(item);
		this.waiting?.();
		this.waiting = undefined;
	}
	get full(): boolean {
		return this.items.length >= this.highWater;
	}
	drain(): T[] {
		const items = this.items;
		this.items = [];
		return items;
	}
	wake(): void {
		this.waiting?.();
		this.waiting = undefined;
	}
	wait(): Promise<void> {
		if (this.items.length > 0) return Promise.resolve();
		return new Promise((resolve) => {
			this.waiting = resolve;
		});
	}
}

export function logPathFor(workspace: string, stepId: string): string {
	return join(stateDir(workspace), 'logs', `${stepId}.log`);
}

/** Where the log of a step's last failed or interrupted attempt is kept while the step runs again. */
export function failedLogPathFor(logPath: string): string {
	return logPath.replace(/\.log$/, '.failed.log');
}

/** A step that failed or was stopped last time keeps that attempt's log: the new run would overwrite it. */
function keepFailedLog(previous: StepRecord | undefined, logPath: string): void {
	if (previous?.state !== 'failed' && previous?.state !== 'interrupted') return;
	try {
		renameSync(logPath, failedLogPathFor(logPath));
	} catch {
		// No log from that attempt (it failed before it started): nothing to keep.
	}
}

/**
 * Steps recorded as running belong to an earlier sel4-llm that was killed; if their processes are still
 * alive (recognised by the step id in their environment), stop them before running anything.
 */
export function stopLeftovers(journal: Journal): string[] {
	const stopped: string[] = [];
	for (const [id, record] of Object.entries(journal.all())) {
		if (record.state !== 'running' || record.pid === undefined) continue;
		try {
			const environ = readFileSync(`/proc/${record.pid}/environ`, 'utf8');
			if (environ.split('\0').includes(`SEL4LLM_STEP=${id}`)) {
				killTree(record.pid, 'SIGKILL');
				stopped.push(id);
			}
		} catch {
			// gone already
		}
	}
	return stopped;
}

export async function* runPlan(options: RunPlanOptions): AsyncGenerator<RunEvent> {
	const started = Date.now();
	const {journal, values, workspace} = options;
	stopLeftovers(journal);
	yield {
		type: 'run-start',
		at: started,
		workspace,
		steps: options.plan.map((step) => ({
			id: step.id,
			title: step.title,
			action: step.decision.action,
			reason: step.decision.reason,
			capabilities: step.capabilities,
			commands: step.commands.map((command) => command.display),
		})),
	};
	const changed = new Set<string>();
	for (const planned of options.plan) {
		if (options.signal?.aborted) break;
		// Decide again now: the steps this one needs have run, and status checks may hold now.
		const {decision, fingerprint} = await decide(planned, {
			journal,
			values,
			force: options.forced?.has(planned.id) ?? false,
			changed,
			...(options.baseEnv ? {baseEnv: options.baseEnv} : {}),
		});
		if (decision.action === 'skip') {
			if (decision.kind === 'status' && journal.get(planned.id)?.state !== 'done') {
				// Record that the step's own check says it is done, so `status` and downstream steps see it.
				const now = new Date().toISOString();
				journal.set(planned.id, {state: 'done', fingerprint, outputs: 'status', startedAt: now, finishedAt: now, durationMs: 0});
			}
			yield {type: 'step-skip', at: Date.now(), id: planned.id, reason: decision.reason};
			continue;
		}
		const outcome: {failed?: RunEvent} = {};
		yield* runStep(planned, fingerprint, decision.reason, options, outcome);
		if (outcome.failed) {
			const failed = outcome.failed as Extract<RunEvent, {type: 'step-fail'}>;
			yield {type: 'run-done', at: Date.now(), ok: false, interrupted: failed.interrupted, failed: planned.id, durationMs: Date.now() - started};
			return;
		}
		changed.add(planned.id);
	}
	const interrupted = Boolean(options.signal?.aborted);
	yield {type: 'run-done', at: Date.now(), ok: !interrupted, interrupted, durationMs: Date.now() - started};
}

async function* runStep(
	planned: PlannedStep,
	fingerprint: string,
	reason: string,
	options: RunPlanOptions,
	outcome: {failed?: RunEvent},
): AsyncGenerator<RunEvent> {
	const {journal, values, workspace} = options;
	const startedAt = Date.now();
	const logPath = logPathFor(workspace, planned.id);
	keepFailedLog(journal.get(planned.id), logPath);
	const queue = new EventQueue<RunEvent>();
	let lastOutputAt = Date.now();
	let lastLine: string | undefined;
	const collector = new OutputCollector(logPath, (lines) => {
		lastOutputAt = Date.now();
		for (const line of lines) if (line.trim() !== '') lastLine = line;
		queue.push({type: 'step-output', at: lastOutputAt, id: planned.id, lines});
	});
	const quietMs = options.quietMs ?? 10_000;
	let lastNoticeAt = 0;
	const quietTimer = setInterval(() => {
		const now = Date.now();
		if (now - lastOutputAt < quietMs || now - lastNoticeAt < quietMs) return;
		lastNoticeAt = now;
		queue.push({type: 'step-quiet', at: now, id: planned.id, quietMs: now - lastOutputAt, elapsedMs: now - startedAt, ...(lastLine !== undefined ? {lastLine} : {})});
		queue.wake();
	}, Math.min(1000, quietMs));
	quietTimer.unref();
	journal.set(planned.id, {state: 'running', fingerprint, startedAt: new Date(startedAt).toISOString(), logPath});
	yield {type: 'step-start', at: startedAt, id: planned.id, title: planned.title, logPath, reason};

	const env = processEnv(planned, values, options.baseEnv);
	const fail = (error: string, exitCode: number | undefined, interrupted: boolean, failedChecks: string[] = []): RunEvent => {
		collector.flush();
		const window = collector.window();
		const lines = [...collector.tail(2000), ...(window.first ? [window.first.text] : []), error];
		const diagnoses = interrupted
			? []
			: diagnose(
					[...(planned.step.spec.troubleshoot ?? []), ...options.set.catalogue],
					{stepId: planned.id, stepName: planned.step.name, lines, ...(exitCode !== undefined ? {exitCode} : {}), failedChecks},
					values,
				);
		const finishedAt = Date.now();
		const unrecorded = tryRecord(journal, planned.id, {
			state: interrupted ? 'interrupted' : 'failed',
			fingerprint,
			startedAt: new Date(startedAt).toISOString(),
			finishedAt: new Date(finishedAt).toISOString(),
			durationMs: finishedAt - startedAt,
			...(exitCode !== undefined ? {exitCode} : {}),
			error,
			logPath,
		});
		const shown = unrecorded ? `${error}; and ${unrecorded}` : error;
		return {type: 'step-fail', at: finishedAt, id: planned.id, durationMs: finishedAt - startedAt, error: shown, ...(exitCode !== undefined ? {exitCode} : {}), interrupted, window, diagnoses};
	};

	try {
		mkdirSync(planned.cwd, {recursive: true});
		for (const [index, pre] of (planned.step.spec.preconditions ?? []).entries()) {
			let ok: boolean;
			if (pre.exists !== undefined) {
				const path = resolveCommand([pre.exists], values).display;
				ok = existsSync(path.startsWith('/') ? path : join(planned.cwd, path));
			} else ok = (await succeeds(resolveCommand(pre.run!, values), {cwd: planned.cwd, env, timeoutMs: 60_000})).ok;
			if (!ok) {
				outcome.failed = fail(`precondition ${index + 1} does not hold: ${expandMessage(pre.message, values)}`, undefined, false, [`${planned.id}#precondition-${index + 1}`]);
				yield outcome.failed;
				return;
			}
		}
		const commands = planned.commands;
		for (const command of commands) {
			yield {type: 'step-command', at: Date.now(), id: planned.id, command: command.display};
			const control: ProcessControl = {};
			const running = runProcess(command, {
				control,
				cwd: planned.cwd,
				env,
				...(options.signal ? {signal: options.signal} : {}),
				...(planned.timeoutMs ? {timeoutMs: planned.timeoutMs} : {}),
				onChunk: (stream, chunk) => collector.write(stream, chunk),
				// Best effort: the pid lets a later run stop what a killed one left behind.
				onSpawn: (pid) => void tryRecord(journal, planned.id, {state: 'running', fingerprint, startedAt: new Date(startedAt).toISOString(), logPath, pid}),
				flow: {pause: () => queue.full},
			});
			const guard = options.diskGuard;
			const watch = guard
				? watchDisk(guard, {pause: () => control.pause?.() ?? false, resume: () => control.resume?.()}, (change) =>
						queue.push(
							change.paused
								? {type: 'step-paused', at: Date.now(), id: planned.id, freeBytes: change.freeBytes, path: guard.path, pauseBelow: guard.pauseBelow, resumeAbove: guard.resumeAbove}
								: {type: 'step-resumed', at: Date.now(), id: planned.id, freeBytes: change.freeBytes, pausedMs: change.pausedMs},
						),
					)
				: undefined;
			let done = false;
			let result: Awaited<typeof running> | undefined;
			void running.then((value) => {
				watch?.stop();
				result = value;
				done = true;
				queue.wake();
			});
			while (!done) {
				await queue.wait();
				yield* queue.drain();
			}
			collector.flush();
			yield* queue.drain();
			const exit = result!;
			if (exit.cancelled) {
				outcome.failed = fail('interrupted', undefined, true);
				yield outcome.failed;
				return;
			}
			if (exit.timedOut) {
				outcome.failed = fail(`timed out after ${Math.round((planned.timeoutMs ?? 0) / 1000)} s: ${command.display}`, undefined, false);
				yield outcome.failed;
				return;
			}
			if (exit.exitCode !== 0) {
				const why = exit.error ?? (exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.exitCode}`);
				outcome.failed = fail(`${command.display} failed: ${why}`, exit.exitCode, false);
				yield outcome.failed;
				return;
			}
		}
		const missing = planned.generates.filter((pattern) => glob(pattern, planned.cwd).length === 0);
		if (missing.length > 0) {
			outcome.failed = fail(`the step finished but did not produce: ${missing.join(', ')}`, 0, false);
			yield outcome.failed;
			return;
		}
		const finishedAt = Date.now();
		const finishedIso = new Date(finishedAt).toISOString();
		collector.flush();
		const unrecorded = tryRecord(journal, planned.id, {
			state: 'done',
			fingerprint,
			outputs: outputsDigest(planned, fingerprint, finishedIso),
			startedAt: new Date(startedAt).toISOString(),
			finishedAt: finishedIso,
			durationMs: finishedAt - startedAt,
			exitCode: 0,
			logPath,
			artifacts: planned.artifacts,
		});
		if (unrecorded) {
			// Done but not recorded: the next run must do it again, so it counts as failed now.
			outcome.failed = {type: 'step-fail', at: finishedAt, id: planned.id, durationMs: finishedAt - startedAt, error: `the step finished, but ${unrecorded}`, exitCode: 0, interrupted: false, window: collector.window(), diagnoses: []};
			yield outcome.failed;
			return;
		}
		yield {type: 'step-done', at: finishedAt, id: planned.id, durationMs: finishedAt - startedAt, artifacts: planned.artifacts};
	} finally {
		clearInterval(quietTimer);
		for (const command of planned.defer) {
			await runDeferred(command, planned.cwd, env);
		}
		collector.close();
	}
}

/** A message from a recipe with its variables filled in (left as written where one is unknown). */
function expandMessage(message: string, values: ReadonlyMap<string, string>): string {
	try {
		return expand(message, values);
	} catch {
		return message;
	}
}

/** Records a step; on failure (a full disk) says what could not be recorded instead of throwing. */
function tryRecord(journal: Journal, id: string, record: Parameters<Journal['set']>[1]): string | undefined {
	try {
		journal.set(id, record);
		return undefined;
	} catch (error) {
		return `its result could not be recorded: ${(error as Error).message}`;
	}
}

async function runDeferred(command: ResolvedCommand, cwd: string, env: Record<string, string>): Promise<void> {
	await succeeds(command, {cwd: existsSync(cwd) ? cwd : '/', env, timeoutMs: 120_000});
}
