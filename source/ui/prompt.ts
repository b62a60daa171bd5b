// Questions on the terminal before (or without) the Ink UI: readline on stderr, so stdout stays data.
import {createInterface} from 'node:readline';
import {requestStop, stoppedError} from '../system/interrupt.js';

export type PromptIo = {stdin: NodeJS.ReadableStream; stderr: NodeJS.WritableStream};

/**
 * Asks once; the answer, trimmed, or '' when the input ends first. Ctrl-C at the question (a key to readline on a
 * terminal, not a signal) stops sel4-llm like Ctrl-C anywhere else: exit 130, and nothing after the question runs.
 */
export async function askLine(io: PromptIo, question: string): Promise<string> {
	const rl = createInterface({input: io.stdin, output: io.stderr});
	try {
		const answer = await new Promise<string>((resolve, reject) => {
			rl.once('SIGINT', () => {
				io.stderr.write('\n');
				requestStop('SIGINT');
				reject(stoppedError('stopped at the question; nothing after it was run'));
			});
			rl.question(question, resolve);
			rl.once('close', () => resolve(''));
		});
		return answer.trim();
	} finally {
		rl.close();
	}
}

/** "Question [y/N] ": true only for y or yes; no answer (Enter, end of input) is no. */
export async function confirm(io: PromptIo, question: string): Promise<boolean> {
	return /^y(es)?$/i.test(await askLine(io, `${question} [y/N] `));
}
