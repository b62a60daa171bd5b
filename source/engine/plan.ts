// Decides, for every step in order, whether it runs or is skipped, and why. The same decision is used by
// `plan` (dry run) and by the runner (which re-decides a step after the steps it needs have run).
import {existsSync, mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {isAbsolute, join, resolve} from 'node:path';
import {ExitCode, UserError} from '../errors.js';
import {closure, commandList, resolveStepName, type RecipeSet, type Step} from './load.js';
import type {Journal} from './journal.js';
import {resolveCommand, succeeds, type ResolvedCommand} from './exec.js';
import {digestOf, glob, globsDigest} from './fingerprint.js';
import type {Capability} from './schema.js';
import {expand} from './vars.js';
import {suggestions} from '../system/suggest.js';
import {stableValues, withEnvReferences} from './values.js';

export type Decision = {action: 'run' | 'skip'; reason: string; kind: 'condition' | 'status' | 'unchanged' | 'forced' | 'new' | 'changed' | 'upstream' | 'failed-before' | 'status-failed' | 'outputs-missing'};

export type PreparedStep = {
	step: Step;
	/** The commands, env and cwd with `${env.NAME}` left as written, for the fingerprint. */
	stable: {commands: string[]; env: Record<string, string>; cwd: string};
	id: string;
	title: string;
	description?: string;
	cwd: string;
	env: Record<string, string>;
	commands: ResolvedCommand[];
	status: ResolvedCommand[];
	defer: ResolvedCommand[];
	capabilities: Capability[];
	artifacts: Record<string, string>;
	generates: string[];
	sources: string[];
	timeoutMs?: number;
	estimate?: {minutes?: number; disk_mb?: number};
};

export type PlannedStep = PreparedStep & {decision: Decision; fingerprint: string};

/** Expands a step's templates with the values. */
export function prepareStep(step: Step, given: ReadonlyMap<string, string>): PreparedStep {
	const templates = [JSON.stringify(step.spec)];
	const values = withEnvReferences(given, templates, false);
	const stableMap = withEnvReferences(stableValues(given), templates, true);
	const spec = step.spec;
	const workspace = values.get('workspace')!;
	const cwdRaw = spec.cwd ? expand(spec.cwd, values) : workspace;
	const cwd = isAbsolute(cwdRaw) ? cwdRaw : resolve(workspace, cwdRaw);
	const env: Record<string, string> = {};
	for (const [key, value] of Object.entries(spec.env ?? {})) env[key] = expand(String(value), values);
	const artifacts: Record<string, string> = {};
	for (const [name, path] of Object.entries(spec.artifacts ?? {})) artifacts[name] = resolve(cwd, expand(path, values));
	const resolveAll = (list: typeof spec.run | undefined) => commandList(list).map((command) => resolveCommand(command, values));
	const stableEnv: Record<string, string> = {};
	for (const [key, value] of Object.entries(spec.env ?? {})) stableEnv[key] = expand(String(value), stableMap);
	return {
		step,
		stable: {
			commands: commandList(spec.run).map((command) => resolveCommand(command, stableMap).display),
			env: stableEnv,
			cwd: spec.cwd ? expand(spec.cwd, stableMap) : workspace,
		},
		id: step.id,
		title: spec.title,
		...(spec.description ? {description: spec.description} : {}),
		cwd,
		env,
		commands: resolveAll(spec.run),
		status: resolveAll(spec.status),
		defer: resolveAll(spec.defer),
		capabilities: [...(spec.capabilities ?? [])],
		artifacts,
		generates: (spec.generates ?? []).map((glob) => expand(glob, values)),
		sources: (spec.sources ?? []).map((glob) => expand(glob, values)),
		...(spec.timeout ? {timeoutMs: spec.timeout * 1000} : {}),
		...(spec.estimate ? {estimate: spec.estimate} : {}),
	};
}

/** The environment a step's processes get: ours, the step's env, and (for shell scripts) the variables. */
export function processEnv(prepared: PreparedStep, values: ReadonlyMap<string, string>, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
	for (const [key, value] of values) env[key] = value;
	env.SEL4LLM_WORKSPACE = values.get('workspace')!;
	env.SEL4LLM_STEP = prepared.id;
	Object.assign(env, prepared.env);
	return env;
}

export function conditionHolds(step: Step, values: ReadonlyMap<string, string>): {holds: boolean; reason: string} {
	for (const [name, wanted] of Object.entries(step.spec.if ?? {})) {
		const allowed = (Array.isArray(wanted) ? wanted : [wanted]).map(String);
		const actual = values.get(name) ?? '';
		if (!allowed.includes(actual)) {
			return {holds: false, reason: `${name} is ${actual === '' ? 'empty' : `"${actual}"`} (runs only for ${allowed.join(' or ') || 'empty'})`};
		}
	}
	return {holds: true, reason: ''};
}

export function fingerprintOf(prepared: PreparedStep, journal: Journal, values: ReadonlyMap<string, string>): string {
	const upstream: Record<string, string> = {};
	for (const need of prepared.step.needs) upstream[need] = journal.get(need)?.outputs ?? 'none';
	// Shell scripts see the variables through their environment: the ones a script names are inputs.
	const shellNames = new Set<string>();
	for (const command of [...prepared.commands, ...prepared.status]) {
		if (command.kind !== 'sh') continue;
		for (const match of command.script.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) if (values.has(match[1]!)) shellNames.add(match[1]!);
	}
	const stable = stableValues(values);
	return digestOf({
		...(shellNames.size > 0 ? {values: [...shellNames].sort().map((name) => [name, stable.get(name)])} : {}),
		commands: prepared.stable.commands,
		cwd: prepared.stable.cwd,
		env: prepared.stable.env,
		sources: prepared.sources.length > 0 ? globsDigest(prepared.sources, prepared.cwd).digest : '',
		upstream,
	});
}

/** Digest of a step's outputs: its generated files, or (without any) this particular run. */
export function outputsDigest(prepared: PreparedStep, fingerprint: string, finishedAt: string): string {
	if (prepared.generates.length > 0) return globsDigest(prepared.generates, prepared.cwd).digest;
	return digestOf({fingerprint, finishedAt});
}

let emptyDir: string | undefined;

/** Where status checks run when the step's directory does not exist yet: an empty directory, so nothing matches by accident. */
function statusCwd(cwd: string): string {
	if (existsSync(cwd)) return cwd;
	emptyDir ??= mkdtempSync(join(tmpdir(), 'sel4-llm-status-'));
	return emptyDir;
}

/** A status check as one short line: its first line, cut at 60 characters (a shell script can be many lines long). */
function statusName(command: ResolvedCommand): string {
	const first = command.display.split('\n')[0]!;
	return first.length > 60 || first !== command.display ? `${first.slice(0, 57).trimEnd()}…` : first;
}

async function statusHolds(prepared: PreparedStep, env: Record<string, string>): Promise<{ok: boolean; failed?: string}> {
	for (const command of prepared.status) {
		const result = await succeeds(command, {cwd: statusCwd(prepared.cwd), env, timeoutMs: 60_000});
		if (!result.ok) return {ok: false, failed: `${statusName(command)} exited ${result.exitCode ?? 'abnormally'}${result.lastLine ? ` (${result.lastLine})` : ''}`};
	}
	return {ok: true};
}

export type DecideContext = {
	journal: Journal;
	values: ReadonlyMap<string, string>;
	force: boolean;
	/** Steps that run (or ran) earlier in this run. */
	changed: ReadonlySet<string>;
	baseEnv?: NodeJS.ProcessEnv;
};

export async function decide(prepared: PreparedStep, context: DecideContext): Promise<{decision: Decision; fingerprint: string}> {
	const step = prepared.step;
	const condition = conditionHolds(step, context.values);
	const fingerprint = fingerprintOf(prepared, context.journal, context.values);
	if (!condition.holds) return {decision: {action: 'skip', kind: 'condition', reason: `not needed: ${condition.reason}`}, fingerprint};
	if (context.force) return {decision: {action: 'run', kind: 'forced', reason: 'forced (--force)'}, fingerprint};
	const changedUpstream = step.needs.filter((need) => context.changed.has(need));
	const record = context.journal.get(step.id);
	const hasStatus = prepared.status.length > 0;
	const tracksFiles = prepared.sources.length > 0 || prepared.generates.length > 0;
	if (hasStatus) {
		const status = await statusHolds(prepared, processEnv(prepared, context.values, context.baseEnv));
		if (!status.ok) return {decision: {action: 'run', kind: 'status-failed', reason: `status check: ${status.failed}`}, fingerprint};
		if (!tracksFiles) return {decision: {action: 'skip', kind: 'status', reason: 'up to date (status check holds)'}, fingerprint};
	}
	if (changedUpstream.length > 0) {
		return {decision: {action: 'run', kind: 'upstream', reason: `needs ${changedUpstream.join(', ')}, which ${changedUpstream.length > 1 ? 'run' : 'runs'} first`}, fingerprint};
	}
	if (!record) return {decision: {action: 'run', kind: 'new', reason: 'never run in this workspace'}, fingerprint};
	if (record.state !== 'done') {
		const what = record.state === 'running' ? 'did not finish (sel4-llm was stopped)' : record.state === 'interrupted' ? 'was interrupted' : 'failed';
		return {decision: {action: 'run', kind: 'failed-before', reason: `last run ${what}`}, fingerprint};
	}
	if (record.fingerprint !== fingerprint) return {decision: {action: 'run', kind: 'changed', reason: 'inputs changed since the last run'}, fingerprint};
	const missing = prepared.generates.find((pattern) => glob(pattern, prepared.cwd).length === 0);
	if (missing) return {decision: {action: 'run', kind: 'outputs-missing', reason: `outputs missing: ${missing}`}, fingerprint};
	return {decision: {action: 'skip', kind: 'unchanged', reason: `unchanged since ${record.finishedAt ?? 'the last run'}`}, fingerprint};
}

/** "did you mean ...?" for a step or recipe name that does not exist. */
function didYouMean(word: string, names: string[]): string | undefined {
	const near = suggestions(word, names);
	return near.length > 0 ? `did you mean ${near.map((name) => `"${name}"`).join(' or ')}?` : undefined;
}

/** Resolves command-line targets (step names, recipe.step or recipe ids) to full step ids. */
export function resolveTargets(set: RecipeSet, targets: string[]): string[] {
	if (targets.length === 0) return [...set.order];
	const ids: string[] = [];
	for (const target of targets) {
		const recipe = set.recipes.find((each) => each.id === target);
		if (recipe) {
			ids.push(...recipe.steps);
			continue;
		}
		const matches = resolveStepName(set, target);
		if (matches.length === 1) ids.push(matches[0]!);
		else {
			const names = [...set.recipes.map((each) => each.id), ...set.steps.keys()];
			throw new UserError(
				matches.length === 0 ? `unknown step or recipe "${target}"` : `"${target}" is ambiguous: ${matches.join(', ')}`,
				{
					hint: matches.length > 0 ? 'name it as recipe.step' : didYouMean(target, names) ?? `recipes: ${set.recipes.filter((each) => each.steps.length > 0).map((each) => each.id).join(', ')}`,
					nextSteps: ['sel4-llm recipes  (every step)'],
					exitCode: ExitCode.usage,
				},
			);
		}
	}
	return ids;
}

export type PlanOptions = {
	journal: Journal;
	values: ReadonlyMap<string, string>;
	/** true: force every target; a set: force these step ids. */
	force: boolean | ReadonlySet<string>;
	/** Only the targets, not the steps they need (`--only`: a fix that runs one step again). */
	only?: boolean;
	baseEnv?: NodeJS.ProcessEnv;
};

/**
 * Every step needed for the targets (only the targets with `only`), in order, with its decision (assuming each run
 * step changes its outputs).
 */
export async function planSteps(set: RecipeSet, targetIds: string[], options: PlanOptions): Promise<PlannedStep[]> {
	const ids = options.only ? set.order.filter((id) => targetIds.includes(id)) : closure(set, targetIds, (step) => conditionHolds(step, options.values).holds);
	const forced = (id: string) => (options.force === true ? targetIds.includes(id) : options.force !== false && options.force.has(id));
	const changed = new Set<string>();
	const planned: PlannedStep[] = [];
	for (const id of ids) {
		const prepared = prepareStep(set.steps.get(id)!, options.values);
		const {decision, fingerprint} = await decide(prepared, {
			journal: options.journal,
			values: options.values,
			force: forced(id),
			changed,
			...(options.baseEnv ? {baseEnv: options.baseEnv} : {}),
		});
		if (decision.action === 'run') changed.add(id);
		planned.push({...prepared, decision, fingerprint});
	}
	return planned;
}
