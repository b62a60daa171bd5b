// Runs the built CLI (dist/cli.js) as a real process, without a terminal.
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = join(root, 'dist', 'cli.js');
export const fixtures = join(root, 'test', 'fixtures');

/** The environment without CI markers, so tests see what a user's shell would give. */
export function withoutCi(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
	const copy = {...env};
	for (const key of Object.keys(copy)) if (key === 'CI' || key === 'CONTINUOUS_INTEGRATION') delete copy[key];
	return copy;
}

export type CliResult = {code: number | null; stdout: string; stderr: string};

export function cli(args: string[], options: {env?: NodeJS.ProcessEnv; cwd?: string; input?: string} = {}): CliResult {
	const result = spawnSync(process.execPath, [cliPath, ...args], {
		cwd: options.cwd ?? root,
		env: {...withoutCi(process.env), FORCE_COLOR: '0', ...options.env},
		encoding: 'utf8',
		input: options.input ?? '',
		maxBuffer: 256 * 1024 * 1024,
	});
	return {code: result.status, stdout: result.stdout, stderr: result.stderr};
}

/** Starts the CLI in the background (for cancellation and kill tests). */
export function cliSpawn(args: string[], options: {env?: NodeJS.ProcessEnv} = {}) {
	const child = spawn(process.execPath, [cliPath, ...args], {
		cwd: root,
		env: {...withoutCi(process.env), FORCE_COLOR: '0', ...options.env},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) =>
		child.on('exit', (code, signal) => resolve({code, signal})),
	);
	return {child, exited, output: () => ({stdout, stderr})};
}

export function tempDir(prefix = 'sel4-llm-test-'): string {
	return mkdtempSync(join(tmpdir(), prefix));
}

export async function waitFor(predicate: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
	const start = Date.now();
	while (!predicate()) {
		if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}

/** The result event: type "result", command, ok, exit, and the command's own fields. */
export type JsonResult = Record<string, any>;

/**
 * The NDJSON stream of a `--json` run: every line must parse and have a `type`, and the last one, only the last,
 * is the result event. Throws (failing the test) otherwise.
 */
export function jsonOutput(stdout: string): {events: Array<{type: string; [field: string]: any}>; result: JsonResult} {
	const lines = stdout.split('\n').filter((line) => line !== '');
	if (lines.length === 0) throw new Error('no --json output on stdout');
	const events = lines.map((line, index) => {
		let event: unknown;
		try {
			event = JSON.parse(line);
		} catch {
			throw new Error(`stdout line ${index + 1} is not JSON: ${line.slice(0, 200)}`);
		}
		if (typeof (event as {type?: unknown}).type !== 'string') throw new Error(`stdout line ${index + 1} has no "type": ${line.slice(0, 200)}`);
		return event as {type: string; [field: string]: any};
	});
	const last = events.at(-1)!;
	if (last.type !== 'result') throw new Error(`the last line is a "${last.type}" event, not the result`);
	if (events.slice(0, -1).some((event) => event.type === 'result')) throw new Error('more than one result event');
	return {events: events.slice(0, -1), result: last as JsonResult};
}
