// The workspace's state against hostile and broken conditions: a corrupted journal of every kind, two runs in one
// workspace at once, and a disk that fills up while a step runs. Nothing is silently reset, no run kills another,
// and a full disk is a clear error (exit 1), never a crash (exit 70).
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';
import {cli, cliSpawn, fixtures, tempDir, waitFor} from '../support/cli.js';

const basic = join(fixtures, 'recipes', 'basic');
const burst = join(fixtures, 'recipes', 'burst');
const cleanup: string[] = [];
const mounts: string[] = [];

after(() => {
	for (const mount of mounts) spawnSync('umount', ['-l', mount]);
	for (const dir of [...cleanup, ...mounts]) rmSync(dir, {recursive: true, force: true});
});

function workspace(): string {
	const dir = tempDir('sel4-llm-state-');
	cleanup.push(dir);
	return dir;
}

describe('a corrupted journal is reported (exit 3) and kept aside, never silently reset', () => {
	const kinds: Array<{what: string; write: (file: string) => void; problem: RegExp}> = [
		{what: 'truncated', write: (file) => writeFileSync(file, '{"version":1,"steps":{"demo.prepare":{"state":"do'), problem: /not valid JSON/},
		{what: 'garbage', write: (file) => writeFileSync(file, Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0a])), problem: /not valid JSON/},
		{what: 'empty', write: (file) => writeFileSync(file, ''), problem: /it is empty/},
		{what: 'of an unknown version', write: (file) => writeFileSync(file, JSON.stringify({version: 99, steps: {}})), problem: /version/},
		{what: 'with wrong types', write: (file) => writeFileSync(file, JSON.stringify({version: 1, steps: {'demo.prepare': {state: 'done', fingerprint: 7}}})), problem: /steps\.demo\.prepare\.(fingerprint|startedAt)/},
		{what: 'an array', write: (file) => writeFileSync(file, '[]'), problem: /expected object/},
	];
	for (const kind of kinds) {
		test(`a journal ${kind.what}: status and run say so and keep the file`, () => {
			const dir = workspace();
			mkdirSync(join(dir, '.sel4-llm'));
			const file = join(dir, '.sel4-llm', 'journal.json');
			kind.write(file);
			const original = readFileSync(file);
			const status = cli(['status', '--recipes-only', '--recipes', basic, '--workspace', dir]);
			assert.equal(status.code, 3, status.stdout + status.stderr);
			assert.match(status.stderr, /the journal .*journal\.json is not valid/);
			assert.match(status.stderr, kind.problem);
			assert.match(status.stderr, /moved to .*journal\.json\.bad-\d{8}T\d{6}/);
			const aside = readdirSync(join(dir, '.sel4-llm')).filter((name) => name.startsWith('journal.json.bad-'));
			assert.equal(aside.length, 1);
			assert.deepEqual(readFileSync(join(dir, '.sel4-llm', aside[0]!)), original, 'the bad file is kept as it was');
			// The next run starts afresh and says nothing is lost silently: the bad file is still there.
			const run = cli(['run', 'demo.prepare', '--recipes-only', '--recipes', basic, '--workspace', dir]);
			assert.equal(run.code, 0, run.stderr);
			assert.ok(existsSync(join(dir, '.sel4-llm', aside[0]!)));
		});
	}

	test('a directory where the journal should be is reported and left alone', () => {
		const dir = workspace();
		mkdirSync(join(dir, '.sel4-llm', 'journal.json'), {recursive: true});
		for (const args of [['status'], ['run', 'demo.prepare']]) {
			const result = cli([...args, '--recipes-only', '--recipes', basic, '--workspace', dir]);
			assert.equal(result.code, 3, result.stderr);
			assert.match(result.stderr, /the journal .*journal\.json is a directory/);
		}
		assert.ok(existsSync(join(dir, '.sel4-llm', 'journal.json')));
	});
});

describe('the image record goes through its schema too', () => {
	test('an image record that is not one: flash reports it (exit 3), keeps it aside and says how to make a new one', () => {
		const dir = workspace();
		const image = join(dir, 'stick.img');
		writeFileSync(image, Buffer.alloc(1024 * 1024));
		writeFileSync(`${image}.json`, JSON.stringify({format: 1, image: {path: image, size: 'big', sha256: 'x'}, provenance: {}, bootTests: []}));
		const result = cli(['flash', image, '--device', join(dir, 'copy.img'), '--yes', '--workspace', dir]);
		assert.equal(result.code, 3, result.stdout + result.stderr);
		assert.match(result.stderr, /the image record .*stick\.img\.json is not valid: image\.size: /);
		assert.match(result.stderr, /make the image again with sel4-llm usb-image/);
		assert.ok(readdirSync(dir).some((name) => name.startsWith('stick.img.json.bad-')), 'kept aside');
		assert.ok(!existsSync(join(dir, 'copy.img')), 'nothing written');
	});
});

describe('one writer per workspace', () => {
	test('a second run while one runs is refused with who holds the workspace; the first finishes untouched', async () => {
		const dir = workspace();
		const first = cliSpawn(['run', 'demo.slow', '--recipes-only', '--recipes', basic, '--workspace', dir, '--set', 'mode=slow', '--set', 'sleep_seconds=3']);
		await waitFor(() => /> run {2}demo\.slow/.test(first.output().stderr), 20_000, 'the first run to start its step');
		const second = cli(['run', 'demo.slow', '--recipes-only', '--recipes', basic, '--workspace', dir, '--set', 'mode=slow', '--set', 'sleep_seconds=3']);
		assert.equal(second.code, 4, second.stderr);
		assert.match(second.stderr, /is in use by `sel4-llm run demo\.slow` \(pid \d+, since /);
		// Read-only commands still work meanwhile.
		const status = cli(['status', '--recipes-only', '--recipes', basic, '--workspace', dir]);
		assert.equal(status.code, 0, status.stderr);
		const plan = cli(['plan', 'demo.slow', '--recipes-only', '--recipes', basic, '--workspace', dir, '--set', 'mode=slow']);
		assert.equal(plan.code, 0, plan.stderr);
		const exit = await first.exited;
		assert.equal(exit.code, 0, first.output().stderr);
		assert.equal(existsSync(join(dir, '.sel4-llm', 'lock.json')), false, 'the lock is released');
		const journal = JSON.parse(readFileSync(join(dir, '.sel4-llm', 'journal.json'), 'utf8')) as {steps: Record<string, {state: string}>};
		assert.equal(journal.steps['demo.slow']!.state, 'done');
	});

	test('a lock left by a killed run is stale and taken over', async () => {
		const dir = workspace();
		const first = cliSpawn(['run', 'demo.slow', '--recipes-only', '--recipes', basic, '--workspace', dir, '--set', 'mode=slow', '--set', 'sleep_seconds=30']);
		await waitFor(() => /> run {2}demo\.slow/.test(first.output().stderr), 20_000, 'the first run to start its step');
		first.child.kill('SIGKILL');
		await first.exited;
		assert.ok(existsSync(join(dir, '.sel4-llm', 'lock.json')), 'a killed run leaves its lock behind');
		const again = cli(['run', 'demo.slow', '--recipes-only', '--recipes', basic, '--workspace', dir, '--set', 'mode=slow', '--set', 'sleep_seconds=0']);
		assert.equal(again.code, 0, again.stderr);
	});
});

describe('a full disk while a step runs', {skip: process.getuid?.() === 0 ? false : 'mounting a small tmpfs needs root'}, () => {
	test('a writer faster than the guard fills the disk: the failure is recorded or reported, never a crash', () => {
		const dir = tempDir('sel4-llm-full-');
		execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir]);
		mounts.push(dir);
		// One write of 16 MiB at once: far faster than the guard's half-second checks.
		const result = cli(['run', 'burst', '--recipes-only', '--recipes', burst, '--workspace', dir, '--min-free', '1M']);
		assert.notEqual(result.code, 70, result.stderr);
		assert.equal(result.code, 1, result.stderr);
		assert.doesNotMatch(result.stderr, /hit a bug/);
		assert.match(result.stderr, /No space left on device|the disk is full/);
	});

	test('the journal cannot be written: a clear error, the previous journal intact', () => {
		const dir = tempDir('sel4-llm-full-');
		execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
		mounts.push(dir);
		assert.equal(cli(['run', 'demo.prepare', '--recipes-only', '--recipes', basic, '--workspace', dir]).code, 0);
		const before = readFileSync(join(dir, '.sel4-llm', 'journal.json'), 'utf8');
		// Fill the file system to the last byte, then run a step.
		spawnSync('sh', ['-c', `head -c 8M /dev/zero > ${join(dir, 'ballast')}`]);
		const result = cli(['run', 'demo.many-lines', '--recipes-only', '--recipes', basic, '--workspace', dir, '--min-free', '0']);
		assert.notEqual(result.code, 70, result.stderr);
		assert.equal(result.code, 1, result.stderr);
		assert.match(result.stderr, /error: the disk is full: the (journal|workspace lock) .* could not be written/);
		assert.match(result.stderr, /hint: free space on the file system of /);
		assert.equal(readFileSync(join(dir, '.sel4-llm', 'journal.json'), 'utf8'), before);
	});
});
