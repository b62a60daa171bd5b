// `sel4-llm run` in a real terminal: the Ink view, then a usable terminal afterwards.
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {test} from 'node:test';
import {cliPath, fixtures, tempDir} from '../support/cli.js';
import {TmuxSession} from '../support/tmux.js';

test('run in a terminal shows the step list and the finished run', async (t) => {
	const workspace = tempDir();
	const session = new TmuxSession(`${process.execPath} ${cliPath} run demo --recipes-only --recipes ${join(fixtures, 'recipes', 'basic')} --workspace ${workspace} --set lines=300`);
	t.after(() => session.kill());
	const screen = await session.waitForText(/\[exit \d+\]/);
	assert.match(screen, /\[exit 0\]/);
	assert.match(screen, /✓ demo\.prepare +Write an input file · \d+ ms/);
	assert.match(screen, /✓ demo\.many-lines +Print many lines/);
	assert.match(screen, /- demo\.already-done +A step whose status holds · up to date \(status check holds\)/);
	assert.match(screen, /- demo\.slow +Sleep \(only in slow mode\) · not needed: mode is "fast"/);
	assert.match(screen, /5 of 5 steps · 3 ran · 2 skipped · .* · finished/);
	assert.doesNotMatch(screen, /demo\.many-lines \| /, 'the Ink view does not dump every output line');
});

test('a failing run in a terminal shows the error window and the known cause', async (t) => {
	const workspace = tempDir();
	const session = new TmuxSession(`${process.execPath} ${cliPath} run broken --recipes-only --recipes ${join(fixtures, 'recipes', 'failing')} --workspace ${workspace}`);
	t.after(() => session.kill());
	const screen = await session.waitForText(/\[exit \d+\]/);
	assert.match(screen, /\[exit 1\]/);
	assert.match(screen, /✗ broken\.fails: [\s\S]*failed: exit code 3/);
	assert.match(screen, /› write error: No space left on device/);
	assert.match(screen, /Known cause: The disk is full/);
});
