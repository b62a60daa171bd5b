// The setup phase of `npm test`: makes every expensive fixture once, before the tests and outside their timeouts,
// into the test cache (cache.ts), with every core, saying what it does at least every few seconds. The tests then
// find them cached; run alone, a test file makes what it needs on demand through the same functions.
//
//   node --import tsx test/support/prepare.ts
//
// Fixtures that depend on the machine's surroundings (the npm registry for the llama.cpp source, a Debian archive
// for the guest kernels) may be unavailable: that is written to status.json and the tests that need them skip with
// the reason. A fixture that fails for any other reason (a build error) fails the run.
import {mkdirSync, writeFileSync, renameSync} from 'node:fs';
import {availableParallelism} from 'node:os';
import {testKernel} from '../flash/helpers.js';
import {testCacheDir, statusFile, type PrepareStatus} from './cache.js';
import {debianBusybox, debianKernel} from './debian-kernel.js';
import {llamaSource, payloadBinary, testModel} from './test-model.js';

type Task = {
	name: string;
	/** Fails because of the machine's surroundings (network, distribution), not because of our code. */
	environmental: boolean;
	make: (progress: (line: string) => void) => Promise<unknown>;
};

const started = Date.now();
const seconds = (ms: number) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`);
const say = (line: string) => process.stderr.write(`setup: ${line}\n`);

const running = new Map<string, {since: number; last: string}>();
const status: PrepareStatus = {fixtures: {}};
const failures: string[] = [];

/** The cause in a line: the last lines a failed command wrote to stderr, else the error's first lines. */
function why(error: unknown): string {
	const stderr = (error as {stderr?: unknown} | undefined)?.stderr;
	const text = typeof stderr === 'string' && stderr.trim() ? stderr : error instanceof Error ? error.message : String(error);
	const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
	return (typeof stderr === 'string' && stderr.trim() ? lines.slice(-2) : lines.slice(0, 2)).join(' / ').slice(0, 300);
}

async function run(task: Task): Promise<boolean> {
	const since = Date.now();
	running.set(task.name, {since, last: ''});
	try {
		await task.make((line) => {
			const entry = running.get(task.name);
			if (entry) entry.last = line.trim().slice(0, 100);
		});
		const ms = Date.now() - since;
		status.fixtures[task.name] = {ok: true, ms};
		say(`${task.name}: ready (${seconds(ms)})`);
		return true;
	} catch (error) {
		const reason = why(error);
		if (task.environmental) {
			status.fixtures[task.name] = {ok: false, reason};
			say(`${task.name}: unavailable, the tests that need it will skip: ${reason}`);
		} else {
			failures.push(`${task.name}: ${reason}`);
			say(`${task.name}: FAILED: ${reason}`);
		}
		return false;
	} finally {
		running.delete(task.name);
	}
}

/** Runs tasks one after the other; stops the chain at the first one that fails. */
async function chain(tasks: Task[]): Promise<void> {
	for (const task of tasks) if (!(await run(task))) break;
}

// The llama.cpp source is a pinned npm package, checked against its integrity: a copy in npm's cache is as good as
// the registry's, and without network npm would otherwise retry for minutes before using it.
process.env.npm_config_prefer_offline ??= 'true';

const jobs = availableParallelism();
const cache = testCacheDir();
mkdirSync(cache, {recursive: true});
say(`fixtures in ${cache} (${jobs} cores)`);

const ticker = setInterval(() => {
	if (running.size === 0) return;
	const now = Date.now();
	const parts = [...running].map(([name, entry]) => `${name} ${seconds(now - entry.since)}${entry.last ? ` (${entry.last})` : ''}`);
	say(`working: ${parts.join('; ')}`);
}, 8000);

await Promise.all([
	// CPU: the two static llama.cpp builds, one after the other, each with every core; the model needs only the source.
	(async () => {
		if (!(await run({name: 'llama-source', environmental: true, make: (progress) => llamaSource(progress)}))) return;
		await Promise.all([
			run({name: 'test-model', environmental: false, make: () => testModel()}),
			chain([
				{name: 'payload-x86_64', environmental: false, make: (progress) => payloadBinary('x86_64', progress)},
				{name: 'payload-aarch64', environmental: false, make: (progress) => payloadBinary('aarch64', progress)},
			]),
		]);
	})(),
	// Network and disk, alongside the builds: Debian's kernels and busybox (one apt lock, so in turn).
	chain([{name: 'kernel-amd64', environmental: true, make: () => debianKernel('amd64')}]).then(() =>
		chain([{name: 'kernel-arm64', environmental: true, make: () => debianKernel('arm64')}]),
	),
	chain([
		{name: 'busybox-amd64', environmental: true, make: () => debianBusybox('amd64')},
		{name: 'busybox-arm64', environmental: true, make: () => debianBusybox('arm64')},
	]),
	// The multiboot test kernels of the flash and USB image tests (a second each).
	chain([{name: 'multiboot-kernel', environmental: false, make: async () => [testKernel(), testKernel({needPcid: true})]}]),
]);
clearInterval(ticker);

const file = statusFile();
writeFileSync(`${file}.partial`, `${JSON.stringify(status, null, '\t')}\n`);
renameSync(`${file}.partial`, file);
say(`done in ${seconds(Date.now() - started)}${failures.length > 0 ? `, ${failures.length} failed` : ''}`);
if (failures.length > 0) {
	for (const failure of failures) say(`failed: ${failure}`);
	process.exitCode = 1;
}
