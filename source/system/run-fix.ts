// Runs fix commands with live output (stdin ignored, never a password prompt: sudo is always `sudo -n`).
import {exec} from './exec.js';

export type StepOutcome = {argv: string[]; code: number | null; error?: string};

export async function runLive(argv: readonly string[], onLine: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<StepOutcome> {
	const result = await exec(argv, {env, onLine, tailLines: 0, maxCapture: 0});
	return {
		argv: [...argv],
		code: result.exitCode ?? null,
		...(result.startError ? {error: result.startError.missing ? 'ENOENT' : result.startError.message} : {}),
	};
}
