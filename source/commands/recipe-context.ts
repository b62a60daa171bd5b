// Shared by the recipe commands: load and validate recipes and variables, check the workspace.
import {accessSync, constants, existsSync, statSync} from 'node:fs';
import {basename, dirname, join, relative} from 'node:path';
import {ExitCode, UserError} from '../errors.js';
import {openJournal, type Journal} from '../engine/journal.js';
import {loadRecipeSet, type RecipeSet} from '../engine/load.js';
import {resolveValues, type ResolvedValues} from '../engine/values.js';
import {rememberedFor, setRemembered, type Remembered, type RememberedValue} from '../system/remembered.js';
import {packageDir, type CommandContext} from './context.js';

/** Where a variable's value came from. */
export type ValueOrigin =
	| {kind: 'set'}
	| {kind: 'remembered'; from: RememberedValue['from']; at: string}
	/** The setup wizard's current choice (remembered once the plan is accepted). */
	| {kind: 'choice'}
	| {kind: 'default'};

export type Loaded = {
	set: RecipeSet;
	values: ResolvedValues;
	/** Where each declared variable's value came from. */
	origins: Map<string, ValueOrigin>;
	/** Values remembered for the workspace that no loaded recipe declares (left alone, not used). */
	unused: Array<{name: string} & RememberedValue>;
};

/** The recipe layers and their troubleshooting catalogues (each layer's troubleshoot.yaml, when it has one). */
export function recipeSources(context: CommandContext): {dirs: string[]; catalogues: string[]} {
	const catalogues = context.recipeLayers.map((dir) => join(dir, 'troubleshoot.yaml')).filter((file) => existsSync(file));
	return {dirs: context.recipeLayers, catalogues};
}

/** Names a recipe file relative to its layer's parent folder (the package for the built-in recipes). */
function displayName(context: CommandContext): (file: string) => string {
	return (file) => {
		const layer = [...context.recipeLayers].reverse().find((dir) => file === dir || file.startsWith(`${dir}/`));
		return relative(layer ? dirname(layer) : packageDir, file) || basename(file);
	};
}

/** Loads the recipes (every layer) and their catalogues, nothing else. */
export function loadRecipes(context: CommandContext): RecipeSet {
	const sources = recipeSources(context);
	return loadRecipeSet(sources.dirs, {catalogue: sources.catalogues, display: displayName(context)});
}

/**
 * The values remembered for a workspace: what conf keeps for it, else (a workspace set up before values were kept
 * there) the setup choices its journal holds.
 */
export function rememberedValues(workspace: string): Remembered {
	const kept = rememberedFor(workspace);
	if (kept) return kept;
	let legacy: Record<string, string> = {};
	try {
		legacy = readJournal(workspace).choices();
	} catch {
		// a bad journal is reported by the commands that read its steps
	}
	return Object.fromEntries(Object.entries(legacy).map(([name, value]) => [name, {value, from: 'setup' as const, at: ''}]));
}

/** Remembers values for a workspace (a value given again keeps the time it was first given). */
export function rememberValues(workspace: string, values: Record<string, string>, from: RememberedValue['from']): void {
	const current = rememberedValues(workspace);
	const now = new Date().toISOString();
	// Choices carried over from the journal have no time of their own: they are remembered from now on.
	const next = Object.fromEntries(Object.entries(current).map(([name, each]) => [name, each.at === '' ? {...each, at: now} : each]));
	for (const [name, value] of Object.entries(values)) {
		next[name] = next[name]?.value === value && next[name]!.from === from ? next[name]! : {value, from, at: now};
	}
	if (rememberedFor(workspace) !== undefined && JSON.stringify(next) === JSON.stringify(current)) return;
	setRemembered(workspace, next);
}

/** --forget NAME... and --forget-all: clears remembered values of the workspace, and says what was cleared. */
export function forgetValues(context: CommandContext): void {
	const names = Array.isArray(context.options.forget) ? context.options.forget : [];
	const current = rememberedValues(context.workspace);
	const all = Boolean(context.options['forget-all']);
	const gone = all ? Object.keys(current) : names.filter((name) => name in current);
	const next = all ? {} : Object.fromEntries(Object.entries(current).filter(([name]) => !names.includes(name)));
	setRemembered(context.workspace, next);
	if (context.json) return;
	const lines = gone.map((name) => `sel4-llm: forgot ${name}=${current[name]!.value} for ${context.workspace}`);
	for (const name of all ? [] : names.filter((each) => !(each in current))) lines.push(`sel4-llm: nothing is remembered as ${name} for ${context.workspace}`);
	if (all && gone.length === 0) lines.push(`sel4-llm: nothing is remembered for ${context.workspace}`);
	context.io.stderr.write(`${lines.join('\n')}\n`);
}

/**
 * Loads the recipes and resolves the variables: --set, then the setup wizard's current `choices` (setup only), then
 * the values remembered for the workspace, then the defaults. Once they are valid, the --set values are remembered
 * for the workspace (unless `remember` is false), so a plain re-run uses them.
 */
export function loadForCommand(context: CommandContext, options: {choices?: Record<string, string>; remember?: boolean} = {}): Loaded {
	const set = loadRecipes(context);
	const remembered = rememberedValues(context.workspace);
	const saved = {...Object.fromEntries(Object.entries(remembered).map(([name, each]) => [name, each.value])), ...options.choices};
	const values = resolveValues(set, {workspace: context.workspace, packageDir, sets: context.sets, saved});
	const given = new Set(context.sets.map(([name]) => name));
	const origins = new Map<string, ValueOrigin>();
	for (const name of set.vars.keys()) {
		const kept = remembered[name];
		origins.set(
			name,
			given.has(name) ? {kind: 'set'} : options.choices && name in options.choices ? {kind: 'choice'} : kept ? {kind: 'remembered', from: kept.from, at: kept.at} : {kind: 'default'},
		);
	}
	const unused = Object.entries(remembered)
		.filter(([name]) => !set.vars.has(name))
		.map(([name, each]) => ({name, ...each}));
	if (options.remember !== false && context.sets.length > 0) {
		try {
			rememberValues(context.workspace, Object.fromEntries([...given].map((name) => [name, values.get(name)!])), 'set');
		} catch (error) {
			context.io.stderr.write(`sel4-llm: note: the --set values are used but could not be remembered: ${(error as Error).message}\n`);
		}
	}
	return {set, values, origins, unused};
}

/** How a value came to be, for `plan` and `recipes`; undefined for a default. */
export function originNote(name: string, origin: ValueOrigin): string | undefined {
	switch (origin.kind) {
		case 'set':
			return `--set; remembered for this workspace`;
		case 'remembered':
			return `${origin.from === 'setup' ? 'chosen in setup, ' : ''}remembered for this workspace; --forget ${name} to clear`;
		case 'choice':
			return 'chosen in setup';
		case 'default':
			return undefined;
	}
}

/** The values that are not defaults, each with where it came from, and the remembered ones no recipe here uses. */
export function valueSources(loaded: Loaded): Array<{name: string; value: string; source: 'set' | 'remembered' | 'setup'; rememberedAt?: string; used: boolean; note: string}> {
	const rows: ReturnType<typeof valueSources> = [];
	for (const [name, origin] of loaded.origins) {
		const note = originNote(name, origin);
		if (!note || origin.kind === 'default') continue;
		const source = origin.kind === 'remembered' ? (origin.from === 'setup' ? 'setup' : 'remembered') : origin.kind === 'choice' ? 'setup' : 'set';
		rows.push({name, value: loaded.values.get(name) ?? '', source, ...(origin.kind === 'remembered' && origin.at ? {rememberedAt: origin.at} : {}), used: true, note});
	}
	for (const each of loaded.unused) {
		rows.push({name: each.name, value: each.value, source: each.from === 'setup' ? 'setup' : 'remembered', ...(each.at ? {rememberedAt: each.at} : {}), used: false, note: `remembered for this workspace, but no recipe here declares it; --forget ${each.name} to clear`});
	}
	return rows;
}

/** Refuses a workspace that is a file or cannot be written, before anything is created. */
export function checkWorkspace(workspace: string): void {
	let probe = workspace;
	while (!existsSync(probe)) {
		const parent = dirname(probe);
		if (parent === probe) break;
		probe = parent;
	}
	const stat = statSync(probe);
	if (probe === workspace && !stat.isDirectory()) {
		throw new UserError(`the workspace ${workspace} is a file, not a directory`, {
			hint: 'choose another directory with --workspace DIR',
			exitCode: ExitCode.refused,
		});
	}
	if (!stat.isDirectory()) {
		throw new UserError(`the workspace ${workspace} cannot be created: ${probe} is a file`, {
			hint: 'choose another directory with --workspace DIR',
			exitCode: ExitCode.refused,
		});
	}
	try {
		accessSync(probe, constants.W_OK | constants.X_OK);
	} catch {
		throw new UserError(`the workspace ${workspace} is not writable${probe === workspace ? '' : ` (${probe} is not writable)`}`, {
			hint: 'choose a directory you own with --workspace DIR',
			exitCode: ExitCode.refused,
		});
	}
}

export function readJournal(workspace: string): Journal {
	return openJournal(workspace, {create: false});
}
