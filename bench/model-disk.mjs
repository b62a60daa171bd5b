// Benchmark: a model disk for a 1 GiB model, three ways in the same run.
//   sel4-llm model-disk (mke2fs -d, sparse, sized to content)  vs
//   the old way: a 10 GiB `dd if=/dev/zero` image, then mkfs.ext4 (its copy step needs root and is not counted)  vs
//   a plain cp of the model (the physical floor).
// Goals: <= 0.3x the old way, <= 4x cp, allocated size <= 1.1x the content. Needs `npm run build` first.
// MODEL_DISK_BENCH_MIB and OLD_WAY_GIB scale the run down for a quick look (the ratios then mean less).
import {execFileSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';

const {buildModelDisk} = await import('../dist/images/model-disk.js');

const modelMiB = Number(process.env.MODEL_DISK_BENCH_MIB ?? 1024);
const oldGiB = Number(process.env.OLD_WAY_GIB ?? 10);
const work = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'sel4llm-bench-model-disk-'));

function time(fn) {
	execFileSync('sync');
	const start = performance.now();
	const result = fn();
	return {ms: performance.now() - start, result};
}

async function timeAsync(fn) {
	execFileSync('sync');
	const start = performance.now();
	const result = await fn();
	return {ms: performance.now() - start, result};
}

try {
	// A GGUF header, then incompressible, non-zero data (mke2fs -d turns zero blocks into holes, so zeros would flatter it).
	const model = join(work, 'model.gguf');
	const fd = openSync(model, 'w');
	const header = Buffer.alloc(24);
	header.write('GGUF', 0, 'latin1');
	header.writeUInt32LE(3, 4);
	writeSync(fd, header);
	const chunk = randomBytes(16 * 1024 * 1024);
	for (let written = 0; written < modelMiB * 1024 * 1024; written += chunk.length) {
		chunk[0] = (written / chunk.length) & 0xff;
		writeSync(fd, chunk);
	}
	closeSync(fd);
	const content = statSync(model).size;

	const ours = await timeAsync(() => buildModelDisk({inputs: [model], output: join(work, 'models.img')}));
	rmSync(join(work, 'models.img'));
	const old = time(() => {
		execFileSync('dd', ['if=/dev/zero', `of=${join(work, 'old.img')}`, 'bs=1M', `count=${oldGiB * 1024}`, 'status=none']);
		execFileSync('mkfs.ext4', ['-q', '-F', join(work, 'old.img')]);
	});
	const oldAllocated = statSync(join(work, 'old.img')).blocks * 512;
	rmSync(join(work, 'old.img'));
	const cp = time(() => execFileSync('cp', [model, join(work, 'copy.gguf')]));
	rmSync(join(work, 'copy.gguf'));

	const allocatedRatio = ours.result.allocatedBytes / content;
	const rows = [
		['model-disk', ours.ms, ours.result.sizeBytes, ours.result.allocatedBytes],
		[`dd ${oldGiB} GiB + mkfs.ext4`, old.ms, oldGiB * 1024 ** 3, oldAllocated],
		['cp', cp.ms, content, content],
	];
	console.log(`model disk for a ${modelMiB} MiB model (${work})`);
	for (const [name, ms, size, allocated] of rows) {
		console.log(`  ${name.padEnd(24)} ${(ms / 1000).toFixed(2).padStart(7)} s   image ${(size / 2 ** 20).toFixed(0).padStart(6)} MiB   allocated ${(allocated / 2 ** 20).toFixed(0).padStart(6)} MiB`);
	}
	const vsOld = ours.ms / old.ms;
	const vsCp = ours.ms / cp.ms;
	console.log(`  model-disk / old way   ${vsOld.toFixed(3)}x  (goal <= 0.3x)  ${vsOld <= 0.3 ? 'ok' : 'MISSED'}`);
	console.log(`  model-disk / cp        ${vsCp.toFixed(3)}x  (goal <= 4x)    ${vsCp <= 4 ? 'ok' : 'MISSED'}`);
	console.log(`  allocated / content    ${allocatedRatio.toFixed(3)}x  (goal <= 1.1x)  ${allocatedRatio <= 1.1 ? 'ok' : 'MISSED'}`);
	console.log('  root needed: model-disk no; the old way yes (mount -o loop to copy the model, not even counted here)');
	if (process.env.BENCH_JSON) console.log(JSON.stringify({bench: 'model-disk', modelMiB, oldGiB, ms: {ours: ours.ms, old: old.ms, cp: cp.ms}, vsOld, vsCp, allocatedRatio}));
} finally {
	rmSync(work, {recursive: true, force: true});
}
