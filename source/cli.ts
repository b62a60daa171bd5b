#!/usr/bin/env node
// argv -> command. Picks the reporter mode, owns the exit code, and turns errors into messages.
import {readFileSync, realpathSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs, type ParseArgsConfig} from 'node:util';
import {chooseMode, defaultWorkspace, packageDir, type CommandContext} from './commands/context.js';
import {commandHelp, mainHelp} from './commands/help.js';
import {commands, findCommand} from './commands/registry.js';
import {globalOptions, recipeOptionNames, type CliCommand, type OptionSpec} from './commands/spec.js';
import {describeError, ExitCode, formatError, UsageError, UserError} from './errors.js';
import {createEventStream, type FinishingStream} from './reporters/stream.js';
import {closest} from './system/suggest.js';
import {colourWanted} from './system/colour.js';
import {exitCodeForStop, finalExitCode, installStopHandlers, stopReason} from './system/interrupt.js';

function version(): string {
	return (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {version: string}).version;
}


/** What is wrong with a numeric option's value, or undefined. */
function numberProblem(name: string, spec: OptionSpec, text: string): string | undefined {
	if (!spec.number) return undefined;
	const {min, max, integer} = spec.number;
	const value = Number(text);
	const fits = text.trim() !== '' && Number.isFinite(value) && (!integer || Number.isInteger(value)) && value >= min && value <= max;
	return fits ? undefined : `--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max} (got "${text}")`;
}

export function parseCommandLine(argv: string[]): {command: CliCommand | undefined; values: Record<string, unknown>; positionals: string[]} {
	const takesValue = (arg: string) => {
		const name = arg.replace(/^-+/, '');
		const spec = globalOptions[name] ?? commands.flatMap((each) => Object.entries(each.options)).find(([key]) => key === name)?.[1];
		return arg.startsWith('--') && !arg.includes('=') && spec?.type === 'string';
	};
	let firstPositional = -1;
	for (let index = 0; index < argv.length; index++) {
		const arg = argv[index]!;
		if (arg === '--') break;
		if (!arg.startsWith('-')) {
			firstPositional = index;
			break;
		}
		if (takesValue(arg)) index++;
	}
	const name = firstPositional === -1 ? undefined : argv[firstPositional];
	let command: CliCommand | undefined;
	let rest = argv;
	if (name !== undefined) {
		command = findCommand(name);
		if (!command) {
			const suggestion = closest(name, commands.map((each) => each.name));
			throw new UserError(`unknown command "${name}"`, {
				hint: suggestion ? `did you mean "${suggestion}"?` : `commands: ${commands.map((each) => each.name).join(', ')}`,
				nextSteps: ['sel4-llm --help'],
			});
		}
		rest = [...argv.slice(0, firstPositional), ...argv.slice(firstPositional + 1)];
	}
	const specs: Record<string, OptionSpec> = {
		...globalOptions,
		version: {type: 'boolean', description: 'Print the version'},
		...(command?.options ?? {}),
	};
	const config: ParseArgsConfig['options'] = {};
	for (const [key, spec] of Object.entries(specs)) {
		config[key] = {type: spec.type, ...(spec.multiple ? {multiple: true} : {}), ...(spec.short ? {short: spec.short} : {})};
	}
	let parsed;
	try {
		parsed = parseArgs({args: rest, options: config, allowPositionals: true, strict: true});
	} catch (error) {
		const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
		const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
		if (unknown) {
			const suggestion = closest(unknown.replace(/^-+/, ''), Object.keys(specs));
			throw new UserError(`unknown option ${unknown}${command ? ` for "${command.name}"` : ''}`, {
				hint: suggestion ? `did you mean --${suggestion}?` : `options: ${Object.keys(specs).map((key) => `--${key}`).join(', ')}`,
				nextSteps: [`sel4-llm ${command ? `${command.name} ` : ''}--help`],
			});
		}
		const needsValue = /Option '(-{1,2}[^' ]+)[^']*' argument (?:is ambiguous|missing)/.exec(message)?.[1];
		if (needsValue) {
			const name = needsValue.replace(/^-+/, '');
			const spec = specs[name] ?? Object.values(specs).find((each) => each.short === name);
			throw new UsageError(`${needsValue} needs a value${spec?.valueName ? ` (${spec.valueName})` : ''}`, {
				hint: `write it as ${needsValue}=VALUE when the value starts with "-"`,
				nextSteps: [`sel4-llm ${command ? `${command.name} ` : ''}--help`],
			});
		}
		throw new UsageError(message.split('\n')[0]!, {nextSteps: [`sel4-llm ${command ? `${command.name} ` : ''}--help`]});
	}
	for (const [key, spec] of Object.entries(specs)) {
		const value = (parsed.values as Record<string, unknown>)[key];
		if (spec.values && typeof value === 'string' && !spec.values.includes(value)) {
			throw new UserError(`--${key} must be one of: ${spec.values.join(', ')} (got "${value}")`);
		}
		const problem = typeof value === 'string' ? numberProblem(key, spec, value) : undefined;
		if (problem) throw new UsageError(problem, {nextSteps: [`sel4-llm ${command ? `${command.name} ` : ''}--help`]});
	}
	return {command, values: parsed.values as Record<string, unknown>, positionals: parsed.positionals};
}

/** The built-in recipes, then each --recipes DIR in order (only the DIRs with --recipes-only). */
function recipeLayers(dirs: unknown, only: boolean): string[] {
	const given = (Array.isArray(dirs) ? dirs : typeof dirs === 'string' ? [dirs] : []).map((dir) => resolve(String(dir)));
	if (only && given.length === 0) throw new UserError('--recipes-only needs at least one --recipes DIR', {hint: 'sel4-llm plan --recipes-only --recipes ./my-recipes'});
	return only ? given : [join(packageDir, 'recipes'), ...given];
}

function parseSets(values: unknown): Array<[string, string]> {
	const list = Array.isArray(values) ? (values as string[]) : [];
	return list.map((entry) => {
		const equals = entry.indexOf('=');
		if (equals <= 0) {
			throw new UserError(`--set needs name=value (got "${entry}")`, {hint: 'for example --set platform=x86_64'});
		}
		return [entry.slice(0, equals), entry.slice(equals + 1)];
	});
}

type StandardIo = {stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream; stdin: NodeJS.ReadStream};

/**
 * Runs one command line. With --json, the last line on stdout is the result event, whether the command returned an
 * exit code or threw (the error's text still goes to stderr, from the top-level handler).
 */
export async function main(argv: string[], io: StandardIo = {stdout: process.stdout, stderr: process.stderr, stdin: process.stdin}): Promise<number> {
	const holder: {stream?: FinishingStream} = {};
	try {
		const code = await dispatch(argv, io, holder);
		holder.stream?.finish(finalExitCode(code));
		return code;
	} catch (error) {
		const described = describeError(error);
		const stopped = stopReason();
		// A command line too wrong to parse still answers --json with a result event.
		const stream = holder.stream ?? (argv.includes('--json') ? createEventStream(io.stdout, argv.find((arg) => !arg.startsWith('-')) ?? 'sel4-llm', true) : undefined);
		if (stopped !== 'EPIPE') stream?.finish(stopped ? exitCodeForStop(stopped) : described.exitCode, described.error);
		throw error;
	}
}

async function dispatch(argv: string[], io: StandardIo, holder: {stream?: FinishingStream}): Promise<number> {
	const {command, values, positionals} = parseCommandLine(argv);
	if (values.version) {
		io.stdout.write(`${version()}\n`);
		return ExitCode.ok;
	}
	if (!command) {
		// On a terminal, `sel4-llm` alone starts the setup wizard; otherwise it prints help.
		const interactive = Boolean(io.stdin.isTTY && io.stdout.isTTY) && chooseMode({json: false, plain: Boolean(values.plain)}, io, process.env) === 'ink';
		if (!interactive || values.help || positionals.length > 0) {
			io.stdout.write(`${mainHelp(version())}\n`);
			return ExitCode.ok;
		}
		return main(['setup', ...argv], io);
	}
	if (values.help) {
		io.stdout.write(`${commandHelp(command)}\n`);
		return ExitCode.ok;
	}
	const limits = command.positionals ?? {min: 0, max: Infinity, name: 'argument'};
	if (positionals.length < limits.min) {
		throw new UserError(`"${command.name}" needs ${limits.min === 1 ? 'a' : `at least ${limits.min}`} ${limits.name}`, {
			hint: `usage: ${command.usage}`,
		});
	}
	if (positionals.length > limits.max) {
		throw new UserError(`"${command.name}" takes ${limits.max === 0 ? 'no arguments' : `at most ${limits.max}`} (got "${positionals.join(' ')}")`, {
			hint: `usage: ${command.usage}`,
		});
	}
	if (!command.usesRecipes && recipeOptionNames.some((name) => values[name] !== undefined)) {
		throw new UserError(`"${command.name}" does not take ${recipeOptionNames.map((name) => `--${name}`).join(', ')}`, {hint: `usage: ${command.usage}`});
	}
	const json = Boolean(values.json);
	const events = createEventStream(io.stdout, command.name, json);
	holder.stream = events;
	const context: CommandContext = {
		command: command.name,
		positionals,
		options: values as CommandContext['options'],
		workspace: typeof values.workspace === 'string' ? resolve(values.workspace) : defaultWorkspace(process.env),
		sets: parseSets(values.set),
		json,
		events,
		mode: chooseMode({json, plain: Boolean(values.plain)}, io, process.env),
		interactive: Boolean(io.stdin.isTTY && io.stdout.isTTY) && chooseMode({json, plain: false}, io, process.env) === 'ink',
		recipeLayers: recipeLayers(values.recipes, Boolean(values['recipes-only'])),
		io,
		env: process.env,
	};
	if (values.forget !== undefined || values['forget-all'] !== undefined) {
		const {forgetValues} = await import('./commands/recipe-context.js');
		forgetValues(context);
	}
	// Ink paints with chalk, which reads FORCE_COLOR but not NO_COLOR or TERM=dumb: settle it before any view loads.
	if (context.env.FORCE_COLOR === undefined && !colourWanted(context.env, true)) context.env.FORCE_COLOR = '0';
	const module = await command.load();
	return module.run(context);
}

function invokedDirectly(): boolean {
	if (process.argv[1] === undefined) return false;
	try {
		return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
	} catch {
		return false;
	}
}

if (invokedDirectly()) {
	installStopHandlers(process);
	main(process.argv.slice(2)).then(
		(code) => {
			// However the command ended, a stop request decides the exit code (130, 143 or 141).
			process.exitCode = finalExitCode(code);
		},
		(error: unknown) => {
			const {text, exitCode} = formatError(error);
			const stopped = stopReason();
			if (stopped !== 'EPIPE') process.stderr.write(`${text}\n`);
			process.exitCode = stopped ? exitCodeForStop(stopped) : exitCode;
		},
	);
}
