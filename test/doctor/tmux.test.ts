// doctor in a real terminal (tmux): the Ink view, and the one question --fix asks.
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';
import {shellQuote as quote} from '../../source/system/quote.js';
import {cli, factsDir, fakeBin, fixEnv} from './helpers.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const socket = `sel4-llm-doctor-${process.pid}`;
const scratch = mkdtempSync(join(tmpdir(), 'sel4-llm-doctor-tmux-'));

function tmux(...args: string[]): string {
	return execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'});
}

after(() => {
	spawnSync('tmux', ['-L', socket, 'kill-server']);
	rmSync(scratch, {recursive: true, force: true});
});

async function waitFor(session: string, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	let screen = '';
	while (Date.now() < deadline) {
		screen = tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', session);
		if (pattern.test(screen)) return screen;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	assert.fail(`timed out waiting for ${pattern} in:\n${screen}`);
}

function start(session: string, env: Record<string, string>, args: string[], size = {columns: 220, rows: 80}) {
	const assignments = Object.entries({TERM: 'xterm-256color', ...env}).map(([key, value]) => `${key}=${quote(value)}`);
	const command = `env -u CI ${assignments.join(' ')} ${quote(process.execPath)} ${quote(cli)} doctor ${args.map(quote).join(' ')}; echo EXIT=$?; sleep 60`;
	tmux('new-session', '-d', '-s', session, '-x', String(size.columns), '-y', String(size.rows), command);
}

describe('doctor in a terminal', {skip: hasTmux ? false : 'tmux is not installed'}, () => {
	test('the Ink view shows the grouped checks, the verdicts and the summary', async () => {
		start('view', {}, ['--facts', join(factsDir, 'intel-nested-off.json'), '--platform', 'x86_64', '--target', 'qemu']);
		const screen = await waitFor('view', /EXIT=\d+/);
		assert.match(screen, /^\[✗\] Virtualization \(x86_64 in QEMU needs Intel VT-x \+ KVM \+ nested\)$/m);
		assert.match(screen, /^ {4}\[✗\] Nested virtualization \(kvm_intel nested\): disabled/m);
		assert.match(screen, /^ {10}sudo modprobe kvm_intel nested=1$/m);
		assert.match(screen, /x86_64 +build: yes; run in QEMU: no \(Nested virtualization \(kvm_intel nested\)\)/);
		assert.match(screen, /1 failed \(1 required\)/);
		assert.match(screen, /EXIT=1/);
		assert.doesNotMatch(screen, /checking the host/, 'the progress line is replaced by the report');
	});

	test('80x24: a report taller than the terminal scrolls whole, commands stay whole, it ends with a newline', async () => {
		start('small', {}, ['--facts', join(factsDir, 'half-packages.json')], {columns: 80, rows: 24});
		const screen = await waitFor('small', /EXIT=\d+/);
		const text = screen.slice(screen.indexOf('Doctor summary'));
		assert.ok(screen.includes('Doctor summary (every check: sel4-llm doctor -v)\n[✓] System (4)'), screen);
		assert.match(text, /^ {10}sudo apt-get install -y --no-install-recommends cmake .* libarchive-dev$/m, 'soft-wrapped by the terminal, one line when copied');
		assert.match(text, /not ready for\nqemu-arm-virt and x86_64\nEXIT=1/);
		const colours = tmux('capture-pane', '-p', '-e', '-S', '-200', '-t', 'small');
		assert.match(colours, /\u001B\[31m\[✗\]/, 'a required failure is red');
		assert.match(colours, /\u001B\[33m\[!\]/, 'an optional one yellow');
	});

	test('NO_COLOR: the Ink view and the plain output have no colours', async () => {
		start('nocolour', {NO_COLOR: '1'}, ['--facts', join(factsDir, 'half-packages.json')], {columns: 80, rows: 24});
		await waitFor('nocolour', /EXIT=\d+/);
		start('nocolour-plain', {NO_COLOR: '1'}, ['--plain', '--facts', join(factsDir, 'half-packages.json')], {columns: 80, rows: 24});
		await waitFor('nocolour-plain', /EXIT=\d+/);
		start('colour-plain', {}, ['--plain', '--facts', join(factsDir, 'half-packages.json')], {columns: 80, rows: 24});
		await waitFor('colour-plain', /EXIT=\d+/);
		const pane = (session: string) => tmux('capture-pane', '-p', '-e', '-S', '-200', '-t', session);
		assert.doesNotMatch(pane('nocolour'), /\u001B\[3[0-9]/);
		assert.doesNotMatch(pane('nocolour-plain'), /\u001B\[3[0-9]/);
		assert.match(pane('colour-plain'), /\u001B\[31m\[✗\]/, 'the plain output on a terminal has colours');
	});

	test('while facts are gathered: an ora spinner in the plain output, the Ink view\'s own line, both gone after', async () => {
		// A cmake that never answers keeps the tools section running until its timeout.
		const env = {PATH: `${join(fakeBin, 'hung')}:/usr/local/bin:/usr/bin:/bin`};
		const args = ['--timeout', '4', '--workspace', join(scratch, 'gather')];
		start('spinner', env, ['--plain', ...args], {columns: 80, rows: 24});
		assert.match(await waitFor('spinner', /checking the host … .*\(/), /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] checking the host … (.*, )?tools \(\d+\/13\)$/m);
		const done = await waitFor('spinner', /EXIT=\d+/);
		assert.doesNotMatch(done, /checking the host/);
		assert.match(done, /\[✗\] cmake: \S+ does not run:\s+timed\s+out\s+after\s+4000\s+ms/);
		start('ink-progress', env, args, {columns: 80, rows: 24});
		assert.match(await waitFor('ink-progress', /checking the host … .*\(/), /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] checking the host … (.*, )?tools \(\d+\/13\)$/m);
		assert.doesNotMatch(await waitFor('ink-progress', /EXIT=\d+/), /checking the host/);
	});

	test('--fix asks once; y runs the commands and reports the changes', async () => {
		const {state, env} = fixEnv(join(scratch, 'fix'));
		start(
			'fix',
			env,
			['--fix', '--platform', 'qemu-arm-virt', '--workspace', join(scratch, 'workspace')],
		);
		const question = await waitFor('fix', /Run these \d+ commands\? \[y\/N\]/);
		assert.match(question, /doctor --fix will run:/);
		assert.equal(existsSync(join(state, 'log')) && /install/.test(readFileSync(join(state, 'log'), 'utf8')), false, 'nothing ran before the answer');
		tmux('send-keys', '-t', 'fix', 'y', 'Enter');
		const screen = await waitFor('fix', /EXIT=\d+/);
		assert.match(screen, /Changed:/);
		assert.match(screen, /repo \(Google's manifest tool\): fail -> pass/);
		assert.match(readFileSync(join(state, 'log'), 'utf8'), /apt-get install -y --no-install-recommends/);
	});
});
