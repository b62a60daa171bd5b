// Colour follows FORCE_COLOR, then NO_COLOR and TERM=dumb, then whether the output is a terminal: in the full-screen
// views (Ink paints with chalk, which does not read NO_COLOR by itself) and in the printed reports alike.
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {test} from 'node:test';
import {cli, cliPath, fixtures, tempDir} from '../support/cli.js';
import {TmuxSession} from '../support/tmux.js';
import {formatTimestamp} from '../../source/system/duration.js';

const basic = join(fixtures, 'recipes', 'basic');
/** A foreground colour code (SGR 30-37, 90-97), as chalk and our painter write them. */
const colourCode = /\u001B\[(3[0-7]|9[0-7])m/;

for (const [label, env, coloured] of [
	['NO_COLOR=1', 'NO_COLOR=1', false],
	['TERM=dumb', 'TERM=dumb', false],
	['neither', '', true],
] as const) {
	test(`run's live view on a terminal with ${label} is ${coloured ? '' : 'not '}coloured`, async (t) => {
		const workspace = tempDir();
		const session = new TmuxSession(`env -u FORCE_COLOR ${env} ${process.execPath} ${cliPath} run demo --recipes-only --recipes ${basic} --workspace ${workspace} --set lines=5`);
		t.after(() => session.kill());
		await session.waitForText(/\[exit 0\]/);
		const screen = session.screen({escapes: true});
		assert.match(screen, /demo\.many-lines/);
		if (coloured) assert.match(screen, colourCode);
		else assert.doesNotMatch(screen, colourCode);
	});
}

for (const command of ['plan', 'status', 'recipes']) {
	test(`${command} paints with FORCE_COLOR=1, and not with NO_COLOR or into a pipe`, () => {
		const workspace = tempDir();
		const args = [command, ...(command === 'plan' ? ['demo'] : []), '--recipes-only', '--recipes', basic, '--workspace', workspace];
		const forced = cli(args, {env: {FORCE_COLOR: '1'}});
		assert.equal(forced.code, 0, forced.stderr);
		assert.match(forced.stdout, colourCode);
		assert.doesNotMatch(cli(args, {env: {FORCE_COLOR: undefined, NO_COLOR: '1'}}).stdout, colourCode);
		assert.doesNotMatch(cli(args, {env: {FORCE_COLOR: undefined}}).stdout, colourCode);
	});
}

test('recipes and status keep a space between a long step id and its title', () => {
	const workspace = tempDir();
	assert.match(cli(['recipes', '--workspace', workspace]).stdout, /\n  build\.configure-x86-qemu +Configure for x86_64/);
	assert.match(cli(['status', '--workspace', workspace]).stdout, /\n  pending +build\.configure-x86-qemu +Configure for x86_64/);
});

test('status writes when a step finished in local time with its zone, as every view does', () => {
	const workspace = tempDir();
	assert.equal(cli(['run', 'demo', '--recipes-only', '--recipes', basic, '--workspace', workspace]).code, 0);
	const text = cli(['status', '--recipes-only', '--recipes', basic, '--workspace', workspace], {env: {TZ: 'Asia/Tokyo'}}).stdout;
	assert.match(text, /done +demo\.prepare +Write an input file  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\+9 \(\d+ ms\)/);
});

test('formatTimestamp gives the local time and zone, never the raw ISO text', () => {
	assert.equal(formatTimestamp('2026-12-04T14:20:01.123Z', 'UTC'), '2026-12-04 14:20:01 UTC');
	assert.equal(formatTimestamp('2026-12-04T23:20:01.123Z', 'Asia/Tokyo'), '2026-12-05 08:20:01 GMT+9');
	assert.equal(formatTimestamp('not a time'), 'not a time');
});

test('plan names a status check by its first line and says what it found, not the whole script', () => {
	const workspace = tempDir();
	const text = cli(['plan', 'check', '--recipes-only', '--recipes', join(fixtures, 'recipes', 'status-check'), '--workspace', workspace]).stdout;
	assert.match(text, /\n      status check: sh -c 'missing=""… exited 1 \(missing: alpha beta\)\n/);
	assert.doesNotMatch(text, /for p in alpha/);
});
