// Runs every test file under test/ with Node's test runner (Node 20 does not expand globs itself).
import {spawnSync} from 'node:child_process';
import {readdirSync, statSync} from 'node:fs';
import {join} from 'node:path';

function find(dir, out = []) {
	for (const name of readdirSync(dir)) {
		if (name === 'fixtures' || name === 'node_modules') continue;
		const path = join(dir, name);
		if (statSync(path).isDirectory()) find(path, out);
		else if (/\.test\.tsx?$/.test(name)) out.push(path);
	}
	return out;
}

const only = process.argv.slice(2);
const files = (only.length > 0 ? only : find('test')).sort();
const result = spawnSync(
	process.execPath,
	['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
	{stdio: 'inherit', env: {...process.env, SEL4LLM_TEST: '1', TSX_TSCONFIG_PATH: 'test/tsconfig.json'}},
);
process.exit(result.status ?? 1);
