// Benchmark: `doctor --json` wall time against the slowest single command it runs, both measured in this run.
// Goal: at most 1.5x (facts are gathered in parallel, nothing serial behind the slowest command, Ink not loaded);
// sanity figure: under 0.5 s median. Run after `npm run build`: node bench/doctor.mjs [runs]
import {spawnSync} from 'node:child_process';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const runs = Number(process.argv[2] ?? 9);
const env = {...process.env};
delete env.CI;

function time(argv) {
	const started = process.hrtime.bigint();
	const result = spawnSync(argv[0], argv.slice(1), {encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe']});
	return {ms: Number(process.hrtime.bigint() - started) / 1e6, result};
}

function median(values) {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

// One warm-up run tells us which commands doctor runs on this machine.
const warm = time([process.execPath, cli, 'doctor', '--json']);
const facts = JSON.parse(warm.result.stdout).facts;
const commands = Object.values(facts.gather).filter((record) => record.argv).map((record) => record.argv);

// Interleave the measurements so that both see the same machine load.
const doctorTimes = [];
const commandTimes = new Map(commands.map((argv) => [argv.join(' '), []]));
const nodeTimes = [];
for (let run = 0; run < runs; run++) {
	doctorTimes.push(time([process.execPath, cli, 'doctor', '--json']).ms);
	nodeTimes.push(time([process.execPath, cli, '--version']).ms);
	for (const argv of commands) commandTimes.get(argv.join(' ')).push(time(argv).ms);
}

const perCommand = [...commandTimes.entries()].map(([command, times]) => ({command, median: median(times)})).sort((a, b) => b.median - a.median);
const slowest = perCommand[0];
const doctorMedian = median(doctorTimes);
const ratio = doctorMedian / slowest.median;
const timeouts = Object.entries(facts.gather).filter(([, record]) => record.status === 'timeout').map(([key]) => key);

console.log(`doctor --json: median ${doctorMedian.toFixed(0)} ms over ${runs} runs (${commands.length} commands per run)`);
console.log(`slowest single command alone: ${slowest.command.slice(0, 90)}: median ${slowest.median.toFixed(0)} ms`);
for (const {command, median: ms} of perCommand.slice(1, 4)) console.log(`  next: ${command.slice(0, 80)}: ${ms.toFixed(0)} ms`);
console.log(`node startup (sel4-llm --version): median ${median(nodeTimes).toFixed(0)} ms`);
console.log(`ratio doctor / slowest command: ${ratio.toFixed(2)}x (goal <= 1.5x) ${ratio <= 1.5 ? 'ok' : 'OVER'}`);
const nodeMedian = median(nodeTimes);
console.log(`ratio without node startup ((doctor - startup) / slowest): ${((doctorMedian - nodeMedian) / slowest.median).toFixed(2)}x`);
console.log(`sanity: doctor median ${doctorMedian.toFixed(0)} ms (goal < 500 ms) ${doctorMedian < 500 ? 'ok' : 'OVER'}`);
if (timeouts.length > 0) console.log(`timed out: ${timeouts.join(', ')}`);
