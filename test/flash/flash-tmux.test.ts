// flash in a real terminal (tmux): pick the disk in the Ink picker, confirm by typing its path, watch progress.
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {cleanup, cli, loopDevice, loopsUnavailable, scratch, stickImage, type Loop} from './helpers.js';

/** Loop devices need root and a free device: without them these tests skip, saying which. */
const noLoops = loopsUnavailable();

const dir = scratch('flash-tmux');
const socket = `sel4-llm-flash-${process.pid}`;
let device: Loop | undefined;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'});
const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-300', '-t', 'flash');

async function waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
	const started = Date.now();
	for (;;) {
		const text = screen();
		if (pattern.test(text)) return text;
		if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${pattern}; screen:\n${text}`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

after(() => {
	spawnSync('tmux', ['-L', socket, 'kill-server']);
	device?.detach();
	cleanup(dir);
});

test('interactive flash in a terminal: pick, type the path, progress, one final screen with no progress repeated after it', {skip: noLoops}, async () => {
	const image = stickImage(dir);
	device = loopDevice(join(dir, 'tmux.loop'), 64 << 20);
	const command = [
		'env -u CI -u CONTINUOUS_INTEGRATION -u BUILD_NUMBER -u RUN_ID TERM=xterm-256color',
		`${process.execPath} ${cli} flash ${image} --allow-non-removable --workspace ${dir}`,
		'; echo EXIT=$?; sleep 60',
	].join(' ');
	tmux('new-session', '-d', '-s', 'flash', '-x', '160', '-y', '50', command);
	const picker = await waitFor(/Choose the disk to write/);
	// Offered disks are the rows not followed by a "not offered" line; other loop devices may be attached.
	const lines = picker.split('\n');
	const start = lines.findIndex((line) => line.includes('Choose the disk to write'));
	const offered: string[] = [];
	for (let index = start + 1; index < lines.length; index++) {
		const line = lines[index]!;
		if (!/^(❯ | {2})\/dev\//.test(line)) continue;
		if (lines[index + 1]?.startsWith('    not offered')) continue;
		offered.push(line.slice(2).split(' ')[0]!);
	}
	const position = offered.indexOf(device.path);
	assert.ok(position >= 0, `our loop device is offered:\n${picker}`);
	for (let step = 0; step < position; step++) tmux('send-keys', '-t', 'flash', 'Down');
	await new Promise((resolve) => setTimeout(resolve, 300));
	tmux('send-keys', '-t', 'flash', 'Enter');
	const confirm = await waitFor(/and press Enter to confirm/);
	// Only our device may be confirmed: the typed path protects against a list that changed meanwhile.
	assert.match(confirm, new RegExp(`About to ERASE ${device.path} 67\\.1 MB loop device`), confirm);
	tmux('send-keys', '-t', 'flash', '-l', '/dev/wrong');
	tmux('send-keys', '-t', 'flash', 'Enter');
	await waitFor(new RegExp(`That is not ${device.path}`));
	// Every backspace at once, in one send-keys: a burst the view must apply key by key.
	tmux('send-keys', '-t', 'flash', ...Array.from({length: '/dev/wrong'.length}, () => 'BSpace'));
	await waitFor(/\(Esc cancels\):\s*\n/);
	tmux('send-keys', '-t', 'flash', '-l', device.path);
	tmux('send-keys', '-t', 'flash', 'Enter');
	const done = await waitFor(/EXIT=\d+/);
	assert.match(done, /EXIT=0/, done);
	// One final screen, and the progress rows are not printed again after it.
	const final = done.slice(done.indexOf(`✓ ${device.path} was written and verified`));
	assert.ok(final.length < done.length, done);
	assert.match(final, new RegExp(`^ {2}verified  read back from ${device.path} after dropping cached pages`, 'm'));
	assert.match(final, /^ {2}sha256 {4}[0-9a-f]{64}$/m);
	assert.match(final, /^ {2}next {6}remove the stick \(everything is synced\) and boot the PC from it;/m);
	assert.doesNotMatch(final, /^(write|sync|verify) /m, final);
	assert.equal(spawnSync('cmp', ['-n', String(statSync(image).size), image, device.path]).status, 0);
});

test('Ctrl-C in the terminal during the write stops cleanly and says the stick is unusable', {skip: noLoops}, async () => {
	const big = join(dir, 'big.img');
	const block = Buffer.alloc(1 << 20);
	for (let index = 0; index < block.length; index++) block[index] = (index * 13 + 1) & 0xff;
	writeFileSync(big, Buffer.concat(Array.from({length: 512}, () => block)));
	const target = loopDevice(join(dir, 'tmux-interrupt.loop'), 520 << 20);
	try {
		const command = [
			'env -u CI -u CONTINUOUS_INTEGRATION -u BUILD_NUMBER -u RUN_ID TERM=xterm-256color',
			`${process.execPath} ${cli} flash ${big} --device ${target.path} --allow-non-removable --workspace ${dir}`,
			'; echo EXIT=$?; sleep 60',
		].join(' ');
		tmux('new-session', '-d', '-s', 'interrupt', '-x', '160', '-y', '50', command);
		const pane = () => tmux('capture-pane', '-p', '-J', '-S', '-300', '-t', 'interrupt');
		const wait = async (pattern: RegExp) => {
			const started = Date.now();
			while (!pattern.test(pane())) {
				if (Date.now() - started > 30_000) throw new Error(`timed out waiting for ${pattern}:\n${pane()}`);
				await new Promise((resolve) => setTimeout(resolve, 50));
			}
			return pane();
		};
		await wait(/and press Enter to confirm/);
		tmux('send-keys', '-t', 'interrupt', '-l', target.path);
		tmux('send-keys', '-t', 'interrupt', 'Enter');
		await wait(/^write /m);
		tmux('send-keys', '-t', 'interrupt', 'C-c');
		const done = await wait(/EXIT=\d+/);
		assert.match(done, /EXIT=130/, done);
		assert.match(done, /stopped during write at byte \d+ of 536870912: the stick is now unusable \(partly written\): flash it again before use/);
	} finally {
		spawnSync('tmux', ['-L', socket, 'kill-session', '-t', 'interrupt']);
		target.detach();
	}
});

test('--plain on a terminal asks with numbered choices and a typed path', {skip: noLoops}, async () => {
	const image = stickImage(dir);
	const target = loopDevice(join(dir, 'tmux-plain.loop'), 64 << 20);
	try {
		const command = [
			'env -u CI -u CONTINUOUS_INTEGRATION -u BUILD_NUMBER -u RUN_ID TERM=xterm-256color',
			`${process.execPath} ${cli} flash ${image} --plain --allow-non-removable --workspace ${dir}`,
			'; echo EXIT=$?; sleep 60',
		].join(' ');
		tmux('new-session', '-d', '-s', 'plain', '-x', '200', '-y', '80', command);
		const pane = () => tmux('capture-pane', '-p', '-J', '-S', '-300', '-t', 'plain');
		const wait = async (pattern: RegExp) => {
			const started = Date.now();
			while (!pattern.test(pane())) {
				if (Date.now() - started > 30_000) throw new Error(`timed out waiting for ${pattern}:\n${pane()}`);
				await new Promise((resolve) => setTimeout(resolve, 100));
			}
			return pane();
		};
		const question = await wait(/Write to which disk\?/);
		const choice = new RegExp(`^ {2}(\\d+)\\) ${target.path} `, 'm').exec(question)?.[1];
		assert.ok(choice, question);
		tmux('send-keys', '-t', 'plain', '-l', choice);
		tmux('send-keys', '-t', 'plain', 'Enter');
		await wait(/Type the device path/);
		assert.match(pane(), new RegExp(`About to ERASE ${target.path} 67\\.1 MB loop device`));
		tmux('send-keys', '-t', 'plain', '-l', target.path);
		tmux('send-keys', '-t', 'plain', 'Enter');
		const done = await wait(/EXIT=\d+/);
		assert.match(done, /EXIT=0/, done);
		const final = done.slice(done.indexOf(`✓ ${target.path} was written and verified`));
		assert.ok(final.length < done.length, done);
		assert.match(final, /^ {2}verified  read back from .* after dropping cached pages/m);
		assert.doesNotMatch(final, /^(write|sync|verify) /m, final);
	} finally {
		spawnSync('tmux', ['-L', socket, 'kill-session', '-t', 'plain']);
		target.detach();
	}
});
