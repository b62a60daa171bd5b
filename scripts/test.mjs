// Runs the test suite: the machine's prerequisites first (within a second), then (with --build) the build, then the
// setup phase that makes the expensive fixtures into the test cache (a full run only), then every test file under
// test/ with Node's test runner (Node 20 does not expand globs itself), and last the ten slowest tests.
//
//   node scripts/test.mjs --build              what `npm test` runs
//   node scripts/test.mjs test/x.test.ts ...   only these files, no setup phase (fixtures are made on demand)
//   node scripts/test.mjs --setup test/x.test.ts   these files, after the setup phase
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, relative} from 'node:path';
import {checkPrerequisites, testCacheDir} from './test-prereqs.mjs';

function find(dir, out = []) {
	for (const name of readdirSync(dir)) {
		if (name === 'fixtures' || name === 'node_modules') continue;
		const path = join(dir, name);
		if (statSync(path).isDirectory()) find(path, out);
		else if (/\.test\.tsx?$/.test(name)) out.push(path);
	}
	return out;
}

const started = Date.now();
const args = process.argv.slice(2);
const flags = new Set(args.filter((arg) => arg.startsWith('--')));
const only = args.filter((arg) => !arg.startsWith('--'));
const files = (only.length > 0 ? only : find('test')).sort();
const minutes = (ms) => `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;

checkPrerequisites();
// The values sel4-llm remembers per workspace go to a folder of this run, never to the user's ~/.config.
const configHome = mkdtempSync(join(tmpdir(), 'sel4-llm-test-config-'));
const env = {...process.env, SEL4LLM_TEST: '1', SEL4LLM_TEST_CACHE: testCacheDir(), TSX_TSCONFIG_PATH: 'test/tsconfig.json', XDG_CONFIG_HOME: configHome};

if (flags.has('--build')) {
	console.error('build: dist/');
	const build = spawnSync(process.execPath, ['scripts/build.mjs'], {stdio: 'inherit'});
	if (build.status !== 0) process.exit(build.status ?? 1);
}

let setupFailed = false;
if (only.length === 0 || flags.has('--setup')) {
	const setup = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/prepare.ts'], {stdio: 'inherit', env});
	setupFailed = setup.status !== 0;
	// The tests read which fixtures the setup phase could not make (status.json) only when it ran.
	env.SEL4LLM_TEST_PREPARED = '1';
}

const scratch = mkdtempSync(join(tmpdir(), 'sel4-llm-test-timings-'));
const timings = join(scratch, 'timings.jsonl');
const result = spawnSync(
	process.execPath,
	[
		'--import',
		'tsx',
		'--test',
		'--test-concurrency=2',
		'--test-reporter=spec',
		'--test-reporter-destination=stdout',
		'--test-reporter=./scripts/test-timings.mjs',
		`--test-reporter-destination=${timings}`,
		...files,
	],
	{stdio: 'inherit', env},
);

let entries = [];
try {
	entries = readFileSync(timings, 'utf8')
		.split('\n')
		.filter(Boolean)
		.map((line) => JSON.parse(line));
} catch {
	// no timings (the runner did not start)
}
rmSync(scratch, {recursive: true, force: true});
rmSync(configHome, {recursive: true, force: true});
// Skipped suites and tests, by reason (a skipped suite counts once, with its reason).
const reasons = new Map();
for (const entry of entries.filter((each) => each.skipped)) reasons.set(entry.skipped, (reasons.get(entry.skipped) ?? 0) + 1);
if (reasons.size > 0) {
	console.log('\nSkipped, and why:');
	for (const [reason, count] of [...reasons].sort((a, b) => b[1] - a[1])) console.log(`${String(count).padStart(4)}  ${reason}`);
}
const ran = entries.filter((entry) => !entry.suite && !entry.skipped);
if (ran.length > 0) {
	const slowest = ran.sort((a, b) => b.ms - a.ms).slice(0, 10);
	console.log('\nThe ten slowest tests:');
	for (const entry of slowest) {
		const where = entry.file ? relative(process.cwd(), entry.file) : '';
		console.log(`${(entry.ms / 1000).toFixed(1).padStart(7)} s  ${where}: ${entry.name}${entry.failed ? ' (failed)' : ''}`);
	}
}
console.log(`\nwall time ${minutes(Date.now() - started)} (${files.length} files)`);
if (setupFailed) console.error('the setup phase failed (see its "setup:" lines above)');
process.exit(setupFailed ? 1 : (result.status ?? 1));
