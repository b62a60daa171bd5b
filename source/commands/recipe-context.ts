// Shared by the recipe commands: load and validate recipes and variables, check the workspace.
import {accessSync, constants, existsSync, statSync} from 'node:fs';
import {basename, dirname, join, relative} from 'node:path';
import {ExitCode, UserError} from '../errors.js';
import {openJournal, type Journal} from '../engine/journal.js';
import {loadRecipeSet, type RecipeSet} from '../engine/load.js';
import {resolveValues, type ResolvedValues} from '../engine/values.js';
import {packageDir, type CommandContext} from './context.js';

export type Loaded = {set: RecipeSet; values: ResolvedValues};

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

/** Loads the recipes and resolves the variables (--set and saved choices); changes nothing on disk. */
export function loadForCommand(context: CommandContext, saved?: Record<string, string>): Loaded {
	const set = loadRecipes(context);
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
