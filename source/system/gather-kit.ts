// What every section gatherer is built from: the gathering context, commands run with their outcome recorded in
// the facts (`gather`), and file reads that answer null instead of throwing.
import {promises as fs} from 'node:fs';
import type {GatherRecord} from './facts.js';
import {runCommand, type RunResult} from './run.js';

export type GatherContext = {
	workspace: string;
	timeoutMs: number;
	env: NodeJS.ProcessEnv;
	records: Record<string, GatherRecord & {argv?: string[]}>;
};

/** Runs one command for a fact, bounded by the context's timeout, and records how it went. */
export async function run(context: GatherContext, argv: string[]): Promise<RunResult> {
	const result = await runCommand(argv, {timeoutMs: context.timeoutMs, env: context.env});
	const words = [argv[0]!.split('/').pop()!, ...argv.slice(1)];
	const key = `command: ${words.map((word) => (word.length > 40 ? `${word.slice(0, 37)}...` : word)).join(' ')}`;
	context.records[key] = {
		status: result.timedOut ? 'timeout' : result.spawnError ? 'error' : 'ok',
		ms: result.ms,
		argv,
		...(result.timedOut
			? {detail: `timed out after ${context.timeoutMs} ms`}
			: result.spawnError
				? {detail: result.spawnError}
				: result.code !== 0
					? {detail: `exit code ${result.code}`}
					: {}),
	};
	return result;
}

/** A file's text, or null when it cannot be read. */
export async function readText(path: string): Promise<string | null> {
	try {
		return await fs.readFile(path, 'utf8');
	} catch {
		return null;
	}
}

export async function exists(path: string): Promise<boolean> {
	try {
		await fs.access(path);
		return true;
	} catch {
		return false;
	}
}

/** Group id -> name, from /etc/group. */
export async function groupNames(): Promise<Map<number, string>> {
	const text = (await readText('/etc/group')) ?? '';
	const map = new Map<number, string>();
	for (const line of text.split('\n')) {
		const [name, , gid] = line.split(':');
		if (name && gid !== undefined && !map.has(Number(gid))) map.set(Number(gid), name);
	}
	return map;
}
