// `sel4-llm --version` prints the version of package.json, and CHANGELOG.md has a section for it or Unreleased.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {cli, root} from '../support/cli.js';

const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {version: string}).version;

test('--version prints the version of package.json, alone and after a command', () => {
	for (const args of [['--version'], ['plan', '--version']]) {
		const result = cli(args);
		assert.equal(result.code, 0, result.stderr);
		assert.equal(result.stdout, `${version}\n`);
	}
	assert.match(cli(['--help']).stdout, new RegExp(`^sel4-llm ${version.replace(/\./g, '\\.')}:`));
});

test('CHANGELOG.md follows Keep a Changelog and covers this version', () => {
	const changelog = readFileSync(join(root, 'CHANGELOG.md'), 'utf8');
	assert.match(changelog, /keepachangelog\.com/);
	assert.match(changelog, new RegExp(`^## \\[(Unreleased|${version.replace(/\./g, '\\.')})\\]`, 'm'));
});

test('the quick start\'s link step, as the README writes it, puts a sel4-llm on PATH without building again', {timeout: 120_000}, () => {
	const readme = readFileSync(join(root, 'README.md'), 'utf8');
	const line = /^npm ci && (npm link[^&]*?) && sel4-llm\b/m.exec(readme);
	assert.ok(line, 'the quick start is `npm ci && npm link ... && sel4-llm`');
	const prefix = mkdtempSync(join(tmpdir(), 'sel4-llm-link-'));
	const distBefore = statSync(join(root, 'dist', 'cli.js')).mtimeMs;
	try {
		const link = spawnSync('sh', ['-c', line[1]!], {cwd: root, env: {...process.env, npm_config_prefix: prefix}, encoding: 'utf8'});
		assert.equal(link.status, 0, link.stderr);
		assert.equal(statSync(join(root, 'dist', 'cli.js')).mtimeMs, distBefore, 'dist/ was not built again');
		const linked = spawnSync(join(prefix, 'bin', 'sel4-llm'), ['--version'], {encoding: 'utf8'});
		assert.equal(linked.stdout, `${version}\n`, linked.stderr);
	} finally {
		rmSync(prefix, {recursive: true, force: true});
	}
});
