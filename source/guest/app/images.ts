// What the app needs to know about the guest kernel and initramfs: how much memory they take once loaded.
import {open, stat} from 'node:fs/promises';
import {ExitCode, UserError} from '../../errors.js';
import {listCpio} from '../../images/cpio.js';
import type {Platform} from '../../platforms.js';

async function readHead(path: string, length: number): Promise<Buffer> {
	const handle = await open(path, 'r');
	try {
		const buffer = Buffer.alloc(length);
		const {bytesRead} = await handle.read(buffer, 0, length, 0);
		return buffer.subarray(0, bytesRead);
	} finally {
		await handle.close();
	}
}

async function fileSize(path: string, what: string): Promise<number> {
	try {
		const info = await stat(path);
		if (!info.isFile()) throw new Error('not a file');
		return info.size;
	} catch {
		throw new UserError(`the guest ${what} ${path} is missing`, {
			exitCode: ExitCode.invalidInput,
			hint: 'Sync the seL4 sources first (sel4-llm run sources), or give the path of your own image.',
		});
	}
}

/**
 * Memory the kernel occupies once loaded. arm64 Image: the header's image_size (it includes the BSS); x86 bzImage:
 * the setup header's init_size (the memory the decompressed kernel needs). Other files count with their size.
 */
export async function kernelLoadedBytes(platform: Platform, path: string): Promise<number> {
	const size = await fileSize(path, 'kernel');
	const head = await readHead(path, 0x270);
	if (platform === 'qemu-arm-virt') {
		if (head.length >= 64 && head.toString('latin1', 56, 60) === 'ARM\x64') {
			const imageSize = Number(head.readBigUInt64LE(16));
			return imageSize > 0 ? Math.max(imageSize, size) : size;
		}
		throw new UserError(`${path} is not an arm64 Linux Image (no "ARM\\x64" magic)`, {
			exitCode: ExitCode.invalidInput,
			hint: 'The Arm VMM loads an uncompressed arm64 Image, such as camkes-vm-images/qemu-arm-virt/linux.',
		});
	}
	if (head.length >= 0x264 && head.toString('latin1', 0x202, 0x206) === 'HdrS') {
		return Math.max(head.readUInt32LE(0x260), size);
	}
	if (head.toString('latin1', 0, 4) === '\x7fELF') return size;
	throw new UserError(`${path} is neither an x86 bzImage nor an ELF vmlinux`, {
		exitCode: ExitCode.invalidInput,
		hint: 'Use camkes-vm-linux\'s images/kernel/64/default_bzimage_4.8.16 or a bzImage built within the VMM\'s constraints.',
	});
}

/** The initramfs size as loaded, and the bytes its files take once unpacked (last version of each path). */
export async function initrdSizes(path: string): Promise<{initrdBytes: number; unpackedBytes: number}> {
	const initrdBytes = await fileSize(path, 'initramfs');
	let entries;
	try {
		entries = await listCpio(path);
	} catch (error) {
		throw new UserError(`${path} is not a cpio initramfs (${(error as Error).message})`, {
			exitCode: ExitCode.invalidInput,
			hint: 'The guest rootfs must be a newc cpio archive, optionally gzip-compressed (for example rootfs.cpio.gz).',
		});
	}
	const last = new Map<string, number>();
	for (const entry of entries) last.set(entry.path, entry.type === 'file' ? entry.size : 0);
	let unpackedBytes = 0;
	for (const size of last.values()) unpackedBytes += Math.ceil(size / 4096) * 4096;
	return {initrdBytes, unpackedBytes};
}
