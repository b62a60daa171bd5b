// Real QEMU boots of Debian's kernels with an initramfs built by our code, through `sel4-llm launch --headless`.
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {before, describe, it} from 'node:test';
import {fileURLToPath} from 'node:url';
import {buildInitramfs, type InitramfsFile} from '../support/initramfs.js';
import {buildQemuCommand, parseExpectation, readCatalogue, startBoot} from '../../source/qemu/index.js';
import {debianBusybox, debianKernel, type DebianKernel} from '../support/debian-kernel.js';
import {fixtureUnavailable} from '../support/cache.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'launch-boot-'));

const readyScript: InitramfsFile = {
	path: 'etc/init.d/S90ready',
	mode: 0o755,
	content: '#!/bin/sh\n[ "$1" = start ] || exit 0\necho "SEL4LLM-READY arch=$(cat /etc/initramfs/arch)"\n',
};

function sel4llm(args: string[]): Promise<{code: number | null; stdout: string; stderr: string; ms: number}> {
	const started = Date.now();
	return new Promise((resolve) => {
		const child = spawn(process.execPath, [cli, ...args], {stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		child.on('close', (code) => resolve({code, stdout, stderr, ms: Date.now() - started}));
	});
}

/** No QEMU started by this test file is left: every one of them has `work` in its command line. */
function assertNoQemuLeft(): void {
	const found = spawnSync('pgrep', ['-af', `qemu-system.*${work}`], {encoding: 'utf8'});
	assert.equal(found.stdout.trim(), '', `QEMU still running:\n${found.stdout}`);
}

async function initrd(name: string, arch: 'amd64' | 'arm64', files: InitramfsFile[], modules?: DebianKernel): Promise<string> {
	const out = join(work, `${name}.cpio.gz`);
	await buildInitramfs({
		out,
		arch,
		busybox: await debianBusybox(arch),
		files,
		...(modules ? {modules: {dir: modules.modulesDir, version: modules.version, names: ['virtio_blk', 'ext4']}} : {}),
	});
	return out;
}

describe('launch boots real kernels', {timeout: 300_000, skip: fixtureUnavailable('kernel-amd64', 'kernel-arm64', 'busybox-amd64', 'busybox-arm64')}, () => {
	let amd64: DebianKernel;
	let arm64: DebianKernel;
	before(async () => {
		[amd64, arm64] = await Promise.all([debianKernel('amd64'), debianKernel('arm64')]);
	});

	for (const arch of ['amd64', 'arm64'] as const) {
		it(`${arch}: reaches linux, init and the readiness marker, with modules loaded`, async () => {
			const kernel = arch === 'amd64' ? amd64 : arm64;
			const image = await initrd(`ready-${arch}`, arch, [readyScript], kernel);
			const log = join(work, `ready-${arch}.log`);
			const result = await sel4llm([
				'launch', '--platform', 'linux-test', '--arch', arch, '--kernel', kernel.kernel, '--initrd', image,
				'--headless', '--expect', 'linux', '--expect', 'init', '--expect', '^SEL4LLM-READY arch=' + arch, '--timeout', '120', '--log', log,
			]);
			assert.equal(result.code, 0, result.stderr);
			assert.match(result.stderr, /stage linux: Linux/);
			assert.match(result.stderr, /stage init: init/);
			assert.match(result.stderr, /stage ready: inference ready/);
			assert.match(result.stderr, /Result: reached linux, init, \^SEL4LLM-READY/);
			const text = readFileSync(log, 'utf8');
			assert.match(text, /^CMD: qemu-system-/);
			assert.match(text, /^\[\s*\d+\.\d{3}\] .*Linux version 6\.1/m);
			assert.match(text, /SEL4LLM-STAGE modules-loaded/);
			assert.doesNotMatch(text, /module-failed/);
			assertNoQemuLeft();
		});
	}

	it('without a terminal, the protocol lines that flooded the console are left out of it; the log keeps them', async () => {
		const image = await initrd('protocol', 'arm64', [
			{
				path: 'etc/init.d/S90protocol',
				mode: 0o755,
				content: '#!/bin/sh\necho "SEL4LLM-READY model=demo.gguf threads=1"\necho "SEL4LLM-BEGIN q1 prompt_tokens=3"\necho "SEL4LLM-TOK q1 seL4"\necho "SEL4LLM-END q1 tokens=1 prompt_tokens=3 tps=1.0 ttft_ms=1 total_ms=1 stop=eog"\necho "SEL4LLM-ERROR - no\\\\x20model"\necho "plain-console-done"\n',
			},
		]);
		const log = join(work, 'protocol.log');
		const result = await sel4llm(['launch', '--platform', 'linux-test', '--arch', 'arm64', '--kernel', arm64.kernel, '--initrd', image, '--expect', '^plain-console-done', '--timeout', '120', '--log', log]);
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /Run \/init as init process/);
		assert.match(result.stdout, /^SEL4LLM-ERROR - no model$/m);
		assert.match(result.stdout, /^plain-console-done$/m);
		assert.doesNotMatch(result.stdout, /SEL4LLM-(READY|BEGIN|TOK|END)/);
		assert.match(readFileSync(log, 'utf8'), /SEL4LLM-READY model=demo\.gguf[\s\S]*SEL4LLM-TOK q1 seL4[\s\S]*SEL4LLM-END q1/);
		assertNoQemuLeft();
	});

	it('a guest whose init exits panics, and the diagnosis says why', async () => {
		const image = await initrd('panic', 'arm64', [{path: 'init', mode: 0o755, content: '#!/bin/sh\necho "init: giving up"\nexit 1\n'}]);
		const result = await sel4llm(['launch', '--platform', 'linux-test', '--arch', 'arm64', '--kernel', arm64.kernel, '--initrd', image, '--headless', '--timeout', '120', '--log', join(work, 'panic.log')]);
		assert.equal(result.code, 1);
		assert.match(result.stderr, /Result: ✗ the guest Linux kernel panicked after stage "init"/);
		assert.match(result.stderr, /✗ Guest: Attempted to kill init \[guest-init-killed/);
		assert.match(result.stderr, /fix: .*init script must not exit/);
		assertNoQemuLeft();
	});

	it('a guest that hangs gets a stall diagnosis within the timeout', async () => {
		const image = await initrd('hang', 'arm64', [{path: 'etc/init.d/S50hang', mode: 0o755, content: '#!/bin/sh\necho "waiting forever"\nexec sleep 100000\n'}]);
		const result = await sel4llm([
			'launch', '--platform', 'linux-test', '--arch', 'arm64', '--kernel', arm64.kernel, '--initrd', image,
			'--headless', '--expect', 'ready', '--stall', '4', '--timeout', '20', '--log', join(work, 'hang.log'),
		]);
		assert.equal(result.code, 1);
		assert.match(result.stderr, /stall: no output for \d+ s at stage init\n {2}what to do: init runs but the inference service has not printed SEL4LLM-READY/);
		assert.match(result.stderr, /The whole console is in \S*hang\.log\./);
		assert.match(result.stderr, /Result: ✗ stalled after stage "init" .*: no output for \d+ s after "waiting forever"; gave up after 20 s/);
		assert.ok(result.ms < 35_000, `took ${result.ms} ms`);
		assertNoQemuLeft();
	});

	it('stops QEMU itself when the system halts but QEMU keeps running (ARM VMM power-off)', async () => {
		// The guest prints what the CAmkES ARM VMM prints after an unhandled power-off, then idles like it.
		const image = await initrd('halt', 'arm64', [
			readyScript,
			{path: 'etc/init.d/S95halt', mode: 0o755, content: '#!/bin/sh\necho "handle_psci@psci.c:80 Unhandled PSCI function id 8"\necho "Halting..."\nexec sleep 100000\n'},
		]);
		const session = startBoot({
			command: buildQemuCommand({platform: 'linux-test', arch: 'arm64', kernel: arm64.kernel, initrd: image, memoryMb: 512, serial: {socketPath: join(work, 'halt.sock')}}),
			catalogue: readCatalogue(join(root, 'recipes', 'troubleshoot.yaml')),
			expect: [parseExpectation('ready')],
			stopWhenExpected: false,
			timeoutSeconds: 120,
			logFile: join(work, 'halt.log'),
		});
		const result = await session.done;
		assert.equal(result.outcome, 'halted', 'stopped by the halt it saw, not by the timeout');
		assert.equal(result.timeline.halt?.kind, 'guest-poweroff');
		assert.deepEqual(result.timeline.expectationsMet, ['ready']);
		// QEMU reports the signal it was stopped with and exits.
		assert.match(readFileSync(join(work, 'halt.log'), 'utf8'), /terminating on signal 15/);
		assert.equal(session.qemu.running(), false);
		assertNoQemuLeft();
	});

	for (const signal of ['SIGINT', 'SIGKILL'] as const) {
		it(`QEMU does not outlive launch stopped by ${signal}`, async () => {
			const image = await initrd(`signal-${signal}`, 'arm64', [readyScript]);
			const child = spawn(
				process.execPath,
				[cli, 'launch', '--platform', 'linux-test', '--arch', 'arm64', '--kernel', arm64.kernel, '--initrd', image, '--headless', '--expect', 'never printed', '--timeout', '120', '--log', join(work, `${signal}.log`)],
				{stdio: ['ignore', 'ignore', 'pipe']},
			);
			let stderr = '';
			child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
			const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
			const deadline = Date.now() + 60_000;
			while (!/stage ready/.test(stderr) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
			assert.match(stderr, /stage ready/);
			child.kill(signal);
			const code = await closed;
			if (signal === 'SIGINT') {
				assert.equal(code, 130);
				assert.match(stderr, /interrupted; QEMU stopped/);
			} else {
				// The watchdog beside QEMU notices that launch is gone within about a second.
				await new Promise((resolve) => setTimeout(resolve, 2500));
			}
			assertNoQemuLeft();
		});
	}
});
