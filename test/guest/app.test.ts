import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {test} from 'node:test';
import {UserError} from '../../source/errors.js';
import {appDir, generateApp, guestCmdline, sataDefaults, writeApp, type AppOptions} from '../../source/guest/app/generate.js';
import {prepareApp} from '../../source/guest/app/index.js';
import {armLayout, MiB, powerOfTwoBlocks} from '../../source/guest/app/layout.js';
import {writeCpio} from '../../source/images/cpio.js';
import {fakeTree, tempDir, writeArm64Image, writeBzImage, writeGguf} from './helpers.js';
import {jsonOutput} from '../support/cli.js';

const goldenDir = resolve('test/fixtures/guest/golden');
const update = process.env.UPDATE_GOLDEN === '1';

type Case = {name: string; options: AppOptions};
const arm = (ram: number, initrdMb: number, unpackedMb: number): AppOptions => ({
	platform: 'qemu-arm-virt',
	guestRamMb: ram,
	kernelFile: '/sel4/projects/camkes-vm-images/qemu-arm-virt/linux',
	initrdFile: '/ws/llm-rootfs.cpio.gz',
	sizes: {kernelBytes: 20 * MiB, initrdBytes: initrdMb * MiB, unpackedBytes: unpackedMb * MiB},
	generator: 'test',
});
const x86 = (ram: number, initrdMb: number, unpackedMb: number): AppOptions => ({
	platform: 'x86_64',
	guestRamMb: ram,
	kernelFile: '/sel4/projects/vm-linux/images/kernel/64/default_bzimage_4.8.16',
	initrdFile: '/ws/llm-rootfs.cpio',
	sizes: {kernelBytes: 30 * MiB, initrdBytes: initrdMb * MiB, unpackedMb: 0, unpackedBytes: unpackedMb * MiB} as AppOptions['sizes'],
	generator: 'test',
});
const cases: Case[] = [
	{name: 'arm-512-small', options: arm(512, 8, 20)},
	{name: 'arm-512-model', options: arm(512, 120, 150)},
	{name: 'arm-768', options: arm(768, 8, 20)},
	{name: 'arm-1024-model', options: arm(1024, 300, 320)},
	{name: 'x86-256', options: x86(256, 8, 10)},
	{name: 'x86-1024-model', options: x86(1024, 200, 210)},
	{name: 'x86-2048-model', options: {...x86(2048, 700, 710), cmdlineExtra: 'loglevel=4'}},
	{name: 'x86-512-sata', options: {...x86(512, 8, 10), sata: sataDefaults}},
];

/** Keys and constructs that upstream does not define (UPSTREAM.md, the old guide's audit). */
const invented = [
	/disk_images/,
	/fs_passthrough/,
	/host_share_path/,
	/\bvirtio_net\s*=/,
	/virtio_net_mac/,
	/shared_mem_request/,
	/vm0_config/,
	/linux_address_config/,
	/linux_image_config/,
	/initrd_max_size/,
	/linux_ram_offset/,
	/root=\/dev\/vda/,
	/UpdateGuestRootfs/,
	/LinuxVM/,
	/vport0p1/,
];

for (const {name, options} of cases) {
	test(`golden: ${name}`, async () => {
		const app = await generateApp(options);
		const dir = join(goldenDir, name);
		const names = [...app.files.keys()].sort();
		if (update) {
			for (const [file, text] of app.files) {
				mkdirSync(dirname(join(dir, file)), {recursive: true});
				writeFileSync(join(dir, file), text);
			}
		}
		const listed = (readdirSync(dir, {recursive: true, withFileTypes: true}) as Array<{isFile(): boolean; name: string; parentPath?: string; path?: string}>)
			.filter((entry) => entry.isFile())
			.map((entry) => join(entry.parentPath ?? entry.path ?? '', entry.name).slice(dir.length + 1))
			.sort();
		assert.deepEqual(names, listed);
		for (const [file, text] of app.files) {
			assert.equal(text, readFileSync(join(dir, file), 'utf8'), `${name}/${file} differs from the golden copy (UPDATE_GOLDEN=1 to accept)`);
			for (const pattern of invented) assert.doesNotMatch(text, pattern, `${name}/${file} has an invented key`);
			assert.doesNotMatch(text, /\{\{|\}\}/, `${name}/${file} has an unfilled placeholder`);
		}
		const camkes = app.files.get('llm_vm.camkes') ?? '';
		if (options.platform === 'x86_64') {
			assert.doesNotMatch(camkes, /num_vcpus/);
			assert.match(camkes, /component Init0 \{\s+VM_INIT_DEF\(\)/);
			assert.match(camkes, /vm0\.kernel_relocs = "";/);
			assert.match(camkes, /root=\/dev\/mem/);
			assert.match(camkes, /pci=nomsi/);
			assert.match(camkes, /console=ttyS0,115200/);
			assert.match(app.files.get('CMakeLists.txt') ?? '', /DecompressLinuxKernel\(/);
			assert.ok(app.x86 && app.x86.poolMb > options.guestRamMb, 'the untyped pool covers the guest RAM');
			assert.equal(/make_virtio_blk/.test(camkes), Boolean(options.sata));
			assert.equal(/SataserverUseAHCI ON/.test(app.files.get('app_settings.cmake') ?? ''), Boolean(options.sata));
		} else {
			// Every setting upstream's apps/Arm/vm_minimal/settings.cmake sets for qemu-arm-virt (VmInitRdFile is
			// deprecated there in favour of vm_image_config.provide_initrd, which the devices file sets).
			const settings = app.files.get('settings.cmake') ?? '';
			assert.match(settings, /^set\(LibUSB OFF CACHE BOOL "" FORCE\)$/m, 'without LibUSB OFF the VMM build stops at usb/usb_host.h');
			assert.match(settings, /^set\(KernelArmCPU cortex-a53 CACHE STRING "" FORCE\)$/m);
			assert.match(settings, /^set\(QEMU_MEMORY "\d+"/m);
			const devices = app.files.get('qemu-arm-virt/devices.camkes') ?? '';
			assert.match(devices, /"provide_initrd" : true/);
			assert.match(devices, /vm0\.vm_address_config = \{/);
			assert.match(devices, /vm0\.vm_image_config = \{/);
			assert.match(camkes, /VM_COMPOSITION_DEF\(0\)/);
			assert.ok(app.arm);
			assert.ok(app.arm.initrdEnd <= app.arm.dtbAddr, 'the DTB cannot overwrite the initrd');
			assert.ok(app.arm.dtbAddr + app.arm.dtbBytes <= app.arm.ramBase + app.arm.ramSize);
			assert.equal(app.files.has('qemu-arm-virt/reserve-guest-ram.dts'), options.guestRamMb !== 512);
		}
	});
}

test('qemu-arm-virt keeps vm_minimal\'s verified slots when they fit and moves a larger initrd below the DTB', () => {
	const small = armLayout(512, {kernelBytes: 20 * MiB, initrdBytes: 25 * 1000 * 1000, unpackedBytes: 40 * MiB});
	assert.equal(small.initrdAddr, 0x4d700000);
	assert.equal(small.dtbAddr, 0x4f000000);
	assert.deepEqual(small.ramUntypeds, ['0x40000000:29']);
	// 26 MiB is more than vm_minimal's 25 MB slot: the DTB would land inside it there.
	const moved = armLayout(512, {kernelBytes: 20 * MiB, initrdBytes: 26 * MiB, unpackedBytes: 40 * MiB});
	assert.equal(moved.upstreamSlots, false);
	assert.equal(moved.initrdAddr, 0x48000000);
	assert.ok(moved.dtbAddr >= moved.initrdEnd);
	assert.deepEqual(powerOfTwoBlocks(0x40000000, 640 * MiB).map((block) => `0x${block.addr.toString(16)}:${block.bits}`), ['0x40000000:29', '0x60000000:27']);
});

test('bad parameters are refused with the limit and the fix', async () => {
	const refuses = async (options: AppOptions, message: RegExp, hint: RegExp): Promise<void> => {
		await assert.rejects(generateApp(options), (error: unknown) => {
			assert.ok(error instanceof UserError, String(error));
			assert.match(error.message, message);
			assert.match(`${error.hint ?? ''} ${error.nextSteps.join(' ')}`, hint);
			return true;
		});
	};
	await refuses(arm(2048, 8, 20), /guest RAM 2048 MiB is not possible on qemu-arm-virt/, /128-1024 MiB/);
	await refuses(arm(500, 8, 20), /500 MiB/, /steps of 64/);
	await refuses(x86(4096, 8, 10), /guest RAM 4096 MiB is not possible on x86_64/, /128-3072/);
	await refuses(arm(512, 400, 410), /do not fit in 512 MiB/, /guest_ram_mb=/);
	await refuses(arm(512, 200, 400), /needs \d+ MiB of RAM but has 512/, /guest_ram_mb=768/);
	await refuses(arm(1024, 900, 900), /do not fit|needs/, /smaller/);
	await refuses(x86(3072, 1500, 1500), /needs \d+ MiB of RAM but has 3072/, /smaller \(more quantized\) model/);
	await refuses({...x86(512, 8, 10), cmdlineExtra: 'foo="bar"'}, /characters that would break the \.camkes string: "/, /double quotes/);
	await refuses({...arm(512, 8, 20), cmdlineExtra: 'a\\nb'}, /break the \.camkes string: \\/, /backslashes/);
	await refuses({...arm(512, 8, 20), cmdlineExtra: 'x\ny'}, /U\+000a/, /printable ASCII/);
	await refuses({...arm(512, 8, 20), cmdlineExtra: 'quiet /* c */'}, /comment/, /Remove/);
	await refuses({...x86(512, 8, 10), cmdlineExtra: 'root=/dev/vda'}, /already sets root/, /root=\/dev\/mem/);
	await refuses({...x86(512, 8, 10), initrdFile: '/tmp/a"b.cpio'}, /cannot be written into CMakeLists.txt/, /absolute path/);
	assert.equal(guestCmdline('qemu-arm-virt', '  loglevel=4   quiet '), 'loglevel=4 quiet');
	await refuses({...arm(512, 8, 20), sata: sataDefaults}, /only for x86_64/, /baked into the initramfs/);
	await refuses({...x86(512, 8, 10), sata: {...sataDefaults, pciBdf: '00:1f.2', partition: 7}}, /PCI address "00:1f.2"[\s\S]*partition 7/, /lspci/);
});

test('the kernel device tree overlay resizes the reserved guest RAM (checked with dtc)', async () => {
	const app = await generateApp(arm(1024, 8, 20));
	const work = tempDir('dts');
	// A platform tree with the kernel's default reservation (512 MiB at 0x40000000), then our overlay, concatenated
	// as the seL4 build does with KernelDTSList.
	const platform = '/dts-v1/;\n/ {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n\tmemory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 0x80000000>; };\n};\n/ {\n\treserved-memory {\n\t\t#address-cells = <2>;\n\t\t#size-cells = <2>;\n\t\tranges;\n\t\tvm-memory@40000000 { reg = <0 0x40000000 0 0x20000000>; no-map; };\n\t};\n};\n';
	writeFileSync(join(work, 'kernel.dts'), platform + (app.files.get('qemu-arm-virt/reserve-guest-ram.dts') ?? ''));
	execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-o', join(work, 'kernel.dtb'), join(work, 'kernel.dts')]);
	const back = execFileSync('dtc', ['-q', '-I', 'dtb', '-O', 'dts', join(work, 'kernel.dtb')]).toString();
	assert.match(back, /vm-memory@40000000 \{\s+reg = <0x00 0x40000000 0x00 0x40000000>;\s+no-map;/);
	const settings = app.files.get('settings.cmake') ?? '';
	assert.match(settings, /set\(KernelCustomDTSOverlay "\$\{CMAKE_CURRENT_LIST_DIR\}\/qemu-arm-virt\/reserve-guest-ram.dts" CACHE STRING "" FORCE\)/);
	assert.match(settings, /set\(QEMU_MEMORY "2048" CACHE STRING "[^"]*" FORCE\)/);
	assert.match(app.files.get('qemu-arm-virt/devices.camkes') ?? '', /"0x40000000:30",/);
});

test('sel4-llm app writes llm_vm into a tree from upstream-style images and refuses a model that does not fit', async () => {
	const tree = fakeTree(tempDir('tree'));
	writeArm64Image(join(tree, 'projects/camkes-vm-images/qemu-arm-virt/linux'), 24 * MiB);
	const model = join(tree, 'model.gguf');
	writeGguf(model, 2 * MiB);
	await writeCpio(join(tree, 'projects/camkes-vm-images/qemu-arm-virt/rootfs.cpio.gz'), [
		{path: 'init', type: 'file', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 3, data: Buffer.from('#!\n')},
	], {gzip: true});
	const app = await prepareApp({tree, platform: 'qemu-arm-virt', guestRamMb: 512});
	const dir = await writeApp(tree, app);
	assert.equal(dir, appDir(tree, 'qemu-arm-virt'));
	assert.ok(existsSync(join(dir, 'qemu-arm-virt', 'devices.camkes')));
	assert.match(readFileSync(join(dir, 'CMakeLists.txt'), 'utf8'), new RegExp(`AddToFileServer\\("linux" "${tree}/projects/camkes-vm-images/qemu-arm-virt/linux"\\)`));
	// Regenerating replaces our own app; a foreign directory is never replaced.
	await writeApp(tree, app);
	writeBzImage(join(tree, 'projects/vm-linux/images/kernel/64/default_bzimage_4.8.16'), 40 * MiB);
	await writeCpio(join(tree, 'projects/vm-linux/images/rootfs/64/default_buildroot_rootfs-bare.cpio'), []);
	const x86Dir = appDir(tree, 'x86_64');
	mkdirSync(x86Dir, {recursive: true});
	writeFileSync(join(x86Dir, 'CMakeLists.txt'), 'project(mine)\n');
	await assert.rejects(writeApp(tree, await prepareApp({tree, platform: 'x86_64', guestRamMb: 256})), /was not generated by sel4-llm/);
	// Through the CLI: a big initrd on too little RAM is refused before anything is written (exit 3).
	const big = join(tree, 'big.cpio');
	await writeCpio(big, [{path: 'models/m.gguf', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 0, data: Buffer.alloc(200 * MiB)}]);
	const cli = spawnSync(process.execPath, ['dist/cli.js', 'app', '--tree', tree, '--guest-ram-mb', '256', '--initrd', big, '--check'], {encoding: 'utf8'});
	assert.equal(cli.status, 3, cli.stderr);
	assert.match(cli.stderr, /do not fit in 256 MiB|needs \d+ MiB of RAM but has 256/);
	assert.match(cli.stderr, /hint: /);
	const ok = spawnSync(process.execPath, ['dist/cli.js', 'app', '--tree', tree, '--guest-ram-mb', '768', '--initrd', big, '--json'], {encoding: 'utf8'});
	assert.equal(ok.status, 0, ok.stderr);
	const json = jsonOutput(ok.stdout).result as {written: boolean; arm: {initrdAddr: number; dtbAddr: number}; notes: string[]};
	assert.equal(json.written, true);
	assert.ok(json.arm.dtbAddr > json.arm.initrdAddr + 200 * MiB);
	assert.ok(json.notes.some((note) => /resized together \(verified by booting with 512 and 1024 MiB\)/.test(note)));
	// The printed next step is the configure command of the build recipe, with the platform's app name.
	const arm = spawnSync(process.execPath, ['dist/cli.js', 'app', '--tree', tree, '--guest-ram-mb', '768', '--initrd', big], {encoding: 'utf8'});
	assert.match(arm.stderr, /^ {2}next: mkdir -p build-qemu-arm-virt-llm_vm && cd build-qemu-arm-virt-llm_vm && \.\.\/init-build\.sh -DPLATFORM=qemu-arm-virt -DAARCH64=TRUE -DCAMKES_VM_APP=llm_vm -DSIMULATION=TRUE && ninja$/m);
	rmSync(x86Dir, {recursive: true, force: true});
	const x86 = spawnSync(process.execPath, ['dist/cli.js', 'app', '--tree', tree, '--platform', 'x86_64', '--guest-ram-mb', '256'], {encoding: 'utf8'});
	assert.equal(x86.status, 0, x86.stderr);
	assert.match(x86.stderr, /^ {2}next: mkdir -p build-x86_64-llm_vm && cd build-x86_64-llm_vm && \.\.\/init-build\.sh -DCAMKES_VM_APP=llm_vm_x86 -DSIMULATION=TRUE && ninja$/m);
});
