// Runs every benchmark in bench/ (or those named on the command line) one after another.
import {spawnSync} from 'node:child_process';
import {readdirSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
	.filter((name) => name.endsWith('.mjs') && name !== 'run.mjs')
	.filter((name) => wanted.length === 0 || wanted.some((want) => name.startsWith(want)))
	.sort();
let failed = 0;
for (const file of files) {
	console.log(`\n=== ${file} ===`);
	// A benchmark named on the command line knows it was asked for (the slow ones run only then).
	const named = wanted.some((want) => file.startsWith(want));
	const result = spawnSync(process.execPath, [join(here, file)], {stdio: 'inherit', env: {...process.env, BENCH_NAMED: named ? '1' : ''}});
	if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
