// Shared by the recipe commands: load and validate recipes and variables, check the workspace.
import {accessSync, constants, existsSync, statSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {ExitCode, UserError} from '../errors.js';
import {openJournal, type Journal} from '../engine/journal.js';
import {loadRecipeSet, type RecipeSet} from '../engine/load.js';
import {resolveValues, type ResolvedValues} from '../engine/values.js';
import {packageDir, type CommandContext} from './context.js';

export type Loaded = {set: RecipeSet; values: ResolvedValues};

export function recipeSources(context: CommandContext): {dirs: string[]; catalogue?: string} {
	if (context.recipesDir) {
		const catalogue = join(context.recipesDir, 'troubleshoot.yaml');
		return {dirs: [context.recipesDir], ...(existsSync(catalogue) ? {catalogue} : {})};
	}
	const dir = join(packageDir, 'recipes');
	const catalogue = join(dir, 'troubleshoot.yaml');
	return {dirs: [dir], ...(existsSync(catalogue) ? {catalogue} : {})};
}

/** Loads the recipes and resolves the variables (--set and saved choices); changes nothing on disk. */
export function loadForCommand(context: CommandContext, saved?: Record<string, string>): Loaded {
	const sources = recipeSources(context);
	const set = loadRecipeSet(sources.dirs, {
		...(sources.catalogue ? {catalogue: sources.catalogue} : {}),
		displayRoot: context.recipesDir ? dirname(context.recipesDir) : packageDir,
	});
	const values = resolveValues(set, {workspace: context.workspace, packageDir, sets: context.sets, ...(saved ? {saved} : {})});
	return {set, values};
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
