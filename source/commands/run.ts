// `sel4-llm run`: plan, confirm what needs confirming, then run with the chosen reporter.
import {handOver} from '../system/exec.js';
import {stopReason, stopSignal} from '../system/interrupt.js';
import {ExitCode, UserError} from '../errors.js';
import {openJournal} from '../engine/journal.js';
import {lockWorkspace} from '../engine/workspace-lock.js';
import {planSteps, resolveTargets, type PlannedStep} from '../engine/plan.js';
import {initialState, reduce, type RunState} from '../engine/reducer.js';
import {runPlan} from '../engine/runner.js';
import {DEFAULT_MIN_FREE, diskGuardFor, parseSize} from '../engine/disk-guard.js';
import {createJsonReporter} from '../reporters/json.js';
import {createPlainReporter} from '../reporters/plain.js';
import type {Reporter} from '../reporters/reporter.js';
import {checkWorkspace, loadForCommand, readJournal} from './recipe-context.js';
import type {CommandContext} from './context.js';
import {askLine, confirm} from '../ui/prompt.js';
import {isRoot} from '../system/user.js';


/** Steps that need sudo or write a device are shown first and confirmed (or need --yes without a terminal). */
export async function confirmDangerous(context: CommandContext, plan: PlannedStep[], options: {waitIfSudoFails?: boolean} = {}): Promise<void> {
	const prime = () => {
		try {
			primeSudo(context);
		} catch (error) {
			if (!options.waitIfSudoFails) throw error;
			return waitForManualSudo(context, plan);
		}
		return undefined;
	};
	// "sudo" means the step changes the system: it is confirmed for root too (root only skips the password).
	const dangerous = plan.filter((step) => step.decision.action === 'run' && step.capabilities.some((cap) => cap === 'device-write' || cap === 'sudo'));
	if (dangerous.length === 0 || context.options.yes) {
		if (dangerous.some((step) => step.capabilities.includes('sudo')) && !isRoot() && context.interactive) await prime();
		return;
	}
	const lines = [isRoot() ? 'These steps change the system (they run as root):' : 'These steps change the system (with sudo) or write a device:'];
	for (const step of dangerous) {
		lines.push(`  ${step.id} [${step.capabilities.join(', ')}]`);
		for (const command of step.commands) lines.push(`    $ ${command.display}`);
	}
	context.io.stderr.write(`${lines.join('\n')}\n`);
	if (!context.interactive) {
		throw new UserError('these steps need confirmation and there is no terminal to ask on', {
			hint: 'review them with `sel4-llm plan`, then pass --yes',
			exitCode: ExitCode.refused,
		});
	}
	if (!(await confirm(context.io, 'Run them?'))) throw new UserError('not confirmed; nothing was run', {exitCode: ExitCode.refused});
	if (dangerous.some((step) => step.capabilities.includes('sudo')) && !isRoot()) await prime();
}

/** When sudo cannot be used from here, show the exact commands to run in another terminal and wait. */
async function waitForManualSudo(context: CommandContext, plan: PlannedStep[]): Promise<void> {
	const lines = ['sudo is not available here. Run these in another terminal, then press Enter:'];
	for (const step of plan.filter((each) => each.decision.action === 'run' && each.capabilities.includes('sudo'))) {
		for (const command of step.commands) lines.push(`  ${command.display.replace(/^sudo -n /, 'sudo ')}`);
	}
	context.io.stderr.write(`${lines.join('\n')}\n`);
	await askLine(context.io, 'Press Enter when they have finished: ');
}

/** Asks for the sudo password once, before any UI, so steps can use `sudo -n`. */
function primeSudo(context: CommandContext): void {
	if (handOver(['sudo', '-v']).exitCode !== 0) {
		throw new UserError('sudo did not accept the credentials', {hint: 'run `sudo -v` yourself, then run again', exitCode: ExitCode.refused});
	}
	context.io.stderr.write('\n');
}

export async function createReporter(context: CommandContext): Promise<Reporter> {
	if (context.mode === 'json') return createJsonReporter(context.events);
	if (context.mode === 'ink') {
		const {createInkReporter} = await import('../reporters/ink.js');
		return createInkReporter(context.io.stderr, context.io.stdin);
	}
	return createPlainReporter(context.io.stderr);
}

/** The --min-free floor in bytes (0: no guard); a value that is not a size is a usage error. */
export function minFreeOption(context: CommandContext): number {
	const text = context.options['min-free'];
	if (typeof text !== 'string') return DEFAULT_MIN_FREE;
	const bytes = parseSize(text);
	if (bytes === undefined) {
		throw new UserError(`--min-free: "${text}" is not a size`, {
			exitCode: ExitCode.usage,
			hint: 'give bytes or a size with a unit: 800M, 2G, 1.5GiB; 0 turns the guard off',
		});
	}
	return bytes;
}

/** What `run --json` ends with: each step's final status and, after a failure, the failed step and why. */
export function runResult(state: RunState): Record<string, unknown> {
	return {
		workspace: state.workspace,
		durationMs: state.finished?.durationMs ?? null,
		interrupted: state.finished?.interrupted ?? false,
		failed: state.failure ? {id: state.failure.id, error: state.failure.error, exitCode: state.failure.exitCode ?? null, diagnoses: state.failure.diagnoses} : null,
		steps: state.order.map((id) => ({id, status: state.steps[id]?.status, durationMs: state.steps[id]?.durationMs ?? null})),
	};
}

/** Runs a plan with signals wired to cancellation; returns the final state. */
export async function executePlan(
	context: CommandContext,
	loaded: ReturnType<typeof loadForCommand>,
	plan: PlannedStep[],
	forced: ReadonlySet<string>,
	reporter: Reporter,
	onAbortable?: (abort: () => void) => void,
): Promise<{state: RunState; signal: NodeJS.Signals | undefined}> {
	const diskGuard = diskGuardFor(context.workspace, minFreeOption(context));
	const journal = openJournal(context.workspace);
	const controller = new AbortController();
	onAbortable?.(() => controller.abort());
	// Ctrl-C, SIGTERM or a closed output stops the running step's process tree; the journal records it.
	const stop = stopSignal();
	const onStop = () => controller.abort();
	if (stop.aborted) onStop();
	stop.addEventListener('abort', onStop, {once: true});
	let state = initialState;
	try {
		for await (const event of runPlan({
			set: loaded.set,
			plan,
			journal,
			values: loaded.values,
			workspace: context.workspace,
			signal: controller.signal,
			forced,
			diskGuard,
		})) {
			state = reduce(state, event);
			reporter.handle(event);
		}
	} finally {
		stop.removeEventListener('abort', onStop);
		await reporter.finish(state);
	}
	const why = stopReason();
	return {state, signal: why === 'SIGTERM' ? 'SIGTERM' : why ? 'SIGINT' : undefined};
}

export async function run(context: CommandContext): Promise<number> {
	minFreeOption(context);
	checkWorkspace(context.workspace);
	const loaded = loadForCommand(context);
	const targets = resolveTargets(loaded.set, context.positionals);
	const journal = readJournal(context.workspace);
	const force = Boolean(context.options.force);
	const plan = await planSteps(loaded.set, targets, {journal, values: loaded.values, force, only: Boolean(context.options.only)});
	await confirmDangerous(context, plan);
	const lock = lockWorkspace(context.workspace, `run ${context.positionals.join(' ')}`);
	const reporter = await createReporter(context);
	const forced = new Set(force ? targets : []);
	let outcome;
	try {
		outcome = await executePlan(context, loaded, plan, forced, reporter);
	} finally {
		lock.release();
	}
	const {state, signal} = outcome;
	context.events.result(runResult(state));
	if (signal) return signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated;
	return state.finished?.ok ? ExitCode.ok : ExitCode.failed;
}
