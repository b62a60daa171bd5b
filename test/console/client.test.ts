// The host side against a scripted guest on a real unix socket: partial lines, a guest that dies mid-answer,
// readiness by marker or ping, long prompts with acknowledged pieces.
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {createServer, type Server, type Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, it} from 'node:test';
import {ConsoleError, GuestConsole} from '../../source/console/client.js';
import {unescapeBytes} from '../../source/console/protocol.js';

const dir = mkdtempSync(join(tmpdir(), 'sel4llm-console-'));
const open: Array<{close(): void}> = [];
after(() => {
	for (const each of open) each.close();
	rmSync(dir, {recursive: true, force: true});
});
let count = 0;

type Guest = {server: Server; path: string; received: string[]; peer: Promise<Socket>};

/** A socket server standing in for QEMU's serial chardev; `script` plays the guest for each received line. */
function guest(script: (line: string, socket: Socket, received: string[]) => void, onConnect?: (socket: Socket) => void): Promise<Guest> {
	const path = join(dir, `g${count++}.sock`);
	const received: string[] = [];
	let resolvePeer!: (socket: Socket) => void;
	const peer = new Promise<Socket>((resolve) => (resolvePeer = resolve));
	const server = createServer((socket) => {
		resolvePeer(socket);
		let buffer = '';
		socket.on('data', (chunk) => {
			buffer += chunk.toString('latin1');
			let newline;
			while ((newline = buffer.indexOf('\n')) >= 0) {
				const line = buffer.slice(0, newline);
				buffer = buffer.slice(newline + 1);
				received.push(line);
				script(line, socket, received);
			}
		});
		socket.on('error', () => {});
		open.push({close: () => socket.destroy()});
		onConnect?.(socket);
	});
	open.push(server);
	return new Promise((resolve) => server.listen(path, () => resolve({server, path, received, peer})));
}

const idOf = (line: string) => line.split(' ')[1]!;

describe('GuestConsole', () => {
	it('waits for the ready line, then streams an answer split across reads with \\r\\n endings and split UTF-8', async () => {
		const g = await guest(
			(line, socket) => {
				if (!line.startsWith('ask ')) return;
				const id = idOf(line);
				const parts = [
					`SEL4LLM-BEGIN ${id} prompt_tokens=5\r\nSEL4LLM-TOK ${id} Hel`,
					`lo\r\nSEL4LLM-TOK ${id}  w\\xc3`,
					`\r\nSEL4LLM-TOK ${id} \\xa9rld\r`,
					`\nSEL4LLM-END ${id} tokens=3 prompt_tokens=5 tps=12.50 ttft_ms=80.0 total_ms=300.0 stop=eog\r\n`,
				];
				parts.forEach((part, index) => setTimeout(() => socket.write(part), index * 15));
			},
			(socket) => {
				socket.write('[    1.0] Run /init as init process\r\n');
				setTimeout(() => socket.write('SEL4LLM-READY model=demo.gguf threads=1\r\n'), 50);
			},
		);
		const console = await GuestConsole.connect(g.path);
		open.push(console);
		const ready = await console.waitReady({timeoutMs: 5000});
		assert.deepEqual({via: ready.via, model: ready.model, threads: ready.threads}, {via: 'ready', model: 'demo.gguf', threads: 1});
		assert.equal(g.received.length, 0, 'nothing sent before the ready line');
		const pieces: string[] = [];
		const answer = await console.ask('Say "hi"\nplease', {maxTokens: 8, flags: ['chat'], onText: (text) => pieces.push(text)});
		assert.equal(answer.text, 'Hello wérld');
		assert.equal(pieces.join(''), 'Hello wérld');
		assert.equal(answer.tokens, 3);
		assert.deepEqual(answer.stats, {tokens: 3, promptTokens: 5, tokensPerSecond: 12.5, ttftMs: 80, totalMs: 300, stop: 'eog'});
		assert.ok(answer.hostTtftMs >= 0 && answer.hostTtftMs <= answer.hostTotalMs);
		assert.equal(g.received.length, 1);
		assert.match(g.received[0]!, /^ask q[0-9a-f]{8} 8 chat Say "hi"\\nplease$/);
		console.close();
		g.server.close();
	});

	it('reports a guest that dies in the middle of an answer, with what had arrived', async () => {
		const g = await guest(
			(line, socket) => {
				const id = idOf(line);
				socket.write(`SEL4LLM-BEGIN ${id} prompt_tokens=2\nSEL4LLM-TOK ${id} par\nSEL4LLM-TOK ${id} tial\nSEL4LLM-TOK ${id} cut`);
				setTimeout(() => socket.destroy(), 30);
			},
			(socket) => socket.write('SEL4LLM-READY model=m.gguf threads=1\n'),
		);
		const console = await GuestConsole.connect(g.path);
		open.push(console);
		await console.waitReady({timeoutMs: 5000});
		await assert.rejects(console.ask('x', {maxTokens: 50}), (error: unknown) => {
			assert.ok(error instanceof ConsoleError);
			assert.equal(error.kind, 'closed');
			assert.match(error.message, /in the middle of the answer \(2 tokens received\)/);
			assert.equal(error.partial.text, 'partial');
			return true;
		});
		g.server.close();
	});

	it('fails fast when the guest kernel panics mid-answer', async () => {
		const g = await guest(
			(line, socket) => {
				socket.write(`SEL4LLM-TOK ${idOf(line)} a\n[   9.9] Kernel panic - not syncing: Out of memory\n`);
			},
			(socket) => socket.write('SEL4LLM-READY model=m.gguf threads=1\n'),
		);
		const console = await GuestConsole.connect(g.path);
		open.push(console);
		await console.waitReady({timeoutMs: 5000});
		await assert.rejects(console.ask('x', {maxTokens: 5}), (error: unknown) => error instanceof ConsoleError && error.kind === 'died' && /Kernel panic/.test(error.message));
		console.close();
		g.server.close();
	});

	it('finds a guest that was ready before we connected by pinging once the console is quiet', async () => {
		const g = await guest((line, socket) => {
			if (line.startsWith('ping ')) socket.write(`SEL4LLM-PONG ${idOf(line)}\r\n`);
		});
		const console = await GuestConsole.connect(g.path);
		open.push(console);
		const started = Date.now();
		const ready = await console.waitReady({timeoutMs: 5000, quietMs: 200, pingEveryMs: 300});
		assert.equal(ready.via, 'pong');
		assert.ok(Date.now() - started >= 200, 'no ping before the console was quiet');
		assert.match(g.received[0]!, /^ping p[0-9a-f]{8}$/);
		console.close();
		g.server.close();
	});

	it('says the guest is not ready when neither the marker nor a pong arrives, and never pings while it prints', async () => {
		let timer: NodeJS.Timeout | undefined;
		const g = await guest(
			() => {},
			(socket) => {
				// A guest still booting: a line every 100 ms.
				timer = setInterval(() => socket.write('[    2.0] booting...\n'), 100);
				socket.on('close', () => clearInterval(timer));
			},
		);
		const console = await GuestConsole.connect(g.path);
		open.push(console);
		await assert.rejects(console.waitReady({timeoutMs: 1200, quietMs: 300}), (error: unknown) => {
			assert.ok(error instanceof ConsoleError);
			assert.equal(error.kind, 'not-ready');
			assert.match(error.message, /not ready yet/);
			assert.ok(error.lastLines.some((line) => line.includes('booting')));
			return true;
		});
		assert.deepEqual(g.received, [], 'no ping while the guest was printing');
		clearInterval(timer);
		console.close();
		g.server.close();
	});

	it('sends a long multi-line prompt in acknowledged pieces that reassemble exactly', async () => {
		const prompt = `${'Ünïcödé "quotes" \\ back\tslash\n'.repeat(400)}end`;
		let assembled = Buffer.alloc(0);
		let awaitingAck = false;
		let overrun = 0;
		const g = await guest(
			(line, socket) => {
				if (awaitingAck) overrun++;
				if (line.startsWith('+')) {
					assembled = Buffer.concat([assembled, unescapeBytes(line.slice(1))]);
					awaitingAck = true;
					setTimeout(() => {
						awaitingAck = false;
						socket.write(`SEL4LLM-PART ${assembled.length}\n`);
					}, 5);
					return;
				}
				const [, id, , , ...rest] = line.split(' ');
				assembled = Buffer.concat([assembled, unescapeBytes(rest.join(' '))]);
				socket.write(`SEL4LLM-TOK ${id} ok\nSEL4LLM-END ${id} tokens=1 prompt_tokens=900 tps=0.00 ttft_ms=1.0 total_ms=1.0 stop=length\n`);
			},
			(socket) => socket.write('SEL4LLM-READY model=m.gguf threads=1\n'),
		);
		const console = await GuestConsole.connect(g.path);
		open.push(console);
		await console.waitReady({timeoutMs: 5000});
		const answer = await console.ask(prompt, {maxTokens: 1, flags: ['raw']});
		assert.equal(answer.text, 'ok');
		assert.ok(g.received.length > 3, `${g.received.length} lines`);
		assert.ok(g.received.every((line) => Buffer.byteLength(line, 'latin1') < 4095));
		assert.equal(assembled.toString('utf8'), prompt);
		assert.equal(overrun, 0, 'no line sent before the previous piece was acknowledged');
		console.close();
		g.server.close();
	});

	it('passes a guest error for the request on as guest-error', async () => {
		const g = await guest(
			(line, socket) => socket.write(`SEL4LLM-ERROR ${idOf(line)} the\\x20prompt\\x20has\\x20300\\x20tokens\n`),
			(socket) => socket.write('SEL4LLM-READY model=m.gguf threads=1\n'),
		);
		const console = await GuestConsole.connect(g.path);
		open.push(console);
		await console.waitReady({timeoutMs: 5000});
		await assert.rejects(console.ask('x', {maxTokens: 5}), /the guest could not answer: the prompt has 300 tokens/);
		console.close();
		g.server.close();
	});

	it('ignores the guest complaining about a damaged line from boot time, which is not this prompt', async () => {
		const g = await guest(
			(line, socket) => {
				const id = idOf(line);
				socket.write(`SEL4LLM-ERROR - unknown\\x20request:\\x20g\nSEL4LLM-TOK ${id} fine\nSEL4LLM-END ${id} tokens=1 prompt_tokens=1 tps=0.00 ttft_ms=1.0 total_ms=1.0 stop=eog\n`);
			},
			(socket) => socket.write('SEL4LLM-READY model=m.gguf threads=1\n'),
		);
		const console = await GuestConsole.connect(g.path);
		open.push(console);
		await console.waitReady({timeoutMs: 5000});
		assert.equal((await console.ask('x', {maxTokens: 5})).text, 'fine');
	});

	it('says clearly when nothing listens on the socket', async () => {
		await assert.rejects(GuestConsole.connect(join(dir, 'missing.sock')), /the socket does not exist/);
	});
});
