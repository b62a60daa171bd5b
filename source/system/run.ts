// Running a host command for a fact: bounded by a timeout that always holds, even when the command leaves
// children behind that keep its pipes open (the whole process group is killed and we stop waiting).
import {accessSync, constants, statSync} from 'node:fs';
import {delimiter, join} from 'node:path';
import {exec} from './exec.js';

export type RunResult = {
	code: number | null;
	stdout: string;
	stderr: string;
	timedOut: boolean;
	/** Set when the program could not be started (ENOENT when it does not exist). */
	spawnError?: string;
	ms: number;
};

export type RunCommandOptions = {timeoutMs: number; env?: NodeJS.ProcessEnv; maxBytes?: number};

export async function runCommand(argv: readonly string[], options: RunCommandOptions): Promise<RunResult> {
	const result = await exec(argv, {
		timeoutMs: options.timeoutMs,
		graceMs: 0,
		drainMs: 100,
		tailLines: 0,
		maxCapture: options.maxBytes ?? 4 * 1024 * 1024,
		...(options.env ? {env: options.env} : {}),
	});
	return {
		code: result.exitCode ?? null,
		stdout: result.stdout,
		stderr: result.stderr,
		timedOut: result.timedOut,
		...(result.startError ? {spawnError: result.startError.missing ? 'ENOENT' : result.startError.message} : {}),
		ms: result.durationMs,
	};
}

/** Resolves a program name on PATH like a shell would, without starting a process. */
export function which(name: string, pathValue: string | undefined = process.env.PATH): string | null {
	if (name.includes('/')) return isExecutable(name) ? name : null;
	for (const dir of (pathValue ?? '').split(delimiter)) {
		if (!dir) continue;
		const candidate = join(dir, name);
		if (isExecutable(candidate)) return candidate;
	}
	return null;
}

function isExecutable(path: string): boolean {
	try {
		if (!statSync(path).isFile()) return false;
		accessSync(path, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}
