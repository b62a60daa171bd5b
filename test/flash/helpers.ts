// Shared by the flash tests: the test kernel (built once, cached), stick images, loop devices, running the CLI.
import {execFileSync, spawn, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {testCacheDir} from '../support/cache.js';

export const root = join(import.meta.dirname, '..', '..');
export const cli = join(root, 'dist', 'cli.js');
const fixtures = join(root, 'test', 'fixtures', 'multiboot');

/** The multiboot test kernel, built once per source version into <test cache>/flash (see test/support/cache.ts); `needPcid` builds the variant that, like seL4 with KernelSupportPCID, halts without PCID. */
export function testKernel(options: {needPcid?: boolean} = {}): string {
	const hash = createHash('sha256');
	for (const name of ['boot.S', 'kernel.c', 'link.ld', 'build.sh']) hash.update(readFileSync(join(fixtures, name)));
	const dir = join(testCacheDir(), 'flash');
	const path = join(dir, `testkernel-${hash.digest('hex').slice(0, 12)}${options.needPcid ? '-pcid' : ''}.elf`);
	if (!existsSync(path)) {
		mkdirSync(dir, {recursive: true});
		const partial = `${path}.${process.pid}.tmp`;
		execFileSync('sh', [join(fixtures, 'build.sh'), partial, ...(options.needPcid ? ['-DNEED_PCID'] : [])], {stdio: 'inherit'});
		execFileSync('mv', [partial, path]);
	}
	return path;
}

export function scratch(name: string): string {
	return mkdtempSync(join(tmpdir(), `sel4-llm-${name}-`));
}

/** Builds a stick image with the test kernel and a small module (no boot test). */
export function stickImage(dir: string, extra: string[] = []): string {
	const module = join(dir, 'rootserver.bin');
	writeFileSync(module, Buffer.from(Array.from({length: 200_000}, (_, index) => (index * 7) & 0xff)));
	const output = join(dir, 'stick.img');
	const result = runCli(['usb-image', '--kernel', testKernel(), '--rootserver', module, '--output', output, '--timeout', '1', '--boot-test', 'none', ...extra]);
	if (result.status !== 0) throw new Error(`usb-image failed: ${result.stderr}`);
	return output;
}

export function runCli(args: string[], options: {env?: NodeJS.ProcessEnv; input?: string} = {}) {
	const result = spawnSync(process.execPath, [cli, ...args], {
		encoding: 'utf8',
		env: {...process.env, CI: '1', ...options.env},
		input: options.input ?? '',
		timeout: 180_000,
	});
	return {status: result.status, stdout: result.stdout, stderr: result.stderr, signal: result.signal};
}

/** Runs the CLI and lets the test act when a line appears on stderr (e.g. the first progress line). */
export function runCliUntil(args: string[], trigger: RegExp, action: (child: ReturnType<typeof spawn>) => void) {
	return new Promise<{status: number | null; stderr: string; stdout: string}>((resolve) => {
		const child = spawn(process.execPath, [cli, ...args], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, CI: '1'}});
		let stderr = '';
		let stdout = '';
		let fired = false;
		// The trigger is looked for on both: progress is on stderr for people, on stdout as events with --json.
		const check = () => {
			if (!fired && (trigger.test(stderr) || trigger.test(stdout))) {
				fired = true;
				action(child);
			}
		};
		child.stdout.on('data', (chunk: Buffer) => {
			stdout += chunk.toString();
			check();
		});
		child.stderr.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
			check();
		});
		child.on('close', (status) => resolve({status, stderr, stdout}));
	});
}

/** Why tests with real loop devices cannot run here (they need root and a free loop device), or false when they can. */
export function loopsUnavailable(): string | false {
	if (process.getuid?.() !== 0) return 'loop devices need root';
	const free = spawnSync('losetup', ['-f'], {encoding: 'utf8'});
	return free.status === 0 ? false : `no free loop device (${(free.stderr || free.error?.message || '').trim()})`;
}

export type Loop = {path: string; backing: string; detach: () => void};

/** A real loop device over a sparse file; always detach it (in `finally` or `after`). */
export function loopDevice(backing: string, size: number): Loop {
	execFileSync('truncate', ['-s', String(size), backing]);
	const path = execFileSync('losetup', ['-f', '--show', '-P', backing], {encoding: 'utf8'}).trim();
	spawnSync('partx', ['-u', path]);
	return {
		path,
		backing,
		detach() {
			spawnSync('losetup', ['-d', path]);
		},
	};
}

export function cleanup(dir: string): void {
	spawnSync('umount', ['-l', join(dir, 'small')]);
	rmSync(dir, {recursive: true, force: true});
}
