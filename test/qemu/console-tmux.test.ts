// The interactive console in a real terminal (tmux): output appears, typed lines reach the guest, a shell on the
// console gets Ctrl-C and no prompt of Ctrl-P, the leave key exits, QEMU is gone and the terminal works normally
// afterwards.
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, it} from 'node:test';
import {fileURLToPath} from 'node:url';
import {buildInitramfs} from '../support/initramfs.js';
import {shellQuote} from '../../source/system/quote.js';
import {debianBusybox, debianKernel} from '../support/debian-kernel.js';
import {fixtureUnavailable} from '../support/cache.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'launch-tmux-'));
const session = `sel4llm-launch-${process.pid}`;

function tmux(...args: string[]): string {
	return execFileSync('tmux', args, {encoding: 'utf8'});
}

function screen(): string {
	return tmux('capture-pane', '-p', '-J', '-t', session);
}

async function waitFor(pattern: RegExp, timeoutMs: number): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	let last = '';
	while (Date.now() < deadline) {
		last = screen();
		if (pattern.test(last)) return last;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	throw new Error(`timed out waiting for ${pattern}; screen:\n${last}`);
}

describe('interactive console in tmux', {timeout: 180_000, skip: fixtureUnavailable('kernel-arm64', 'busybox-arm64')}, () => {
	after(() => {
		spawnSync('tmux', ['kill-session', '-t', session]);
	});

	it('streams output without the protocol lines, sends keys and Ctrl-C to a shell but no Ctrl-P prompt, leaves with Ctrl-] and restores the terminal', async () => {
		const kernel = await debianKernel('arm64');
		const initrd = join(work, 'console.cpio.gz');
		await buildInitramfs({
			out: initrd,
			arch: 'arm64',
			busybox: await debianBusybox('arm64'),
			files: [{path: 'etc/init.d/S90ready', mode: 0o755, content: '#!/bin/sh\necho SEL4LLM-READY console-test\n'}],
		});
		const log = join(work, 'console.log');
		tmux('new-session', '-d', '-s', session, '-x', '150', '-y', '40', 'env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', '-u', 'BUILD_NUMBER', '-u', 'RUN_ID', 'TERM=xterm-256color', 'PS1=host$ ', 'bash', '--norc', '--noprofile');
		await waitFor(/host\$ $/m, 10_000);
		const command = [process.execPath, join(root, 'dist', 'cli.js'), 'launch', '--platform', 'linux-test', '--arch', 'arm64', '--kernel', kernel.kernel, '--initrd', initrd, '--log', log, '--timeout', '150']
			.map(shellQuote)
			.join(' ');
		tmux('send-keys', '-t', session, '-l', `${command}; echo "EXIT=$?"`);
		tmux('send-keys', '-t', session, 'Enter');

		// Output appears in the console pane, with the timeline above it. The protocol's ready line is in the log,
		// not in the pane; the shell that follows it has the console, and the timeline says so.
		let text = await waitFor(/inference stopped[\s\S]*^\/ #/m, 90_000);
		assert.match(text, /✓ Linux/);
		assert.match(text, /✓ init/);
		assert.match(text, /! the inference service stopped reading the console \("\/ #"\)/);
		assert.match(text, /keys go to the guest, Ctrl-C too · Ctrl-P asks the model · Ctrl-\] leaves/);
		assert.doesNotMatch(text, /^SEL4LLM-READY/m);

		// A typed line reaches the guest's shell, which runs it and echoes it back.
		tmux('send-keys', '-t', session, '-l', 'echo typed-$((6*7))');
		tmux('send-keys', '-t', session, 'Enter');
		text = await waitFor(/^typed-42\s*$/m, 20_000);
		assert.match(text, /echo typed-\$\(\(6\*7\)\)/);

		// Ctrl-P typing "ping <id>" into a root shell: with a shell on the console the prompt box sends nothing.
		tmux('send-keys', '-t', session, 'C-p');
		tmux('send-keys', '-t', session, '-l', 'What is seL4?');
		tmux('send-keys', '-t', session, 'Enter');
		text = await waitFor(/not sent: the inference service stopped reading the console/, 10_000);
		await new Promise((resolve) => setTimeout(resolve, 4000));
		text = screen();
		assert.doesNotMatch(text, /ping p[0-9a-f]|ask q[0-9a-f]|bad address/);
		tmux('send-keys', '-t', session, 'Escape');

		// With a shell on the console, Ctrl-C goes to it: the command it runs stops, launch goes on.
		tmux('send-keys', '-t', session, '-l', 'sleep 300; echo slept-$((2*3))');
		tmux('send-keys', '-t', session, 'Enter');
		await new Promise((resolve) => setTimeout(resolve, 1500));
		tmux('send-keys', '-t', session, 'C-c');
		tmux('send-keys', '-t', session, '-l', 'echo after-ctrl-c-$((3*3))');
		tmux('send-keys', '-t', session, 'Enter');
		text = await waitFor(/^after-ctrl-c-9\s*$/m, 20_000);
		assert.doesNotMatch(text, /EXIT=/);

		// The leave key ends launch; QEMU is stopped.
		tmux('send-keys', '-t', session, 'C-]');
		text = await waitFor(/EXIT=\d+/, 20_000);
		assert.match(text, /EXIT=0/);
		assert.match(text, /Result: stopped after stage "ready"/);
		const logged = readFileSync(log, 'utf8');
		assert.match(logged, /SEL4LLM-READY console-test/, 'the log keeps the protocol lines');
		assert.doesNotMatch(logged, /ping p[0-9a-f]/, 'no ping was typed into the shell');
		const left = spawnSync('pgrep', ['-af', `qemu-system.*${work}`], {encoding: 'utf8'});
		assert.equal(left.stdout.trim(), '');

		// The terminal is back in cooked mode with echo: a typed command is shown and runs.
		tmux('send-keys', '-t', session, '-l', 'stty -a | tr " " "\\n" | grep -x -e icanon -e echo -e -icanon -e -echo | tr "\\n" " "; echo');
		tmux('send-keys', '-t', session, 'Enter');
		text = await waitFor(/^icanon echo\s*$/m, 10_000);
		tmux('send-keys', '-t', session, '-l', 'echo after-$((1+1))');
		tmux('send-keys', '-t', session, 'Enter');
		await waitFor(/^after-2\s*$/m, 10_000);
	});
});
