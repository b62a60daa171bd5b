// host.python-deps for real, with the distribution's python3 and pip, where the package index cannot be reached.
import assert from 'node:assert/strict';
import {chmodSync, existsSync, mkdirSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {test} from 'node:test';
import {cli, tempDir} from '../support/cli.js';

test('without PyPI: one line says so, the known cause offers the distribution route, and no venv is left behind', (context) => {
	if (!existsSync('/usr/bin/python3') || !existsSync('/usr/lib/python3/dist-packages/pip')) {
		context.skip('needs the distribution\'s python3-pip (.ci/apt/sources.txt)');
		return;
	}
	const workspace = tempDir();
	const home = join(workspace, 'home');
	const bin = join(workspace, 'bin');
	mkdirSync(home, {recursive: true});
	mkdirSync(bin, {recursive: true});
	// host.apt is not under test: its status check (dpkg-query) reports every package installed.
	writeFileSync(join(bin, 'dpkg-query'), '#!/bin/sh\nprintf ii\n');
	chmodSync(join(bin, 'dpkg-query'), 0o755);
	const result = cli(['run', 'host.python-deps', '--force', '--plain', '--yes', '--workspace', workspace], {
		env: {
			HOME: home,
			PATH: [bin, '/usr/bin', '/bin', dirname(process.execPath)].join(':'),
			PIP_CONFIG_FILE: '/dev/null',
			PIP_INDEX_URL: 'http://127.0.0.1:9/simple',
			PIP_EXTRA_INDEX_URL: '',
			PIP_FIND_LINKS: '',
			PIP_NO_INPUT: '1',
		},
	});
	const output = result.stdout + result.stderr;
	assert.equal(result.code, 1, output);
	assert.match(output, /PyPI cannot be reached: pip could not download from http:\/\/127\.0\.0\.1:9\/simple; on Debian\/Ubuntu the distribution's python3-\* packages plus aenum, plyplus and pyfdt/);
	assert.match(output, /Known cause: PyPI cannot be reached/);
	assert.match(output, /\$ (sudo )?apt-get install -y --no-install-recommends python3-future python3-jinja2 .*python3-yaml\n/);
	// A venv made by the failed run would come first on the build's PATH and hide the distribution's modules.
	assert.equal(existsSync(join(workspace, 'python-venv')), false);
});
