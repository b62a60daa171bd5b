// Runs one resolved command as a child process: stdin ignored, output as raw chunks, its own process group
// so that cancelling stops the whole tree, and a timeout.
import {fileURLToPath} from 'node:url';
import {dirname, join} from 'node:path';
import type {CommandSpec} from './schema.js';
import {expand, splitWords} from './vars.js';
import {formatCommand} from '../system/quote.js';
import {exec, killTree, type ProcessControl} from '../system/exec.js';
import {isRoot} from '../system/user.js';

export type ResolvedCommand =
	| {kind: 'argv'; argv: string[]; display: string}
	| {kind: 'sh'; script: string; display: string};

/** The running CLI, so recipe commands can call `sel4-llm ...` without it being on PATH. */
export const selfArgv = [process.execPath, join(dirname(fileURLToPath(import.meta.url)), '..', 'cli.js')];

export function resolveCommand(spec: CommandSpec, values: ReadonlyMap<string, string>): ResolvedCommand {
	let words: string[] | undefined;
	let sudo = false;
	if (typeof spec === 'string') words = splitWords(spec).map((word) => expand(word, values));
	else if (Array.isArray(spec)) words = spec.map((word) => expand(word, values));
	else if ('argv' in spec) {
		words = spec.argv.map((word) => expand(word, values));
		sudo = Boolean(spec.sudo);
	} else {
		if (!spec.sudo || isRoot()) return {kind: 'sh', script: spec.sh, display: `sh -c ${formatCommand([spec.sh])}`};
		// sudo resets the environment: the variables the script names go along as literal env arguments.
		const names = [...new Set([...spec.sh.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1]!))].filter((name) => values.has(name));
		const pairs = names.map((name) => `${name}=${values.get(name)}`);
		return {kind: 'argv', argv: ['sudo', '-n', 'env', ...pairs, '/bin/sh', '-c', spec.sh], display: `sudo -n sh -c ${formatCommand([spec.sh])}`};
	}
	const display = (sudo && !isRoot() ? 'sudo -n ' : '') + formatCommand(words);
	if (words[0] === 'sel4-llm') words = [...selfArgv, ...words.slice(1)];
	if (sudo && !isRoot()) words = ['sudo', '-n', ...words];
	return {kind: 'argv', argv: words, display};
}

export type ProcessResult = {exitCode: number | undefined; signal: string | undefined; timedOut: boolean; cancelled: boolean; error?: string};

export type ProcessOptions = {
	cwd: string;
	env: Record<string, string>;
	signal?: AbortSignal;
	timeoutMs?: number;
	onChunk?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
	/** Asked after each chunk whether the consumer is full; the child's output is paused until it is not. */
	flow?: {pause(): boolean};
	/** Called with the child's pid (also its process group id) once it has started. */
	onSpawn?: (pid: number) => void;
	/** Filled in once the child has started: stop (SIGSTOP) and continue (SIGCONT) its whole process group. */
	control?: ProcessControl;
};

export {killTree, type ProcessControl};

/** Runs a recipe command through the process layer; the step's output goes to onChunk, nothing is kept here. */
export async function runProcess(command: ResolvedCommand, options: ProcessOptions): Promise<ProcessResult> {
	const argv = command.kind === 'argv' ? command.argv : ['/bin/sh', '-c', command.script];
	const result = await exec(argv, {
		cwd: options.cwd,
		env: options.env,
		maxCapture: 0,
		tailLines: 0,
		...(options.signal ? {signal: options.signal} : {}),
		...(options.timeoutMs !== undefined ? {timeoutMs: options.timeoutMs} : {}),
		...(options.onChunk ? {onChunk: options.onChunk} : {}),
		...(options.flow ? {flow: options.flow} : {}),
		...(options.onSpawn ? {onSpawn: options.onSpawn} : {}),
		...(options.control ? {control: options.control} : {}),
	});
	return {
		exitCode: result.exitCode,
		signal: result.signal,
		timedOut: result.timedOut,
		cancelled: result.cancelled,
		...(result.startError ? {error: result.startError.missing ? `command not found: ${argv[0]}` : result.startError.message} : {}),
	};
}

/**
 * Runs a command quietly and tells whether it exited 0 (for status checks and preconditions), with the last line it
 * printed (a check such as "missing: cmake ninja-build" says what it found there).
 */
export async function succeeds(command: ResolvedCommand, options: Omit<ProcessOptions, 'onChunk'>): Promise<{ok: boolean; exitCode: number | undefined; lastLine?: string}> {
	let last = '';
	const result = await runProcess(command, {
		...options,
		onChunk: (_stream, chunk) => {
			const lines = chunk.toString('utf8').split('\n').map((line) => line.trim()).filter(Boolean);
			if (lines.length > 0) last = lines.at(-1)!;
		},
	});
	return {ok: result.exitCode === 0, exitCode: result.exitCode, ...(last ? {lastLine: last.slice(0, 200)} : {})};
}
