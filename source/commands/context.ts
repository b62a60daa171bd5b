// What a command gets: its arguments, the global options and the terminal it runs in.
import {homedir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import type {EventStream} from '../reporters/stream.js';

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
	/** With --json, the command's NDJSON events and the fields of its result event (reporters/stream.ts). */
	events: EventStream;
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

/** A line about the work in progress: on stderr for people, a `{"type":"message","text"}` event with --json. */
export function say(context: Pick<CommandContext, 'json' | 'events' | 'io'>, text: string): void {
	if (context.json) context.events.emit({type: 'message', text});
	else context.io.stderr.write(`${text}\n`);
}
