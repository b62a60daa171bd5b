// Steps with the `sudo` capability change the system: they are shown and confirmed before anything runs, for root
// too (root only skips the password); --yes skips the question; without a terminal and without --yes, run refuses.
// And `--only`, which the fixes that rerun one step use, runs the named steps alone.
import assert from 'node:assert/strict';
import {existsSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {isRoot} from '../../source/system/user.js';
import {cli, cliPath, fixtures, tempDir} from '../support/cli.js';
import {TmuxSession} from '../support/tmux.js';

const recipes = join(fixtures, 'recipes', 'system');
const notRoot = isRoot() ? false : 'needs root (as a user, the question comes after a sudo password prompt)';

test('root is asked before a system-changing step: n runs nothing (exit 4), y runs it', {skip: notRoot}, async (t) => {
	for (const answer of ['n', 'y'] as const) {
		const workspace = tempDir();
		const session = new TmuxSession(`${process.execPath} ${cliPath} run sys --recipes-only --recipes ${recipes} --workspace ${workspace}`);
		t.after(() => session.kill());
		const question = await session.waitForText(/Run them\? \[y\/N\]/);
		assert.match(question, /These steps change the system \(they run as root\):\n {2}sys\.change \[sudo\]\n {4}\$ true\n {4}\$ touch changed\n/);
		assert.doesNotMatch(question, /sys\.base/, 'only the steps that change the system are listed');
		assert.ok(!existsSync(join(workspace, 'base-ran')), 'nothing runs before the answer');
		session.type(answer);
		session.send('Enter');
		const screen = await session.waitForText(/\[exit \d+\]/);
		if (answer === 'n') {
			assert.match(screen, /\[exit 4\]/);
			assert.match(screen, /not confirmed; nothing was run/);
			assert.ok(!existsSync(join(workspace, 'base-ran')) && !existsSync(join(workspace, 'changed')));
		} else {
			assert.match(screen, /\[exit 0\]/);
			assert.ok(existsSync(join(workspace, 'changed')));
		}
		session.kill();
	}
});

test('without a terminal a system-changing step needs --yes: refused with exit 4 and nothing run; with --yes it runs unasked', {skip: notRoot}, () => {
	const workspace = tempDir();
	const refused = cli(['run', 'sys', '--recipes-only', '--recipes', recipes, '--workspace', workspace]);
	assert.equal(refused.code, 4, refused.stderr);
	assert.match(refused.stderr, /sys\.change \[sudo\]\n {4}\$ true\n/);
	assert.match(refused.stderr, /there is no terminal to ask on\n {2}hint: review them with `sel4-llm plan`, then pass --yes/);
	assert.ok(!existsSync(join(workspace, 'base-ran')) && !existsSync(join(workspace, 'changed')));
	const yes = cli(['run', 'sys', '--yes', '--recipes-only', '--recipes', recipes, '--workspace', workspace]);
	assert.equal(yes.code, 0, yes.stderr);
	assert.doesNotMatch(yes.stderr, /Run them\?|change the system/);
	assert.ok(existsSync(join(workspace, 'changed')));
});

test('--only runs the named step alone, not the steps it needs; plan --only shows the same', () => {
	const workspace = tempDir();
	const plan = cli(['plan', 'sys.change', '--only', '--recipes-only', '--recipes', recipes, '--workspace', workspace]);
	assert.equal(plan.code, 0, plan.stderr);
	assert.match(plan.stdout, /^run {3}sys\.change: /m);
	assert.doesNotMatch(plan.stdout, /sys\.base/);
	assert.match(plan.stdout, /1 of 1 steps would run/);
	const whole = cli(['plan', 'sys.change', '--recipes-only', '--recipes', recipes, '--workspace', workspace]);
	assert.match(whole.stdout, /^run {3}sys\.base: /m, 'without --only the steps it needs are planned too');
	const only = cli(['run', 'sys.change', '--only', '--yes', '--recipes-only', '--recipes', recipes, '--workspace', workspace]);
	assert.equal(only.code, 0, only.stderr);
	assert.ok(existsSync(join(workspace, 'changed')));
	assert.ok(!existsSync(join(workspace, 'base-ran')), 'the step it needs did not run');
	assert.match(only.stderr, /sel4-llm: 1 step, 1 to run/);
});
