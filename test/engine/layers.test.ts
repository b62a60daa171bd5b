// --recipes DIR layers over the built-in recipes (merged by recipe id and step id, as kas merges by key);
// --recipes-only replaces them. The format version names the range this sel4-llm reads.
import assert from 'node:assert/strict';
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {loadRecipeSet} from '../../source/engine/load.js';
import {cli, root, tempDir, jsonOutput} from '../support/cli.js';

function layer(files: Record<string, string>): string {
	const dir = join(tempDir('layer'), 'mine');
	mkdirSync(dir, {recursive: true});
	for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
	return dir;
}

const planned = (text: string) => [...text.matchAll(/^(?:run|skip) +([a-z-]+\.[a-z0-9-]+):/gm)].map((match) => match[1]);

test('a layer replaces a built-in step by id, drops one elsewhere, adds a recipe that needs built-in steps, and overrides a variable', () => {
	const dir = layer({
		'payload.yaml': [
			'version: 1',
			'id: payload',
			'title: Inference payload, my way',
			'steps:',
			'  build:',
			'    title: Copy my own program',
			'    needs: [fetch]',
			'    run: [[cp, /opt/my/sel4llm-infer, "${workspace}/payload/"]]',
			'',
		].join('\n'),
		'boot.yaml': 'version: 1\nid: boot\ntitle: No boot\ndrop: [ask]\nsteps: {}\n',
		'extra.yaml': [
			'version: 1',
			'id: extra',
			'title: Extra',
			'vars:',
			'  jobs: {type: int, default: 7, min: 1, max: 64, description: More jobs}',
			'steps:',
			'  report:',
			'    title: Report',
			'    needs: [payload.build]',
			'    run: [[echo, "jobs=${jobs}"]]',
			'',
		].join('\n'),
	});
	const ws = tempDir('layer-ws');
	const plan = cli(['plan', 'extra.report', '--recipes', dir, '--workspace', ws, '--plain']);
	assert.equal(plan.code, 0, plan.stdout + plan.stderr);
	assert.deepEqual(planned(plan.stdout), ['payload.fetch', 'payload.build', 'extra.report']);
	assert.match(plan.stdout, /payload\.build: Copy my own program/);
	assert.match(plan.stdout, /\$ cp \/opt\/my\/sel4llm-infer /);
	assert.match(plan.stdout, /\$ echo jobs=7/);
	const listed = cli(['recipes', '--json', '--recipes', dir, '--workspace', ws]);
	assert.equal(listed.code, 0, listed.stderr);
	const document = jsonOutput(listed.stdout).result as {recipes: Array<{id: string; title: string; file: string; steps: Array<{id: string}>}>};
	const payload = document.recipes.find((recipe) => recipe.id === 'payload')!;
	assert.equal(payload.title, 'Inference payload, my way');
	assert.equal(payload.file, 'recipes/payload.yaml + mine/payload.yaml');
	assert.deepEqual(payload.steps.map((step) => step.id), ['payload.fetch', 'payload.build', 'payload.demo-model', 'payload.check-model']);
	assert.deepEqual(document.recipes.find((recipe) => recipe.id === 'boot')?.steps, []);
	// The built-in recipes are all still there.
	for (const id of ['host', 'sources', 'guest', 'build', 'boot']) assert.ok(document.recipes.some((recipe) => recipe.id === id), id);
	// --recipes-only: the layer alone, so its needs on built-in steps no longer resolve.
	const only = cli(['plan', '--recipes-only', '--recipes', dir, '--workspace', ws, '--plain']);
	assert.equal(only.code, 3, only.stdout + only.stderr);
	assert.match(only.stderr, /mine\/boot\.yaml:4:8: cannot drop step "ask": no earlier recipe "boot" has it/);
});

test('dropping an unknown step, or a step the built-ins still need, is named with file:line:col', () => {
	const unknown = layer({'guest.yaml': 'version: 1\nid: guest\ntitle: G\ndrop: [no-such]\nsteps: {}\n'});
	const result = cli(['plan', '--recipes', unknown, '--workspace', tempDir('layer-ws'), '--plain']);
	assert.equal(result.code, 3);
	assert.match(result.stderr, /mine\/guest\.yaml:4:8: cannot drop step "no-such": no earlier recipe "guest" has it \(it has images, rootfs/);
	const needed = layer({'guest.yaml': 'version: 1\nid: guest\ntitle: G\ndrop: [rootfs]\nsteps: {}\n'});
	const broken = cli(['plan', '--recipes', needed, '--workspace', tempDir('layer-ws'), '--plain']);
	assert.equal(broken.code, 3);
	assert.match(broken.stderr, /recipes\/guest\.yaml:\d+:\d+: step "guest\.app" needs "rootfs", which does not exist/);
});

test('a newer format version is refused with the range this sel4-llm reads', () => {
	const dir = layer({'new.yaml': 'version: 2\nid: new\ntitle: N\nsteps: {}\n'});
	const result = cli(['plan', '--recipes', dir, '--workspace', tempDir('layer-ws'), '--plain']);
	assert.equal(result.code, 3);
	assert.match(result.stderr, /mine\/new\.yaml:1:10: this sel4-llm reads format version 1; a newer format needs a newer sel4-llm/);
	const catalogue = layer({'troubleshoot.yaml': 'version: 1.5\nentries: []\n'});
	const bad = cli(['plan', '--recipes', catalogue, '--workspace', tempDir('layer-ws'), '--plain']);
	assert.equal(bad.code, 3);
	assert.match(bad.stderr, /mine\/troubleshoot\.yaml:1:10: wrong type: the format version is a whole number \(this sel4-llm reads 1\)/);
});

test('catalogue layers merge by entry id', () => {
	const dir = layer({
		'troubleshoot.yaml': [
			'version: 1',
			'entries:',
			'  - id: sel4-vtx-not-supported',
			'    title: My words for VT-x',
			'    match: {output: "vt-x: not supported"}',
			'    cause: Mine.',
			'    fix: {description: Use a PC.}',
			'  - id: my-own',
			'    title: Mine',
			'    match: {output: "my own signature"}',
			'    cause: Mine.',
			'    fix: {description: Mine.}',
			'',
		].join('\n'),
	});
	const builtIn = join(root, 'recipes', 'troubleshoot.yaml');
	const base = loadRecipeSet([], {catalogue: builtIn}).catalogue;
	const merged = loadRecipeSet([], {catalogue: [builtIn, join(dir, 'troubleshoot.yaml')]}).catalogue;
	assert.ok(base.some((entry) => entry.id === 'sel4-vtx-not-supported'), 'the built-in catalogue has the entry the layer replaces');
	assert.equal(merged.length, base.length + 1);
	assert.equal(merged.find((entry) => entry.id === 'sel4-vtx-not-supported')?.title, 'My words for VT-x');
	assert.equal(merged.at(-1)?.id, 'my-own');
});

test('launch sizes QEMU from the guest RAM remembered for the workspace, as run does', () => {
	const env = {XDG_CONFIG_HOME: tempDir('config')};
	// A workspace set up by an earlier version: the setup choices are in its journal.
	const legacy = tempDir('launch-saved');
	mkdirSync(join(legacy, '.sel4-llm'));
	writeFileSync(join(legacy, '.sel4-llm', 'journal.json'), JSON.stringify({version: 1, steps: {}, choices: {guest_ram_mb: '1100'}}));
	const saved = cli(['launch', '--dry-run', '--json', '--workspace', legacy], {env});
	assert.equal(saved.code, 0, saved.stderr);
	assert.equal((jsonOutput(saved.stdout).result as {memoryMb: number}).memoryMb, 2304);
	const given = cli(['launch', '--dry-run', '--json', '--workspace', legacy, '--set', 'guest_ram_mb=512'], {env});
	assert.equal((jsonOutput(given.stdout).result as {memoryMb: number}).memoryMb, 2048);
	// A value remembered from an earlier --set.
	const ws = tempDir('launch-remembered');
	assert.equal(cli(['recipes', '--workspace', ws, '--set', 'guest_ram_mb=1100'], {env}).code, 0);
	assert.equal((jsonOutput(cli(['launch', '--dry-run', '--json', '--workspace', ws], {env}).stdout).result as {memoryMb: number}).memoryMb, 2304);
});
