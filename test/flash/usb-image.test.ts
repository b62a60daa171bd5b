// usb-image: the GRUB configuration, the provenance, and a real image booted in QEMU (BIOS and UEFI).
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {grubConfig, normalisePort} from '../../source/images/usb/grub-config.js';
import {stripTerminal} from '../../source/images/usb/boot-test.js';
import {revisionsFromLock} from '../../source/images/usb/provenance.js';
import {readRecord} from '../../source/images/usb-image.js';
import {defaultImagePath} from '../../source/commands/usb-image.js';
import {kernelConfigFromCache, unsupportedFeatures, x86CpuModel} from '../../source/qemu/x86-cpu.js';
import {cleanup, runCli, scratch, testKernel} from './helpers.js';
import {loadRecipeSet} from '../../source/engine/load.js';
import {diagnose} from '../../source/engine/troubleshoot.js';
import {root, jsonOutput} from '../support/cli.js';

const dir = scratch('usb-image');
after(() => cleanup(dir));

const options = {timeout: 5, consolePort: '0x3f8', kernelPath: '/boot/sel4/k', rootserverPath: '/boot/sel4/r', rootserverName: 'r'};

test('grub.cfg: serial console, multiboot2 entries first, disable_iommu and console_port entries, multiboot fallback', () => {
	const config = grubConfig(options);
	const lines = config.split('\n');
	assert.ok(lines.includes('serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1'));
	assert.ok(lines.includes('terminal_input serial console'));
	assert.ok(lines.includes('terminal_output serial console'));
	assert.ok(lines.includes('set timeout=5'));
	const kernels = lines.filter((line) => /^\tmultiboot2? /.test(line)).map((line) => line.trim());
	assert.deepEqual(kernels, [
		'multiboot2 /boot/sel4/k console_port=0x3f8 debug_port=0x3f8',
		'multiboot2 /boot/sel4/k console_port=0x3f8 debug_port=0x3f8 disable_iommu',
		'multiboot2 /boot/sel4/k console_port=0x2f8 debug_port=0x2f8',
		'multiboot /boot/sel4/k console_port=0x3f8 debug_port=0x3f8',
		'multiboot /boot/sel4/k console_port=0x3f8 debug_port=0x3f8 disable_iommu',
	]);
	const modules = lines.filter((line) => /^\tmodule2? /.test(line)).map((line) => line.trim());
	assert.deepEqual(modules, ['module2 /boot/sel4/r r', 'module2 /boot/sel4/r r', 'module2 /boot/sel4/r r', 'module /boot/sel4/r r', 'module /boot/sel4/r r']);
	assert.match(grubConfig({...options, consolePort: '0x2f8'}), /^serial --unit=1 /m);
	assert.match(grubConfig({...options, consolePort: '0xe010'}), /^serial --port=0xe010 /m);
	assert.equal(normalisePort('3F8'), '0x3f8');
	assert.equal(normalisePort('0x2f8'), '0x2f8');
	assert.equal(normalisePort('COM1'), undefined);
});

test('revisions come from a JSON lock file or a pinned repo manifest', () => {
	assert.deepEqual(revisionsFromLock(JSON.stringify({projects: [{name: 'seL4', revision: 'abc1234'}, {path: 'tools/seL4', sha: 'def5678'}]})), [
		{name: 'seL4', revision: 'abc1234'},
		{name: 'tools/seL4', revision: 'def5678'},
	]);
	assert.deepEqual(revisionsFromLock(JSON.stringify({repos: {kernel: '0123456789abcdef'}})), [{name: 'kernel', revision: '0123456789abcdef'}]);
	assert.deepEqual(revisionsFromLock('<manifest>\n  <project name="seL4" path="kernel" revision="4cae30a6"/>\n  <project name="x"/>\n</manifest>'), [
		{name: 'seL4', revision: '4cae30a6'},
	]);
});

test('builds from the workspace build directory, boots in QEMU under BIOS and UEFI, and carries provenance and the checklist', () => {
	const workspace = join(dir, 'ws');
	const images = join(workspace, 'build-x86_64-minimal_64', 'images');
	mkdirSync(images, {recursive: true});
	copyFileSync(testKernel(), join(images, 'kernel-x86_64-pc99'));
	writeFileSync(join(images, 'capdl-loader-image-x86_64-pc99'), Buffer.alloc(150_000, 0x5a));
	const lock = join(workspace, 'sources.lock.json');
	writeFileSync(lock, JSON.stringify({projects: [{name: 'seL4', revision: '1111111111111111111111111111111111111111'}]}));
	const result = runCli(['usb-image', '--workspace', workspace, '--app', 'minimal_64', '--lock', lock, '--timeout', '1', '--boot-test', 'both', '--json']);
	assert.equal(result.status, 0, result.stderr);
	const record = jsonOutput(result.stdout).result;
	const image = join(workspace, 'usb', 'sel4-llm-x86_64-minimal_64.img');
	assert.equal(record.image.path, image);
	assert.equal(record.ok, true);
	assert.deepEqual(record.bootTests.map((each: {firmware: string; ok: boolean; grubMenu: boolean}) => [each.firmware, each.ok, each.grubMenu]), [
		['bios', true, true],
		['uefi', true, true],
	]);
	for (const boot of record.bootTests) {
		assert.equal(boot.kernelLines[0], 'testkernel: booted by multiboot2');
		assert.ok(boot.kernelLines.includes('testkernel: cmdline console_port=0x3f8 debug_port=0x3f8'), boot.kernelLines.join('\n'));
		assert.ok(boot.kernelLines.includes('testkernel: module capdl-loader-image-x86_64-pc99 size=150000'), boot.kernelLines.join('\n'));
		assert.match(readFileSync(boot.log, 'utf8'), /GNU GRUB/);
		assert.match(readFileSync(boot.log, 'utf8'), /seL4 \(multiboot2, disable_iommu: VT-d off for unvalidated chipsets\)/);
	}
	// The files on the stick, read back from the image without mounting it.
	const extract = join(dir, 'extract');
	execFileSync('xorriso', ['-osirrox', 'on', '-indev', image, '-extract', '/', extract], {stdio: 'ignore'});
	const provenance = JSON.parse(readFileSync(join(extract, 'sel4-llm', 'provenance.json'), 'utf8'));
	assert.equal(provenance.files.kernel.sha256, execFileSync('sha256sum', [join(images, 'kernel-x86_64-pc99')], {encoding: 'utf8'}).split(' ')[0]);
	assert.equal(provenance.files.rootserver.size, 150_000);
	assert.deepEqual(provenance.lockFile.revisions, [{name: 'seL4', revision: '1111111111111111111111111111111111111111'}]);
	assert.equal(provenance.configuration.consolePort, '0x3f8');
	assert.match(readFileSync(join(extract, 'sel4-llm', 'PC-CHECKLIST.txt'), 'utf8'), /Enable Intel VT-x/);
	assert.equal(readFileSync(`${image}.PC-CHECKLIST.txt`, 'utf8'), readFileSync(join(extract, 'sel4-llm', 'PC-CHECKLIST.txt'), 'utf8'), 'the same checklist beside the image');
	assert.match(readFileSync(join(extract, 'boot', 'grub', 'grub.cfg'), 'utf8'), /module2 \/boot\/sel4\/capdl-loader-image-x86_64-pc99/);
	assert.ok(existsSync(join(extract, 'boot', 'sel4', 'kernel-x86_64-pc99')));
});

test('the plain ending is short: what is ready, its full sha256, where the PC checklist is, the next command', () => {
	const workspace = join(dir, 'ws-ending');
	const images = join(workspace, 'build-x86_64-minimal_64', 'images');
	mkdirSync(images, {recursive: true});
	copyFileSync(testKernel(), join(images, 'kernel-x86_64-pc99'));
	writeFileSync(join(images, 'capdl-loader-image-x86_64-pc99'), Buffer.alloc(4096, 0x5a));
	const result = runCli(['usb-image', '--workspace', workspace, '--app', 'minimal_64', '--boot-test', 'none']);
	assert.equal(result.status, 0, result.stderr);
	const image = join(workspace, 'usb', 'sel4-llm-x86_64-minimal_64.img');
	const sha256 = execFileSync('sha256sum', [image], {encoding: 'utf8'}).split(' ')[0]!;
	const output = result.stdout + result.stderr;
	const ending = output.slice(output.indexOf(`✓ ${image} is ready`)).trimEnd().split('\n');
	assert.deepEqual(ending.map((line) => line.replace(/ready: [^,]+,/, 'ready: SIZE,')), [
		`✓ ${image} is ready: SIZE, not boot-tested`,
		`  sha256 ${sha256}`,
		'  before booting a PC from it, read the PC checklist (VT-x, the serial console, BIOS or UEFI):',
		`  ${image}.PC-CHECKLIST.txt (and /sel4-llm/PC-CHECKLIST.txt on the stick)`,
		`  provenance: ${image}.json (and /sel4-llm/provenance.json on the stick)`,
		`next: sel4-llm flash ${image}`,
	]);
	assert.doesNotMatch(output, /Enable Intel VT-x/, 'the checklist itself is not printed');
	assert.match(readFileSync(`${image}.PC-CHECKLIST.txt`, 'utf8'), /Enable Intel VT-x/);
});

// The kernel options of a target=usb (non-simulation) x86_64 build, as they appear in its CMakeCache.txt.
const usbKernelCache = (pcid: 'ON' | 'OFF') =>
	['KernelSel4Arch:STRING=x86_64', 'KernelX86MicroArch:STRING=nehalem', 'KernelHugePage:BOOL=ON', 'KernelFPU:STRING=XSAVE', 'KernelXSave:STRING=XSAVEOPT', 'KernelFSGSBase:STRING=inst', `KernelSupportPCID:BOOL=${pcid}`, 'KernelSyscall:STRING=syscall', 'KernelVTX:BOOL=ON', ''].join('\n');

test('the boot test runs the CPU the build configured; a kernel stopping at a check QEMU cannot meet is booted as far as emulation goes', () => {
	const config = kernelConfigFromCache(usbKernelCache('ON'))!;
	assert.equal(x86CpuModel(config), 'Nehalem,+vme,+vmx,+pdpe1gb,+xsave,+xsaveopt,-xsavec,+fsgsbase,+pcid,+invpcid,+syscall,+lm');
	assert.equal(kernelConfigFromCache('KernelSel4Arch:STRING=aarch64\nKernelX86MicroArch:STRING=nehalem\n'), undefined);
	assert.deepEqual([...unsupportedFeatures("qemu-system-x86_64: warning: TCG doesn't support requested feature: CPUID.01H:ECX.pcid [bit 17]\n")], ['pcid']);
	const workspace = join(dir, 'ws-pcid');
	const build = join(workspace, 'build-x86_64-llm_vm');
	mkdirSync(join(build, 'images'), {recursive: true});
	copyFileSync(testKernel({needPcid: true}), join(build, 'images', 'kernel-x86_64-pc99'));
	writeFileSync(join(build, 'images', 'capdl-loader-image-x86_64-pc99'), Buffer.alloc(4096, 1));
	writeFileSync(join(build, 'CMakeCache.txt'), usbKernelCache('ON'));
	const booted = runCli(['usb-image', '--workspace', workspace, '--app', 'llm_vm', '--timeout', '1', '--boot-test', 'bios', '--boot-timeout', '60']);
	const kvm = existsSync('/dev/kvm');
	if (!kvm) {
		assert.equal(booted.status, 0, booted.stderr);
		assert.match(booted.stderr, /ok in [\d.]+ s \(-cpu Nehalem,\+vme,\+vmx,.*\+pcid,\+invpcid,.*from \S+CMakeCache\.txt\): GRUB menu, then "PCIDs not supported by the processor"/);
		assert.match(booted.stderr, /seL4 started and stopped at its CPU check \("PCIDs not supported by the processor"\): this QEMU cannot emulate pcid/);
	}
	// The record carries that CPU, so `flash --test-boot` boots the stick on it too.
	assert.equal(readRecord(defaultImagePath(workspace, 'llm_vm'))!.provenance.configuration.qemuCpu, x86CpuModel(config));
	// The same kernel with a configuration that says it does not need PCID: the CPU lacks it on purpose, so it fails.
	writeFileSync(join(build, 'CMakeCache.txt'), usbKernelCache('OFF'));
	const refused = runCli(['usb-image', '--workspace', workspace, '--app', 'llm_vm', '--timeout', '1', '--boot-test', 'bios', '--boot-timeout', '60']);
	assert.equal(refused.status, 1, refused.stderr);
	assert.match(refused.stderr, /FAILED: seL4 stopped at its CPU check \("PCIDs not supported by the processor"\): the kernel needs pcid, which the build's configuration turns off \(-cpu Nehalem,.*-pcid.*\), so the kernel is not from that build/);
});

test('a kernel that never prints fails the boot test, and flash then refuses the image', () => {
	const silent = join(dir, 'silent');
	mkdirSync(silent);
	// A multiboot2 kernel that halts at once: GRUB loads it, nothing follows on the serial console.
	writeFileSync(join(silent, 'k.S'), '.section .multiboot,"a"\n.align 8\n.long 0xe85250d6,0,24,-(0xe85250d6+24)\n.short 0,0\n.long 8\n.text\n.globl _start\n_start: cli\n1: hlt\njmp 1b\n.section .note.GNU-stack,"",@progbits\n');
	execFileSync('gcc', ['-m32', '-c', join(silent, 'k.S'), '-o', join(silent, 'k.o')]);
	execFileSync('ld', ['-m', 'elf_i386', '-Ttext=0x100000', '--no-warn-rwx-segments', '-o', join(silent, 'k.elf'), join(silent, 'k.o')]);
	writeFileSync(join(silent, 'r.bin'), 'x');
	const image = join(silent, 'silent.img');
	const result = runCli(['usb-image', '--kernel', join(silent, 'k.elf'), '--rootserver', join(silent, 'r.bin'), '--output', image, '--timeout', '1', '--boot-test', 'bios', '--boot-timeout', '12']);
	assert.equal(result.status, 1, result.stderr);
	assert.match(result.stderr, /FAILED: no kernel line within 12 s/);
	assert.match(result.stderr, /the image did not boot in QEMU, so it is not offered for flashing/);
	const flash = runCli(['flash', image, '--device', join(silent, 'copy.img'), '--yes']);
	assert.equal(flash.status, 4);
	assert.match(flash.stderr, /the image FAILED its QEMU boot test/);
});

test('missing build outputs and bad options are clear user errors', () => {
	const missing = runCli(['usb-image', '--workspace', join(dir, 'empty'), '--app', 'minimal_64']);
	assert.equal(missing.status, 4);
	assert.match(missing.stderr, /cannot find .*build-x86_64-minimal_64\/images\/kernel-x86_64-pc99 and .*capdl-loader-image-x86_64-pc99/);
	assert.match(missing.stderr, /next: sel4-llm run build --set platform=x86_64 --set target=usb/);
	const port = runCli(['usb-image', '--console-port', 'COM1']);
	assert.equal(port.status, 2);
	assert.match(port.stderr, /--console-port must be an I\/O port in hex/);
	const boot = runCli(['usb-image', '--boot-test', 'sometimes']);
	assert.equal(boot.status, 2);
	assert.match(boot.stderr, /--boot-test must be one of: bios, uefi, both, none/);
});

test('a failed boot test is not taken for missing GRUB tools; their absence is', () => {
	const set = loadRecipeSet([join(root, 'recipes')]);
	const entries = set.steps.get('usb.image')!.spec.troubleshoot ?? [];
	const ids = (lines: string[]) => diagnose(entries, {stepId: 'usb.image', stepName: 'image', lines, exitCode: 1, failedChecks: []}, new Map()).map((each) => each.id);
	assert.deepEqual(ids(['building the image with grub-mkrescue (GRUB for BIOS and UEFI, serial console) ...', '  FAILED: no kernel line within 120 s', 'error: the image did not boot in QEMU, so it is not offered for flashing']), []);
	assert.deepEqual(ids(['error: usb-image needs grub-pc-bin, xorriso']), ['usb-grub-tools-missing']);
});

test('console lines lose escape sequences and control characters (seL4 prints a NUL after its CPU-check message)', () => {
	assert.equal(stripTerminal('\x1b[2J\x1b[HPCIDs not supported by the processor\x00\r'), 'PCIDs not supported by the processor');
	assert.equal(stripTerminal('GNU GRUB\tversion 2.06\n'), 'GNU GRUB\tversion 2.06\n');
});
