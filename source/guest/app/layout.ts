// Memory layout and kernel resources of the llm_vm app, derived from the guest RAM and the image sizes.
// Pure functions: every limit is checked here and reported as a UserError with the limit and the fix.
import {ExitCode, UserError} from '../../errors.js';
import {platformIds, platformRecord, type Platform} from '../../platforms.js';

export const MiB = 1024 * 1024;
const twoMiB = 2 * MiB;

/** Guest RAM each platform accepts, in MiB, and why (from the platform table). */
export const ramLimits = Object.fromEntries(platformIds.map((id) => [id, platformRecord(id).guestRam])) as unknown as Record<
	Platform,
	{min: number; max: number; step: number; default: number; why: string}
>;

/** RAM a guest needs besides its kernel and initramfs: userland, llama.cpp's buffers and the KV cache. */
export const defaultHeadroomMb = 128;

export function alignUp(value: number, alignment: number): number {
	return Math.ceil(value / alignment) * alignment;
}

export function hex(value: number): string {
	return `0x${value.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** Why a guest RAM size is not possible on a platform (undefined when it is): the one rule every command applies. */
export function guestRamProblem(platform: Platform, guestRamMb: number): string | undefined {
	const limits = ramLimits[platform];
	if (Number.isInteger(guestRamMb) && guestRamMb >= limits.min && guestRamMb <= limits.max && guestRamMb % limits.step === 0) return undefined;
	return `between ${limits.min} and ${limits.max} MiB in steps of ${limits.step} MiB on ${platform}`;
}

export function checkGuestRam(platform: Platform, guestRamMb: number): void {
	const limits = ramLimits[platform];
	if (guestRamProblem(platform, guestRamMb) !== undefined) {
		throw new UserError(`guest RAM ${guestRamMb} MiB is not possible on ${platform}`, {
			exitCode: ExitCode.invalidInput,
			hint: `Choose ${limits.min}-${limits.max} MiB in steps of ${limits.step} MiB (${limits.why}).`,
			nextSteps: [`--set guest_ram_mb=${Math.min(limits.max, Math.max(limits.min, alignUp(Number.isFinite(guestRamMb) ? guestRamMb : limits.min, limits.step)))}`],
		});
	}
}

export type Sizes = {
	/** Memory the kernel occupies once loaded (arm64: the Image header's image_size; x86: the vmlinux). */
	kernelBytes: number;
	/** The initramfs as loaded (compressed or not). */
	initrdBytes: number;
	/** Its contents once unpacked into the guest's rootfs (the model included). */
	unpackedBytes: number;
	headroomMb?: number;
};

/** Guest RAM needed: kernel, the initrd while it is unpacked, the unpacked rootfs and the headroom. */
export function neededRamMb(sizes: Sizes): number {
	const bytes = sizes.kernelBytes + sizes.initrdBytes + sizes.unpackedBytes + (sizes.headroomMb ?? defaultHeadroomMb) * MiB;
	return Math.ceil(bytes / MiB);
}

export function checkFits(platform: Platform, guestRamMb: number, sizes: Sizes): void {
	const needed = neededRamMb(sizes);
	if (needed <= guestRamMb) return;
	const limits = ramLimits[platform];
	const suggestion = alignUp(needed, limits.step);
	const mb = (bytes: number): string => `${Math.ceil(bytes / MiB)} MiB`;
	throw new UserError(
		`the guest needs ${needed} MiB of RAM but has ${guestRamMb} MiB (kernel ${mb(sizes.kernelBytes)}, initrd ${mb(sizes.initrdBytes)}, unpacked rootfs and model ${mb(sizes.unpackedBytes)}, headroom ${sizes.headroomMb ?? defaultHeadroomMb} MiB)`,
		{
			exitCode: ExitCode.invalidInput,
			hint:
				suggestion <= limits.max
					? `Raise the guest RAM to at least ${suggestion} MiB, or use a smaller model.`
					: `That is more than ${platform} allows (${limits.max} MiB): use a smaller (more quantized) model${platform === 'x86_64' ? '' : ', or the x86_64 platform'}.`,
			...(suggestion <= limits.max ? {nextSteps: [`--set guest_ram_mb=${suggestion}`]} : {}),
		},
	);
}

export type ArmLayout = {
	ramBase: number;
	ramSize: number;
	entryAddr: number;
	kernelEnd: number;
	initrdAddr: number;
	initrdEnd: number;
	dtbAddr: number;
	/** Bytes of the DTB buffer the VMM writes at dtbAddr (DTB_BUFFER_SIZE in VM_Arm). */
	dtbBytes: number;
	/** The untyped_mmios entries ("paddr:bits") that hand the guest RAM to the VMM. */
	ramUntypeds: string[];
	/** Memory for `qemu-system-aarch64 -m` (and the kernel's DTB dump). */
	qemuMemoryMb: number;
	/** True for upstream vm_minimal's addresses (verified by booting). */
	upstreamSlots: boolean;
	cnodeSizeBits: number;
	untyped24Pool: number;
};

export const armRamBase = 0x40000000;
/** arm64 Linux is entered 0x80000 past the start of RAM (the legacy VM_Arm default). */
const armEntryOffset = 0x80000;
/** The DTB the VMM generates is written from a 320 KiB buffer. */
const armDtbBuffer = 320 * 1024;
/** vm_minimal's verified slots on qemu-arm-virt: 25 MB between the initrd and the DTB. */
const upstreamInitrdAddr = 0x4d700000;
const upstreamDtbAddr = 0x4f000000;
/** The lowest place we put a larger initrd (a 35 MB initrd booted from here, above a 33 MB kernel). */
const lowInitrdOffset = 0x08000000;
/** QEMU's RAM on qemu-arm-virt (highmem=off) ends at 4 GiB. */
const armQemuMaxMb = 3072;

/** Splits [base, base+size) into naturally aligned power-of-two blocks, largest first. */
export function powerOfTwoBlocks(base: number, size: number): Array<{addr: number; bits: number}> {
	const blocks: Array<{addr: number; bits: number}> = [];
	let addr = base;
	let left = size;
	while (left > 0) {
		let bits = Math.floor(Math.log2(left));
		while (bits > 12 && addr % 2 ** bits !== 0) bits--;
		blocks.push({addr, bits});
		addr += 2 ** bits;
		left -= 2 ** bits;
	}
	return blocks;
}

export function armLayout(guestRamMb: number, sizes: Sizes): ArmLayout {
	checkGuestRam('qemu-arm-virt', guestRamMb);
	const ramBase = armRamBase;
	const ramSize = guestRamMb * MiB;
	const ramEnd = ramBase + ramSize;
	const entryAddr = ramBase + armEntryOffset;
	const kernelEnd = alignUp(entryAddr + sizes.kernelBytes, twoMiB);
	let initrdAddr: number;
	let dtbAddr: number;
	const upstreamSlots =
		guestRamMb === 512 && kernelEnd <= upstreamInitrdAddr && upstreamInitrdAddr + sizes.initrdBytes <= upstreamDtbAddr;
	if (upstreamSlots) {
		initrdAddr = upstreamInitrdAddr;
		dtbAddr = upstreamDtbAddr;
	} else {
		// Leave the kernel 16 MiB to grow into (BSS, early page tables), then the initrd, then the DTB.
		const low = ramSize >= 4 * lowInitrdOffset ? ramBase + lowInitrdOffset : ramBase;
		initrdAddr = Math.max(low, alignUp(kernelEnd + 16 * MiB, twoMiB));
		dtbAddr = alignUp(initrdAddr + sizes.initrdBytes + MiB, twoMiB);
	}
	const initrdEnd = initrdAddr + sizes.initrdBytes;
	const mb = (bytes: number): number => Math.ceil(bytes / MiB);
	if (dtbAddr + twoMiB > ramEnd) {
		const needMb = alignUp(mb(dtbAddr + twoMiB - ramBase), ramLimits['qemu-arm-virt'].step);
		throw new UserError(
			`the initrd (${mb(sizes.initrdBytes)} MiB at ${hex(initrdAddr)}) and the DTB after it do not fit in ${guestRamMb} MiB of guest RAM`,
			{
				exitCode: ExitCode.invalidInput,
				hint:
					needMb <= ramLimits['qemu-arm-virt'].max
						? `The DTB would start at ${hex(dtbAddr)}, past the end of RAM (${hex(ramEnd)}). Raise the guest RAM to ${needMb} MiB or make the initrd smaller.`
						: `The largest initrd ${ramLimits['qemu-arm-virt'].max} MiB of guest RAM allows is about ${mb(ramBase + ramLimits['qemu-arm-virt'].max * MiB - twoMiB - MiB - initrdAddr)} MiB: use a smaller model.`,
				...(needMb <= ramLimits['qemu-arm-virt'].max ? {nextSteps: [`--set guest_ram_mb=${needMb}`]} : {}),
			},
		);
	}
	if (initrdEnd > dtbAddr) throw new Error('layout: initrd overlaps the DTB');
	checkFits('qemu-arm-virt', guestRamMb, sizes);
	// seL4, the capDL loader and the file server (which embeds the initrd once in the loader image and once
	// unpacked) live outside the guest RAM.
	const qemuMemoryMb = Math.max(2048, alignUp(guestRamMb + 2 * mb(sizes.initrdBytes) + 512, 256));
	if (qemuMemoryMb > armQemuMaxMb) {
		throw new UserError(
			`guest RAM ${guestRamMb} MiB plus a ${mb(sizes.initrdBytes)} MiB initrd (held twice by seL4's file server) needs ${qemuMemoryMb} MiB of machine memory; qemu-arm-virt has at most ${armQemuMaxMb} MiB below 4 GiB`,
			{exitCode: ExitCode.invalidInput, hint: 'Use a smaller model or less guest RAM.'},
		);
	}
	const extra512 = Math.max(0, Math.ceil(guestRamMb / 512) - 1);
	return {
		ramBase,
		ramSize,
		entryAddr,
		kernelEnd,
		initrdAddr,
		initrdEnd,
		dtbAddr,
		dtbBytes: armDtbBuffer,
		ramUntypeds: powerOfTwoBlocks(ramBase, ramSize).map((block) => `0x${block.addr.toString(16)}:${block.bits}`),
		qemuMemoryMb,
		upstreamSlots,
		cnodeSizeBits: 23,
		untyped24Pool: 12 + 4 * extra512,
	};
}

export type X86Resources = {
	poolBits: number;
	poolCount: number;
	poolMb: number;
	cnodeSizeBits: number;
	heapSize: number;
};

/**
 * The x86 VMM allocates guest RAM (in 512 MiB chunks) from its untyped pool: the pool covers the RAM plus a quarter
 * (at least 32 MiB) for the VMM's own objects. 128 MiB gives upstream minimal_64's 20 x 8 MiB.
 */
export function x86Resources(guestRamMb: number, sizes: Sizes): X86Resources {
	checkGuestRam('x86_64', guestRamMb);
	checkFits('x86_64', guestRamMb, sizes);
	const poolMbNeeded = guestRamMb + Math.max(32, Math.ceil(guestRamMb / 4));
	const poolBits = guestRamMb <= 512 ? 23 : 25;
	const unitMb = 2 ** poolBits / MiB;
	const poolCount = Math.ceil(poolMbNeeded / unitMb);
	const cnodeSizeBits = guestRamMb <= 512 ? 21 : guestRamMb <= 1024 ? 22 : 24;
	return {poolBits, poolCount, poolMb: poolCount * unitMb, cnodeSizeBits, heapSize: 0x2000000};
}
