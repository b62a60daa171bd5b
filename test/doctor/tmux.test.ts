// doctor in a real terminal (tmux): the Ink view, and the one question --fix asks.
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';
import {shellQuote as quote} from '../../source/system/quote.js';
import {cli, factsDir, fakeBin} from './helpers.js';

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

function start(session: string, env: Record<string, string>, args: string[]) {
	const assignments = Object.entries({TERM: 'xterm-256color', ...env}).map(([key, value]) => `${key}=${quote(value)}`);
	const command = `env -u CI ${assignments.join(' ')} ${quote(process.execPath)} ${quote(cli)} doctor ${args.map(quote).join(' ')}; echo EXIT=$?; sleep 60`;
	tmux('new-session', '-d', '-s', session, '-x', '220', '-y', '80', command);
}

describe('doctor in a terminal', {skip: hasTmux ? false : 'tmux is not installed'}, () => {
	test('the Ink view shows the grouped checks, the verdicts and the summary', async () => {
		start('view', {}, ['--facts', join(factsDir, 'intel-nested-off.json'), '--platform', 'x86_64', '--target', 'qemu']);
		const screen = await waitFor('view', /EXIT=\d+/);
		assert.match(screen, /Virtualization \(x86_64 in QEMU needs Intel VT-x \+ KVM \+ nested\)/);
		assert.match(screen, /✗ Nested virtualization \(kvm_intel nested\) +disabled/);
		assert.match(screen, /fix: sudo modprobe kvm_intel nested=1/);
		assert.match(screen, /x86_64 +build: yes; run in QEMU: no \(kvm-nested\)/);
		assert.match(screen, /1 failed \(1 required\)/);
		assert.match(screen, /EXIT=1/);
		assert.doesNotMatch(screen, /Checking this host/, 'the progress line is replaced by the report');
	});

	test('--fix asks once; y runs the commands and reports the changes', async () => {
		const state = join(scratch, 'state');
		const home = join(scratch, 'home');
		mkdirSync(state, {recursive: true});
		mkdirSync(home, {recursive: true});
		start(
			'fix',
			{FAKE_STATE: state, HOME: home, PATH: `${join(fakeBin, 'fix')}:${join(state, 'bin')}:${join(home, '.local', 'bin')}:/usr/local/bin:/usr/bin:/bin`},
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
