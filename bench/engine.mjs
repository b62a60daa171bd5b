// Engine benchmarks: log throughput through the plain and Ink reporters, peak memory, log fidelity, start-up.
// Every figure is a ratio against a baseline measured in the same run.
import {execFileSync, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const emit = join(root, 'bench', 'fixtures', 'emit.mjs');
const quick = process.env.BENCH_QUICK === '1';
const noCi = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'CI' && key !== 'CONTINUOUS_INTEGRATION'));

function recipes(args) {
	const dir = mkdtempSync(join(tmpdir(), 'sel4-llm-bench-'));
	writeFileSync(
		join(dir, 'bench.yaml'),
		`version: 1\nid: bench\ntitle: Benchmark\nsteps:\n  emit:\n    title: Emit lines\n    run: [[${JSON.stringify(process.execPath)}, ${JSON.stringify(emit)}, ${args.map((arg) => JSON.stringify(arg)).join(', ')}]]\n`,
	);
	return dir;
}

/** Wall time and peak RSS (KiB) of a command, via GNU time: the fastest of three runs (noise only adds time). */
function measure(command, args, options = {}) {
	const runs = [measureOnce(command, args, options), measureOnce(command, args, options), measureOnce(command, args, options)];
	return {seconds: Math.min(...runs.map((run) => run.seconds)), rssKiB: Math.max(...runs.map((run) => run.rssKiB))};
}

function measureOnce(command, args, options) {
	const start = process.hrtime.bigint();
	const result = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], {encoding: 'utf8', maxBuffer: 1 << 30, ...options});
	const seconds = Number(process.hrtime.bigint() - start) / 1e9;
	const rss = Number(result.stderr.trim().split('\n').at(-1));
	if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr.slice(-2000)}`);
	return {seconds, rssKiB: rss};
}

function sha256(buffer) {
	return createHash('sha256').update(buffer).digest('hex');
}

function runCli(args, workspace, mode) {
	const base = ['run', 'emit', '--recipes', args.recipes, '--workspace', workspace, '--force'];
	if (mode === 'plain') {
		return measure('sh', ['-c', `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} ${base.map((a) => JSON.stringify(a)).join(' ')} --plain 2>/dev/null`], {env: noCi});
	}
	// Ink in a real pseudo-terminal: `script` gives the CLI a pty; the screen output goes to /dev/null.
	const inner = `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} ${base.map((a) => JSON.stringify(a)).join(' ')}`;
	return measure('script', ['-qefc', inner, '/dev/null'], {env: {...noCi, TERM: 'xterm-256color'}, stdio: ['pipe', 'ignore', 'pipe']});
}

function row(label, value, goal) {
	console.log(`${label.padEnd(64)} ${value}${goal ? `   (goal ${goal})` : ''}`);
}

const seconds = quick ? 2 : 5;
const rate = 200_000;
const count = quick ? 200_000 : 1_000_000;

// (a) keeping up with 200,000 lines/s for 5 s
const paced = {recipes: recipes(['--rate', String(rate), '--seconds', String(seconds)])};
const pacedBase = measure('sh', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(emit)} --rate ${rate} --seconds ${seconds} > /dev/null`]);
console.log(`baseline: the emitter alone writing ${rate * seconds} lines to /dev/null at ${rate}/s: ${pacedBase.seconds.toFixed(2)} s`);
for (const mode of ['plain', 'ink']) {
	const workspace = mkdtempSync(join(tmpdir(), 'sel4-llm-bench-ws-'));
	const result = runCli(paced, workspace, mode);
	// The build's own time under the UI (the step, from its start to its end, as the journal records it) is what
	// "the UI never slows a build" is about; the whole command adds sel4-llm's start-up (Ink takes ~0.3 s to load).
	const step = JSON.parse(readFileSync(join(workspace, '.sel4-llm', 'journal.json'), 'utf8')).steps['bench.emit'].durationMs / 1000;
	row(`(a) ${mode}: ${rate}/s for ${seconds} s, the step's time vs baseline`, `${(step / pacedBase.seconds).toFixed(3)}x`, '<= 1.1x');
	row(`    ${mode}: the whole command (start-up included) vs baseline`, `${(result.seconds / pacedBase.seconds).toFixed(3)}x`);
	row(`(c) ${mode}: peak RSS`, `${(result.rssKiB / 1024).toFixed(0)} MB`, '<= 200 MB');
}

// (b) capacity: 1,000,000 lines (~80 MB) as fast as possible; (d) log fidelity
const burst = {recipes: recipes(['--count', String(count)])};
const burstBase = measure('sh', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(emit)} --count ${count} > /dev/null`]);
const noop = {recipes: recipes(['--count', '0'])};
const expected = sha256(execFileSync(process.execPath, [emit, '--count', String(count)], {maxBuffer: 1 << 30}));
console.log(`baseline: the emitter alone writing ${count} lines to /dev/null: ${burstBase.seconds.toFixed(2)} s (${Math.round(count / burstBase.seconds).toLocaleString('en')} lines/s)`);
for (const mode of ['plain', 'ink']) {
	const workspace = mkdtempSync(join(tmpdir(), 'sel4-llm-bench-ws-'));
	const idle = runCli(noop, mkdtempSync(join(tmpdir(), 'sel4-llm-bench-ws-')), mode);
	const result = runCli(burst, workspace, mode);
	// What the CLI costs for the lines alone: the same run with an emitter that prints nothing is subtracted.
	const absorbed = count / Math.max(0.001, result.seconds - idle.seconds);
	row(`(b) ${mode}: lines/s absorbed from ${count} lines`, `${Math.round(absorbed).toLocaleString('en')} (${(result.seconds / burstBase.seconds).toFixed(2)}x the emitter alone)`, '>= 1,000,000 lines/s');
	row(`(c) ${mode}: peak RSS with ${count} lines`, `${(result.rssKiB / 1024).toFixed(0)} MB`, '<= 200 MB');
	const log = readFileSync(join(workspace, '.sel4-llm', 'logs', 'bench.emit.log'));
	row(`(d) ${mode}: log byte-identical to the child's output`, sha256(log) === expected ? 'yes' : `NO (${log.length} bytes)`);
}

// Start-up against `node -e 0`
const reps = quick ? 5 : 15;
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const time = (args) => {
	const start = process.hrtime.bigint();
	execFileSync(process.execPath, args, {stdio: 'ignore'});
	return Number(process.hrtime.bigint() - start) / 1e6;
};
const nodeMs = median(Array.from({length: reps}, () => time(['-e', '0'])));
const versionMs = median(Array.from({length: reps}, () => time([cli, '--version'])));
const helpMs = median(Array.from({length: reps}, () => time([cli, '--help'])));
console.log(`baseline: node -e 0 median ${nodeMs.toFixed(1)} ms`);
row('start-up: sel4-llm --version vs node -e 0', `${(versionMs / nodeMs).toFixed(2)}x (${versionMs.toFixed(1)} ms)`, '<= 2x');
row('start-up: sel4-llm --help vs node -e 0', `${(helpMs / nodeMs).toFixed(2)}x (${helpMs.toFixed(1)} ms)`, '<= 2x');
