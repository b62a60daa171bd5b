// Reads recipe files and the troubleshooting catalogue; every problem names file:line:col and the key path.
import {readdirSync, statSync} from 'node:fs';
import {basename, join, relative} from 'node:path';
import {ExitCode, InputError, UserError, UserErrors} from '../errors.js';
import {guestRamBounds, platformIds} from '../platforms.js';
import {
	CatalogueSchema,
	RecipeSchema,
	type CatalogueSpec,
	type CommandSpec,
	type RecipeSpec,
	type StepSpec,
	type TroubleshootEntry,
	type VariableSpec,
} from './schema.js';
import {referencedNames, splitWords, WordSplitError} from './vars.js';
import {findCycle, topologicalOrder} from './graph.js';
import {parseYamlFile, type Locator, type Parsed} from './yaml-file.js';

export type {Locator} from './yaml-file.js';
export {closure} from './graph.js';


export type Step = {
	/** recipe.step */
	id: string;
	name: string;
	recipe: string;
	spec: StepSpec;
	/** Resolved full ids of the steps this one needs. */
	needs: string[];
	/** Resolved full ids of the steps this one only runs after (when they are in the same run). */
	after: string[];
	locate: Locator;
};

/** layer: the index of the --recipes layer that declared it (0: the first). */
export type Variable = {name: string; spec: VariableSpec; recipe: string; layer: number; locate: Locator};

export type RecipeSet = {
	recipes: Array<{id: string; title: string; description?: string; file: string; steps: string[]}>;
	steps: Map<string, Step>;
	/** Every step in a dependency-respecting order (declaration order where free). */
	order: string[];
	vars: Map<string, Variable>;
	catalogue: TroubleshootEntry[];
};

/** `${env.NAME}`: the value of NAME in the environment sel4-llm was started with ('' when unset). */
export function isEnvReference(name: string): boolean {
	return /^env\.[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/** Variables every recipe can use without declaring them. */
/** Set by sel4-llm itself. camkes_app is CAMKES_VM_APP for app on platform (our llm_vm has a name per platform). */
export const builtinVariables = ['workspace', 'home', 'package_dir', 'state_dir', 'nproc', 'user', 'camkes_app'] as const;

/** Reads the troubleshooting catalogue. */
export function loadCatalogue(file: string, display = file): TroubleshootEntry[] {
	const parsed: Parsed<CatalogueSpec> = parseYamlFile(file, CatalogueSchema, display);
	const seen = new Map<string, number>();
	parsed.value.entries.forEach((entry, index) => {
		if (seen.has(entry.id)) {
			throw new UserError(`duplicate troubleshooting entry id "${entry.id}"`, {
				location: parsed.locate(['entries', index, 'id']),
				exitCode: ExitCode.invalidInput,
			});
		}
		seen.set(entry.id, index);
	});
	return parsed.value.entries;
}

function listRecipeFiles(dir: string): string[] {
	let stat;
	try {
		stat = statSync(dir);
	} catch {
		throw new UserError(`recipe directory ${dir} does not exist`, {exitCode: ExitCode.usage});
	}
	if (!stat.isDirectory()) return [dir];
	return readdirSync(dir)
		.filter((name) => /\.ya?ml$/.test(name) && !/^troubleshoot\.ya?ml$/.test(name))
		.sort()
		.map((name) => join(dir, name));
}

/**
 * The recipes' platform variable lists exactly the platforms of the platform table, and the guest RAM bounds are
 * the table's: a platform is added in one place, and recipes that disagree are refused when they load.
 */
function checkAgainstPlatforms(set: RecipeSet, errors: UserError[]): void {
	const platform = set.vars.get('platform');
	if (platform && platform.spec.type === 'enum' && JSON.stringify(platform.spec.values) !== JSON.stringify(platformIds)) {
		errors.push(new InputError(`the platform variable lists ${platform.spec.values!.join(', ')}; sel4-llm's platforms are ${platformIds.join(', ')}`, {location: platform.locate(['values'])}));
	}
	const ram = set.vars.get('guest_ram_mb');
	const bounds = guestRamBounds();
	if (ram && ram.spec.type === 'int' && (ram.spec.min !== bounds.min || ram.spec.max !== bounds.max)) {
		errors.push(new InputError(`guest_ram_mb is bounded ${ram.spec.min}-${ram.spec.max}; the platforms allow ${bounds.min}-${bounds.max} MiB`, {location: ram.locate(['min'])}));
	}
}

/**
 * Loads the recipes of the given layers (directories or files) into one set, checks references between them
 * (needs, variables) and orders the steps. A layer adds recipes, and a recipe whose id an earlier layer has
 * merges over it by key: its title, description and variables replace the earlier ones by name, its steps replace
 * or add steps by id, and `drop` removes steps. Throws UserErrors naming file:line:col for every problem.
 */
export function loadRecipeSet(
	sources: string[],
	options: {catalogue?: string | string[]; displayRoot?: string; display?: (file: string) => string} = {},
): RecipeSet {
	const errors: UserError[] = [];
	const display = options.display ?? ((file: string) => (options.displayRoot ? relative(options.displayRoot, file) || basename(file) : file));
	const parsed: Array<Parsed<RecipeSpec> & {file: string; layer: number}> = [];
	sources.forEach((source, layer) => {
		for (const file of listRecipeFiles(source)) {
			try {
				parsed.push({...parseYamlFile(file, RecipeSchema, display(file)), file: display(file), layer});
			} catch (error) {
				if (error instanceof UserErrors) errors.push(...error.errors);
				else if (error instanceof UserError) errors.push(error);
				else throw error;
			}
		}
	});
	if (errors.length > 0) throw new UserErrors(errors);

	const set: RecipeSet = {recipes: [], steps: new Map(), order: [], vars: new Map(), catalogue: []};
	const recipeIds = new Map<string, {file: string; layer: number}>();
	for (const {value: recipe, locate, file, layer} of parsed) {
		const earlier = recipeIds.get(recipe.id);
		if (earlier && earlier.layer === layer) {
			errors.push(
				new UserError(`recipe id "${recipe.id}" is also used by ${earlier.file}`, {
					location: locate(['id']),
					exitCode: ExitCode.invalidInput,
				}),
			);
			continue;
		}
		recipeIds.set(recipe.id, {file, layer});
		let entry = set.recipes.find((each) => each.id === recipe.id);
		if (entry) {
			entry.title = recipe.title;
			if (recipe.description) entry.description = recipe.description;
			entry.file = `${entry.file} + ${file}`;
		} else {
			entry = {id: recipe.id, title: recipe.title, ...(recipe.description ? {description: recipe.description} : {}), file, steps: []};
			set.recipes.push(entry);
		}
		(recipe.drop ?? []).forEach((name, index) => {
			const id = `${recipe.id}.${name}`;
			if (!earlier || !set.steps.has(id) || recipe.steps[name]) {
				errors.push(
					new UserError(
						recipe.steps[name]
							? `step "${name}" is both dropped and defined`
							: `cannot drop step "${name}": no earlier recipe "${recipe.id}" has it${entry.steps.length > 0 ? ` (it has ${entry.steps.map((each) => each.slice(recipe.id.length + 1)).join(', ')})` : ''}`,
						{location: locate(['drop', index]), exitCode: ExitCode.invalidInput},
					),
				);
				return;
			}
			set.steps.delete(id);
			entry.steps = entry.steps.filter((each) => each !== id);
		});
		for (const [name, spec] of Object.entries(recipe.vars ?? {})) {
			const existing = set.vars.get(name);
			if ((builtinVariables as readonly string[]).includes(name)) {
				errors.push(
					new UserError(`variable "${name}" is built in and cannot be declared`, {
						location: locate(['vars', name]),
						exitCode: ExitCode.invalidInput,
					}),
				);
			} else if (existing && existing.layer === layer && JSON.stringify(existing.spec) !== JSON.stringify(spec)) {
				errors.push(
					new UserError(`variable "${name}" is declared differently in recipe "${existing.recipe}"`, {
						location: locate(['vars', name]),
						exitCode: ExitCode.invalidInput,
					}),
				);
			} else if (!existing || existing.layer !== layer) {
				set.vars.set(name, {name, spec, recipe: recipe.id, layer, locate: (path) => locate(['vars', name, ...path])});
			}
		}
		for (const [name, spec] of Object.entries(recipe.steps)) {
			const id = `${recipe.id}.${name}`;
			if (!entry.steps.includes(id)) entry.steps.push(id);
			set.steps.set(id, {id, name, recipe: recipe.id, spec, needs: [], after: [], locate: (path) => locate(['steps', name, ...path])});
		}
	}
	if (errors.length > 0) throw new UserErrors(errors);

	for (const step of set.steps.values()) {
		for (const field of ['needs', 'after'] as const) {
			(step.spec[field] ?? []).forEach((need, index) => {
				const resolved = resolveStepName(set, need, step.recipe);
				if (resolved.length === 1) step[field].push(resolved[0]!);
				else {
					errors.push(
						new UserError(
							resolved.length === 0
								? `step "${step.id}" ${field === 'needs' ? 'needs' : 'runs after'} "${need}", which does not exist`
								: `step "${step.id}" ${field === 'needs' ? 'needs' : 'runs after'} "${need}", which is ambiguous (${resolved.join(', ')}); write recipe.step`,
							{location: step.locate([field, index]), exitCode: ExitCode.invalidInput},
						),
					);
				}
			});
		}
		checkTemplates(set, step, errors);
	}
	for (const variable of set.vars.values()) checkVariable(set, variable, errors);
	checkAgainstPlatforms(set, errors);
	if (errors.length > 0) throw new UserErrors(errors);

	const cycle = findCycle(set);
	if (cycle) {
		const first = set.steps.get(cycle[0]!)!;
		throw new UserError(`"needs"/"after" form a cycle: ${cycle.join(' -> ')}`, {
			location: first.locate(['needs']),
			exitCode: ExitCode.invalidInput,
		});
	}
	set.order = topologicalOrder(set);
	// Catalogue layers merge by entry id: a later entry replaces an earlier one with its id, new ones are added.
	for (const file of typeof options.catalogue === 'string' ? [options.catalogue] : (options.catalogue ?? [])) {
		for (const entry of loadCatalogue(file, display(file))) {
			const index = set.catalogue.findIndex((each) => each.id === entry.id);
			if (index >= 0) set.catalogue[index] = entry;
			else set.catalogue.push(entry);
		}
	}
	return set;
}

/** Resolves a step name on the command line or in `needs`: recipe.step, or a step name unique in the set. */
export function resolveStepName(set: RecipeSet, name: string, preferRecipe?: string): string[] {
	if (set.steps.has(name)) return [name];
	if (preferRecipe && set.steps.has(`${preferRecipe}.${name}`)) return [`${preferRecipe}.${name}`];
	return [...set.steps.values()].filter((step) => step.name === name).map((step) => step.id);
}

function commandTemplates(command: CommandSpec): Array<{text: string; path: (string | number)[]; split: boolean}> {
	if (typeof command === 'string') return [{text: command, path: [], split: true}];
	if (Array.isArray(command)) return command.map((text, index) => ({text, path: [index], split: false}));
	if ('argv' in command) return command.argv.map((text, index) => ({text, path: ['argv', index], split: false}));
	return []; // shell scripts see variables through the environment
}

export function commandList(list: StepSpec['run'] | undefined): CommandSpec[] {
	if (list === undefined) return [];
	return typeof list === 'string' ? [list] : list;
}

function checkTemplates(set: RecipeSet, step: Step, errors: UserError[]): void {
	const known = (name: string) =>
		set.vars.has(name) || (builtinVariables as readonly string[]).includes(name) || isEnvReference(name);
	const check = (text: string, path: (string | number)[]) => {
		for (const name of referencedNames(text)) {
			if (!known(name)) {
				const declared = [...builtinVariables, ...set.vars.keys()].join(', ');
				errors.push(
					new UserError(`unknown variable \${${name}} in step "${step.id}"`, {
						location: step.locate(path),
						hint: `declared variables: ${declared}`,
						exitCode: ExitCode.invalidInput,
					}),
				);
			}
		}
	};
	const spec = step.spec;
	if (spec.cwd) check(spec.cwd, ['cwd']);
	for (const [key, value] of Object.entries(spec.env ?? {})) check(String(value), ['env', key]);
	for (const field of ['run', 'status', 'defer'] as const) {
		const raw = spec[field];
		commandList(raw).forEach((command, index) => {
			const base: (string | number)[] = typeof raw === 'string' ? [field] : [field, index];
			for (const template of commandTemplates(command)) {
				check(template.text, [...base, ...template.path]);
				if (template.split) {
					try {
						splitWords(template.text);
					} catch (error) {
						if (!(error instanceof WordSplitError)) throw error;
						errors.push(
							new UserError(`cannot split command "${template.text}": ${error.message}`, {
								location: step.locate(base),
								exitCode: ExitCode.invalidInput,
							}),
						);
					}
				}
			}
		});
	}
	(spec.preconditions ?? []).forEach((pre, index) => {
		if (pre.exists) check(pre.exists, ['preconditions', index, 'exists']);
		if (pre.run) for (const template of commandTemplates(pre.run)) check(template.text, ['preconditions', index, 'run', ...template.path]);
	});
	for (const field of ['sources', 'generates'] as const) {
		(spec[field] ?? []).forEach((glob, index) => check(glob, [field, index]));
	}
	for (const [name, path] of Object.entries(spec.artifacts ?? {})) check(path, ['artifacts', name]);
	for (const name of Object.keys(spec.if ?? {})) {
		if (!set.vars.has(name) && !(builtinVariables as readonly string[]).includes(name)) {
			errors.push(
				new UserError(`unknown variable "${name}" in the "if" of step "${step.id}"`, {
					location: step.locate(['if', name]),
					exitCode: ExitCode.invalidInput,
				}),
			);
		}
	}
}

function checkVariable(set: RecipeSet, variable: Variable, errors: UserError[]): void {
	const spec = variable.spec;
	const fail = (message: string, path: (string | number)[]) =>
		errors.push(new UserError(message, {location: variable.locate(path), exitCode: ExitCode.invalidInput}));
	const def = spec.default;
	if (def !== undefined && typeof def === 'object') {
		const by = set.vars.get(def.by);
		if (!by) fail(`the default of "${variable.name}" depends on unknown variable "${def.by}"`, ['default', 'by']);
		else if (by.spec.values) {
			for (const key of Object.keys(def.values)) {
				if (!by.spec.values.includes(key)) fail(`"${key}" is not a value of "${def.by}" (${by.spec.values.join(', ')})`, ['default', 'values', key]);
			}
		}
	} else if (typeof def === 'string') {
		for (const name of referencedNames(def)) {
			if (!set.vars.has(name) && !(builtinVariables as readonly string[]).includes(name) && !isEnvReference(name)) {
				fail(`unknown variable \${${name}} in the default of "${variable.name}"`, ['default']);
			}
		}
	}
}
