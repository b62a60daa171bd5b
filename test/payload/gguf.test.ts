// GGUF header reading and model validation, on the reproducible test model and on damaged copies of it.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, it} from 'node:test';
import {ExitCode, UserError} from '../../source/errors.js';
import {checkModel, readGgufHeader} from '../../source/guest/gguf.js';
import {writeDemoModel, tinyModel} from '../../source/guest/llama/demo-model.js';
import {llamaSource, testModel} from '../support/test-model.js';
import {fixtureUnavailable} from '../support/cache.js';

const dir = mkdtempSync(join(tmpdir(), 'sel4llm-gguf-'));
after(() => rmSync(dir, {recursive: true, force: true}));
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the test model', {timeout: 300_000, skip: fixtureUnavailable('llama-source')}, () => {
	it('is deterministic by seed and differs between seeds', async () => {
		const source = await llamaSource();
		const a = join(dir, 'a.gguf');
		const b = join(dir, 'b.gguf');
		const c = join(dir, 'c.gguf');
		await writeDemoModel(a, tinyModel, join(source.dir, 'gguf-py'));
		await writeDemoModel(b, tinyModel, join(source.dir, 'gguf-py'));
		await writeDemoModel(c, {...tinyModel, seed: 7}, join(source.dir, 'gguf-py'));
		assert.equal(sha(a), sha(b));
		assert.notEqual(sha(a), sha(c));
		assert.equal(sha(await testModel({seed: tinyModel.seed})), sha(a), 'the cached copy is the same model');
	});

	it('refuses parameters Q8_0 cannot hold', async () => {
		const source = await llamaSource();
		await assert.rejects(writeDemoModel(join(dir, 'bad.gguf'), {...tinyModel, embd: 48}, join(source.dir, 'gguf-py')), /multiple of 32/);
	});
});

describe('readGgufHeader and checkModel', {timeout: 300_000, skip: fixtureUnavailable('llama-source')}, () => {
	it('reads the header, architecture and dimensions', async () => {
		const header = readGgufHeader(await testModel());
		assert.equal(header.version, 3);
		assert.equal(header.architecture, 'llama');
		assert.equal(header.tensorCount, 3 + tinyModel.layers * 9);
		assert.equal(header.embeddingLength, tinyModel.embd);
		assert.equal(header.blockCount, tinyModel.layers);
		assert.equal(header.contextLength, tinyModel.ctx);
		const tokens = header.metadata.get('tokenizer.ggml.tokens');
		assert.deepEqual(tokens, {type: 'string', count: 3 + 256 + tinyModel.pieces}, 'long arrays are summarised');
	});

	it('accepts the model for a 512 MiB guest and estimates twice the file in the initrd layout', async () => {
		const model = await testModel();
		const initrd = checkModel(model, {guestRamMb: 512, layout: 'initrd'});
		const disk = checkModel(model, {guestRamMb: 512, layout: 'disk'});
		assert.ok(initrd.neededRamMb >= disk.neededRamMb);
		assert.match(initrd.estimate, /2 x/);
	});

	it('refuses a model too big for the guest RAM with the RAM to set', async () => {
		const big = join(dir, 'big.gguf');
		const data = readFileSync(await testModel());
		writeFileSync(big, Buffer.concat([data, Buffer.alloc(300 << 20)]));
		assert.throws(
			() => checkModel(big, {guestRamMb: 512, layout: 'initrd'}),
			(error: unknown) => error instanceof UserError && error.exitCode === ExitCode.refused && /needs about \d+ MiB/.test(error.message) && error.nextSteps.some((step) => /guest_ram_mb=/.test(step)),
		);
		checkModel(big, {guestRamMb: 512, layout: 'disk'});
		assert.throws(() => checkModel(big, {guestRamMb: 4096, layout: 'initrd', initrdMaxMb: 25}), /initrd limit of 25 MiB/);
		rmSync(big);
	});

	it('names what is wrong with damaged or foreign files', async () => {
		const data = readFileSync(await testModel());
		const write = (name: string, bytes: Buffer) => {
			writeFileSync(join(dir, name), bytes);
			return join(dir, name);
		};
		assert.throws(() => readGgufHeader(write('magic.gguf', Buffer.concat([Buffer.from('GGML'), data.subarray(4)]))), /not a GGUF file \(bad magic\)/);
		const v9 = Buffer.from(data);
		v9.writeUInt32LE(9, 4);
		assert.throws(() => readGgufHeader(write('v9.gguf', v9)), /GGUF version 9/);
		assert.throws(() => readGgufHeader(write('cut.gguf', data.subarray(0, 200))), /truncated/);
		assert.throws(() => readGgufHeader(join(dir, 'missing.gguf')), /no such file/);
		const foreign = Buffer.from(data);
		const at = foreign.indexOf('llama', 0, 'latin1');
		foreign.write('xxxxx', at, 'latin1');
		assert.throws(() => checkModel(write('arch.gguf', foreign), {guestRamMb: 512, layout: 'disk'}), /"xxxxx" model/);
	});
});
