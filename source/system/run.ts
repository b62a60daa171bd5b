// Running a host command for a fact: bounded by a timeout that always holds, even when the command leaves
// children behind that keep its pipes open (the whole process group is killed and we stop waiting).
import {spawn} from 'node:child_process';
import {accessSync, constants, statSync} from 'node:fs';
import {delimiter, join} from 'node:path';

export type RunResult = {
	code: number | null;
	stdout: string;
	stderr: string;
	timedOut: boolean;
	/** Set when the program could not be started (e.g. ENOENT). */
	spawnError?: string;
	ms: number;
};

export type RunOptions = {timeoutMs: number; env?: NodeJS.ProcessEnv; maxBytes?: number};

export function runCommand(argv: readonly string[], options: RunOptions): Promise<RunResult> {
	const started = performance.now();
	const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
	return new Promise((resolve) => {
		let stdout = '';
		let stderr = '';
		let settled = false;
		const finish = (result: Omit<RunResult, 'ms' | 'stdout' | 'stderr'>) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			resolve({...result, stdout, stderr, ms: Math.round(performance.now() - started)});
		};
		const child = spawn(argv[0]!, argv.slice(1), {
			stdio: ['ignore', 'pipe', 'pipe'],
			env: options.env ?? process.env,
			detached: true,
		});
		const timer = setTimeout(() => {
			try {
				if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
			} catch {
				child.kill('SIGKILL');
			}
			finish({code: null, timedOut: true});
		}, options.timeoutMs);
		child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
			if (stdout.length < maxBytes) stdout += chunk;
		});
		child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
			if (stderr.length < maxBytes) stderr += chunk;
		});
		child.on('error', (error) => finish({code: null, timedOut: false, spawnError: (error as NodeJS.ErrnoException).code ?? error.message}));
		child.on('close', (code) => finish({code, timedOut: false}));
	});
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
