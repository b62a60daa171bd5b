// Ctrl-C in launch's live console while the inference service (not a shell) reads the guest's console: the key
// stops launch instead of reaching the service (which it would kill), launch exits 130, QEMU is gone and the
// terminal is given back as it was.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {shellQuote} from '../../source/system/quote.js';
import {fixtureUnavailable} from '../support/cache.js';
import {cliPath, tempDir, waitFor} from '../support/cli.js';
import {debianBusybox, debianKernel} from '../support/debian-kernel.js';
import {buildInitramfs} from '../support/initramfs.js';
import {TmuxSession} from '../support/tmux.js';

function qemuOf(marker: string): number[] {
	try {
		// QEMU itself, not the watchdog shell that runs it.
		return execFileSync('pgrep', ['-f', `^qemu-system.*${marker}`], {encoding: 'utf8'}).trim().split('\n').filter(Boolean).map(Number);
	} catch {
		return [];
	}
}

/** A foreground colour code (SGR 30-37, 90-97), as chalk writes them. */
const colourCode = /\u001B\[(3[0-7]|9[0-7])m/;

for (const [label, env, coloured] of [
	['NO_COLOR=1', 'NO_COLOR=1', false],
	['neither NO_COLOR nor FORCE_COLOR', '', true],
] as const) {
	test(`Ctrl-C in launch while the service reads the console stops launch with 130, QEMU and all, and restores the terminal (${label}: ${coloured ? '' : 'not '}coloured)`, {timeout: 180_000, skip: fixtureUnavailable('kernel-arm64', 'busybox-arm64')}, async (t) => {
		const work = tempDir();
		const kernel = await debianKernel('arm64');
		const initrd = join(work, 'service.cpio.gz');
		// A stand-in for the service: it says it is ready and keeps the console (no shell prompt follows).
		await buildInitramfs({
			out: initrd,
			arch: 'arm64',
			busybox: await debianBusybox('arm64'),
			files: [{path: 'etc/init.d/S90serve', mode: 0o755, content: '#!/bin/sh\necho SEL4LLM-READY model=stand-in.gguf threads=1\nexec sleep 100000\n'}],
		});
		const log = join(work, 'launch.log');
		const command = [process.execPath, cliPath, 'launch', '--platform', 'linux-test', '--arch', 'arm64', '--kernel', kernel.kernel, '--initrd', initrd, '--log', log, '--timeout', '150'].map(shellQuote).join(' ');
		const session = new TmuxSession(`env -u FORCE_COLOR ${env} ${command}`, {shell: true, width: 120, height: 36});
		t.after(() => session.kill());
		let screen = await session.waitForText(/✓ inference ready/, 120_000);
		assert.match(screen, /keys go to the guest · Ctrl-P asks the model · Ctrl-\] leaves · Ctrl-C stops/);
		if (coloured) assert.match(session.screen({escapes: true}), colourCode);
		else assert.doesNotMatch(session.screen({escapes: true}), colourCode);
		assert.equal(qemuOf(work).length, 1, 'QEMU runs');
		session.send('C-c');
		screen = await session.waitForText(/\[exit \d+\]/, 20_000);
		assert.match(screen, /\[exit 130\]/);
		assert.match(screen, /interrupted; QEMU stopped\. console log: /);
		await waitFor(() => qemuOf(work).length === 0, 5000, 'QEMU to be gone');
		// The key did not reach the guest: the service stand-in was not interrupted.
		assert.doesNotMatch(readFileSync(log, 'utf8'), /\^C/);
		assert.ok(session.cursorVisible(), `the cursor is shown again\n${session.screen()}`);
		await session.typeAndWait('stty -a | tr " " "\\n" | grep -x -e icanon -e echo | tr "\\n" " "; echo', /^icanon echo\s*$/m);
		await session.typeAndWait('echo "typed $((6 * 7))"', /typed 42/);
	});
}
