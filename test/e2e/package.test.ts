// The packed package works through npx, offline from the npm cache, in an empty directory.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {readdirSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {root, tempDir} from '../support/cli.js';

test('npm pack output runs with npx --yes ./sel4-llm-<version>.tgz --help', {timeout: 300_000}, () => {
	const dir = tempDir();
	const env = {...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false'};
	// The package is built by `prepare`; pack from the current build.
	execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], {cwd: root, env, stdio: 'pipe'});
	const tarball = readdirSync(dir).find((name) => /^sel4-llm-.*\.tgz$/.test(name));
	assert.ok(tarball, 'npm pack wrote a tarball');
	const help = execFileSync('npx', ['--yes', `./${tarball}`, '--help'], {cwd: dir, env, encoding: 'utf8'});
	assert.match(help, /Usage: sel4-llm <command> \[options\]/);
	assert.match(help, /plan +Dry run/);
	const version = execFileSync('npx', ['--yes', `./${tarball}`, '--version'], {cwd: dir, env, encoding: 'utf8'});
	assert.match(version, /^\d+\.\d+\.\d+\n$/);
	const recipes = execFileSync('npx', ['--yes', `./${tarball}`, 'recipes', '--json'], {cwd: dir, env, encoding: 'utf8'});
	assert.ok(JSON.parse(recipes).vars.platform, 'the packed recipes load');
	assert.ok(readdirSync(join(dir)).length >= 1);
});
