// `sel4-llm --version` prints the version of package.json, and CHANGELOG.md has a section for it or Unreleased.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
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
