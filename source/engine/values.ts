// Resolves recipe variables: --set values (validated against their type and allowed values), then saved
// choices, then defaults (which may depend on other variables). Also the built-in variables.
import {availableParallelism, homedir, userInfo} from 'node:os';
import {join, resolve} from 'node:path';
import {ExitCode, UserError} from '../errors.js';
import {isEnvReference, type RecipeSet, type Variable} from './load.js';
import {expand, referencedNames} from './vars.js';
import {camkesAppName, isPlatform, ourAppName} from '../platforms.js';

export type ResolvedValues = Map<string, string>;

/**
 * The same values with every `${env.NAME}` left as written: what fingerprints use, so that a different PATH in
 * another shell does not make finished steps look changed.
 */
const stableForms = new WeakMap<ReadonlyMap<string, string>, Map<string, string>>();

export function stableValues(values: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
	return stableForms.get(values) ?? values;
}

/** Adds `env.NAME` entries for the environment references in the templates. */
export function withEnvReferences(values: ReadonlyMap<string, string>, templates: string[], stable: boolean, env: NodeJS.ProcessEnv = process.env): ReadonlyMap<string, string> {
	const names = templates.flatMap((template) => referencedNames(template)).filter((name) => isEnvReference(name));
	if (names.length === 0) return values;
	const extended = new Map(values);
	for (const name of names) extended.set(name, stable ? `\${${name}}` : (env[name.slice(4)] ?? ''));
	return extended;
}

export function builtinValues(workspace: string, packageDir: string): ResolvedValues {
	return new Map([
		['workspace', workspace],
		['home', homedir()],
		['package_dir', packageDir],
		['state_dir', join(workspace, '.sel4-llm')],
		['nproc', String(availableParallelism())],
		['user', safeUser()],
	]);
}

function safeUser(): string {
	try {
		return userInfo().username;
	} catch {
		return process.env.USER ?? 'user';
	}
}

/** Checks one value against a variable's declaration; returns the normalised string or throws. */
export function checkValue(variable: Variable, raw: string, origin: string): string {
	const spec = variable.spec;
	const where = `${origin} ${variable.name}`;
	switch (spec.type) {
		case 'enum': {
			if (!spec.values!.includes(raw)) {
				throw new UserError(`${where}: "${raw}" is not allowed; allowed values: ${spec.values!.join(', ')}`, {
					exitCode: ExitCode.usage,
				});
			}
			return raw;
		}
		case 'int': {
			if (!/^-?\d+$/.test(raw)) throw new UserError(`${where}: "${raw}" is not a whole number`, {exitCode: ExitCode.usage});
			const value = Number(raw);
			if (spec.min !== undefined && value < spec.min) {
				throw new UserError(`${where}: ${value} is below the minimum ${spec.min}`, {exitCode: ExitCode.usage});
			}
			if (spec.max !== undefined && value > spec.max) {
				throw new UserError(`${where}: ${value} is above the maximum ${spec.max}`, {exitCode: ExitCode.usage});
			}
			return String(value);
		}
		case 'bool': {
			const lower = raw.toLowerCase();
			if (['true', 'yes', '1', 'on'].includes(lower)) return 'true';
			if (['false', 'no', '0', 'off'].includes(lower)) return 'false';
			throw new UserError(`${where}: "${raw}" is not true or false`, {exitCode: ExitCode.usage});
		}
		case 'path':
			return raw === '' ? '' : resolve(raw.replace(/^~(?=$|\/)/, homedir()));
		case 'string': {
			if (spec.values && !spec.values.includes(raw)) {
				throw new UserError(`${where}: "${raw}" is not allowed; allowed values: ${spec.values.join(', ')}`, {
					exitCode: ExitCode.usage,
				});
			}
			if (spec.pattern && !new RegExp(spec.pattern).test(raw)) {
				throw new UserError(`${where}: "${raw}" does not match ${spec.pattern}`, {exitCode: ExitCode.usage});
			}
			return raw;
		}
	}
}

/**
 * Every variable's value. `sets` are from the command line; `saved` are values remembered for the workspace (earlier
 * --set, the wizard's choices); both are validated, a saved value each time it is used, since the recipes' allowed
 * values may have changed since. A saved name no recipe declares is left alone; unknown names in `sets` are usage
 * errors naming the declared variables.
 */
export function resolveValues(
	set: RecipeSet,
	options: {workspace: string; packageDir: string; sets?: Array<[string, string]>; saved?: Record<string, string>},
): ResolvedValues {
	const values = builtinValues(options.workspace, options.packageDir);
	const given = new Map<string, string>();
	const overridden = new Set((options.sets ?? []).map(([name]) => name));
	for (const [name, raw] of Object.entries(options.saved ?? {})) {
		const variable = set.vars.get(name);
		if (!variable || overridden.has(name)) continue;
		try {
			given.set(name, checkValue(variable, raw, 'remembered value of'));
		} catch (error) {
			if (!(error instanceof UserError)) throw error;
			throw new UserError(error.message, {
				hint: `it was remembered for the workspace ${options.workspace}; give another with --set ${name}=VALUE, or clear it with --forget ${name}`,
				exitCode: ExitCode.usage,
			});
		}
	}
	for (const [name, raw] of options.sets ?? []) {
		const variable = set.vars.get(name);
		if (!variable) {
			const declared = [...set.vars.keys()].sort();
			throw new UserError(`--set ${name}: no recipe declares a variable "${name}"`, {
				hint: declared.length > 0 ? `variables: ${declared.join(', ')}` : 'the recipes declare no variables',
				nextSteps: ['sel4-llm recipes'],
				exitCode: ExitCode.usage,
			});
		}
		given.set(name, checkValue(variable, raw, '--set'));
	}
	const resolving = new Set<string>();
	const stable = new Map<string, string>();
	const resolveOne = (name: string): string => {
		const known = values.get(name);
		if (known !== undefined) return known;
		const variable = set.vars.get(name);
		if (!variable) throw new UserError(`unknown variable "${name}"`, {exitCode: ExitCode.invalidInput});
		if (resolving.has(name)) {
			throw new UserError(`the defaults of ${[...resolving].join(', ')} depend on each other`, {
				location: variable.locate(['default']),
				exitCode: ExitCode.invalidInput,
			});
		}
		resolving.add(name);
		let value = given.get(name);
		if (value === undefined) {
			const def = variable.spec.default;
			if (def === undefined) value = '';
			else if (typeof def === 'object') {
				const picked = def.values[resolveOne(def.by)];
				value = picked === undefined ? '' : String(picked);
			} else if (typeof def === 'string') {
				const refs = referencedNames(def);
				const inner = new Map(refs.filter((ref) => !isEnvReference(ref)).map((ref) => [ref, resolveOne(ref)]));
				value = expand(def, withEnvReferences(inner, [def], false));
				if (refs.some((ref) => isEnvReference(ref) || stable.has(ref))) {
					const innerStable = new Map(refs.filter((ref) => !isEnvReference(ref)).map((ref) => [ref, stable.get(ref) ?? values.get(ref)!]));
					stable.set(name, expand(def, withEnvReferences(innerStable, [def], true)));
				}
			} else value = String(def);
			if (value !== '' || variable.spec.type === 'enum') value = checkValue(variable, value, 'default of');
		}
		resolving.delete(name);
		values.set(name, value);
		return value;
	};
	for (const name of set.vars.keys()) resolveOne(name);
	const platform = values.get('platform');
	values.set('camkes_app', platform !== undefined && isPlatform(platform) ? camkesAppName(platform, values.get('app') ?? ourAppName) : (values.get('app') ?? ''));
	if (stable.size > 0) stableForms.set(values, new Map([...values].map(([name, value]) => [name, stable.get(name) ?? value])));
	return values;
}
