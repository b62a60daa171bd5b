import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {fileURLToPath} from 'node:url';
import {buildQemuCommand, judgeKvm, qemuMemoryMb, readKvmFacts} from '../../source/qemu/index.js';
import type {KvmFacts} from '../../source/qemu/index.js';
import {configuredQemuMemory, resolveImages} from '../../source/qemu/artifacts.js';
import {jsonOutput} from '../support/cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');

function sel4llm(args: string[], env: NodeJS.ProcessEnv = {}) {
	const result = spawnSync(process.execPath, [cli, ...args], {encoding: 'utf8', env: {...process.env, ...env}, timeout: 60_000});
	return {code: result.status, stdout: result.stdout, stderr: result.stderr};
}

describe('QEMU command lines', () => {
	it('qemu-arm-virt is upstream\'s line, with -nographic on stdio', () => {
		const command = buildQemuCommand({platform: 'qemu-arm-virt', image: 'images/capdl-loader-image-arm-qemu-arm-virt', memoryMb: 2048, serial: 'stdio'});
		assert.equal(
			command.display,
			'qemu-system-aarch64 -machine virt,virtualization=on,highmem=off,secure=off -cpu cortex-a53 -nographic -m size=2048 -kernel images/capdl-loader-image-arm-qemu-arm-virt',
		);
	});

	it('qemu-arm-virt with the console on a socket, extra arguments last', () => {
		const command = buildQemuCommand({
			platform: 'qemu-arm-virt',
			image: '/w/images/capdl-loader-image-arm-qemu-arm-virt',
			memoryMb: 2048,
			extraArgs: ['-smp', '2'],
			serial: {socketPath: '/tmp/s/console.sock'},
		});
		assert.deepEqual(command.args, [
			'-machine', 'virt,virtualization=on,highmem=off,secure=off',
			'-cpu', 'cortex-a53',
			'-display', 'none', '-monitor', 'none',
			'-chardev', 'socket,id=ser0,path=/tmp/s/console.sock,server=on,wait=on',
			'-serial', 'chardev:ser0',
			'-m', 'size=2048',
			'-kernel', '/w/images/capdl-loader-image-arm-qemu-arm-virt',
			'-smp', '2',
		]);
		assert.ok(command.notes.some((note) => /instead of upstream's -nographic stdio/.test(note)));
	});

	it('x86_64 is the tutorial\'s KVM line with +vmx and the IOMMU', () => {
		const command = buildQemuCommand({
			platform: 'x86_64',
			kernel: 'images/kernel-x86_64-pc99',
			initrd: 'images/capdl-loader-image-x86_64-pc99',
			memoryMb: 2048,
			serial: 'stdio',
		});
		assert.equal(
			command.display,
			'qemu-system-x86_64 -machine q35,accel=kvm,kernel-irqchip=split -cpu Nehalem,+vme,+pdpe1gb,-xsave,-xsaveopt,-xsavec,-fsgsbase,-invpcid,+syscall,+lm,enforce,+vmx -nographic -serial mon:stdio -m size=2048M -enable-kvm -kernel images/kernel-x86_64-pc99 -initrd images/capdl-loader-image-x86_64-pc99 -device intel-iommu,intremap=off',
		);
		const haswell = buildQemuCommand({platform: 'x86_64', kernel: 'k', initrd: 'i', memoryMb: 2048, cpu: 'Haswell,+vmx', serial: 'stdio'});
		assert.ok(haswell.args.includes('Haswell,+vmx'));
	});

	it('linux-test boots plain Linux on both architectures', () => {
		const arm = buildQemuCommand({platform: 'linux-test', arch: 'arm64', kernel: 'K', initrd: 'I', memoryMb: 512, serial: 'stdio'});
		assert.equal(arm.display, "qemu-system-aarch64 -machine virt,virtualization=on -cpu cortex-a53 -nographic -m 512 -no-reboot -kernel K -initrd I -append 'console=ttyAMA0 panic=-1'");
		const amd = buildQemuCommand({platform: 'linux-test', arch: 'amd64', kernel: 'K', initrd: 'I', memoryMb: 512, serial: 'stdio'});
		assert.equal(amd.display, "qemu-system-x86_64 -cpu qemu64 -nographic -m 512 -no-reboot -kernel K -initrd I -append 'console=ttyS0 panic=-1'");
	});

	it('derives memory from the guest RAM', () => {
		assert.equal(qemuMemoryMb({platform: 'qemu-arm-virt', guestRamMb: 512}).memoryMb, 2048);
		assert.equal(qemuMemoryMb({platform: 'qemu-arm-virt', guestRamMb: 1100}).memoryMb, 2304);
		assert.equal(qemuMemoryMb({platform: 'qemu-arm-virt', guestRamMb: 512, configuredMb: 3072}).memoryMb, 3072);
		assert.throws(() => qemuMemoryMb({platform: 'qemu-arm-virt', guestRamMb: 2500}), /at most 3072 MiB/);
		assert.equal(qemuMemoryMb({platform: 'x86_64', guestRamMb: 1900}).memoryMb, 3072);
		assert.equal(qemuMemoryMb({platform: 'x86_64', guestRamMb: 512}).memoryMb, 2048);
	});
});

describe('x86_64 host check', () => {
	const good: KvmFacts = {kvmDevice: true, kvmAccessible: true, cpuVmx: true, cpuSvm: false, hypervisor: false, nested: true};
	const table: Array<[string, Partial<KvmFacts>, RegExp | undefined]> = [
		['a VT-x PC with KVM', {}, undefined],
		['a VM with nested VT-x', {hypervisor: true, nested: true}, undefined],
		['no /dev/kvm', {kvmDevice: false, kvmAccessible: false}, /\/dev\/kvm does not exist/],
		['no permission', {kvmAccessible: false}, /kvm group/],
		['AMD', {cpuVmx: false, cpuSvm: true}, /AMD-V/],
		['a VM without nested VT-x', {cpuVmx: false, hypervisor: true}, /nested VT-x is not enabled/],
		['nested off', {hypervisor: true, nested: false}, /nested=N/],
		['VT-x off in firmware', {cpuVmx: false}, /VT-x is missing or disabled/],
	];
	for (const [name, change, reason] of table) {
		it(name, () => {
			const verdict = judgeKvm({...good, ...change});
			assert.equal(verdict.ok, reason === undefined);
			if (reason) {
				assert.match(verdict.reasons.join('; '), reason);
				assert.equal(verdict.alternatives.length, 3);
				// An AMD host is never told to enable nested VT-x: no setting of its own helps.
				if (name === 'AMD') assert.doesNotMatch(verdict.alternatives.join(' '), /nested/);
			}
		});
	}

	it('refuses x86_64 on this host (no usable KVM with VT-x) with the reason and the alternatives', (context) => {
		if (judgeKvm(readKvmFacts()).ok) {
			context.skip('this host has KVM with VT-x');
			return;
		}
		const workspace = mkdtempSync(join(tmpdir(), 'launch-x86-'));
		const result = sel4llm(['launch', '--platform', 'x86_64', '--workspace', workspace]);
		assert.equal(result.code, 4, result.stderr);
		assert.match(result.stderr, /cannot run the x86_64 CAmkES VM/);
		assert.match(result.stderr, /software emulation cannot provide VT-x/);
		assert.match(result.stderr, /next: .*KVM/);
		assert.match(result.stderr, /next: .*sel4-llm flash/);
		assert.match(result.stderr, /next: .*--platform qemu-arm-virt/);
		assert.doesNotMatch(result.stderr, /at .*\.js:\d+/); // no stack
	});
});

describe('images and dry run', () => {
	it('finds images from flags, then artifacts.json, then the build directory', () => {
		const workspace = mkdtempSync(join(tmpdir(), 'launch-images-'));
		const base = {workspace, platform: 'qemu-arm-virt' as const, app: 'vm_minimal'};
		assert.equal(resolveImages({...base, flags: {}}).image, join(workspace, 'build-qemu-arm-virt-vm_minimal', 'images', 'capdl-loader-image-arm-qemu-arm-virt'));
		mkdirSync(join(workspace, '.sel4-llm'));
		writeFileSync(
			join(workspace, '.sel4-llm', 'artifacts.json'),
			JSON.stringify({'build.ninja': {image: '/elsewhere/images/capdl-loader-image-arm-qemu-arm-virt', log: '/elsewhere/build.log'}}),
		);
		assert.equal(resolveImages({...base, flags: {}}).image, '/elsewhere/images/capdl-loader-image-arm-qemu-arm-virt');
		assert.equal(resolveImages({...base, flags: {image: '/mine/image'}}).image, '/mine/image');
		const x86 = resolveImages({workspace, platform: 'x86_64', app: 'minimal_64', flags: {}});
		assert.equal(x86.kernel, join(workspace, 'build-x86_64-minimal_64', 'images', 'kernel-x86_64-pc99'));
		assert.equal(x86.initrd, join(workspace, 'build-x86_64-minimal_64', 'images', 'capdl-loader-image-x86_64-pc99'));
	});

	it('reads QEMU_MEMORY from the build\'s CMake cache', () => {
		const workspace = mkdtempSync(join(tmpdir(), 'launch-cache-'));
		mkdirSync(join(workspace, 'build-qemu-arm-virt-vm_minimal'));
		writeFileSync(join(workspace, 'build-qemu-arm-virt-vm_minimal', 'CMakeCache.txt'), 'FOO:BOOL=ON\nQEMU_MEMORY:STRING=3072\n');
		assert.equal(configuredQemuMemory(workspace, 'qemu-arm-virt', 'vm_minimal'), 3072);
		assert.equal(configuredQemuMemory(workspace, 'qemu-arm-virt', 'other'), undefined);
	});

	it('--dry-run prints the exact command and explains the socket console', () => {
		const workspace = mkdtempSync(join(tmpdir(), 'launch-dry-'));
		const result = sel4llm(['launch', '--dry-run', '--workspace', workspace, '--set', 'guest_ram_mb=1100', '--', '-smp', '1']);
		assert.equal(result.code, 0, result.stderr);
		assert.match(
			result.stdout,
			/^qemu-system-aarch64 -machine virt,virtualization=on,highmem=off,secure=off -cpu cortex-a53 -display none -monitor none -chardev socket,id=ser0,path=\S+\/console\.sock,server=on,wait=on -serial chardev:ser0 -m size=2304 -kernel \S+\/build-qemu-arm-virt-llm_vm\/images\/capdl-loader-image-arm-qemu-arm-virt -smp 1\n$/,
		);
		assert.match(result.stderr, /upstream's line \(console on stdio\): qemu-system-aarch64 .* -nographic -m size=2304/);
		assert.match(result.stderr, /instead of upstream's -nographic stdio/);
		assert.match(result.stderr, /missing: .*capdl-loader-image-arm-qemu-arm-virt \(build first\)/);
		const json = sel4llm(['launch', '--dry-run', '--json', '--workspace', workspace]);
		const parsed = jsonOutput(json.stdout).result as {argv: string[]; memoryMb: number};
		assert.equal(parsed.argv[0], 'qemu-system-aarch64');
		assert.equal(parsed.memoryMb, 2048);
	});

	it('x86_64 --dry-run boots the CPU the build\'s kernel was configured for, else upstream\'s line; --cpu wins', () => {
		const workspace = mkdtempSync(join(tmpdir(), 'launch-x86-cpu-'));
		const cpuOf = (args: string[] = []) => {
			const result = sel4llm(['launch', '--platform', 'x86_64', '--dry-run', '--workspace', workspace, ...args]);
			assert.equal(result.code, 0, result.stderr);
			return {cpu: / -cpu (\S+) /.exec(result.stdout)![1], stderr: result.stderr};
		};
		assert.equal(cpuOf().cpu, 'Nehalem,+vme,+pdpe1gb,-xsave,-xsaveopt,-xsavec,-fsgsbase,-invpcid,+syscall,+lm,enforce,+vmx');
		// The options of a real SIMULATION=TRUE llm_vm_x86 configure (seL4 736bfd6).
		mkdirSync(join(workspace, 'build-x86_64-llm_vm'));
		writeFileSync(
			join(workspace, 'build-x86_64-llm_vm', 'CMakeCache.txt'),
			['KernelSel4Arch:STRING=x86_64', 'KernelX86MicroArch:STRING=nehalem', 'KernelHugePage:BOOL=ON', 'KernelFPU:STRING=FXSAVE', 'KernelFSGSBase:STRING=msr', 'KernelSupportPCID:BOOL=OFF', 'KernelSyscall:STRING=syscall', 'KernelVTX:BOOL=ON', ''].join('\n'),
		);
		const derived = cpuOf();
		// Upstream's simulate line for this configuration, with vmx (what seL4 checks) and pcid named next to invpcid.
		assert.equal(derived.cpu, 'Nehalem,+vme,+vmx,+pdpe1gb,-xsave,-xsaveopt,-xsavec,-fsgsbase,-pcid,-invpcid,+syscall,+lm,enforce');
		assert.match(derived.stderr, /# -cpu as the kernel was configured \(build-x86_64-llm_vm\/CMakeCache\.txt/);
		assert.equal(cpuOf(['--cpu', 'Skylake-Client']).cpu, 'Skylake-Client,+vmx');
	});

	it('rejects bad input with a clear message', () => {
		const workspace = mkdtempSync(join(tmpdir(), 'launch-bad-'));
		const platform = sel4llm(['launch', '--platform', 'riscv', '--workspace', workspace]);
		assert.equal(platform.code, 2);
		assert.match(platform.stderr, /--platform must be one of: qemu-arm-virt, x86_64, linux-test/);
		const missing = sel4llm(['launch', '--headless', '--workspace', workspace]);
		assert.equal(missing.code, 1);
		assert.match(missing.stderr, /image not found: .*capdl-loader-image-arm-qemu-arm-virt/);
		assert.match(missing.stderr, /next: sel4-llm run build/);
		const timeout = sel4llm(['launch', '--timeout', 'soon', '--workspace', workspace]);
		assert.equal(timeout.code, 2);
		assert.match(timeout.stderr, /--timeout must be a number/);
		const replay = sel4llm(['launch', '--replay', join(workspace, 'nope.log')]);
		assert.equal(replay.code, 3);
		assert.match(replay.stderr, /cannot read the log/);
	});

	it('launch --replay exits as its marks say: a ✗ halt or a stall that ended the boot fails (1), the result line leads with it', () => {
		const serial = join(root, 'test', 'fixtures', 'serial');
		const table: Array<[string, number, RegExp]> = [
			['arm-virt-stalled.log', 1, /\n {2}✗ 190\.0s {2}stall {16}no output for 184 s at vmm\n {12}what to do: the VMM loaded the guest but Linux printed nothing/],
			['recorded/camkes-vm-qemu-arm-virt-llama.log', 1, /\n {2}✗ {2}15\.3s {2}halt {17}the guest powered off/],
			['x86-vtx-not-supported.log', 1, /\nResult: ✗ the seL4 kernel halted after stage "kernel"/],
			['arm-virt-poweroff.log', 0, /\n {2}■ {2}15\.3s {2}halt {17}the guest powered off[^\n]*\nResult: the guest powered off after stage "ready"/],
			['arm-virt-ready.log', 0, /\nResult: log ends after stage "ready"/],
		];
		for (const [file, code, pattern] of table) {
			const result = sel4llm(['launch', '--replay', join(serial, file)]);
			assert.equal(result.code, code, `${file}\n${result.stdout}${result.stderr}`);
			assert.match(result.stdout, pattern, file);
		}
		const stalled = sel4llm(['launch', '--replay', join(serial, 'arm-virt-stalled.log')]).stdout;
		assert.match(stalled, /\nResult: ✗ stalled after stage "vmm"/);
		const panic = sel4llm(['launch', '--replay', join(serial, 'arm-virt-initrd-too-large.log')]).stdout;
		assert.doesNotMatch(panic, /✗ Guest: Kernel panic/);
		assert.match(panic, /\n {2}also matched, generic: Guest: Kernel panic \[guest-kernel-panic\]\n/);
	});

	it('--help documents the leave key, the stages and every option', () => {
		const result = sel4llm(['launch', '--help']);
		assert.equal(result.code, 0);
		for (const text of ['Ctrl-]', 'elfloader, kernel, rootserver, vmm, linux, init, login, ready', '--headless', '--expect', '--timeout', '--replay', '--dry-run', 'linux-test', 'SEL4LLM-READY']) {
			assert.ok(result.stdout.includes(text), text);
		}
	});
});
