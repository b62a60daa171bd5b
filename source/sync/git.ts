// Runs git without a terminal: no credential prompts, C locale (so messages can be recognised), output captured.
// Callers put every value that comes from outside (a URL, a ref, a path) after `--`.
import {RefusedError} from '../errors.js';
import {exec, missingProgramHint} from '../system/exec.js';

export type GitResult = {code: number; stdout: string; stderr: string};

export class GitError extends Error {
	constructor(
		readonly args: string[],
		readonly result: GitResult,
	) {
		super(`git ${args.join(' ')} failed (exit ${result.code}): ${lastLines(result.stderr || result.stdout, 4)}`);
	}
}

export function lastLines(text: string, count: number): string {
	return text
		.split('\n')
		.map((line) => line.trimEnd())
		.filter((line) => line !== '')
		.slice(-count)
		.join(' | ');
}

export type GitOptions = {cwd?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal};

export function gitEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
	// Only transports that move data: never ext:: or fd::, which run commands, whatever the user's config says.
	return {...base, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', LC_ALL: 'C', LANGUAGE: 'C', GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh'};
}

export async function git(args: string[], options: GitOptions = {}): Promise<GitResult> {
	const result = await exec(['git', ...args], {
		env: gitEnv(options.env),
		tailLines: 0,
		maxCapture: 64 * 1024 * 1024,
		...(options.cwd ? {cwd: options.cwd} : {}),
		...(options.signal ? {signal: options.signal} : {}),
	});
	if (result.startError?.missing) throw new RefusedError('git is not installed', {hint: missingProgramHint('git')});
	if (result.startError) throw new Error(`git could not start: ${result.startError.message}`);
	return {code: result.exitCode ?? 128, stdout: result.stdout, stderr: result.stderr};
}

/** Runs git and throws GitError unless it exits 0. */
export async function gitOk(args: string[], options: GitOptions = {}): Promise<GitResult> {
	const result = await git(args, options);
	if (result.code !== 0) throw new GitError(args, result);
	return result;
}
