// End to end: our static payload and the test model in an initramfs with our rootfs overlay, Debian's arm64 and
// amd64 kernels booted in QEMU through the launch machinery, and `sel4-llm ask` (the built CLI) answering a prompt.
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, it} from 'node:test';
import {buildInitramfs} from '../support/initramfs.js';
import {buildQemuCommand, startQemu, type QemuProcess} from '../../source/qemu/index.js';
import {LineSplitter, parseGuestLine} from '../../source/console/protocol.js';
import {debianBusybox, debianKernel, type DebianArch} from '../support/debian-kernel.js';
import {payloadBinary, repositoryRoot, rootfsOverlay, testModel} from '../support/test-model.js';
import {fixtureUnavailable} from '../support/cache.js';
import {jsonOutput} from '../support/cli.js';

const cli = join(repositoryRoot, 'dist', 'cli.js');
const guestFixtures = fixtureUnavailable('llama-source', 'kernel-amd64', 'kernel-arm64', 'busybox-amd64', 'busybox-arm64');
const scratch = mkdtempSync(join(tmpdir(), 'sel4llm-payload-e2e-'));
const running: QemuProcess[] = [];
after(async () => {
	for (const qemu of running) await qemu.stop(1000);
	rmSync(scratch, {recursive: true, force: true});
});

function runCli(args: string[], timeoutMs: number): Promise<{code: number | null; stdout: string; stderr: string}> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, [cli, ...args], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, CI: '1'}});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
		child.on('close', (code) => {
			clearTimeout(timer);
			resolve({code, stdout, stderr});
		});
	});
}

/** Reads the console that launch's process control connected until the guest's ready line. */
function waitForReady(qemu: QemuProcess, timeoutMs: number): Promise<string> {
	return qemu.console.then(
		(socket) =>
			new Promise((resolve, reject) => {
				if (!socket) return reject(new Error('no console connection'));
				const splitter = new LineSplitter();
				const seen: string[] = [];
				const timer = setTimeout(() => reject(new Error(`no ready line in ${timeoutMs} ms; last lines:\n${seen.slice(-15).join('\n')}`)), timeoutMs);
				socket.on('data', (chunk: Buffer) => {
					for (const line of splitter.push(chunk)) {
						seen.push(line);
						if (parseGuestLine(line).type === 'ready') {
							clearTimeout(timer);
							resolve(line);
						}
					}
				});
			}),
	);
}

type Case = {arch: DebianArch; payload: 'aarch64' | 'x86_64'; console: string; when: 'before-ready' | 'after-ready'; layout: 'initrd' | 'disk'};
const cases: Case[] = [
	{arch: 'arm64', payload: 'aarch64', console: 'ttyAMA0', when: 'after-ready', layout: 'initrd'},
	{arch: 'amd64', payload: 'x86_64', console: 'ttyS0', when: 'before-ready', layout: 'initrd'},
	{arch: 'amd64', payload: 'x86_64', console: 'ttyS0', when: 'after-ready', layout: 'disk'},
];

/** An ext4 image labelled SEL4LLM-MODELS holding the model, made without root (mke2fs -d). */
function modelDisk(model: string, dir: string): string {
	const content = join(dir, 'disk-content');
	mkdirSync(content, {recursive: true});
	copyFileSync(model, join(content, 'demo.gguf'));
	const image = join(dir, 'models.img');
	const result = spawnSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', content, '-L', 'SEL4LLM-MODELS', image, '16M'], {encoding: 'utf8'});
	assert.equal(result.status, 0, result.stderr);
	return image;
}

describe('a real prompt answered in a QEMU guest', {timeout: 900_000, skip: guestFixtures}, () => {
	for (const each of cases) {
		it(`${each.arch}, model ${each.layout === 'disk' ? 'on an ext4 disk' : 'in the initrd'}: ask ${each.when === 'after-ready' ? 'after' : 'while'} the guest boots; tokens, end marker and stats arrive; QEMU stops`, async () => {
			const [kernel, busybox, binary, model] = await Promise.all([
				debianKernel(each.arch),
				debianBusybox(each.arch),
				payloadBinary(each.payload),
				testModel({seed: 42}),
			]);
			const dir = join(scratch, `${each.arch}-${each.layout}`);
			const workspace = join(dir, 'workspace');
			mkdirSync(join(workspace, '.sel4-llm'), {recursive: true});
			const initrd = join(dir, 'initrd.gz');
			await buildInitramfs({
				out: initrd,
				arch: each.arch,
				busybox,
				overlays: [rootfsOverlay],
				files: [
					{path: 'usr/bin/sel4llm-infer', source: binary, mode: 0o755},
					...(each.layout === 'initrd' ? [{path: 'models/demo.gguf', source: model, mode: 0o644}] : []),
				],
				...(each.layout === 'disk'
					? {modules: {dir: kernel.modulesDir, version: kernel.version, names: ['virtio_pci', 'virtio_blk', 'ext4']}}
					: {}),
				gzip: true,
			});
			mkdirSync(dir, {recursive: true});
			const extraArgs = each.layout === 'disk' ? ['-drive', `file=${modelDisk(model, dir)},format=raw,if=virtio,readonly=on`] : [];
			const socketPath = join(dir, 'serial.sock');
			const command = buildQemuCommand({
				platform: 'linux-test',
				arch: each.arch,
				kernel: kernel.kernel,
				initrd,
				memoryMb: 512,
				append: `console=${each.console} panic=-1`,
				serial: {socketPath},
				extraArgs,
			});
			const started = Date.now();
			const qemu = startQemu(command);
			running.push(qemu);
			const qemuPid = await qemu.spawned;
			writeFileSync(
				join(workspace, '.sel4-llm', 'launch.json'),
				`${JSON.stringify({version: 1, pid: qemuPid, qemuPid, serialSocket: socketPath, platform: 'linux-test', logFile: null, startedAt: new Date().toISOString()})}\n`,
			);
			const prompt = 'Say "hello"\nin two lines — ünïcode';
			let result;
			if (each.when === 'after-ready') {
				const ready = await waitForReady(qemu, 240_000);
				assert.match(ready, /^SEL4LLM-READY model=demo\.gguf threads=1$/, 'one vCPU, one thread');
				// Hand the console over to ask, as launch does when it is not watching it.
				(await qemu.console)?.destroy();
				result = await runCli(['ask', '--workspace', workspace, '--json', '--max-tokens', '12', '--ignore-eos', prompt], 240_000);
			} else {
				(await qemu.console)?.destroy();
				result = await runCli(['ask', '--workspace', workspace, '--plain', '--wait', '240', '--max-tokens', '12', '--ignore-eos', prompt], 300_000);
			}
			const seconds = (Date.now() - started) / 1000;
			assert.equal(result.code, 0, `ask failed after ${seconds} s:\n${result.stderr}\n${result.stdout}`);
			if (each.when === 'after-ready') {
				const answer = jsonOutput(result.stdout).result as {answer: string; tokens: number; tokensPerSecond: number; ttftMs: number; stop: string; promptTokens: number};
				assert.equal(answer.tokens, 12, 'twelve tokens generated');
				assert.equal(answer.stop, 'length');
				assert.ok(answer.answer.length > 0, 'the answer has text');
				assert.ok(answer.tokensPerSecond > 0, 'tokens/s reported');
				assert.ok(answer.ttftMs > 0, 'time to first token reported');
				assert.ok(answer.promptTokens > 5, 'the whole prompt arrived');
			} else {
				assert.ok(result.stdout.trim().length > 0, 'the answer streamed to stdout');
				assert.match(result.stderr, /guest ready: model demo\.gguf, 1 thread\(s\)/);
				assert.match(result.stderr, /12 tokens, [0-9.]+ tokens\/s, first token after [0-9.]+ s in the guest/);
			}
			await qemu.stop(3000);
			assert.equal(qemu.running(), false, 'QEMU was stopped');
			const exit = await qemu.exited;
			assert.ok(exit.code !== null || exit.signal !== null);
			const after = await runCli(['ask', '--workspace', workspace, 'hello?'], 30_000);
			assert.equal(after.code, 4, 'ask refuses once the guest is gone');
			assert.match(after.stderr, /no guest is running/);
		});
	}
});

/** An initramfs with our rootfs overlay, the static payload and the test model, and the kernel to boot it with. */
async function payloadGuest(arch: DebianArch, payload: 'aarch64' | 'x86_64', dir: string): Promise<{kernel: string; initrd: string}> {
	const [kernel, busybox, binary, model] = await Promise.all([debianKernel(arch), debianBusybox(arch), payloadBinary(payload), testModel({seed: 42})]);
	mkdirSync(dir, {recursive: true});
	const initrd = join(dir, 'initrd.gz');
	await buildInitramfs({
		out: initrd,
		arch,
		busybox,
		overlays: [rootfsOverlay],
		files: [
			{path: 'usr/bin/sel4llm-infer', source: binary, mode: 0o755},
			{path: 'models/demo.gguf', source: model, mode: 0o644},
		],
		gzip: true,
	});
	return {kernel: kernel.kernel, initrd};
}

describe('launch --serve shares the console with ask', {timeout: 600_000, skip: guestFixtures}, () => {
	it('arm64: launch serves the ready guest, ask finds it through launch.json, SIGTERM stops QEMU and clears the record', async () => {
		const dir = join(scratch, 'serve');
		const workspace = join(dir, 'workspace');
		mkdirSync(workspace, {recursive: true});
		const {kernel, initrd} = await payloadGuest('arm64', 'aarch64', dir);
		const launch = spawn(
			process.execPath,
			[cli, 'launch', '--workspace', workspace, '--platform', 'linux-test', '--arch', 'arm64', '--kernel', kernel, '--initrd', initrd, '--append', 'console=ttyAMA0 panic=-1', '--serve', '--expect', 'ready', '--timeout', '400'],
			{stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, CI: '1'}},
		);
		let stderr = '';
		launch.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		const exited = new Promise<number | null>((resolve) => launch.on('close', (code) => resolve(code)));
		const record = join(workspace, '.sel4-llm', 'launch.json');
		const start = Date.now();
		while (!/serving: the guest keeps running/.test(stderr)) {
			if (Date.now() - start > 300_000 || launch.exitCode !== null) assert.fail(`launch did not reach the ready guest:\n${stderr}`);
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
		assert.ok(existsSync(record), 'launch.json is written while the guest runs');
		const {serialSocket, qemuPid} = JSON.parse(readFileSync(record, 'utf8')) as {serialSocket: string; qemuPid: number};
		assert.ok(existsSync(serialSocket));
		const answer = await runCli(['ask', '--workspace', workspace, '--json', '--max-tokens', '8', '--ignore-eos', 'Hello from the host'], 240_000);
		assert.equal(answer.code, 0, answer.stderr);
		const parsed = jsonOutput(answer.stdout).result as {tokens: number; tokensPerSecond: number};
		assert.equal(parsed.tokens, 8);
		assert.ok(parsed.tokensPerSecond > 0);
		launch.kill('SIGTERM');
		assert.equal(await exited, 0, stderr);
		assert.equal(existsSync(record), false, 'launch.json is removed when launch ends');
		assert.equal(existsSync(serialSocket), false, 'the relay socket is removed');
		assert.throws(() => process.kill(qemuPid, 0), 'QEMU is gone');
		const after = await runCli(['ask', '--workspace', workspace, 'hello?'], 30_000);
		assert.equal(after.code, 4);
	});
});

describe('launch --ask boots, answers once and stops', {timeout: 600_000, skip: guestFixtures}, () => {
	it('amd64: the answer and its stats are printed, QEMU is stopped, launch.json is gone', async () => {
		const dir = join(scratch, 'ask-once');
		const workspace = join(dir, 'workspace');
		mkdirSync(workspace, {recursive: true});
		const {kernel, initrd} = await payloadGuest('amd64', 'x86_64', dir);
		const result = await runCli(
			['launch', '--workspace', workspace, '--platform', 'linux-test', '--arch', 'amd64', '--kernel', kernel, '--initrd', initrd, '--append', 'console=ttyS0 panic=-1', '--ask', 'What is a microkernel?', '--timeout', '400'],
			500_000,
		);
		assert.equal(result.code, 0, result.stderr);
		assert.ok(result.stdout.trim().length > 0, 'the answer is printed');
		assert.match(result.stderr, /\d+ tokens, [0-9.]+ tokens\/s, first token after/);
		assert.match(result.stderr, /reached: ready/);
		assert.equal(existsSync(join(workspace, '.sel4-llm', 'launch.json')), false);
	});

	it('amd64 with --json: the boot events, the answer event, then the result with the answer (the ask is made in every output mode)', async () => {
		const dir = join(scratch, 'ask-once-json');
		const workspace = join(dir, 'workspace');
		mkdirSync(workspace, {recursive: true});
		const {kernel, initrd} = await payloadGuest('amd64', 'x86_64', dir);
		const result = await runCli(
			['launch', '--json', '--workspace', workspace, '--platform', 'linux-test', '--arch', 'amd64', '--kernel', kernel, '--initrd', initrd, '--append', 'console=ttyS0 panic=-1', '--ask', 'What is a microkernel?', '--timeout', '400'],
			500_000,
		);
		assert.equal(result.code, 0, result.stderr);
		const {events, result: final} = jsonOutput(result.stdout);
		assert.ok(events.some((event) => event.type === 'expected' && event.expectation === 'ready'));
		const answer = events.find((event) => event.type === 'answer');
		assert.ok(answer && answer.tokens > 0 && answer.answer.length > 0, 'the answer is an event');
		assert.deepEqual([final.command, final.exit, final.outcome, final.answer.tokens], ['launch', 0, 'expected', answer.tokens]);
		assert.equal(existsSync(join(workspace, '.sel4-llm', 'launch.json')), false);
	});
});

describe('the prompt box in launch\'s terminal view', {timeout: 600_000, skip: guestFixtures}, () => {
	it('Ctrl-P, a question and Enter: the answer streams in, then Ctrl-] leaves and QEMU stops', async (t) => {
		const {TmuxSession} = await import('../support/tmux.js');
		const dir = join(scratch, 'prompt-box');
		const workspace = join(dir, 'workspace');
		mkdirSync(workspace, {recursive: true});
		const {kernel, initrd} = await payloadGuest('amd64', 'x86_64', dir);
		const session = new TmuxSession(
			`${process.execPath} ${cli} launch --workspace ${workspace} --platform linux-test --arch amd64 --kernel ${kernel} --initrd ${initrd} --append 'console=ttyS0 panic=-1'`,
			{width: 120, height: 40},
		);
		t.after(() => session.kill());
		await session.waitForText(/Ctrl-P asks the model/, 60_000);
		// The ready line itself is a protocol line: the pane leaves it out and the timeline shows it.
		await session.waitForText(/✓ inference ready/, 240_000);
		session.send('C-p');
		await session.waitForText(/enter asks the model/, 10_000);
		session.type('What is seL4?');
		await session.waitForText(/ask› What is seL4\?/, 10_000);
		session.send('Enter');
		const screen = await session.waitForText(/\d+ tokens, [0-9.]+ tokens\/s · Ctrl-P asks again/, 240_000);
		assert.match(screen, /ask› What is seL4\?/);
		assert.doesNotMatch(screen, /SEL4LLM-(READY|BEGIN|TOK|END|PONG)/, 'no protocol line in the pane');
		session.send('C-]');
		await session.waitForText(/\[exit 0\]/, 30_000);
		assert.equal(existsSync(join(workspace, '.sel4-llm', 'launch.json')), false);
	});
});
