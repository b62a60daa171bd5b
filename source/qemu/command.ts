// QEMU command lines per platform, exactly as upstream runs them (docs/launch.md quotes them), with the console moved
// from stdio to a unix socket when we watch it.
import {platformIds, platformRecord, upstreamX86Cpu, type Platform} from '../platforms.js';

/** The seL4 platforms, plus linux-test: a plain Linux kernel and initramfs (our guest's own check, without seL4). */
export type QemuMachine = Platform | 'linux-test';
export const qemuMachines: readonly QemuMachine[] = [...platformIds, 'linux-test'];
export type TestArch = 'amd64' | 'arm64';

export type SerialSpec = {socketPath: string} | 'stdio';

export type QemuCommandOptions = {
	platform: QemuMachine;
	/** qemu-arm-virt: images/capdl-loader-image-arm-qemu-arm-virt */
	image?: string;
	/** x86_64: images/kernel-x86_64-pc99; linux-test: the Linux kernel */
	kernel?: string;
	/** x86_64: images/capdl-loader-image-x86_64-pc99; linux-test: the initramfs */
	initrd?: string;
	/** Kernel command line (seL4 on x86_64: console_port=, debug_port=, disable_iommu; linux-test: Linux's). */
	append?: string;
	memoryMb: number;
	/** linux-test only: which Debian architecture the kernel is. */
	arch?: TestArch;
	/** x86_64: the whole -cpu value (default: the Nehalem line of upstream's simulate script, with vmx). */
	cpu?: string;
	extraArgs?: string[];
	serial: SerialSpec;
};

export type QemuCommand = {
	program: string;
	args: string[];
	/** The line as a person would type it. */
	display: string;
	/** What differs from upstream's line and why. */
	notes: string[];
	serial: SerialSpec;
	platform: QemuMachine;
	memoryMb: number;
};

export {upstreamX86Cpu};

export const socketConsoleNote =
	'The console is a unix socket (-chardev socket,...,server=on,wait=on -serial chardev:ser0 -display none -monitor none) instead of upstream\'s -nographic stdio: sel4-llm watches and logs the serial output, and under -nographic an early burst of input can stop all later input to the guest for good. With wait=on QEMU starts the machine only once sel4-llm is connected, so the first lines (the ELF loader\'s) are never lost.';

import {formatCommand} from '../system/quote.js';

function serialArgs(serial: SerialSpec, stdioArgs: string[]): string[] {
	if (serial === 'stdio') return stdioArgs;
	return ['-display', 'none', '-monitor', 'none', '-chardev', `socket,id=ser0,path=${serial.socketPath},server=on,wait=on`, '-serial', 'chardev:ser0'];
}

function need(value: string | undefined, what: string): string {
	if (!value) throw new Error(`the QEMU command for this platform needs ${what}`);
	return value;
}

export function buildQemuCommand(options: QemuCommandOptions): QemuCommand {
	const notes: string[] = [];
	let program: string;
	let args: string[];
	const memory = Math.round(options.memoryMb);
	if (options.platform !== 'linux-test') {
		// An seL4 platform: upstream's line from its record, the images it boots from its build.
		const record = platformRecord(options.platform);
		const {qemu, boot} = record;
		program = qemu.program;
		const images =
			'image' in boot
				? ['-kernel', need(options.image, `the image (${boot.image})`)]
				: ['-kernel', need(options.kernel, `the seL4 kernel image (${boot.kernel})`), '-initrd', need(options.initrd, `the root task image (${boot.rootserver})`)];
		args = [
			'-machine',
			qemu.machine,
			'-cpu',
			options.cpu ?? qemu.cpu,
			...serialArgs(options.serial, [...qemu.stdioConsole]),
			'-m',
			`size=${memory}${qemu.memoryUnit}`,
			...qemu.beforeImages,
			...images,
			...qemu.afterImages,
		];
		if (options.append) args.push('-append', options.append);
	} else {
		const arch = options.arch ?? 'amd64';
		const kernel = need(options.kernel, 'a Linux kernel (--kernel)');
		const initrd = need(options.initrd, 'an initramfs (--initrd)');
		if (arch === 'arm64') {
			program = 'qemu-system-aarch64';
			args = ['-machine', 'virt,virtualization=on', '-cpu', 'cortex-a53'];
		} else {
			program = 'qemu-system-x86_64';
			args = ['-cpu', 'qemu64'];
		}
		const console = arch === 'arm64' ? 'ttyAMA0' : 'ttyS0';
		args.push(
			...serialArgs(options.serial, ['-nographic']),
			'-m',
			String(memory),
			'-no-reboot',
			'-kernel',
			kernel,
			'-initrd',
			initrd,
			'-append',
			options.append ?? `console=${console} panic=-1`,
		);
		notes.push('linux-test boots a plain Linux kernel and initramfs without seL4; it exists to test launch itself.');
	}
	if (options.serial !== 'stdio') notes.push(socketConsoleNote);
	args.push(...(options.extraArgs ?? []));
	return {
		program,
		args,
		display: formatCommand([program, ...args]),
		notes,
		serial: options.serial,
		platform: options.platform,
		memoryMb: memory,
	};
}

/**
 * QEMU's memory for a platform, from the guest RAM of the app's configuration.
 *
 * The rule: guest RAM + 1024 MiB for the seL4 kernel, the root task (whose capDL image carries the VMM, the file
 * server with the guest kernel and initrd) and the VMM's pools, rounded up to 256 MiB, and never below upstream's
 * default of 2048 MiB. qemu-arm-virt: the seL4 kernel learns its memory from the device tree dumped at configure
 * time, so a build's own QEMU_MEMORY (from CMakeCache.txt) wins when it is known; with highmem=off RAM ends below
 * 4 GiB, so 3072 MiB is the most it can have.
 */
export function qemuMemoryMb(options: {platform: QemuMachine; guestRamMb: number; configuredMb?: number}): {memoryMb: number; rule: string} {
	if (options.platform === 'linux-test') return {memoryMb: Math.max(256, options.guestRamMb), rule: 'linux-test: the guest RAM itself'};
	const {qemu} = platformRecord(options.platform);
	if (qemu.memoryFromBuild && options.configuredMb) {
		return {memoryMb: options.configuredMb, rule: `QEMU_MEMORY=${options.configuredMb} from the build's CMakeCache.txt`};
	}
	const derived = Math.max(2048, Math.ceil((options.guestRamMb + 1024) / 256) * 256);
	const rule = `max(2048, guest_ram_mb ${options.guestRamMb} + 1024 rounded up to 256) = ${derived}`;
	if (qemu.maxMemoryMb !== undefined && derived > qemu.maxMemoryMb) {
		throw new RangeError(`${options.platform} (-machine ${qemu.machine}) has at most ${qemu.maxMemoryMb} MiB of RAM; guest_ram_mb ${options.guestRamMb} needs ${derived}`);
	}
	return {memoryMb: derived, rule};
}
