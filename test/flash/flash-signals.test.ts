// How flash ends when it is asked to stop: 143 for SIGTERM, 130 for Ctrl-C (SIGINT), in the middle of a write
// and while it waits for an answer, and what it says was left behind.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {cleanup, cli, runCliUntil, scratch} from './helpers.js';
import {jsonOutput} from '../support/cli.js';

const dir = scratch('flash-signals');
let big = '';

before(() => {
	// 400 MiB of non-zero data: every block is written, so the write takes long enough to be stopped in.
	big = join(dir, 'big.img');
	const block = Buffer.alloc(1 << 20);
	for (let index = 0; index < block.length; index++) block[index] = (index * 37 + 11) & 0xff;
	writeFileSync(big, Buffer.concat(Array.from({length: 400}, () => block)));
});
after(() => cleanup(dir));

const leftovers = (folder: string) => readdirSync(folder).filter((name) => name.endsWith('.part'));

for (const [signal, status] of [
	['SIGTERM', 143],
	['SIGINT', 130],
] as const) {
	test(`${signal} during the write to a file exits ${status}; a new file is not created, an existing one is unchanged`, async () => {
		const fresh = join(dir, `fresh-${signal}.img`);
		const stopped = await runCliUntil(['flash', big, '--device', fresh], /^write /m, (child) => child.kill(signal));
		assert.equal(stopped.status, status, stopped.stderr);
		assert.match(stopped.stderr, new RegExp(`stopped during write at byte \\d+ of 419430400: ${fresh} was not created \\(the partial copy was removed\\)`));
		assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith(`fresh-${signal}`)), []);
		const existing = join(dir, `existing-${signal}.img`);
		writeFileSync(existing, 'keep me\n');
		const again = await runCliUntil(['flash', big, '--device', existing, '--overwrite', '--yes', '--json'], /"type":"progress","phase":"write"/, (child) => child.kill(signal));
		assert.equal(again.status, status, again.stderr);
		const {result} = jsonOutput(again.stdout);
		assert.deepEqual([result.exit, result.error.kind], [status, 'interrupted']);
		assert.match(again.stderr, new RegExp(`${existing} is unchanged`));
		assert.equal(readFileSync(existing, 'utf8'), 'keep me\n');
		assert.deepEqual(leftovers(dir), []);
	});
}

/**
 * Runs flash in a pseudo-terminal (util-linux `script`), waits for its question, and sends `signal` to flash itself.
 * Resolves with flash's exit status and everything the terminal showed.
 */
function stopAtQuestion(args: string[], env: NodeJS.ProcessEnv, question: RegExp, signal: NodeJS.Signals) {
	return new Promise<{status: number | null; output: string}>((resolve, reject) => {
		const command = `stty cols 160 rows 50; echo FLASHPID=$$; exec ${[process.execPath, cli, ...args].map((word) => `'${word}'`).join(' ')}`;
		// Ink runs only outside CI: the variables are removed (an empty value still counts as set).
		const childEnv = Object.fromEntries(Object.entries({...process.env, ...env}).filter(([, value]) => value !== undefined));
		const child = spawn('script', ['-qfec', command, '/dev/null'], {stdio: ['pipe', 'pipe', 'pipe'], env: childEnv});
		let output = '';
		let sent = false;
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`flash did not end within 20 s of ${signal} at its question:\n${output}`));
		}, 20_000);
		child.stdout.on('data', (chunk: Buffer) => {
			output += chunk.toString();
			const pid = /FLASHPID=(\d+)/.exec(output)?.[1];
			if (!sent && pid && question.test(output)) {
				sent = true;
				process.kill(Number(pid), signal);
			}
		});
		child.on('close', (status) => {
			clearTimeout(timer);
			resolve({status, output});
		});
	});
}

for (const mode of ['plain', 'ink'] as const) {
	test(`SIGTERM while flash asks for confirmation (${mode}) exits 143 at once, and nothing is written`, async () => {
		const existing = join(dir, `asked-${mode}.img`);
		writeFileSync(existing, 'still here\n');
		const env = mode === 'plain' ? {CI: '1'} : {CI: undefined, CONTINUOUS_INTEGRATION: undefined, BUILD_NUMBER: undefined, RUN_ID: undefined, TERM: 'xterm-256color'};
		const question = mode === 'plain' ? /Type the device path/ : /and press Enter to confirm/;
		const result = await stopAtQuestion(['flash', big, '--device', existing, '--overwrite', ...(mode === 'plain' ? ['--plain'] : [])], env, question, 'SIGTERM');
		assert.equal(result.status, 143, result.output);
		assert.match(result.output, /nothing was written/);
		assert.equal(readFileSync(existing, 'utf8'), 'still here\n');
		assert.deepEqual(leftovers(dir), []);
	});
}
