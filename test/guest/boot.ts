// Boots a Debian kernel with an initramfs in plain QEMU and waits for a line on the serial console.
import {spawn} from 'node:child_process';

export type BootOptions = {
	arch: 'amd64' | 'arm64';
	kernel: string;
	initrd: string;
	/** Raw disk images attached as virtio-blk (read-only). */
	disks?: string[];
	memoryMb?: number;
	/** Resolve when the console shows all of these. */
	expect: RegExp[];
	/** Fail at once when the console shows one of these. */
	fail?: RegExp[];
	/** The point after which the expected lines can no longer come (checked after `expect`). */
	giveUpAt?: RegExp;
	timeoutMs?: number;
};

export type BootResult = {ok: boolean; output: string; ms: number; reason: string};

export function bootQemu(options: BootOptions): Promise<BootResult> {
	const disks = (options.disks ?? []).flatMap((disk, index) => [
		'-drive',
		`file=${disk},format=raw,if=none,id=disk${index},readonly=on`,
		'-device',
		`virtio-blk-pci,drive=disk${index}`,
	]);
	const common = ['-nographic', '-no-reboot', '-m', String(options.memoryMb ?? 512), '-kernel', options.kernel, '-initrd', options.initrd, ...disks];
	const [binary, args] =
		options.arch === 'amd64'
			? ['qemu-system-x86_64', [...common, '-append', 'console=ttyS0 panic=-1 quiet']]
			: ['qemu-system-aarch64', ['-M', 'virt,virtualization=on', '-cpu', 'cortex-a53', ...common, '-append', 'console=ttyAMA0 panic=-1 quiet']];
	const start = Date.now();
	return new Promise((resolve) => {
		const child = spawn(binary, args, {stdio: ['ignore', 'pipe', 'pipe']});
		let output = '';
		let done = false;
		const finish = (ok: boolean, reason: string): void => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			child.kill('SIGKILL');
			resolve({ok, output, ms: Date.now() - start, reason});
		};
		const timer = setTimeout(() => finish(false, `timeout after ${options.timeoutMs ?? 120_000} ms`), options.timeoutMs ?? 120_000);
		const onData = (chunk: Buffer): void => {
			output += chunk.toString('utf8');
			const failed = (options.fail ?? []).find((pattern) => pattern.test(output));
			if (failed) finish(false, `console matched ${failed}`);
			else if (options.expect.every((pattern) => pattern.test(output))) finish(true, 'expected output seen');
			else if (options.giveUpAt?.test(output)) finish(false, `console reached ${options.giveUpAt} without ${options.expect.filter((pattern) => !pattern.test(output)).join(', ')}`);
		};
		child.stdout.on('data', onData);
		child.stderr.on('data', onData);
		child.on('exit', (code) => finish(false, `qemu exited with ${code}`));
	});
}
