// Real boots in plain QEMU (Debian's kernel, a busybox initramfs as the base rootfs): our rootfs step appends the
// guest overlay (overlays/rootfs), the inference program (the payload build) and, for the initrd delivery, the
// model (the payload's reproducible test model); the model disk is built by model-disk. The guest's init service
// must find the model, load it and print the readiness marker. The payload build and the model are cached under
// the test cache (shared with the payload tests, see test/support/cache.ts), with the kernels.
import assert from 'node:assert/strict';
import {chmodSync, copyFileSync, existsSync, mkdirSync} from 'node:fs';
import {basename, join, resolve} from 'node:path';
import {test} from 'node:test';
import {buildRootfs} from '../../source/guest/rootfs.js';
import {buildInitramfs} from '../support/initramfs.js';
import {buildModelDisk} from '../../source/images/model-disk.js';
import {debianBusybox, debianKernel, type DebianArch} from '../support/debian-kernel.js';
import {buildQemuCommand, parseExpectation, startBoot} from '../../source/qemu/index.js';
import {payloadBinary, testModel} from '../support/test-model.js';
import {tempDir} from './helpers.js';
import {fixtureUnavailable} from '../support/cache.js';

const overlay = resolve('overlays/rootfs');
const failures = [/Kernel panic/, /Initramfs unpacking failed/, /SEL4LLM-STAGE module-failed/, /SEL4LLM-ERROR/];
const diskModules = ['virtio_pci', 'virtio_blk', 'ext4'];

async function baseInitramfs(arch: DebianArch, work: string): Promise<{kernel: string; base: string}> {
	const kernel = await debianKernel(arch);
	const base = join(work, 'base.cpio.gz');
	await buildInitramfs({
		out: base,
		arch,
		busybox: await debianBusybox(arch),
		modules: {dir: kernel.modulesDir, version: kernel.version, names: diskModules},
		console: arch === 'amd64' ? 'ttyS0' : 'ttyAMA0',
	});
	return {kernel: kernel.kernel, base};
}

const cases: Array<{arch: DebianArch; delivery: 'disk' | 'disk-mbr' | 'initrd'}> = [
	{arch: 'amd64', delivery: 'disk-mbr'},
	{arch: 'arm64', delivery: 'disk'},
	{arch: 'arm64', delivery: 'initrd'},
];

for (const {arch, delivery} of cases) {
	test(`${arch} guest with our overlay finds the model (${delivery}) and prints the readiness marker`, {timeout: 900_000 /* a cold run builds the static payload first (minutes) */, skip: fixtureUnavailable('llama-source', `kernel-${arch}`, `busybox-${arch}`)}, async () => {
		assert.ok(existsSync(join(overlay, 'etc', 'init.d')), 'overlays/rootfs holds the guest init scripts');
		const work = tempDir(`boot-${arch}`);
		const {kernel, base} = await baseInitramfs(arch, work);
		const model = await testModel();
		const payload = join(work, 'payload');
		mkdirSync(join(payload, 'usr', 'bin'), {recursive: true});
		copyFileSync(await payloadBinary(arch === 'amd64' ? 'x86_64' : 'aarch64'), join(payload, 'usr', 'bin', 'sel4llm-infer'));
		chmodSync(join(payload, 'usr', 'bin', 'sel4llm-infer'), 0o755);
		const initrd = join(work, 'llm-rootfs.cpio.gz');
		const rootfs = await buildRootfs({base, output: initrd, overlays: [overlay, payload], ...(delivery === 'initrd' ? {model} : {})});
		assert.ok(rootfs.added.some((path) => path.startsWith('etc/init.d/S')), 'the init script was appended');
		const disks: string[] = [];
		if (delivery !== 'initrd') {
			const disk = await buildModelDisk({inputs: [model], output: join(work, 'models.img'), mbr: delivery === 'disk-mbr'});
			disks.push(disk.output);
		}
		const command = buildQemuCommand({
			platform: 'linux-test',
			arch,
			kernel,
			initrd,
			memoryMb: 512,
			serial: 'stdio',
			extraArgs: disks.flatMap((disk, index) => ['-drive', `file=${disk},format=raw,if=none,id=disk${index},readonly=on`, '-device', `virtio-blk-pci,drive=disk${index}`]),
		});
		let output = '';
		const session: ReturnType<typeof startBoot> = startBoot({
			command,
			expect: [parseExpectation(`SEL4LLM-READY model=${basename(model).replace(/\./g, '\\.')}`)],
			timeoutSeconds: 180,
			onOutput: (chunk) => {
				output += chunk.toString('utf8');
				// A failure line means the marker will not come.
				if (failures.some((pattern) => pattern.test(output))) session.stop();
			},
		});
		const boot = await session.done;
		const found = output.includes(`SEL4LLM-READY model=${basename(model)}`);
		if (process.env.SEL4LLM_SHOW_CONSOLE) console.log(output);
		assert.ok(found, `${boot.outcome}\n${output.slice(-3000)}`);
	});
}
