// The disk guard on a real, small filesystem (a tmpfs as the workspace): a step that fills it is stopped before
// the disk is full, stays stopped, continues where it was once space is freed, and Ctrl-C still stops it cleanly.
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {diskGuardFor, freeBytes, parseSize, watchDisk} from '../../source/engine/disk-guard.js';
import {cli, cliSpawn, fixtures, tempDir, waitFor, jsonOutput} from '../support/cli.js';

const recipes = join(fixtures, 'recipes', 'disk');
const MiB = 1 << 20;
const mounts: string[] = [];

/** A 64 MiB tmpfs holding 24 MiB of ballast: 40 MiB free. */
function smallWorkspace(): {workspace: string; ballast: string} {
	const workspace = tempDir('sel4-llm-disk-');
	execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', workspace]);
	mounts.push(workspace);
	const ballast = join(workspace, 'ballast.bin');
	writeFileSync(ballast, Buffer.alloc(24 * MiB, 1));
	return {workspace, ballast};
}

function written(workspace: string): number {
	try {
		return readdirSync(join(workspace, 'out')).length;
	} catch {
		return 0;
	}
}

function events(stdout: string): Array<{type: string; [key: string]: unknown}> {
	// Read while the run goes on, so the result event may not be there yet.
	return stdout
		.split('\n')
		.filter(Boolean)
		.map((line) => JSON.parse(line) as {type: string});
}

/** The tests on a small filesystem mount a tmpfs: without root they skip, saying so. */
const needsRoot = process.getuid?.() === 0 ? false : 'mounting the small tmpfs workspace needs root';

after(() => {
	for (const mount of mounts) {
		spawnSync('umount', ['-l', mount]);
		rmSync(mount, {recursive: true, force: true});
	}
});

test('sizes are read with binary units, and anything else is refused', () => {
	assert.equal(parseSize('4096'), 4096);
	assert.equal(parseSize('800M'), 800 * MiB);
	assert.equal(parseSize('1.5GiB'), 1.5 * 1024 * MiB);
	assert.equal(parseSize('2g'), 2 * 1024 * MiB);
	assert.equal(parseSize('lots'), undefined);
	assert.equal(parseSize('-1G'), undefined);
	assert.equal(diskGuardFor('/x', 0), undefined, '0 turns the guard off');
	assert.deepEqual(diskGuardFor('/x', 100), {path: '/x', pauseBelow: 100, resumeAbove: 150, intervalMs: 500});
	const bad = cli(['run', 'fill', '--recipes-only', '--recipes', recipes, '--workspace', tempDir(), '--min-free', 'lots']);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /--min-free: "lots" is not a size/);
	assert.match(bad.stderr, /800M, 2G/);
});

test('free space is read from the nearest existing folder', {skip: needsRoot}, async () => {
	const {workspace} = smallWorkspace();
	const free = await freeBytes(join(workspace, 'not', 'yet', 'there'));
	assert.ok(free !== undefined && free > 30 * MiB && free <= 40 * MiB, `free ${free}`);
	// The watch pauses below the floor and resumes above the mark, once each.
	const changes: boolean[] = [];
	const calls: string[] = [];
	const watch = watchDisk({path: workspace, pauseBelow: 100 * MiB, resumeAbove: 200 * MiB, intervalMs: 20}, {pause: () => calls.push('pause') > 0, resume: () => calls.push('resume')}, (change) => changes.push(change.paused));
	await waitFor(() => changes.length > 0, 15_000, 'the first check');
	await new Promise((resolve) => setTimeout(resolve, 200));
	watch.stop();
	assert.deepEqual(calls, ['pause'], 'paused once while the disk stays below the floor');
	// A process that cannot be stopped (another user's) is never reported as paused.
	const unstoppable: boolean[] = [];
	let tries = 0;
	const other = watchDisk({path: workspace, pauseBelow: 100 * MiB, resumeAbove: 200 * MiB, intervalMs: 20}, {pause: () => (tries++, false), resume: () => {}}, (change) => unstoppable.push(change.paused));
	await waitFor(() => tries > 2, 15_000, 'a few checks');
	other.stop();
	assert.deepEqual(unstoppable, []);
});

test('a step that fills the disk is stopped before it is full and continues when space is freed', {skip: needsRoot}, async () => {
	const {workspace, ballast} = smallWorkspace();
	const run = cliSpawn(['run', 'fill', '--recipes-only', '--recipes', recipes, '--workspace', workspace, '--min-free', '24M', '--json']);
	// 40 MiB free, 1 MiB every 200 ms: below 24 MiB after 17 files, well before the disk (or the 30 files) run out.
	await waitFor(() => run.output().stdout.includes('"step-paused"'), 30_000, 'the step to be paused');
	const paused = events(run.output().stdout).find((event) => event.type === 'step-paused')!;
	assert.equal(paused.id, 'fill.write');
	assert.equal(paused.pauseBelow, 24 * MiB);
	assert.equal(paused.resumeAbove, 36 * MiB);
	assert.ok((paused.freeBytes as number) < 24 * MiB);
	const atPause = written(workspace);
	assert.ok(atPause >= 16 && atPause < 30, `${atPause} files at the pause`);
	// Stopped for real: nothing more is written while paused.
	await new Promise((resolve) => setTimeout(resolve, 1500));
	assert.equal(written(workspace), atPause, 'no file was written while paused');
	rmSync(ballast);
	const exit = await run.exited;
	assert.equal(exit.code, 0, run.output().stderr);
	const all = jsonOutput(run.output().stdout).events;
	const types = all.map((event) => event.type);
	assert.ok(types.indexOf('step-paused') < types.indexOf('step-resumed'));
	assert.ok(types.indexOf('step-resumed') < types.indexOf('step-done'));
	const resumed = all.find((event) => event.type === 'step-resumed')!;
	assert.ok((resumed.pausedMs as number) >= 1500);
	assert.equal(written(workspace), 30, 'the step finished every file');
	const log = readFileSync(join(workspace, '.sel4-llm', 'logs', 'fill.write.log'), 'utf8');
	assert.match(log, /wrote 30\n$/);
});

test('the plain output says why the step waits and when it goes on; Ctrl-C while paused stops it cleanly', {skip: needsRoot}, async () => {
	const {workspace} = smallWorkspace();
	const run = cliSpawn(['run', 'fill', '--recipes-only', '--recipes', recipes, '--workspace', workspace, '--min-free', '24M', '--plain']);
	await waitFor(() => run.output().stderr.includes('‖ paused'), 30_000, 'the step to be paused');
	assert.match(run.output().stderr, /‖ paused fill\.write: only \d+(\.\d)? MiB free on .* \(below 24 MiB\); free some space and it continues at 36 MiB free/);
	const before = written(workspace);
	run.child.kill('SIGINT');
	const exit = await run.exited;
	assert.equal(exit.code, 130, run.output().stderr);
	assert.match(run.output().stderr, /■ stopped fill\.write/);
	const journal = JSON.parse(readFileSync(join(workspace, '.sel4-llm', 'journal.json'), 'utf8')) as {steps: Record<string, {state: string}>};
	assert.equal(journal.steps['fill.write']!.state, 'interrupted');
	// The stopped shell got its SIGTERM once continued: it is gone and wrote nothing more.
	await waitFor(() => spawnSync('pgrep', ['-f', 'out/part-']).status !== 0, 5000, 'the step process to end');
	assert.ok(written(workspace) <= before + 1);
});
