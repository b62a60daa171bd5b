// Runs git without a terminal: no credential prompts, C locale (so messages can be recognised), output captured.
import {spawn} from 'node:child_process';

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
	return {...base, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', LC_ALL: 'C', LANGUAGE: 'C'};
}

export function git(args: string[], options: GitOptions = {}): Promise<GitResult> {
	return new Promise((resolve, reject) => {
		const child = spawn('git', args, {
			cwd: options.cwd,
			env: gitEnv(options.env),
			stdio: ['ignore', 'pipe', 'pipe'],
			...(options.signal ? {signal: options.signal} : {}),
		});
		const out: Buffer[] = [];
		const err: Buffer[] = [];
		child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
		child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
		child.on('error', (error: NodeJS.ErrnoException) => {
			if (error.code === 'ENOENT') reject(new Error('git is not installed (install it with: apt-get install git)'));
			else reject(error);
		});
		child.on('close', (code) =>
			resolve({code: code ?? 128, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8')}),
		);
	});
}

/** Runs git and throws GitError unless it exits 0. */
export async function gitOk(args: string[], options: GitOptions = {}): Promise<GitResult> {
	const result = await git(args, options);
	if (result.code !== 0) throw new GitError(args, result);
	return result;
}
