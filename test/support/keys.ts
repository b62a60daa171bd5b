// Key presses for ink-testing-library: yield before and after so React and Ink process the input.
export const keys = {enter: '\r', escape: '\u001B', up: '\u001B[A', down: '\u001B[B', ctrlC: '\u0003', tab: '\t', backspace: '\u007F'};

export async function tick(ms = 30): Promise<void> {
	await new Promise((resolve) => setTimeout(resolve, ms));
}

export async function press(stdin: {write(data: string): void}, key: string): Promise<void> {
	await tick();
	stdin.write(key);
	await tick();
}
