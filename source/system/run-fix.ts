// Runs fix commands with live output (stdin ignored, never a password prompt: sudo is always `sudo -n`).
import {spawn} from 'node:child_process';

export type StepOutcome = {argv: string[]; code: number | null; error?: string};

export function runLive(argv: readonly string[], onLine: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<StepOutcome> {
	return new Promise((resolve) => {
		const child = spawn(argv[0]!, argv.slice(1), {stdio: ['ignore', 'pipe', 'pipe'], env});
		let settled = false;
		const buffers = {out: '', err: ''};
		const feed = (key: 'out' | 'err') => (chunk: string) => {
			buffers[key] += chunk;
			const lines = buffers[key].split('\n');
			buffers[key] = lines.pop() ?? '';
			for (const line of lines) onLine(line);
		};
		child.stdout.setEncoding('utf8').on('data', feed('out'));
		child.stderr.setEncoding('utf8').on('data', feed('err'));
		child.on('error', (error) => {
			if (settled) return;
			settled = true;
			resolve({argv: [...argv], code: null, error: (error as NodeJS.ErrnoException).code ?? error.message});
		});
		child.on('close', (code) => {
			if (settled) return;
			settled = true;
			for (const rest of [buffers.out, buffers.err]) if (rest) onLine(rest);
			resolve({argv: [...argv], code});
		});
	});
}
