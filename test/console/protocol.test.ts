import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {
	encodeAsk,
	encodePing,
	escapeBytes,
	LineSplitter,
	maxLineBytes,
	parseGuestLine,
	unescapeBytes,
} from '../../source/console/protocol.js';

/** What the guest program does with request lines: join "+" pieces and the ask line's text, then unescape. */
function guestView(lines: string[]): {id: string; max: number; flags: string; prompt: string} {
	let pending = Buffer.alloc(0);
	for (const line of lines) {
		assert.ok(line.endsWith('\n'), 'every line ends with \\n');
		assert.ok(!line.slice(0, -1).includes('\n'), 'no newline inside a line');
		assert.ok(!line.includes('\r'), 'no carriage return');
		assert.ok(Buffer.byteLength(line) <= maxLineBytes + 1, `line of ${Buffer.byteLength(line)} bytes`);
		const body = line.slice(0, -1);
		if (body.startsWith('+')) {
			pending = Buffer.concat([pending, unescapeBytes(Buffer.from(body.slice(1), 'utf8').toString('latin1'))]);
			continue;
		}
		const [verb, id, max, flags, ...rest] = body.split(' ');
		assert.equal(verb, 'ask');
		const text = unescapeBytes(Buffer.from(rest.join(' '), 'utf8').toString('latin1'));
		return {id: id!, max: Number(max), flags: flags!, prompt: Buffer.concat([pending, text]).toString('utf8')};
	}
	throw new Error('no ask line');
}

describe('escaping', () => {
	it('round-trips every byte value', () => {
		const all = Buffer.from(Array.from({length: 256}, (_, index) => index));
		const escaped = escapeBytes(all);
		assert.match(escaped, /^[\x20-\x7e]*$/, 'only printable ASCII on the wire');
		assert.deepEqual(unescapeBytes(escaped), all);
	});

	it('escapes every control byte a tty would act on, even when keeping UTF-8', () => {
		const escaped = escapeBytes(Buffer.from('a\x03b\x04c\x15d\x7fe\x1bf\x11g\x16h\x1ai é', 'utf8'), true);
		assert.doesNotMatch(escaped, /[\x00-\x1f\x7f]/);
		assert.ok(escaped.includes('é'), 'UTF-8 left as it is');
	});

	it('rejects broken escapes', () => {
		assert.throws(() => unescapeBytes('abc\\'), /bad escape/);
		assert.throws(() => unescapeBytes('\\xZ1'), /bad \\x escape/);
		assert.throws(() => unescapeBytes('\\q'), /bad escape/);
	});
});

describe('encodeAsk', () => {
	it('keeps quotes, newlines, tabs, backslashes and UTF-8 of a prompt intact', () => {
		const prompt = 'He said "hi" and \'bye\'\nsecond line\twith tab \\n (not a newline) — 日本語 🚀';
		const lines = encodeAsk('q1', prompt, {maxTokens: 16, flags: ['chat']});
		assert.equal(lines.length, 1);
		const view = guestView(lines);
		assert.deepEqual(view, {id: 'q1', max: 16, flags: 'chat', prompt});
	});

	it('splits long prompts into acknowledged pieces under the tty line limit', () => {
		const prompt = `${'x'.repeat(3990)}\\${'é'.repeat(3000)}\n${'\\'.repeat(5000)}🚀`.repeat(2);
		const lines = encodeAsk('long', prompt, {maxTokens: 1});
		assert.ok(lines.length > 4, `${lines.length} lines`);
		assert.ok(lines.slice(0, -1).every((line) => line.startsWith('+')));
		assert.equal(guestView(lines).prompt, prompt);
	});

	it('sends "-" for no flags and refuses bad ids and token counts', () => {
		assert.match(encodeAsk('a', 'x', {maxTokens: 1})[0]!, /^ask a 1 - x\n$/);
		assert.throws(() => encodeAsk('bad id', 'x', {maxTokens: 1}), RangeError);
		assert.throws(() => encodeAsk('a', 'x', {maxTokens: 0}), RangeError);
		assert.equal(encodePing('p1'), 'ping p1\n');
	});
});

describe('parseGuestLine', () => {
	it('parses every guest line', () => {
		assert.deepEqual(parseGuestLine('SEL4LLM-READY model=demo.gguf threads=2'), {type: 'ready', model: 'demo.gguf', threads: 2});
		assert.deepEqual(parseGuestLine('SEL4LLM-BEGIN q1 prompt_tokens=7'), {type: 'begin', id: 'q1', promptTokens: 7});
		const token = parseGuestLine('SEL4LLM-TOK q1  wor\\xc3\\xa9ld\\n');
		assert.equal(token.type, 'token');
		assert.equal(token.type === 'token' && token.bytes.toString('utf8'), ' woréld\n');
		assert.deepEqual(parseGuestLine('SEL4LLM-END q1 tokens=8 prompt_tokens=7 tps=10.50 ttft_ms=120.0 total_ms=900.5 stop=eog'), {
			type: 'end',
			id: 'q1',
			stats: {tokens: 8, promptTokens: 7, tokensPerSecond: 10.5, ttftMs: 120, totalMs: 900.5, stop: 'eog'},
		});
		assert.deepEqual(parseGuestLine('SEL4LLM-ERROR - no\\x20model'), {type: 'error', id: '-', message: 'no model'});
		assert.deepEqual(parseGuestLine('SEL4LLM-PONG p1'), {type: 'pong', id: 'p1'});
		assert.deepEqual(parseGuestLine('SEL4LLM-PART 3990'), {type: 'part', bytes: 3990});
	});

	it('finds a marker after kernel text on the same line, and leaves other lines alone', () => {
		assert.equal(parseGuestLine('[   12.3] random: crng initSEL4LLM-READY model=m.gguf threads=1').type, 'ready');
		assert.deepEqual(parseGuestLine('Run /init as init process'), {type: 'other', text: 'Run /init as init process'});
		assert.equal(parseGuestLine('SEL4LLM-TOK q1 bad\\q').type, 'other', 'a damaged token line is not a token');
		assert.equal(parseGuestLine('SEL4LLM-STAGE init').type, 'other');
	});
});

describe('LineSplitter', () => {
	it('joins lines split across reads and splits several lines in one read', () => {
		const splitter = new LineSplitter();
		assert.deepEqual(splitter.push(Buffer.from('SEL4LLM-TO')), []);
		assert.deepEqual(splitter.push(Buffer.from('K q1 a\r')), []);
		assert.deepEqual(splitter.push(Buffer.from('\nSEL4LLM-TOK q1 b\r\nSEL4LLM-E')), ['SEL4LLM-TOK q1 a', 'SEL4LLM-TOK q1 b']);
		assert.deepEqual(splitter.push(Buffer.from('ND q1 tokens=2\r\n')), ['SEL4LLM-END q1 tokens=2']);
		assert.equal(splitter.flush(), undefined);
	});

	it('keeps raw bytes byte for byte (a UTF-8 sequence split across reads)', () => {
		const splitter = new LineSplitter();
		const bytes = Buffer.from('é\n', 'utf8');
		assert.deepEqual(splitter.push(bytes.subarray(0, 1)), []);
		const [line] = splitter.push(bytes.subarray(1));
		assert.equal(Buffer.from(line!, 'latin1').toString('utf8'), 'é');
	});

	it('cuts a runaway line at its limit and hands back the rest on flush', () => {
		const splitter = new LineSplitter(10);
		assert.deepEqual(splitter.push(Buffer.from('0123456789abc')), ['0123456789abc']);
		assert.deepEqual(splitter.push(Buffer.from('tail')), []);
		assert.equal(splitter.flush(), 'tail');
	});
});
