import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {buildModelDisk, modelDiskLabel, modelDiskSize} from '../../source/images/model-disk.js';
import {tempDir, writeGguf} from './helpers.js';
import {jsonOutput} from '../support/cli.js';

const MiB = 1024 * 1024;

function debugfs(image: string, request: string): string {
	return execFileSync('debugfs', ['-R', request, image], {stdio: ['ignore', 'pipe', 'ignore']}).toString();
}

test('model-disk writes a labelled, sparse ext4 image that debugfs reads back without mounting', async () => {
	const work = tempDir('disk');
	const big = join(work, 'big.gguf');
	writeGguf(big, 3 * MiB + 123);
	mkdirSync(join(work, 'more', 'nested'), {recursive: true});
	writeGguf(join(work, 'more', 'nested', 'small.gguf'), 777, 2);
	writeFileSync(join(work, 'more', 'README'), 'not a model, not copied\n');
	const output = join(work, 'models.img');
	const result = await buildModelDisk({inputs: [big, join(work, 'more')], output});
	assert.equal(result.label, modelDiskLabel);
	assert.deepEqual(result.files.map((file) => [file.name, file.size, file.version]), [
		['big.gguf', 3 * MiB + 123 + 24, 3],
		['nested/small.gguf', 801, 2],
	]);
	const header = execFileSync('dumpe2fs', ['-h', output], {stdio: ['ignore', 'pipe', 'ignore']}).toString();
	assert.match(header, /Filesystem volume name:\s+SEL4LLM-MODELS/);
	assert.doesNotMatch(header, /has_journal/);
	assert.match(debugfs(output, 'stat /big.gguf'), new RegExp(`Size: ${3 * MiB + 147}\\b`));
	assert.match(debugfs(output, 'ls -l /nested'), /100644 .* 801 .* small\.gguf/);
	assert.doesNotMatch(debugfs(output, 'ls /'), /README/);
	// The contents are the models' bytes.
	const dumped = join(work, 'dumped.gguf');
	debugfs(output, `dump /big.gguf ${dumped}`);
	assert.deepEqual(readFileSync(dumped), readFileSync(big));
	// e2fsck finds nothing to fix.
	const fsck = spawnSync('e2fsck', ['-fn', output], {stdio: 'pipe'});
	assert.equal(fsck.status, 0, fsck.stdout.toString() + fsck.stderr.toString());
	// Sized to content plus margin, sparse on the host.
	assert.equal(result.sizeBytes, modelDiskSize(result.files));
	assert.ok(result.sizeBytes >= result.contentBytes + 8 * MiB && result.sizeBytes < result.contentBytes + 16 * MiB, `size ${result.sizeBytes}`);
	assert.ok(statSync(output).blocks * 512 < result.sizeBytes / 2, 'image is sparse');
	assert.equal(result.allocatedBytes, statSync(output).blocks * 512);
});

test('model-disk refuses bad models and outputs before writing anything', async () => {
	const work = tempDir('disk');
	const output = join(work, 'models.img');
	await assert.rejects(buildModelDisk({inputs: [join(work, 'nope.gguf')], output}), /does not exist/);
	writeFileSync(join(work, 'fake.gguf'), Buffer.from('PK\x03\x04 a zip file, not a model, really not'));
	await assert.rejects(buildModelDisk({inputs: [join(work, 'fake.gguf')], output}), (error: Error & {hint?: string}) => /fake\.gguf is not a GGUF file \(bad magic\)/.test(error.message) && /convert/.test(error.hint ?? ''));
	writeGguf(join(work, 'v9.gguf'), 100, 9);
	await assert.rejects(buildModelDisk({inputs: [join(work, 'v9.gguf')], output}), /GGUF version 9; this llama.cpp reads versions 2 and 3/);
	mkdirSync(join(work, 'empty'));
	await assert.rejects(buildModelDisk({inputs: [join(work, 'empty')], output}), /holds no \.gguf file/);
	writeGguf(join(work, 'ok.gguf'));
	await assert.rejects(buildModelDisk({inputs: [join(work, 'ok.gguf')], output: '/dev/null', force: true}), /not a regular file/);
	await assert.rejects(buildModelDisk({inputs: [join(work, 'ok.gguf')], output, label: 'a label that is far too long'}), /label/);
	assert.throws(() => statSync(output), /ENOENT/);
	await buildModelDisk({inputs: [join(work, 'ok.gguf')], output});
	await assert.rejects(buildModelDisk({inputs: [join(work, 'ok.gguf')], output}), /already exists/);
	await buildModelDisk({inputs: [join(work, 'ok.gguf')], output, force: true, marginMb: 0});
});

test('sel4-llm model-disk --mbr puts the file system in partition 1 (for the x86 Sataserver path)', async () => {
	const work = tempDir('disk');
	const model = join(work, 'm.gguf');
	writeGguf(model, 100_000);
	const output = join(work, 'sata.img');
	const cli = spawnSync(process.execPath, ['dist/cli.js', 'model-disk', model, '-o', output, '--mbr', '--json'], {encoding: 'utf8'});
	assert.equal(cli.status, 0, cli.stderr);
	const result = jsonOutput(cli.stdout).result as {fsOffset: number; sizeBytes: number};
	assert.equal(result.fsOffset, MiB);
	const table = JSON.parse(execFileSync('sfdisk', ['--json', output]).toString()) as {partitiontable: {label: string; partitions: Array<{start: number; size: number; type: string}>}};
	assert.equal(table.partitiontable.label, 'dos');
	assert.deepEqual(table.partitiontable.partitions.map((part) => [part.start, part.size * 512 + MiB, part.type]), [[2048, result.sizeBytes, '83']]);
	const probe = execFileSync('blkid', ['-p', '-O', String(MiB), output]).toString();
	assert.match(probe, /LABEL="SEL4LLM-MODELS"/);
	assert.match(debugfs(`${output}?offset=${MiB}`, 'ls -l /'), /100644 .* 100024 .* m\.gguf/);
	// Without a file it is a usage error, not a stack.
	const bad = spawnSync(process.execPath, ['dist/cli.js', 'model-disk', model], {encoding: 'utf8'});
	assert.equal(bad.status, 2);
	assert.match(bad.stderr, /needs an output file/);
});
