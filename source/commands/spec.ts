// What a command entry declares (its options, positionals, loader), the global options every command takes, and
// the option specs and value texts several commands share, derived from the platform table.
import {platformIds, platformRecord} from '../platforms.js';
import type {CommandContext} from './context.js';

export type OptionSpec = {
	type: 'string' | 'boolean';
	multiple?: boolean;
	short?: string;
	description: string;
	/** Allowed values for a string option; anything else is a usage error naming them. */
	values?: readonly string[];
	valueName?: string;
	/** A numeric option: the command line checks it (a usage error names the range) and `--help` shows the range. */
	number?: {min: number; max: number; integer?: boolean};
	/** The value when the option is not given; `--help` shows it. */
	default?: string | boolean | number;
};

export type CommandModule = {run(context: CommandContext): Promise<number>};

export type CliCommand = {
	name: string;
	summary: string;
	usage: string;
	description?: string;
	options: Record<string, OptionSpec>;
	examples?: string[];
	/** Positional arguments: how many at least / at most (Infinity for any). */
	positionals?: {min: number; max: number; name: string};
	/** Commands that accept the recipe options (--set, --forget, --forget-all, --recipes, --recipes-only). */
	usesRecipes?: boolean;
	load(): Promise<CommandModule>;
};

/** The global options only the recipe commands take. */
export const recipeOptionNames = ['set', 'forget', 'forget-all', 'recipes', 'recipes-only'];

export const globalOptions: Record<string, OptionSpec> = {
	workspace: {
		type: 'string',
		valueName: 'DIR',
		description: 'Workspace directory for sources, builds, logs and the journal (default: ~/sel4-llm, or $SEL4LLM_WORKSPACE)',
	},
	set: {type: 'string', multiple: true, valueName: 'NAME=VALUE', description: 'Set a recipe variable (repeatable); remembered for the workspace'},
	forget: {type: 'string', multiple: true, valueName: 'NAME', description: 'Forget the value remembered for NAME in this workspace (repeatable)'},
	'forget-all': {type: 'boolean', description: 'Forget every value remembered for this workspace'},
	json: {type: 'boolean', description: 'Machine-readable output on stdout: NDJSON events, the result event last'},
	plain: {type: 'boolean', description: 'Plain line output even on a terminal'},
	recipes: {
		type: 'string',
		multiple: true,
		valueName: 'DIR',
		description: 'Add the recipes in DIR over the built-in ones, merged by recipe id and step id (repeatable; DIR/troubleshoot.yaml adds catalogue entries)',
	},
	'recipes-only': {type: 'boolean', description: 'Use only the --recipes directories, not the built-in recipes'},
	help: {type: 'boolean', short: 'h', description: 'Show help'},
};

/** The platforms as usage text: "qemu-arm-virt|x86_64". */
export const platformChoice = platformIds.join('|');

/** Each platform's guest RAM bounds in MiB, for help text ("<platform> <min>-<max>, ..."). */
export const guestRamRanges = platformIds
	.map((id) => {
		const ram = platformRecord(id).guestRam;
		return `${id} ${ram.min}-${ram.max}`;
	})
	.join(', ');

export const minFree: OptionSpec = {
	type: 'string',
	valueName: 'SIZE',
	description: 'Pause a running step while less than SIZE is free in the workspace, continue at 1.5x SIZE (default 1G; 0: off)',
};
