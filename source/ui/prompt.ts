// Questions on the terminal before (or without) the Ink UI: readline on stderr, so stdout stays data.
import {createInterface} from 'node:readline';

export type PromptIo = {stdin: NodeJS.ReadableStream; stderr: NodeJS.WritableStream};

/** Asks once; the answer, trimmed, or '' when the input ends first. */
export async function askLine(io: PromptIo, question: string): Promise<string> {
	const rl = createInterface({input: io.stdin, output: io.stderr});
	try {
		const answer = await new Promise<string>((resolve) => {
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
