#!/usr/bin/env node
// Benchmark: sel4-llm flash (write + sync + verify from the medium) against
// `dd bs=4M conv=fsync`, then dropping the page cache and `cmp` (an honest read-back), in the same run.
// Images: a 2 GiB image with 25% data (sparse) and a dense 1 GiB image; targets: a loop device and a file.
// Goals: the sparse image in at most 0.4x the baseline's time, the dense one in at most 1.0x.
// Each side runs N times (alternating which goes first) and the best time counts; before each run the page cache
// is dropped and the disk given 3 s to settle. Needs root (loop devices, drop_caches).
// Run: npm run build && node bench/flash.mjs [--runs N] [--only sparse|dense[/loop|/file]] [--json]
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdtempSync, openSync, rmSync, writeSync, closeSync, ftruncateSync, writeFileSync, existsSync} from 'node:fs';
import {randomBytes} from 'node:crypto';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 2;
const MiB = 1 << 20;
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] ?? '' : '';

if (process.getuid?.() !== 0) {
	console.log('bench/flash.mjs: skipped (needs root for loop devices and dropping the page cache)');
	process.exit(0);
}
if (!existsSync(cli)) {
	console.error('bench/flash.mjs: run npm run build first');
	process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'sel4-llm-bench-flash-'));
const loops = [];
function cleanupAll() {
	for (const loop of loops) spawnSync('losetup', ['-d', loop]);
	rmSync(dir, {recursive: true, force: true});
}
process.on('exit', cleanupAll);
process.on('SIGINT', () => process.exit(130));

function makeImage(path, size, dataFraction) {
	const block = randomBytes(16 * MiB);
	const fd = openSync(path, 'w');
	ftruncateSync(fd, size);
	const stride = dataFraction >= 1 ? 16 * MiB : Math.round((16 * MiB) / dataFraction);
	for (let offset = 0; offset < size; offset += stride) writeSync(fd, block, 0, Math.min(block.length, size - offset), offset);
	closeSync(fd);
}

function dropCaches() {
	execFileSync('sync');
	writeFileSync('/proc/sys/vm/drop_caches', '3\n');
}

/** Before each measurement: no cached data, and time for the disk to finish the previous run's writes. */
function settle() {
	dropCaches();
	execFileSync('sleep', ['3']);
}

function time(fn) {
	const started = performance.now();
	fn();
	return (performance.now() - started) / 1000;
}

function run(command, args) {
	const result = spawnSync(command, args, {encoding: 'utf8', env: {...process.env, CI: '1'}});
	if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
	return result;
}

const images = [
	{key: 'sparse', name: 'sparse 2 GiB, 25% data', path: join(dir, 'sparse.img'), size: 2048 * MiB, data: 0.25, goal: 0.4},
	{key: 'dense', name: 'dense 1 GiB', path: join(dir, 'dense.img'), size: 1024 * MiB, data: 1, goal: 1.0},
].filter((image) => !only || only.split('/')[0] === image.key);
for (const image of images) makeImage(image.path, image.size, image.data);
const backing = join(dir, 'loop.backing');
execFileSync('truncate', ['-s', String(2100 * MiB), backing]);
const loop = execFileSync('losetup', ['-f', '--show', backing], {encoding: 'utf8'}).trim();
loops.push(loop);
const fileTarget = join(dir, 'target.img');

const rows = [];
for (const image of images) {
	const targets = [
		{key: 'loop', kind: 'loop device', path: loop},
		{key: 'file', kind: 'file', path: fileTarget},
	];
	for (const target of targets.filter((each) => !only.includes('/') || only.split('/')[1] === each.key)) {
		let baseline = Infinity;
		let ours = Infinity;
		const measureBaseline = () => {
			if (target.kind === 'file') rmSync(fileTarget, {force: true});
			settle();
			baseline = Math.min(
				baseline,
				time(() => {
					run('dd', [`if=${image.path}`, `of=${target.path}`, 'bs=4M', 'conv=fsync', 'status=none']);
					dropCaches();
					run('cmp', ['-n', String(image.size), image.path, target.path]);
				}),
			);
		};
		const measureOurs = () => {
			if (target.kind === 'file') rmSync(fileTarget, {force: true});
			settle();
			const args = ['flash', image.path, '--device', target.path, '--yes', '--allow-non-removable'];
			// A disk keeps its old contents in skipped blocks, so sparse writing to it is asked for explicitly.
			if (target.kind === 'loop device' && image.data < 1) args.push('--sparse');
			ours = Math.min(ours, time(() => run(process.execPath, [cli, ...args])));
		};
		// Alternate the order so that neither side always runs after the other's writes.
		for (let index = 0; index < runs; index++) {
			if (index % 2 === 0) {
				measureBaseline();
				measureOurs();
			} else {
				measureOurs();
				measureBaseline();
			}
		}
		rows.push({image: image.name, target: target.kind, baseline, ours, ratio: ours / baseline, goal: image.goal});
	}
}

console.log('flash: sel4-llm flash (write, sync, verify) vs dd bs=4M conv=fsync + drop caches + cmp');
console.log(`${'image'.padEnd(24)} ${'target'.padEnd(12)} ${'dd+cmp'.padStart(8)} ${'sel4-llm'.padStart(9)} ${'ratio'.padStart(6)}  goal`);
for (const row of rows) {
	console.log(
		`${row.image.padEnd(24)} ${row.target.padEnd(12)} ${`${row.baseline.toFixed(2)}s`.padStart(8)} ${`${row.ours.toFixed(2)}s`.padStart(9)} ${row.ratio.toFixed(2).padStart(6)}  <= ${row.goal.toFixed(1)} ${row.ratio <= row.goal ? 'met' : 'MISSED'}`,
	);
}
if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
