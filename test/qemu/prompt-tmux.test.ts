// The prompt box of launch's live console against a stand-in for the inference service that speaks the console
// protocol: a question asked while the guest still boots waits for the ready line (no ping), the answer shows once,
// in the prompt box with its stats, and the protocol lines that carried it stay out of the console pane.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {shellQuote} from '../../source/system/quote.js';
import {fixtureUnavailable} from '../support/cache.js';
import {cliPath, tempDir} from '../support/cli.js';
import {debianBusybox, debianKernel} from '../support/debian-kernel.js';
import {buildInitramfs} from '../support/initramfs.js';
import {TmuxSession} from '../support/tmux.js';

/** Reads requests from the console like the real service and answers each with three tokens. */
const standIn = `#!/bin/sh
sleep 8
stty -echo
echo "SEL4LLM-READY model=stand-in.gguf threads=1"
while read -r request id rest; do
	case "$request" in
	ask)
		echo "SEL4LLM-BEGIN $id prompt_tokens=3"
		for piece in seL4 '\\x20is' '\\x20verified.'; do echo "SEL4LLM-TOK $id $piece"; done
		echo "SEL4LLM-END $id tokens=3 prompt_tokens=3 tps=9.5 ttft_ms=1 total_ms=2 stop=eog"
		;;
	ping) echo "SEL4LLM-PONG $id" ;;
	*) echo "stand-in: unknown request $request" ;;
	esac
done
`;

test('Ctrl-P before the service is ready waits for it, then the answer shows once in the prompt box and no protocol line floods the pane', {timeout: 180_000, skip: fixtureUnavailable('kernel-arm64', 'busybox-arm64')}, async (t) => {
	const work = tempDir();
	const kernel = await debianKernel('arm64');
	const initrd = join(work, 'stand-in.cpio.gz');
	await buildInitramfs({out: initrd, arch: 'arm64', busybox: await debianBusybox('arm64'), files: [{path: 'etc/init.d/S90serve', mode: 0o755, content: standIn}]});
	const log = join(work, 'launch.log');
	const command = [process.execPath, cliPath, 'launch', '--platform', 'linux-test', '--arch', 'arm64', '--kernel', kernel.kernel, '--initrd', initrd, '--log', log, '--timeout', '150'].map(shellQuote).join(' ');
	const session = new TmuxSession(command, {width: 100, height: 30});
	t.after(() => session.kill());
	await session.waitForText(/✓ init/, 120_000);
	// One send-keys call: the terminal delivers Ctrl-P, the question and Enter in one read, and none of it is lost.
	session.send('C-p', ...'What is seL4?'.split('').map((char) => (char === ' ' ? 'Space' : char)), 'Enter');
	let screen = await session.waitForText(/waiting for the inference service/, 10_000);
	assert.doesNotMatch(screen, /✓ inference ready/, 'asked before the ready line');
	screen = await session.waitForText(/3 tokens, 9\.5 tokens\/s/, 30_000);
	assert.match(screen, /✓ inference ready/);
	assert.match(screen, /ask› What is seL4\?\n/);
	assert.equal(screen.match(/seL4 is verified\./g)?.length, 1, `the answer shows once\n${screen}`);
	assert.doesNotMatch(screen, /SEL4LLM-(READY|BEGIN|TOK|END|PONG|PART)|stand-in: unknown request/);
	session.send('C-]');
	screen = await session.waitForText(/\[exit \d+\]/, 20_000);
	assert.match(screen, /\[exit 0\]/);
	const logged = readFileSync(log, 'utf8');
	assert.match(logged, /SEL4LLM-TOK q[0-9a-f]+ \\x20verified\./, 'the log keeps the protocol lines');
	assert.doesNotMatch(logged, /SEL4LLM-PONG|stand-in: unknown request/, 'no ping, nothing the stand-in could not read');
});
