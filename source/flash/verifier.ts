// Reads the target back and compares it with the image, block by block, without trusting the page cache.
//
// Why the read-back is honest: after the final sync, the target's cached pages are clean and are dropped
// before reading. For a block device, `blockdev --flushbufs` (the BLKFLSBUF ioctl, which needs the root rights
// that writing a disk needs anyway) writes back and invalidates the device's buffer cache. For a regular file,
// `dd iflag=nocache count=0` asks the kernel (posix_fadvise POSIX_FADV_DONTNEED) to drop the file's clean
// cached pages. Node cannot open with O_DIRECT here, so this is the way to make the verify read the medium.
// Limits: a file on a network or FUSE filesystem may ignore the advice, and a disk's own write cache is
// beyond any host software; both are reported when the drop fails, never hidden.
import {resolve} from 'node:path';
import {exec} from '../system/exec.js';
import type {FileHandle} from 'node:fs/promises';
import {blockHash, CHUNK, FlashIoError, isZero, pipelineBlocks, RateMeter, readFull, zeroHash, type Progress} from './writer.js';

export type CacheDrop = {ok: boolean; method: string; detail?: string};

async function runQuiet(command: string, args: string[]): Promise<{code: number; stderr: string}> {
	const result = await exec([command, ...args], {tailLines: 0});
	return {code: result.startError ? 127 : (result.exitCode ?? 1), stderr: (result.startError?.message ?? result.stderr).trim()};
}

/** Drops the target's cached pages so that the verify reads the medium. */
export async function dropCache(path: string, kind: 'block' | 'file'): Promise<CacheDrop> {
	if (kind === 'block') {
		// blockdev takes no `--`; an absolute path can never be read as a command.
		const result = await runQuiet('blockdev', ['--flushbufs', resolve(path)]);
		return result.code === 0
			? {ok: true, method: 'blockdev --flushbufs (BLKFLSBUF)'}
			: {ok: false, method: 'blockdev --flushbufs (BLKFLSBUF)', detail: result.stderr};
	}
	const result = await runQuiet('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
	return result.code === 0
		? {ok: true, method: 'posix_fadvise DONTNEED (dd iflag=nocache)'}
		: {ok: false, method: 'posix_fadvise DONTNEED (dd iflag=nocache)', detail: result.stderr};
}

export type VerifyOptions = {
	target: FileHandle;
	/** Re-read to find the exact offset of a difference. */
	source: FileHandle;
	size: number;
	chunkHashes: string[];
	/**
	 * Ranges the writer skipped: on a disk written with --sparse they keep old contents, on a new file they are
	 * holes (zeros by construction, nothing on the medium to read back). They are not compared.
	 */
	ignore?: Array<[number, number]>;
	signal?: AbortSignal | undefined;
	onProgress?: ((progress: Progress) => void) | undefined;
};

async function readAt(handle: FileHandle, buffer: Buffer, position: number, length: number): Promise<Buffer> {
	const fail = (error: unknown, offset: number) =>
		new FlashIoError(`verify failed: cannot read the target at byte ${offset}: ${(error as Error).message}`, {
			code: (error as NodeJS.ErrnoException).code,
			phase: 'verify',
			offset,
		});
	return readFull(handle, buffer, position, length, fail);
}

function zeroIgnored(buffer: Buffer, offset: number, ignore: Array<[number, number]>): void {
	for (const [start, end] of ignore) {
		if (end <= offset || start >= offset + buffer.length) continue;
		buffer.fill(0, Math.max(start, offset) - offset, Math.min(end, offset + buffer.length) - offset);
	}
}

export async function verifyTarget(options: VerifyOptions): Promise<{seconds: number}> {
	const {target, source, size, chunkHashes} = options;
	const started = performance.now();
	const meter = new RateMeter('verify', size);
	const ignore = options.ignore ?? [];
	const lengthOf = (index: number) => Math.min(CHUNK, size - index * CHUNK);
	/** True when the whole block lies in one ignored range: it is not read at all. */
	const ignored = (index: number) => {
		const start = index * CHUNK;
		const end = start + lengthOf(index);
		return ignore.some(([from, to]) => from <= start && to >= end);
	};
	const check = async (index: number, buffer: Buffer) => {
		const offset = index * CHUNK;
		const expectedHash = chunkHashes[index];
		// A block expected to be zeros is compared with zeros directly; others by sha256.
		const same = expectedHash === zeroHash(buffer.length) ? isZero(buffer) : blockHash(buffer) === expectedHash;
		if (same) return;
		// Find the first differing byte: re-read that block of the image.
		const expected = await readAt(source, Buffer.allocUnsafe(buffer.length), offset, buffer.length);
		if (ignore.length) zeroIgnored(expected, offset, ignore);
		let at = 0;
		while (at < buffer.length && expected[at] === buffer[at]) at++;
		const position = offset + at;
		throw new FlashIoError(
			`verify failed: the target differs from the image at byte ${position} (0x${position.toString(16)}): ` +
				`wrote 0x${(expected[at] ?? 0).toString(16).padStart(2, '0')}, read back 0x${(buffer[at] ?? 0).toString(16).padStart(2, '0')}`,
			{code: 'EVERIFY', phase: 'verify', offset: position},
		);
	};
	options.onProgress?.(meter.sample(0));
	// Reads run ahead (on the thread pool) while earlier blocks are hashed.
	await pipelineBlocks<Buffer | undefined>({
		size,
		phase: 'verify',
		signal: options.signal,
		read: (index, buffer, length) => (ignored(index) ? Promise.resolve(undefined) : readAt(target, buffer, index * CHUNK, length)),
		start: async (index, buffer, length) => {
			if (!buffer) return;
			const offset = index * CHUNK;
			if (buffer.length < length) {
				throw new FlashIoError(`verify failed: the target ends at byte ${offset + buffer.length}, before the image's end (${size})`, {
					code: undefined,
					phase: 'verify',
					offset: offset + buffer.length,
				});
			}
			if (ignore.length) zeroIgnored(buffer, offset, ignore);
			await check(index, buffer);
		},
		done: (_index, end) => {
			options.onProgress?.(meter.sample(end));
		},
	});
	return {seconds: (performance.now() - started) / 1000};
}
