// `sel4-llm setup` (and `sel4-llm` alone on a terminal): the guided path from a bare machine to a booted LLM VM.
// Phases, each its own Ink mount so that sudo, a pager or `launch` can have the terminal in between:
// welcome + choices + plan  ->  (sudo primed in plain mode)  ->  live run with fix/retry  ->  launch or flash.
import {ExitCode, RefusedError, UserError} from '../errors.js';
import {stopSignal} from '../system/interrupt.js';
import {lockWorkspace} from '../engine/workspace-lock.js';
import {conditionHolds, fingerprintOf, planSteps, prepareStep, type PlannedStep} from '../engine/plan.js';
import {runProcess, resolveCommand, selfArgv} from '../engine/exec.js';
import {handOver} from '../system/exec.js';
import {commandList} from '../engine/load.js';
import {progressOf, type RunState} from '../engine/reducer.js';
import {
	choicesToVars,
	defaultChoices,
	impossibleChoice,
	ramLimits,
	validateChoices,
	varsToChoices,
	type Choices,
} from '../wizard/choices.js';
import {platformIds, platformRecord, targets, type Platform, type Target} from '../platforms.js';
import type {HostSummary} from '../wizard/host.js';
import {mirrorVars, type Reach} from '../wizard/network.js';
import type {SetupOutcome} from '../wizard/setup-app.js';
import type {PlanSummary} from '../wizard/plan-screen.js';
import type {ResumeInfo} from '../wizard/welcome.js';
import type {RunAction} from '../wizard/run-app.js';
import type {CommandContext} from './context.js';
import {checkWorkspace, loadForCommand, readJournal, rememberValues, rememberedValues, type Loaded} from './recipe-context.js';
import {confirmDangerous, createReporter, executePlan, minFreeOption, runResult} from './run.js';

const flagNames: Record<keyof Choices, string> = {platform: '--platform', workspace: '--workspace', model: '--model', guestRamMb: '--guest-ram', target: '--target'};

/**
 * Choices from saved ones, then `--set` values of the choice variables (which the recipes would use over the
 * choices), then flags; every flag checked with the allowed values named.
 */
export function choicesFromFlags(context: CommandContext, saved: Record<string, string>): Choices {
	const base = varsToChoices({...saved, ...Object.fromEntries(context.sets)}, context.workspace, defaultChoices('qemu-arm-virt', context.workspace));
	const options = context.options;
	const choices = {...base};
	if (typeof options.platform === 'string') {
		if (choices.platform !== options.platform) choices.guestRamMb = ramLimits[options.platform as Platform]?.default ?? choices.guestRamMb;
		choices.platform = options.platform as Platform;
	}
	if (typeof options.target === 'string') choices.target = options.target as Target;
	if (typeof options.model === 'string') choices.model = options.model === '' ? '' : resolvePath(options.model);
	if (typeof options['guest-ram'] === 'string') {
		const raw = options['guest-ram'];
		if (!/^\d+$/.test(raw)) throw new UserError(`--guest-ram must be a whole number of MiB (got "${raw}")`);
		choices.guestRamMb = Number(raw);
	}
	return choices;
}

function resolvePath(path: string): string {
	return path.startsWith('/') ? path : `${process.cwd()}/${path}`;
}

function refuseProblems(choices: Choices): void {
	const problems = validateChoices(choices);
	const entries = Object.entries(problems) as Array<[keyof Choices, string]>;
	if (entries.length === 0) return;
	const [field, message] = entries[0]!;
	throw new UserError(`${flagNames[field]}: ${message}`, {
		hint:
			field === 'platform'
				? `allowed: ${platformIds.join(', ')}`
				: field === 'target'
					? `allowed: ${targets.join(', ')}`
					: field === 'guestRamMb'
						? platformIds.map((id) => `${id}: ${ramLimits[id].min}-${ramLimits[id].max} MiB in steps of ${ramLimits[id].step}`).join('; ')
						: undefined,
		exitCode: ExitCode.usage,
	});
}

/**
 * Unattended: a platform and target the host cannot run whatever the setup installs (x86_64 in QEMU without Intel
 * VT-x, KVM and nested virtualization) is refused before anything runs, with the choices that work here. The host
 * is checked only for a choice that depends on it.
 */
async function refuseImpossible(choices: Choices, checkHost: () => Promise<HostSummary | undefined>): Promise<void> {
	if (choices.target !== 'qemu' || !platformRecord(choices.platform).needsVtx) return;
	const host = await checkHost();
	const problem = impossibleChoice(choices, host);
	if (!problem || !host) return;
	const others = platformIds.filter((id) => id !== choices.platform && host.platforms[id]?.run.ok);
	throw new RefusedError(problem.replace(/: choose .*$/, ''), {
		hint: [
			...(platformRecord(choices.platform).usb ? [`--target usb builds a USB stick that boots ${choices.platform} on a PC with Intel VT-x`] : []),
			...others.map((id) => `--platform ${id} runs in QEMU here${host.platforms[id]!.run.note ? ` (${host.platforms[id]!.run.note})` : ''}`),
		].join('; '),
		nextSteps: [
			...(platformRecord(choices.platform).usb ? [`sel4-llm setup --yes --platform ${choices.platform} --target usb`] : []),
			...others.map((id) => `sel4-llm setup --yes --platform ${id}`),
			`sel4-llm doctor --platform ${choices.platform}`,
		],
	});
}

function contextFor(context: CommandContext, choices: Choices): CommandContext {
	return {...context, workspace: choices.workspace};
}

function loadWith(context: CommandContext, choices: Choices): Loaded {
	return loadForCommand(contextFor(context, choices), {choices: choicesToVars(choices)});
}

async function planAll(context: CommandContext, choices: Choices): Promise<{loaded: Loaded; plan: PlannedStep[]}> {
	const loaded = loadWith(context, choices);
	const journal = readJournal(choices.workspace);
	const plan = await planSteps(loaded.set, [...loaded.set.order], {journal, values: loaded.values, force: false});
	return {loaded, plan};
}

function stepState(kind: PlannedStep['decision']['kind']): PlanSummary['steps'][number]['state'] {
	if (kind === 'unchanged' || kind === 'status') return 'done';
	if (kind === 'failed-before') return 'stopped';
	return kind === 'condition' ? 'unneeded' : undefined;
}

function summarise(plan: PlannedStep[], freeDiskBytes?: number, network?: Reach[]): PlanSummary {
	return {
		...(network ? {network} : {}),
		steps: plan.map((step) => ({
			id: step.id,
			title: step.title,
			action: step.decision.action,
			reason: step.decision.reason,
			capabilities: step.capabilities,
			...(stepState(step.decision.kind) ? {state: stepState(step.decision.kind)} : {}),
			...(step.estimate?.minutes !== undefined ? {minutes: step.estimate.minutes} : {}),
			...(step.estimate?.disk_mb !== undefined ? {diskMb: step.estimate.disk_mb} : {}),
		})),
		...(freeDiskBytes !== undefined ? {freeDiskBytes} : {}),
	};
}

/** Where an earlier run stopped, and which finished steps the current choices make stale. */
export function resumeInfo(context: CommandContext, choices: Choices): ResumeInfo | undefined {
	const journal = readJournal(choices.workspace);
	const records = journal.all();
	if (Object.keys(records).length === 0) return undefined;
	const loaded = loadWith(context, choices);
	let done = 0;
	let total = 0;
	const stale: string[] = [];
	let failed: string | undefined;
	for (const id of loaded.set.order) {
		if (!conditionHolds(loaded.set.steps.get(id)!, loaded.values).holds) continue;
		total++;
		const record = records[id];
		if (!record) continue;
		if (record.state === 'done') {
			if (fingerprintOf(prepareStep(loaded.set.steps.get(id)!, loaded.values), journal, loaded.values) === record.fingerprint) done++;
			else stale.push(id);
		} else failed ??= id;
	}
	return {done, total, stale, ...(failed ? {failed} : {})};
}

async function defaultHostCheck(workspace: string): Promise<HostSummary | undefined> {
	try {
		const {hostSummary} = await import('../wizard/host-check.js');
		return await hostSummary(workspace);
	} catch {
		return undefined;
	}
}

/** The `--set` values of a context, with the wizard's own settings (a mirror given on its network screen) after them. */
function withVars(context: CommandContext, vars: Record<string, string>): CommandContext {
	return Object.keys(vars).length === 0 ? context : {...context, sets: [...context.sets, ...Object.entries(vars)]};
}

/**
 * Whether the hosts the plan's network steps need can be reached (the manifest's, the mirror's, the npm
 * registry), checked in parallel with a short timeout; `progress` hears what is being checked.
 */
async function reachability(loaded: Loaded, plan: PlannedStep[], progress: (label: string) => void): Promise<Reach[]> {
	const {checkNetwork, downloads, endpoint, networkTargets, npmRegistry} = await import('../wizard/network.js');
	const runs = plan.map((step) => ({id: step.id, action: step.decision.action, capabilities: step.capabilities}));
	// npm is asked for its registry only when a payload download will run.
	const registry = downloads(runs, 'payload') ? await npmRegistry() : undefined;
	const targets = networkTargets(runs, loaded.values, registry);
	const hosts = [...new Set(targets.map((target) => endpoint(target.url)?.host).filter(Boolean))];
	if (hosts.length === 0) return [];
	progress(`Checking that ${hosts.join(' and ')} can be reached…`);
	return checkNetwork(targets, {timeoutMs: networkTimeoutMs()});
}

/** How long a host may take to accept a connection (SEL4LLM_NETWORK_TIMEOUT_MS, for slow links). */
function networkTimeoutMs(): number {
	const value = Number(process.env.SEL4LLM_NETWORK_TIMEOUT_MS);
	return Number.isFinite(value) && value > 0 ? value : 3000;
}

async function interactiveChoices(
	context: CommandContext,
	initial: Choices,
	checkHost: () => Promise<HostSummary | undefined>,
): Promise<{choices: Choices; vars: Record<string, string>} | undefined> {
	const [{render}, {createElement}, {SetupApp}] = await Promise.all([import('ink'), import('react'), import('../wizard/setup-app.js')]);
	const holder: {outcome: SetupOutcome} = {outcome: {action: 'quit'}};
	const resume = resumeInfo(context, initial);
	const instance = render(
		createElement(SetupApp, {
			initial,
			...(resume ? {resume} : {}),
			checkHost,
			makePlan: async (choices: Choices, vars: Record<string, string>, progress: (label: string) => void) => {
				const {loaded, plan} = await planAll(withVars(context, vars), choices);
				const [host, network] = await Promise.all([checkHost().catch(() => undefined), reachability(loaded, plan, progress)]);
				return summarise(plan, host?.freeDiskBytes, network);
			},
			mirrorValues: () => {
				const loaded = loadWith(context, initial);
				return Object.fromEntries(mirrorVars.filter((name) => loaded.set.vars.has(name)).map((name) => [name, loaded.values.get(name) ?? '']));
			},
			onDone: (result) => {
				holder.outcome = result;
			},
		}),
		{stdout: context.io.stderr, stdin: context.io.stdin, patchConsole: false, exitOnCtrlC: false},
	);
	// SIGINT or SIGTERM from outside (the keys arrive as keys in raw mode) ends the wizard like its quit key.
	const stop = () => instance.unmount();
	stopSignal().addEventListener('abort', stop, {once: true});
	try {
		await instance.waitUntilExit();
	} finally {
		stopSignal().removeEventListener('abort', stop);
	}
	return holder.outcome.action === 'run' && !stopSignal().aborted ? {choices: holder.outcome.choices, vars: holder.outcome.vars} : undefined;
}

/** What quitting the wizard leaves behind: the finished steps stay recorded, so nothing is lost. */
export function quitMessage(progress: {done: number; total: number; at?: string | undefined} | undefined): string {
	if (!progress || progress.done === 0) return 'Quit: nothing was run and nothing was lost. Run `sel4-llm setup` again when you are ready.\n';
	return `Quit: nothing was lost; ${progress.done} of ${progress.total} steps are done and stay recorded. Run \`sel4-llm setup\` again to continue${progress.at ? ` at ${progress.at}` : ''}.\n`;
}


/** Runs a diagnosis's fix commands with their output on the terminal, then its re-check. */
async function applyFix(context: CommandContext, state: RunState, loaded: Loaded, choices: Choices): Promise<boolean> {
	const diagnosis = state.failure?.diagnoses.find((each) => each.fix && each.fix.commands.length > 0);
	if (!diagnosis?.entry.fix?.run) return false;
	const write = (text: string) => context.io.stderr.write(text);
	write(`\nApplying the fix for "${diagnosis.title}": ${diagnosis.fix!.description}\n`);
	const env: Record<string, string> = {};
	for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
	for (const [key, value] of loaded.values) env[key] = value;
	const run = async (list: typeof diagnosis.entry.fix.run) => {
		for (const spec of commandList(list)) {
			const command = resolveCommand(spec, loaded.values);
			write(`$ ${command.display}\n`);
			const result = await runProcess(command, {cwd: choices.workspace, env, onChunk: (_stream, chunk) => write(chunk.toString())});
			if (result.exitCode !== 0) {
				write(`The fix command failed (${result.error ?? `exit code ${result.exitCode}`}).\n`);
				return false;
			}
		}
		return true;
	};
	if (!(await run(diagnosis.entry.fix.run))) return false;
	if (diagnosis.entry.recheck?.run) {
		write('Checking that the fix worked…\n');
		if (!(await run(diagnosis.entry.recheck.run))) return false;
	}
	return true;
}

function openLog(context: CommandContext, state: RunState): void {
	const path = state.failure?.window.logPath;
	if (!path) return;
	const pager = process.env.PAGER ?? 'less';
	const result = handOver([pager, ...(pager === 'less' ? ['-R', '+G'] : []), '--', path]);
	if (result.missing) context.io.stderr.write(`cannot open ${pager}: the log is ${path}\n`);
}

function runNested(context: CommandContext, choices: Choices, command: string[]): number {
	return handOver([...selfArgv, ...command, '--workspace', choices.workspace]).exitCode ?? ExitCode.failed;
}

/** Unattended: says which hosts cannot be reached and which settings point the downloads at a mirror; never asks. */
async function warnUnreachable(context: CommandContext, choices: Choices): Promise<void> {
	const {loaded, plan} = await planAll(context, choices);
	const write = (text: string) => context.io.stderr.write(text);
	const network = await reachability(loaded, plan, (label) => write(`sel4-llm: ${label}\n`));
	const {unreachableLines} = await import('../wizard/network.js');
	const lines = unreachableLines(network);
	if (lines.length === 0) return;
	for (const line of lines) write(`sel4-llm: warning: ${line}\n`);
	write(`${mirrorHint(network, loaded)}\n`);
}

/** The settings that send the downloads elsewhere, for the hosts that cannot be reached. */
function mirrorHint(network: Reach[], loaded: Loaded): string {
	const down = network.filter((reach) => !reach.ok);
	const ways: string[] = [];
	if (down.some((reach) => reach.what !== 'npm registry') && loaded.set.vars.has('manifest_url')) {
		ways.push(`sync from a mirror with --set manifest_url=<mirror or file:// URL of the manifest repository>${loaded.set.vars.has('mirror') ? ' (and --set mirror=<BASE or PREFIX=REPLACEMENT> for the projects on other hosts)' : ''}`);
	}
	if (down.some((reach) => reach.what === 'npm registry')) ways.push('point npm at a registry mirror with npm_config_registry=<URL> in the environment');
	return `  hint: the steps that download will fail; ${ways.join('; ')}`;
}

export async function run(context: CommandContext): Promise<number> {
	minFreeOption(context);
	const yes = Boolean(context.options.yes);
	if (!context.interactive && !yes && !context.json) {
		throw new UserError('setup asks questions, and there is no terminal to ask on', {
			hint: 'run it unattended with --yes, giving the choices as flags: --platform, --model, --guest-ram, --target, --workspace',
			nextSteps: ['sel4-llm setup --yes', 'sel4-llm setup --help'],
			exitCode: ExitCode.usage,
		});
	}
	const saved = Object.fromEntries(Object.entries(rememberedValues(context.workspace)).map(([name, each]) => [name, each.value]));
	let choices = choicesFromFlags(context, saved);
	if (!yes && context.interactive) {
		const accepted = await interactiveChoices(context, choices, () => defaultHostCheck(choices.workspace));
		if (!accepted) {
			const resume = resumeInfo(context, choices);
			context.io.stderr.write(quitMessage(resume ? {done: resume.done, total: resume.total, at: resume.failed} : undefined));
			return ExitCode.interrupted;
		}
		choices = accepted.choices;
		context = withVars(context, accepted.vars);
	} else {
		refuseProblems(choices);
		await refuseImpossible(choices, () => defaultHostCheck(choices.workspace));
		await warnUnreachable(context, choices);
	}
	refuseProblems(choices);
	checkWorkspace(choices.workspace);
	const lock = lockWorkspace(choices.workspace, 'setup');
	try {
		rememberValues(choices.workspace, choicesToVars(choices), 'setup');
		return await runSetup(context, choices, yes);
	} finally {
		lock.release();
	}
}

async function runSetup(context: CommandContext, choices: Choices, yes: boolean): Promise<number> {
	const runContext = contextFor(context, choices);
	for (;;) {
		const {loaded, plan} = await planAll(context, choices);
		await confirmDangerous({...runContext, options: {...runContext.options, yes: yes || context.interactive}}, plan, {waitIfSudoFails: context.interactive});
		let stop: (() => void) | undefined;
		let result: {state: RunState; signal: NodeJS.Signals | undefined};
		if (runContext.mode === 'ink' && context.interactive) {
			const [{render}, {createElement}, {RunApp}, {RunStore}] = await Promise.all([
				import('ink'),
				import('react'),
				import('../wizard/run-app.js'),
				import('../ui/run-store.js'),
			]);
			const store = new RunStore();
			// The run view stays up after the run for the next action; after a pager it is mounted again with the same state.
			const mount = () => {
				const chosen: {action: RunAction} = {action: 'done'};
				const instance = render(
					createElement(RunApp, {store, target: choices.target, onStop: () => stop?.(), onAction: (action: RunAction) => (chosen.action = action)}),
					{stdout: context.io.stderr, stdin: context.io.stdin, patchConsole: false, exitOnCtrlC: false},
				);
				return {instance, chosen};
			};
			let mounted = mount();
			result = await executePlan(runContext, loaded, plan, new Set(), {handle: (event) => store.dispatch(event), finish: async () => store.flush()}, (abort) => (stop = abort));
			if (result.signal) {
				// Stopped from outside (SIGINT, SIGTERM): no key will come, so the view goes and the terminal is restored.
				await new Promise((resolve) => setTimeout(resolve, 20));
				mounted.instance.unmount();
			}
			await mounted.instance.waitUntilExit();
			if (result.signal) return result.signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated;
			while (mounted.chosen.action === 'log') {
				openLog(context, result.state);
				mounted = mount();
				await mounted.instance.waitUntilExit();
			}
			const action = mounted.chosen.action;
			if (action === 'retry') continue;
			if (action === 'fix') {
				await applyFix(context, result.state, loaded, choices);
				continue;
			}
			if (action === 'launch') return runNested(context, choices, ['launch']);
			if (action === 'flash') return runNested(context, choices, ['flash']);
			if (action === 'quit') {
				context.io.stderr.write(quitMessage(progressOf(result.state)));
				return ExitCode.interrupted;
			}
			return result.state.finished?.ok ? ExitCode.ok : ExitCode.failed;
		}
		const reporter = await createReporter(runContext);
		result = await executePlan(runContext, loaded, plan, new Set(), reporter);
		context.events.result({...runResult(result.state), choices});
		if (result.signal) return result.signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated;
		if (!result.state.finished?.ok) return ExitCode.failed;
		if (context.mode !== 'json') context.io.stderr.write(nextSteps(choices));
		return ExitCode.ok;
	}
}

export function nextSteps(choices: Choices): string {
	return choices.target === 'qemu'
		? `\nWhat next:\n  sel4-llm launch --workspace ${choices.workspace}            boot it in QEMU with the live console\n  sel4-llm ask "your prompt" --workspace ${choices.workspace}  ask the model in the guest\n`
		: `\nWhat next:\n  sel4-llm flash --workspace ${choices.workspace}             write the bootable stick for your PC\n`;
}
