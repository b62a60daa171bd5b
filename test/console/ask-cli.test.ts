// `sel4-llm ask` as users run it (the built CLI): the launch record, no guest, a guest not ready, and an answer.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, it} from 'node:test';
import {repositoryRoot} from '../support/test-model.js';
import {jsonOutput} from '../support/cli.js';

const cli = join(repositoryRoot, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'sel4llm-ask-'));
const servers: Server[] = [];
after(() => {
	for (const server of servers) server.close();
	rmSync(dir, {recursive: true, force: true});
});

function ask(args: string[], input?: string): Promise<{code: number | null; stdout: string; stderr: string}> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, [cli, 'ask', ...args], {stdio: ['pipe', 'pipe', 'pipe'], env: {...process.env, CI: '1'}});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		child.stdin.end(input ?? '');
		child.on('close', (code) => resolve({code, stdout, stderr}));
	});
}

function workspace(name: string, record?: object): string {
	const path = join(dir, name);
	mkdirSync(join(path, '.sel4-llm'), {recursive: true});
	if (record) writeFileSync(join(path, '.sel4-llm', 'launch.json'), JSON.stringify(record));
	return path;
}

/** A guest on a socket: prints its ready line and answers every ask with the prompt reversed, token by token. */
function answeringGuest(path: string, ready = true): Promise<string[]> {
	const received: string[] = [];
	return new Promise((resolve) => {
		const server = createServer((socket) => {
			if (ready) socket.write('SEL4LLM-READY model=demo.gguf threads=1\r\n');
			let buffer = '';
			socket.on('data', (chunk) => {
				buffer += chunk.toString('utf8');
				let newline;
				while ((newline = buffer.indexOf('\n')) >= 0) {
					const line = buffer.slice(0, newline);
					buffer = buffer.slice(newline + 1);
					received.push(line);
					const [verb, id] = line.split(' ');
					if (verb !== 'ask') continue;
					socket.write(`SEL4LLM-BEGIN ${id} prompt_tokens=3\r\nSEL4LLM-TOK ${id} Hello\r\nSEL4LLM-TOK ${id} ,\\x20w\\xc3\\xb6rld\r\n`);
					socket.write(`SEL4LLM-END ${id} tokens=2 prompt_tokens=3 tps=9.50 ttft_ms=250.0 total_ms=400.0 stop=eog\r\n`);
				}
			});
			socket.on('error', () => {});
		});
		servers.push(server);
		server.listen(path, () => resolve(received));
	});
}

describe('sel4-llm ask', {timeout: 60_000}, () => {
	it('says no guest is running when launch recorded none (exit 4)', async () => {
		const result = await ask(['--workspace', workspace('empty'), 'hello']);
		assert.equal(result.code, 4);
		assert.match(result.stderr, /no guest is running/);
		assert.match(result.stderr, /sel4-llm launch/);
	});

	it('says no guest is running when the recorded QEMU has exited', async () => {
		const result = await ask(['--workspace', workspace('dead', {pid: 2 ** 22 + 12345, qemuPid: 2 ** 22 + 12346, serialSocket: join(dir, 'none.sock'), platform: 'qemu-arm-virt', logFile: null, startedAt: new Date().toISOString()}), 'hello']);
		assert.equal(result.code, 4);
		assert.match(result.stderr, /has exited/);
	});

	it('a launch record that is not one is reported with what is wrong, kept aside, and the way on', async () => {
		const path = workspace('bad', {pid: process.pid, serialSocket: ''});
		const result = await ask(['--workspace', path, 'hello']);
		assert.equal(result.code, 3, result.stderr);
		assert.match(result.stderr, /the launch record .*launch\.json is not valid: /);
		assert.match(result.stderr, /moved to .*launch\.json\.bad-\d{8}T\d{6} \(kept, not deleted\); start the guest again with sel4-llm launch/);
		assert.equal(existsSync(join(path, '.sel4-llm', 'launch.json')), false);
	});

	it('says the guest is not ready yet when it never prints its ready line nor answers a ping', async () => {
		const socket = join(dir, 'silent.sock');
		await answeringGuest(socket, false).then(() => {});
		// This guest answers asks but ignores pings and never prints the ready line.
		const result = await ask(['--workspace', workspace('silent', {pid: process.pid, qemuPid: process.pid, serialSocket: socket, platform: 'qemu-arm-virt', logFile: null, startedAt: new Date().toISOString()}), '--wait', '2', 'hello']);
		assert.equal(result.code, 4);
		assert.match(result.stderr, /not ready/);
		assert.match(result.stderr, /--wait/);
	});

	it('streams the answer and prints the stats; the prompt keeps its quotes and newlines', async () => {
		const socket = join(dir, 'ok.sock');
		const received = await answeringGuest(socket);
		const result = await ask(['--socket', socket, '--max-tokens', '7', 'Say "hi"\nnow']);
		assert.equal(result.code, 0, result.stderr);
		assert.equal(result.stdout, 'Hello, wörld\n');
		assert.match(result.stderr, /2 tokens, 9\.5 tokens\/s, first token after 0\.25 s in the guest/);
		assert.match(received.at(-1)!, /^ask q[0-9a-f]{8} 7 chat Say "hi"\\nnow$/);
	});

	it('reads the prompt from stdin with "-" and prints JSON with --json', async () => {
		const socket = join(dir, 'json.sock');
		const received = await answeringGuest(socket);
		const result = await ask(['--socket', socket, '--json', '--raw', '-'], 'line one\nline "two"\n');
		assert.equal(result.code, 0, result.stderr);
		const answer = jsonOutput(result.stdout).result as {answer: string; tokens: number; stop: string};
		assert.deepEqual([answer.answer, answer.tokens, answer.stop], ['Hello, wörld', 2, 'eog']);
		assert.match(received.at(-1)!, /^ask q[0-9a-f]{8} 128 raw line one\\nline "two"$/);
	});

	it('Ctrl-C while the guest is still answering stops at once, says so and exits 130', async () => {
		const socket = join(dir, 'endless.sock');
		const timers: NodeJS.Timeout[] = [];
		const server = createServer((connection) => {
			connection.write('SEL4LLM-READY model=demo.gguf threads=1\r\n');
			connection.on('data', (chunk) => {
				const [verb, id] = chunk.toString('utf8').split(' ');
				if (verb !== 'ask') return;
				connection.write(`SEL4LLM-BEGIN ${id} prompt_tokens=3\r\n`);
				timers.push(setInterval(() => connection.write(`SEL4LLM-TOK ${id} more\r\n`), 50));
			});
			connection.on('error', () => {});
		});
		servers.push(server);
		await new Promise<void>((resolve) => server.listen(socket, resolve));
		const child = spawn(process.execPath, [cli, 'ask', '--socket', socket, '--timeout', '600', 'hello'], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, CI: '1'}});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => {
			stdout += chunk.toString();
			if (stdout.includes('more')) child.kill('SIGINT');
		});
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
		for (const timer of timers) clearInterval(timer);
		assert.equal(code, 130, stderr);
		assert.match(stderr, /stopped while waiting for the guest's answer/);
		assert.match(stderr, /before it takes the next prompt/);
	});

	it('refuses an empty prompt and bad numbers with usage errors', async () => {
		assert.equal((await ask(['--socket', '/nonexistent', ' '])).code, 2);
		const bad = await ask(['--socket', '/nonexistent', '--max-tokens', 'lots', 'hi']);
		assert.equal(bad.code, 2);
		assert.match(bad.stderr, /--max-tokens must be a whole number/);
	});
});
