// Runs a tool and keeps the tail of its output for error messages; optional line callback for progress.
import {spawn} from 'node:child_process';
import {CommandError, ExitCode, UserError} from '../../errors.js';

export type RunOptions = {
	cwd?: string;
	env?: NodeJS.ProcessEnv;
	onLine?: (line: string) => void;
	/** Lines of output kept for the error message. */
	tail?: number;
};

export type RunResult = {stdout: string; stderr: string};

export async function runTool(program: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
	const keep = options.tail ?? 30;
	return new Promise((resolvePromise, reject) => {
		const child = spawn(program, args, {
			cwd: options.cwd,
			env: options.env ?? process.env,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		const tail: string[] = [];
		let stdout = '';
		let stderr = '';
		const pending = {out: '', err: ''};
		const take = (which: 'out' | 'err', chunk: Buffer): void => {
			const text = chunk.toString('utf8');
			if (which === 'out') stdout += text;
			else stderr += text;
			const lines = (pending[which] + text).split('\n');
			pending[which] = lines.pop() ?? '';
			for (const line of lines) {
				tail.push(line);
				if (tail.length > keep) tail.shift();
				options.onLine?.(line);
			}
		};
		child.stdout.on('data', (chunk: Buffer) => take('out', chunk));
		child.stderr.on('data', (chunk: Buffer) => take('err', chunk));
		child.on('error', (error: NodeJS.ErrnoException) => {
			if (error.code === 'ENOENT') {
				reject(
					new UserError(`${program} is not installed`, {
						exitCode: ExitCode.refused,
						hint: `install it (Debian: apt-get install -y --no-install-recommends ${debianPackageFor(program)})`,
					}),
				);
			} else reject(error);
		});
		child.on('close', (code) => {
			for (const rest of [pending.out, pending.err]) if (rest) tail.push(rest);
			if (code === 0) resolvePromise({stdout, stderr});
			else reject(new CommandError([program, ...args].join(' '), code ?? undefined, tail.slice(-keep)));
		});
	});
}

function debianPackageFor(program: string): string {
	const known: Record<string, string> = {
		'aarch64-linux-gnu-gcc': 'gcc-aarch64-linux-gnu g++-aarch64-linux-gnu',
		'aarch64-linux-gnu-g++': 'g++-aarch64-linux-gnu',
		cmake: 'cmake',
		ninja: 'ninja-build',
		git: 'git',
		npm: 'npm',
		tar: 'tar',
		'/usr/bin/python3': 'python3 python3-numpy python3-yaml',
	};
	return known[program] ?? program;
}
