import assert from 'node:assert/strict';
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {UserErrors, UserError} from '../../source/errors.js';
import {loadRecipeSet} from '../../source/engine/load.js';
import {tempDir} from '../support/cli.js';

function recipeDir(files: Record<string, string>): string {
	const dir = tempDir();
	mkdirSync(dir, {recursive: true});
	for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
	return dir;
}

function errorsOf(dir: string): UserError[] {
	try {
		loadRecipeSet([dir], {displayRoot: dir});
	} catch (error) {
		if (error instanceof UserErrors) return error.errors;
		if (error instanceof UserError) return [error];
		throw error;
	}
	assert.fail('expected the recipes to be refused');
}

const head = 'version: 1\nid: r\ntitle: R\n';

test('malformed YAML names file:line:col', () => {
	const errors = errorsOf(recipeDir({'a.yaml': `${head}steps:\n  s:\n    title: "unterminated\n`}));
	assert.match(errors[0]!.location!, /^a\.yaml:\d+:\d+$/);
	assert.match(errors[0]!.message, /malformed YAML/);
});

test('an unknown key is named with its line and the allowed keys', () => {
	const errors = errorsOf(recipeDir({'a.yaml': `${head}steps:\n  s:\n    title: S\n    run: "true"\n    comand: x\n`}));
	assert.equal(errors[0]!.location, 'a.yaml:8:5');
	assert.match(errors[0]!.message, /unknown key "comand" at steps\.s\.comand \(allowed: title, description, needs/);
});

test('a wrong type is named with its line', () => {
	const errors = errorsOf(recipeDir({'a.yaml': `${head}steps:\n  s:\n    title: S\n    run: "true"\n    needs: sync\n`}));
	assert.equal(errors[0]!.location, 'a.yaml:8:12');
	assert.match(errors[0]!.message, /wrong type.*at steps\.s\.needs/);
});

test('a needs cycle is refused', () => {
	const errors = errorsOf(
		recipeDir({'a.yaml': `${head}steps:\n  a:\n    title: A\n    run: "true"\n    needs: [b]\n  b:\n    title: B\n    run: "true"\n    needs: [a]\n`}),
	);
	assert.match(errors[0]!.message, /cycle: r\.a -> r\.b -> r\.a/);
	assert.equal(errors[0]!.location, 'a.yaml:8:12');
});

test('a needs to a missing step is refused', () => {
	const errors = errorsOf(recipeDir({'a.yaml': `${head}steps:\n  a:\n    title: A\n    run: "true"\n    needs: [nope]\n`}));
	assert.match(errors[0]!.message, /needs "nope", which does not exist/);
	assert.equal(errors[0]!.location, 'a.yaml:8:13');
});

test('an unknown variable in ${...} is refused with the declared ones', () => {
	const errors = errorsOf(recipeDir({'a.yaml': `${head}vars:\n  known: {default: x}\nsteps:\n  a:\n    title: A\n    run: [[echo, "\${unknwon}"]]\n`}));
	assert.match(errors[0]!.message, /unknown variable \$\{unknwon\} in step "r\.a"/);
	assert.equal(errors[0]!.location, 'a.yaml:9:18');
	assert.match(errors[0]!.hint!, /known/);
});

test('a command that needs a shell is refused at load time', () => {
	const errors = errorsOf(recipeDir({'a.yaml': `${head}steps:\n  a:\n    title: A\n    run: "ls | wc -l"\n`}));
	assert.match(errors[0]!.message, /needs a shell/);
});

test('every problem in a file is reported, not only the first', () => {
	const errors = errorsOf(recipeDir({'a.yaml': `${head}steps:\n  a:\n    titel: A\n    run: 5\n`}));
	assert.ok(errors.length >= 2, errors.map((each) => each.message).join('\n'));
});

test('a valid set orders steps by needs', () => {
	const dir = recipeDir({
		'a.yaml': `${head}steps:\n  late:\n    title: L\n    run: "true"\n    needs: [other.early]\n`,
		'b.yaml': `version: 1\nid: other\ntitle: O\nsteps:\n  early:\n    title: E\n    run: "true"\n`,
	});
	const set = loadRecipeSet([dir]);
	assert.deepEqual(set.order, ['other.early', 'r.late']);
});

test('"after" orders without pulling in; "needs" pulls in', async () => {
	const {closure} = await import('../../source/engine/load.js');
	const dir = recipeDir({
		'a.yaml': `${head}steps:\n  build:\n    title: B\n    run: "true"\n    after: [fetch]\n  fetch:\n    title: F\n    run: "true"\n  all:\n    title: A\n    run: "true"\n    needs: [build]\n`,
	});
	const set = loadRecipeSet([dir]);
	assert.deepEqual(set.order, ['r.fetch', 'r.build', 'r.all']);
	assert.deepEqual(closure(set, ['r.all']), ['r.build', 'r.all']);
	assert.deepEqual(closure(set, ['r.all', 'r.fetch']), ['r.fetch', 'r.build', 'r.all']);
});

test('a step its condition skips pulls in none of its needs', async () => {
	const {closure} = await import('../../source/engine/load.js');
	const {conditionHolds} = await import('../../source/engine/plan.js');
	const dir = recipeDir({
		'a.yaml': `${head}vars:\n  mode:\n    type: enum\n    values: [make, given]\n    default: make\nsteps:\n  fetch:\n    title: F\n    run: "true"\n  make:\n    title: M\n    run: "true"\n    needs: [fetch]\n    if: {mode: make}\n  use:\n    title: U\n    run: "true"\n    needs: [make]\n`,
	});
	const set = loadRecipeSet([dir]);
	const runs = (mode: string) => (step: Parameters<typeof conditionHolds>[0]) => conditionHolds(step, new Map([['mode', mode]])).holds;
	assert.deepEqual(closure(set, ['r.use'], runs('make')), ['r.fetch', 'r.make', 'r.use']);
	assert.deepEqual(closure(set, ['r.use'], runs('given')), ['r.make', 'r.use']);
});

test('the recipes\' platform list and guest RAM bounds must equal the platform table', () => {
	const vars = (values: string, min: number, max: number) =>
		`${head}vars:\n  platform:\n    type: enum\n    values: [${values}]\n    default: qemu-arm-virt\n    description: P\n  guest_ram_mb:\n    type: int\n    default: 512\n    min: ${min}\n    max: ${max}\n    description: RAM\nsteps:\n  s:\n    title: S\n    run: [["true"]]\n`;
	const errors = errorsOf(recipeDir({'a.yaml': vars('qemu-arm-virt, x86_64, riscv', 128, 4096)}));
	assert.match(errors.map((error) => error.message).join('\n'), /the platform variable lists qemu-arm-virt, x86_64, riscv; sel4-llm's platforms are qemu-arm-virt, x86_64/);
	assert.match(errors.map((error) => error.message).join('\n'), /guest_ram_mb is bounded 128-4096; the platforms allow 128-3072 MiB/);
	assert.match(errors[0]!.location!, /^a\.yaml:\d+:\d+$/);
	assert.doesNotThrow(() => loadRecipeSet([recipeDir({'b.yaml': vars('qemu-arm-virt, x86_64', 128, 3072)})]));
});
