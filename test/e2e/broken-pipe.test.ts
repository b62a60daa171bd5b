// Output closed early, as with `| head -1`: sel4-llm stops what it started, records where it stopped, prints no
// stack trace, and exits 141 while it still had work to do (0 when it had already said everything).
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import {readFileSync, rmSync} from 'node:fs';
import {createServer} from 'node:net';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {cliPath, fixtures, tempDir, withoutCi} from '../support/cli.js';

const napRecipes = join(fixtures, 'recipes', 'interrupt');
const scratch = tempDir('sel4-llm-pipe-');
after(() => rmSync(scratch, {recursive: true, force: true}));

/** `sel4-llm ARGS | head -1` in bash: the first line, the CLI's own exit code and what it wrote on stderr. */
function headOne(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{first: string; code: number; stderr: string}> {
	const quoted = [process.execPath, cliPath, ...args].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ');
	const errors = join(scratch, `stderr-${Math.random().toString(36).slice(2)}`);
	return new Promise((resolve, reject) => {
		const shell = spawn('bash', ['-c', `${quoted} 2>'${errors}' | head -1; echo "CODE=\${PIPESTATUS[0]}"`], {
			env: {...withoutCi(process.env), FORCE_COLOR: '0', ...env},
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		let out = '';
		shell.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
		shell.on('error', reject);
		shell.on('close', () => {
			const code = /CODE=(\d+)/.exec(out);
			if (!code) return reject(new Error(`no exit code in ${JSON.stringify(out)}`));
			resolve({first: out.slice(0, out.indexOf('\n')), code: Number(code[1]), stderr: readFileSync(errors, 'utf8')});
		});
	});
}

function processes(marker: string): number[] {
	try {
		return execFileSync('pgrep', ['-f', marker], {encoding: 'utf8'}).trim().split('\n').filter(Boolean).map(Number);
	} catch {
		return [];
	}
}

test('run --json | head -1 stops the running step and its child, records it as interrupted and exits 141', {timeout: 60_000}, async () => {
	const workspace = tempDir('sel4-llm-pipe-run-');
	// The sleep is far longer than the test's timeout: the pipeline can only end in time if the step was stopped.
	const {first, code, stderr} = await headOne(['run', 'nap', '--recipes-only', '--recipes', napRecipes, '--workspace', workspace, '--set', 'seconds=343.25', '--json']);
	assert.equal((JSON.parse(first) as {type: string}).type, 'run-start');
	assert.equal(code, 141, stderr);
	assert.doesNotMatch(stderr, /EPIPE|at .*\.js:\d+|Error:/, 'no stack trace or raw error');
	assert.deepEqual(processes('sleep 343.25'), [], 'the step\'s child is gone');
	assert.deepEqual(processes(`${cliPath} run nap .*${workspace}`), [], 'sel4-llm itself is gone');
	const journal = JSON.parse(readFileSync(join(workspace, '.sel4-llm', 'journal.json'), 'utf8')) as {steps: Record<string, {state: string}>};
	const states = Object.values(journal.steps).map((step) => step.state);
	assert.ok(!states.includes('running'), `no step is left marked running: ${states.join(', ')}`);
	assert.ok(!('nap.last' in journal.steps) || journal.steps['nap.last']!.state !== 'done', 'the steps after the stop never ran');
	rmSync(workspace, {recursive: true, force: true});
});

test('ask | head -1 on an answer that goes on stops reading the guest and exits 141', {timeout: 60_000}, async () => {
	const workspace = tempDir('sel4-llm-pipe-ask-');
	const socketPath = join(workspace, 'serial.sock');
	// A guest that answers with a first line, then a token every 50 ms and never ends.
	const timers: NodeJS.Timeout[] = [];
	const server = createServer((socket) => {
		socket.write('SEL4LLM-READY model=demo.gguf threads=1\r\n');
		socket.on('data', (chunk) => {
			const [verb, id] = chunk.toString('utf8').split(' ');
			if (verb !== 'ask') return;
			socket.write(`SEL4LLM-BEGIN ${id} prompt_tokens=3\r\nSEL4LLM-TOK ${id} first\\x20line\\x0a\r\n`);
			timers.push(setInterval(() => socket.write(`SEL4LLM-TOK ${id} \\x20more\r\n`), 50));
		});
		socket.on('error', () => {});
	});
	await new Promise<void>((resolve) => server.listen(socketPath, resolve));
	try {
		const {first, code, stderr} = await headOne(['ask', '--socket', socketPath, '--timeout', '600', 'hello']);
		assert.equal(first, 'first line');
		assert.equal(code, 141, stderr);
		assert.doesNotMatch(stderr, /EPIPE|at .*\.js:\d+/, 'no stack trace or raw error');
	} finally {
		for (const timer of timers) clearInterval(timer);
		server.close();
		rmSync(workspace, {recursive: true, force: true});
	}
});

for (const args of [['recipes'], ['--help'], ['launch', '--replay', join(fixtures, 'serial', 'arm-virt-ready.log')]]) {
	test(`${args.join(' ').replace(/\/\S*\//, '')} | head -1 prints its first line and no error`, {timeout: 60_000}, async () => {
		const {first, stderr} = await headOne(args);
		assert.ok(first.trim().length > 0, 'a first line');
		assert.doesNotMatch(stderr, /EPIPE|at .*\.js:\d+|Error:/, `no stack trace or raw error: ${stderr}`);
	});
}
