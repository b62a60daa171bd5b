// Writes an image to a disk or a file: large aligned writes, a final sync, progress per phase, per-block hashes
// for the verifier, and optional skipping of all-zero blocks (bmap-style sparse writing).
import {createHash} from 'node:crypto';
import type {FileHandle} from 'node:fs/promises';
import {extentCursor, type Extents} from './extents.js';

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
	/** sha256 of the whole image, computed from the blocks as they were written (holes as the zeros they read as). */
	sha256: string;
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

/** sha256 of `length` zero bytes, computed once per length. */
export function zeroHash(length: number): string {
	let hash = zeroHashes.get(length);
	if (!hash) {
		hash = createHash('sha256').update(ZERO.subarray(0, length)).digest('hex');
		zeroHashes.set(length, hash);
	}
	return hash;
}

/** sha256 of a block; all-zero blocks (most of a sparse image) are recognised by memcmp and not hashed again. */
export function blockHash(buffer: Buffer): string {
	return isZero(buffer) ? zeroHash(buffer.length) : createHash('sha256').update(buffer).digest('hex');
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

/** Reads `length` bytes at `position` into `buffer`, fewer at the end of the file; `fail` makes the error of a failed read. */
export async function readFull(source: FileHandle, buffer: Buffer, position: number, length: number, fail: (error: unknown, offset: number) => Error): Promise<Buffer> {
	let done = 0;
	while (done < length) {
		let bytesRead: number;
		try {
			({bytesRead} = await source.read(buffer, done, length - done, position + done));
		} catch (error) {
			throw fail(error, position + done);
		}
		if (bytesRead === 0) break;
		done += bytesRead;
	}
	return buffer.subarray(0, done);
}

export type WriteOptions = {
	source: FileHandle;
	/** Where to write; without a target the image is only read and hashed (a verify of an earlier write). */
	target: FileHandle | undefined;
	size: number;
	/** Skip all-zero blocks instead of writing them. */
	sparse: boolean;
	/**
	 * The image's data ranges (from SEEK_DATA); blocks outside them are holes, known to be zeros without reading.
	 * Undefined: every block is read.
	 */
	extents?: Extents | undefined;
	/**
	 * Sync every this many bytes written, so that write errors carry a narrow offset range and the progress follows
	 * the device. Default: sized to the device, see nextSyncInterval.
	 */
	syncEvery?: number;
	/** The phase named in progress reports (default: write). */
	phase?: Phase;
	signal?: AbortSignal | undefined;
	onProgress?: ((progress: Progress) => void) | undefined;
};

/** Blocks read ahead of the one being worked on, and buffers in the ring (read ahead + two being worked on). */
const AHEAD = 2;
const RING = AHEAD + 2;

export type BlockPipeline<T> = {
	size: number;
	phase: Phase;
	signal?: AbortSignal | undefined;
	/** Reads block `index` (at index * CHUNK) into `buffer`, a ring buffer reused once the block's work settled. */
	read: (index: number, buffer: Buffer, length: number) => Promise<T>;
	/** Starts the work on a block that was read; it runs while the next blocks are read and started. */
	start: (index: number, block: T, length: number) => Promise<unknown>;
	/** Called in block order, once a block's work has settled. */
	done: (index: number, end: number) => Promise<void> | void;
	/** Work outside the blocks (a background sync) to wait for before an error is passed on. */
	pending?: () => Promise<unknown> | undefined;
};

/**
 * Runs every CHUNK-sized block of `size` bytes through read, then work: reads run AHEAD blocks ahead, and a block's
 * work (a write on the thread pool, a hash here) overlaps the next blocks' reads, so the disk, the CPU and the stick
 * stay busy.
 * On an error or an abort nothing is left running on the caller's handles.
 */
export async function pipelineBlocks<T>(pipeline: BlockPipeline<T>): Promise<void> {
	const {size, phase} = pipeline;
	const chunks = Math.ceil(size / CHUNK);
	const ring = Array.from({length: Math.min(RING, Math.max(chunks, 1))}, () => Buffer.allocUnsafe(CHUNK));
	const lengthOf = (index: number) => Math.min(CHUNK, size - index * CHUNK);
	const reads: Array<Promise<T>> = [];
	const work: Array<Promise<unknown>> = [];
	const startRead = (index: number) => {
		if (index >= chunks || reads[index]) return;
		const read = pipeline.read(index, ring[index % ring.length]!, lengthOf(index));
		read.catch(() => undefined);
		reads[index] = read;
	};
	const finish = async (index: number) => {
		await work[index];
		await pipeline.done(index, index * CHUNK + lengthOf(index));
	};
	for (let index = 0; index < Math.min(AHEAD, chunks); index++) startRead(index);
	try {
		for (let index = 0; index < chunks; index++) {
			if (pipeline.signal?.aborted) throw new FlashInterrupted(phase, index * CHUNK);
			const started = pipeline.start(index, await reads[index]!, lengthOf(index));
			started.catch(() => undefined);
			work[index] = started;
			if (index > 0) await finish(index - 1);
			// The buffer of block index+AHEAD was last used by block index-2, whose work has settled.
			startRead(index + AHEAD);
			startRead(index + 1);
		}
		if (chunks > 0) await finish(chunks - 1);
	} catch (error) {
		// Never leave a read, a write or a sync running on a handle the caller is about to close.
		await Promise.allSettled([...work, ...reads, pipeline.pending?.()]);
		throw error;
	}
}

async function imageStamp(source: FileHandle): Promise<string> {
	const stat = await source.stat();
	return `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
}

const SYNC_FIRST = 64 << 20;
const SYNC_MIN = 32 << 20;
const SYNC_MAX = 1 << 30;

/**
 * The bytes to write before the next background sync: about two seconds of what the device has really taken so far
 * (bytes made durable over the time since the write began). A USB stick at 20 MB/s syncs every 40 MB or so, and its
 * progress moves steadily; a fast disk syncs rarely and loses no speed to it.
 */
export function nextSyncInterval(syncedBytes: number, seconds: number): number {
	if (!(seconds > 0) || syncedBytes <= 0) return SYNC_FIRST;
	const interval = (syncedBytes / seconds) * 2;
	return Math.min(SYNC_MAX, Math.max(SYNC_MIN, Math.round(interval / CHUNK) * CHUNK));
}

/**
 * Copies the image to the target block by block: each block is hashed while its write and the next reads run on the
 * thread pool. Blocks outside the image's data map are holes: never read, written from zeros or skipped.
 */
export async function writeImage(options: WriteOptions): Promise<WriteResult> {
	const {source, target, size, sparse} = options;
	const phase = options.phase ?? 'write';
	let syncEvery = options.syncEvery ?? SYNC_FIRST;
	const started = performance.now();
	const stamp = await imageStamp(source);
	const hasData = extentCursor(options.extents);
	const chunkHashes: string[] = [];
	// Blocks start in order, so the whole image's hash is fed block by block without a second read.
	const whole = createHash('sha256');
	const skipped: Array<[number, number]> = [];
	const meter = new RateMeter(phase, size);
	let written = 0;
	let sinceSync = 0;
	let syncedUpTo = 0;
	let pendingSync: Promise<{upTo: number; error?: unknown}> | undefined;
	const settle = async () => {
		if (!pendingSync) return;
		const result = await pendingSync;
		pendingSync = undefined;
		if ('error' in result) throw ioError(result.error, 'write', syncedUpTo, result.upTo);
		syncedUpTo = result.upTo;
	};
	options.onProgress?.(meter.sample(0));
	await pipelineBlocks<Buffer | undefined>({
		size,
		phase,
		signal: options.signal,
		// A hole block is not read: undefined stands for its zeros.
		read: (index, buffer, length) => (hasData(index * CHUNK, index * CHUNK + length) ? readFull(source, buffer, index * CHUNK, length, (error, offset) => ioError(error, phase, offset)) : Promise.resolve(undefined)),
		start: (index, buffer, length) => {
			const offset = index * CHUNK;
			if (buffer && buffer.length !== length) {
				throw new FlashIoError(`the image ended early at byte ${offset + buffer.length} (expected ${size}): was it changed while writing?`, {
					code: undefined,
					phase,
					offset: offset + buffer.length,
				});
			}
			const data = buffer ?? ZERO.subarray(0, length);
			const runs: Array<[number, number]> = !sparse ? [[0, length]] : buffer ? dataRuns(buffer) : [];
			let cursor = 0;
			for (const [start, end] of runs) {
				if (start > cursor) skipped.push([offset + cursor, offset + start]);
				cursor = end;
			}
			if (cursor < length) skipped.push([offset + cursor, offset + length]);
			// The write goes to the thread pool first; the block is hashed here while it runs.
			const writing = (async () => {
				for (const [start, end] of target ? runs : []) {
					await writeAll(target!, data.subarray(start, end), offset + start);
					written += end - start;
					sinceSync += end - start;
				}
			})();
			chunkHashes[index] = buffer ? blockHash(buffer) : zeroHash(length);
			whole.update(data);
			return writing;
		},
		done: async (_index, end) => {
			if (target && sinceSync >= syncEvery) {
				// Sync in the background while the next blocks are written; at most one sync is in flight, and a
				// failure names the range written since the last successful sync.
				await settle();
				pendingSync = target.datasync().then(
					() => {
						if (options.syncEvery === undefined) syncEvery = nextSyncInterval(end, (performance.now() - started) / 1000);
						return {upTo: end};
					},
					(error: unknown) => ({upTo: end, error}),
				);
				sinceSync = 0;
			}
			options.onProgress?.(meter.sample(end));
		},
		pending: () => pendingSync,
	});
	await settle();
	if ((await imageStamp(source)) !== stamp) {
		throw new FlashIoError('the image was changed while it was being written: write it again from a finished image', {
			code: undefined,
			phase,
			offset: 0,
		});
	}
	// Merge adjacent skipped ranges.
	const merged: Array<[number, number]> = [];
	for (const range of skipped) {
		const last = merged.at(-1);
		if (last && last[1] === range[0]) last[1] = range[1];
		else merged.push([...range]);
	}
	return {size, chunkHashes, sha256: whole.digest('hex'), skipped: merged, written, syncedUpTo, seconds: (performance.now() - started) / 1000};
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
