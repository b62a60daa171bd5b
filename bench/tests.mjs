// Benchmark: the wall time of the whole test suite (scripts/test.mjs, as `npm test` runs it after the build),
// cold (an empty fixture cache: the setup phase builds both static payloads and downloads the Debian kernels) and
// warm (the same cache again). Goals on 2 cores: cold <= 10 min, warm <= 5 min. Printed as minutes and as ratios
// against those goals, and warm against cold.
//
// Slow (15 minutes or more), so it runs only when asked for: `npm run bench tests`, or BENCH_SLOW=1.
// BENCH_QUICK=1 measures only the warm run, against the cache the tests normally use.
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

if (process.env.BENCH_NAMED !== '1' && process.env.BENCH_SLOW !== '1') {
	console.log('bench/tests.mjs: skipped (runs the whole test suite twice; ask for it: npm run bench tests, or BENCH_SLOW=1)');
	process.exit(0);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.env.BENCH_QUICK === '1';
const goals = {cold: 10 * 60_000, warm: 5 * 60_000};
const minutes = (ms) => `${(ms / 60_000).toFixed(1)} min`;

function suite(cache) {
	const started = performance.now();
	const result = spawnSync(process.execPath, ['scripts/test.mjs'], {
		cwd: root,
		stdio: ['ignore', 'ignore', 'inherit'],
		env: {...process.env, ...(cache ? {SEL4LLM_TEST_CACHE: cache} : {})},
	});
	return {ms: performance.now() - started, ok: result.status === 0};
}

const build = spawnSync(process.execPath, ['scripts/build.mjs'], {cwd: root, stdio: 'inherit'});
if (build.status !== 0) process.exit(1);

const cache = quick ? undefined : mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'sel4llm-bench-tests-cache-'));
const results = {};
try {
	if (!quick) {
		console.error('bench/tests.mjs: the suite with an empty fixture cache (cold)');
		results.cold = suite(cache);
	}
	console.error('bench/tests.mjs: the suite again (warm)');
	results.warm = suite(cache);
} finally {
	if (cache) rmSync(cache, {recursive: true, force: true});
}

for (const [name, result] of Object.entries(results)) {
	console.log(`${name.padEnd(5)} ${minutes(result.ms).padStart(9)}  ${(result.ms / goals[name]).toFixed(2)}x the ${minutes(goals[name])} goal${result.ok ? '' : '  (the suite failed)'}`);
}
if (results.cold) console.log(`warm/cold ${(results.warm.ms / results.cold.ms).toFixed(2)}x`);
if (process.env.BENCH_JSON) console.log(JSON.stringify({bench: 'tests', ms: Object.fromEntries(Object.entries(results).map(([name, result]) => [name, Math.round(result.ms)]))}));
process.exit(Object.values(results).every((result) => result.ok) ? 0 : 1);
