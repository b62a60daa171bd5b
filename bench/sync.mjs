// Sync benchmark on a miniature upstream of 20 projects (file:// repositories with some history):
// `sel4-llm sync` (parallel, shallow) against a sequential `git clone` of the same repositories measured in the
// same run, and a no-op re-sync against the first sync. Goals: sync <= 0.6x the clones, re-sync <= 0.2x the sync.
import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {register} from 'tsx/esm/api';

register();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const quick = process.env.BENCH_QUICK === '1';
const {createMiniUpstream} = await import('../test/support/mini-upstream.ts');

const rounds = quick ? 1 : 3;
const started = Date.now();
const mini = createMiniUpstream({extraProjects: 13, filesPerProject: quick ? 20 : 60, history: quick ? 4 : 12});
const urls = mini.projects.map((project) => `file://${mini.repoDir(project.name)}`);
console.log(`miniature: ${mini.projects.length} projects, built in ${((Date.now() - started) / 1000).toFixed(1)} s; best of ${rounds}`);

function time(fn) {
	const start = process.hrtime.bigint();
	fn();
	return Number(process.hrtime.bigint() - start) / 1e9;
}

const scratch = [];
function temp() {
	const dir = mkdtempSync(join(tmpdir(), 'sel4-llm-bench-sync-'));
	scratch.push(dir);
	return dir;
}

const results = {clone: [], sync: [], noop: []};
try {
	for (let round = 0; round < rounds; round++) {
		const cloneDir = temp();
		results.clone.push(
			time(() => {
				urls.forEach((url, index) => execFileSync('git', ['clone', '-q', url, join(cloneDir, `p${index}`)], {stdio: 'ignore'}));
			}),
		);
		const workspace = temp();
		const args = [cli, 'sync', '--workspace', workspace, '--manifest-url', mini.manifestUrl, '--jobs', '4'];
		results.sync.push(time(() => execFileSync(process.execPath, args, {stdio: 'ignore'})));
		results.noop.push(time(() => execFileSync(process.execPath, args, {stdio: 'ignore'})));
	}
} finally {
	for (const dir of scratch) rmSync(dir, {recursive: true, force: true});
	mini.remove();
}

const best = (list) => Math.min(...list);
const clone = best(results.clone);
const sync = best(results.sync);
const noop = best(results.noop);
const line = (name, seconds, ratio, goal) =>
	console.log(`${name.padEnd(34)} ${seconds.toFixed(3).padStart(7)} s   ${ratio === undefined ? '' : `${ratio.toFixed(2)}x ${ratio <= goal ? '(goal <= ' + goal + 'x met)' : '(goal <= ' + goal + 'x NOT met)'}`}`);
line('sequential git clone (baseline)', clone);
line('sel4-llm sync, first (jobs 4)', sync, sync / clone, 0.6);
line('sel4-llm sync, unchanged re-sync', noop, noop / sync, 0.2);
