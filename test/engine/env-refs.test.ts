// ${env.NAME}: the environment sel4-llm was started with, usable in recipes, and never part of a fingerprint.
import assert from 'node:assert/strict';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {openJournal} from '../../source/engine/journal.js';
import {loadRecipeSet} from '../../source/engine/load.js';
import {fingerprintOf, prepareStep} from '../../source/engine/plan.js';
import {resolveValues} from '../../source/engine/values.js';
import {tempDir} from '../support/cli.js';

test('${env.PATH} extends the inherited PATH, and a different PATH does not change the fingerprint', () => {
	const dir = tempDir();
	writeFileSync(
		join(dir, 'r.yaml'),
		'version: 1\nid: r\ntitle: R\nvars:\n  tools_path: {default: "/opt/tools/bin:${env.PATH}"}\nsteps:\n  s:\n    title: S\n    env: {PATH: "${tools_path}"}\n    run: [[echo, "${env.SEL4LLM_TEST_UNSET}"]]\n',
	);
	const set = loadRecipeSet([dir]);
	const journal = openJournal(dir, {create: false});
	const fingerprints = ['/usr/bin:/bin', '/home/me/.nvm/bin:/usr/bin:/bin'].map((path) => {
		const saved = process.env.PATH;
		process.env.PATH = path;
		try {
			const values = resolveValues(set, {workspace: dir, packageDir: dir});
			const prepared = prepareStep(set.steps.get('r.s')!, values);
			assert.equal(prepared.env.PATH, `/opt/tools/bin:${path}`);
			assert.deepEqual(prepared.commands[0]!.kind === 'argv' && prepared.commands[0]!.argv, ['echo', '']);
			return fingerprintOf(prepared, journal, values);
		} finally {
			process.env.PATH = saved;
		}
	});
	assert.equal(fingerprints[0], fingerprints[1]);
});

test('an unknown variable is still refused, env references are not', () => {
	const dir = tempDir();
	writeFileSync(join(dir, 'r.yaml'), 'version: 1\nid: r\ntitle: R\nsteps:\n  s:\n    title: S\n    run: [[echo, "${env.HOME}", "${envy.HOME}"]]\n');
	assert.throws(() => loadRecipeSet([dir]), /unknown variable \$\{envy\.HOME\}/);
});
