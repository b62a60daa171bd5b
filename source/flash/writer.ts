// Writes an image to a disk or a file: large aligned writes, a final sync, progress per phase, per-block hashes
// for the verifier, and optional skipping of all-zero blocks (bmap-style sparse writing).
import {createHash} from 'node:crypto';
import type {FileHandle} from 'node:fs/promises';

export const CHUNK = 4 << 20;
/** Granularity of zero detection for sparse writing. */
export const SPARSE_BLOCK = 64 << 10;

export type Phase = 'write' | 'sync' | 'verify';

export type Progress = {
	phase: Phase;
	done: number;
	total: number;
	bytesPerSecond: number;
	etaSeconds: number | undefined;
	elapsedSeconds: number;
};

export type WriteResult = {
	size: number;
	/** sha256 of each CHUNK-sized block of the image, in order. */
	chunkHashes: string[];
	/** Byte ranges [start, end) that were not written because they are all zero (sparse mode). */
	skipped: Array<[number, number]>;
	written: number;
	/** Bytes before this offset were synced successfully (a later sync error is in the rest). */
	syncedUpTo: number;
	seconds: number;
};

/** A failure with the byte offset (or range) where it happened. */
export class FlashIoError extends Error {
	readonly code: string | undefined;
	readonly phase: Phase;
	readonly offset: number;
	readonly end: number | undefined;

	constructor(message: string, options: {code: string | undefined; phase: Phase; offset: number; end?: number}) {
		super(message);
		this.name = 'FlashIoError';
		this.code = options.code;
		this.phase = options.phase;
		this.offset = options.offset;
		this.end = options.end;
	}
}

export class FlashInterrupted extends Error {
	readonly phase: Phase;
	readonly offset: number;

	constructor(phase: Phase, offset: number) {
		super(`stopped during ${phase} at byte ${offset}`);
		this.name = 'FlashInterrupted';
		this.phase = phase;
		this.offset = offset;
	}
}

/** Speed over the last few seconds, and the ETA it implies. */
export class RateMeter {
	private readonly samples: Array<[number, number]> = [];
	private readonly started = performance.now();

	constructor(
		private readonly phase: Phase,
		private readonly total: number,
	) {}

	sample(done: number): Progress {
		const now = performance.now();
		this.samples.push([now, done]);
		while (this.samples.length > 2 && now - this.samples[0]![0] > 3000) this.samples.shift();
		const [firstTime, firstDone] = this.samples[0]!;
		const seconds = (now - firstTime) / 1000;
		const elapsed = (now - this.started) / 1000;
		const bytesPerSecond = seconds > 0.5 ? (done - firstDone) / seconds : elapsed > 0 ? done / elapsed : 0;
		return {
			phase: this.phase,
			done,
			total: this.total,
			bytesPerSecond,
			etaSeconds: bytesPerSecond > 0 ? (this.total - done) / bytesPerSecond : undefined,
			elapsedSeconds: elapsed,
		};
	}
}

const ZERO = Buffer.alloc(CHUNK);
const zeroHashes = new Map<number, string>();

export function isZero(buffer: Buffer): boolean {
	return buffer.equals(ZERO.subarray(0, buffer.length));
}

/** sha256 of a block; all-zero blocks (most of a sparse image) are recognised by memcmp and not hashed again. */
export function blockHash(buffer: Buffer): string {
	if (isZero(buffer)) {
		let hash = zeroHashes.get(buffer.length);
		if (!hash) {
			hash = createHash('sha256').update(buffer).digest('hex');
			zeroHashes.set(buffer.length, hash);
		}
		return hash;
	}
	return createHash('sha256').update(buffer).digest('hex');
}

/** Runs [start, end) within `buffer` that hold non-zero bytes, at SPARSE_BLOCK granularity. */
export function dataRuns(buffer: Buffer): Array<[number, number]> {
	if (buffer.equals(ZERO.subarray(0, buffer.length))) return [];
	const runs: Array<[number, number]> = [];
	for (let start = 0; start < buffer.length; start += SPARSE_BLOCK) {
		const end = Math.min(start + SPARSE_BLOCK, buffer.length);
		if (buffer.subarray(start, end).equals(ZERO.subarray(0, end - start))) continue;
		const last = runs.at(-1);
		if (last && last[1] === start) last[1] = end;
		else runs.push([start, end]);
	}
	return runs;
}

function ioError(error: unknown, phase: Phase, offset: number, end?: number): FlashIoError {
	const code = (error as NodeJS.ErrnoException).code;
	const where = end === undefined ? `at byte ${offset}` : `in bytes ${offset}-${end}`;
	return new FlashIoError(`${phase} failed ${where}: ${(error as Error).message}`, {code, phase, offset, ...(end === undefined ? {} : {end})});
}

async function writeAll(target: FileHandle, buffer: Buffer, position: number): Promise<void> {
	let done = 0;
	while (done < buffer.length) {
		let bytesWritten: number;
		try {
			({bytesWritten} = await target.write(buffer, done, buffer.length - done, position + done));
		} catch (error) {
			throw ioError(error, 'write', position + done);
		}
		if (bytesWritten === 0) {
			throw new FlashIoError(`write failed at byte ${position + done}: the target accepted no more bytes (end of device?)`, {
				code: 'ENOSPC',
				phase: 'write',
				offset: position + done,
			});
		}
		done += bytesWritten;
	}
}

async function readFull(source: FileHandle, buffer: Buffer, position: number, length: number, phase: Phase): Promise<Buffer> {
	let done = 0;
	while (done < length) {
		let bytesRead: number;
		try {
			({bytesRead} = await source.read(buffer, done, length - done, position + done));
		} catch (error) {
			throw ioError(error, phase, position + done);
		}
		if (bytesRead === 0) break;
		done += bytesRead;
	}
	return buffer.subarray(0, done);
}

export type WriteOptions = {
	source: FileHandle;
	target: FileHandle;
	size: number;
	/** Skip all-zero blocks instead of writing them. */
	sparse: boolean;
	/** Sync every this many bytes written, so write errors carry a narrow offset range (default 128 MiB). */
	syncEvery?: number;
	signal?: AbortSignal | undefined;
	onProgress?: ((progress: Progress) => void) | undefined;
};

export async function writeImage(options: WriteOptions): Promise<WriteResult> {
	const {source, target, size, sparse} = options;
	const syncEvery = options.syncEvery ?? 128 << 20;
	const started = performance.now();
	const chunkHashes: string[] = [];
	const skipped: Array<[number, number]> = [];
	const meter = new RateMeter('write', size);
	const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
	let written = 0;
	let sinceSync = 0;
	let syncedUpTo = 0;
	const chunks = Math.ceil(size / CHUNK);
	const readChunk = (index: number) => readFull(source, buffers[index % 2]!, index * CHUNK, Math.min(CHUNK, size - index * CHUNK), 'write');
	let pendingSync: Promise<{upTo: number; error?: unknown}> | undefined;
	const settle = async () => {
		if (!pendingSync) return;
		const result = await pendingSync;
		pendingSync = undefined;
		if ('error' in result) throw ioError(result.error, 'write', syncedUpTo, result.upTo);
		syncedUpTo = result.upTo;
	};
	let next = chunks > 0 ? readChunk(0) : undefined;
	options.onProgress?.(meter.sample(0));
	try {
		for (let index = 0; index < chunks; index++) {
			const offset = index * CHUNK;
			if (options.signal?.aborted) throw new FlashInterrupted('write', offset);
			const buffer = await next!;
			if (buffer.length !== Math.min(CHUNK, size - offset)) {
				throw new FlashIoError(`the image ended early at byte ${offset + buffer.length} (expected ${size}): was it changed while writing?`, {
					code: undefined,
					phase: 'write',
					offset: offset + buffer.length,
				});
			}
			const runs: Array<[number, number]> = sparse ? dataRuns(buffer) : [[0, buffer.length]];
			const pendingWrites = (async () => {
				let cursor = 0;
				for (const [start, end] of runs) {
					if (start > cursor) skipped.push([offset + cursor, offset + start]);
					await writeAll(target, buffer.subarray(start, end), offset + start);
					written += end - start;
					sinceSync += end - start;
					cursor = end;
				}
				if (cursor < buffer.length) skipped.push([offset + cursor, offset + buffer.length]);
			})();
			// Read the next chunk into the other buffer while this one is written, and hash this one meanwhile
			// (the write only reads the buffer too).
			next = index + 1 < chunks ? readChunk(index + 1) : undefined;
			next?.catch(() => undefined);
			chunkHashes.push(blockHash(buffer));
			await pendingWrites;
			if (sinceSync >= syncEvery) {
				// Sync in the background while the next blocks are written; at most one sync is in flight, and a
				// failure names the range written since the last successful sync.
				await settle();
				const upTo = offset + buffer.length;
				pendingSync = target.datasync().then(
					() => ({upTo}),
					(error: unknown) => ({upTo, error}),
				);
				sinceSync = 0;
			}
			options.onProgress?.(meter.sample(offset + buffer.length));
		}
	} catch (error) {
		// Never leave a sync running on a handle the caller is about to close.
		await pendingSync;
		throw error;
	}
	await settle();
	// Merge adjacent skipped ranges.
	const merged: Array<[number, number]> = [];
	for (const range of skipped) {
		const last = merged.at(-1);
		if (last && last[1] === range[0]) last[1] = range[1];
		else merged.push([...range]);
	}
	return {size, chunkHashes, skipped: merged, written, syncedUpTo, seconds: (performance.now() - started) / 1000};
}

/** The final sync; errors found here carry the range since the last successful sync. */
export async function syncTarget(target: FileHandle, from: number, size: number, onProgress?: (progress: Progress) => void): Promise<number> {
	const started = performance.now();
	const meter = new RateMeter('sync', 1);
	onProgress?.(meter.sample(0));
	try {
		await target.sync();
	} catch (error) {
		throw ioError(error, 'sync', from, size);
	}
	onProgress?.(meter.sample(1));
	return (performance.now() - started) / 1000;
}
