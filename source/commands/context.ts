// What a command gets: its arguments, the global options and the terminal it runs in.
import {homedir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

export type Io = {
	stdout: NodeJS.WriteStream;
	stderr: NodeJS.WriteStream;
	stdin: NodeJS.ReadStream;
};

export type CommandContext = {
	command: string;
	positionals: string[];
	options: Record<string, string | boolean | string[] | undefined>;
	workspace: string;
	/** Variables given with --set, in order. */
	sets: Array<[string, string]>;
	json: boolean;
	/** Which reporter to use: Ink on an interactive terminal, plain lines otherwise, or JSON. */
	mode: 'ink' | 'plain' | 'json';
	/** True when a person can answer questions (stdin and stdout are terminals and not CI). */
	interactive: boolean;
	/** The recipe directories, first to last: the built-in recipes, then each --recipes DIR (only those with --recipes-only). */
	recipeLayers: string[];
	io: Io;
	env: NodeJS.ProcessEnv;
};

/** The installed package's root (holds recipes/ and overlays/). */
export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function defaultWorkspace(env: NodeJS.ProcessEnv): string {
	return env.SEL4LLM_WORKSPACE ? resolve(env.SEL4LLM_WORKSPACE) : join(homedir(), 'sel4-llm');
}

/** The same test Ink applies (is-in-ci), so we never mount Ink where it would only print the last frame. */
export function isCi(env: NodeJS.ProcessEnv): boolean {
	const set = (key: string) => key in env && env[key] !== '0' && env[key] !== 'false';
	return set('CI') || set('CONTINUOUS_INTEGRATION');
}

export function chooseMode(options: {json: boolean; plain: boolean}, io: Io, env: NodeJS.ProcessEnv): CommandContext['mode'] {
	if (options.json) return 'json';
	if (options.plain || !io.stdout.isTTY || !io.stderr.isTTY || isCi(env) || env.TERM === 'dumb') return 'plain';
	return 'ink';
}
