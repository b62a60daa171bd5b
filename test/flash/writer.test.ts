// The writer and the verifier over real files: the image's data map (SEEK_DATA), holes that are never read, the
// same result with and without the map, a verify that finds a changed byte, and an image changed mid-write.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {appendFileSync, closeSync, ftruncateSync, openSync, readFileSync, statSync, writeSync} from 'node:fs';
import {open} from 'node:fs/promises';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {dataExtents, extentCursor, parseExtents} from '../../source/flash/extents.js';
import {dropCache, verifyTarget} from '../../source/flash/verifier.js';
import {blockHash, CHUNK, FlashIoError, nextSyncInterval, writeImage, zeroHash} from '../../source/flash/writer.js';
import {cleanup, scratch} from './helpers.js';

const dir = scratch('writer');
after(() => cleanup(dir));
const MiB = 1 << 20;

/** A 64 MiB sparse file with data at 1-2 MiB, 9 MiB + 100 bytes, and 32-33 MiB; the rest are holes. */
function sparseImage(name: string): {path: string; size: number; data: Array<[number, number]>} {
	const path = join(dir, name);
	const size = 64 * MiB;
	const fd = openSync(path, 'w');
	ftruncateSync(fd, size);
	writeSync(fd, Buffer.alloc(MiB, 0x42), 0, MiB, MiB);
	writeSync(fd, Buffer.alloc(100, 0x43), 0, 100, 9 * MiB);
	writeSync(fd, Buffer.alloc(MiB, 0x44), 0, MiB, 32 * MiB);
	closeSync(fd);
	return {path, size, data: [[MiB, 2 * MiB], [9 * MiB, 9 * MiB + 100], [32 * MiB, 33 * MiB]]};
}

/** Bytes of the file held in the page cache. */
function resident(path: string): number {
	return Number(execFileSync('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES', path], {encoding: 'utf8'}).trim());
}

test('the data map of a sparse file covers every written byte and, where the filesystem keeps holes, only those', async () => {
	const image = sparseImage('map.img');
	const map = await dataExtents(image.path, image.size);
	assert.ok(map, 'perl answered');
	const covered = extentCursor(map.extents);
	for (const [start, end] of image.data) assert.ok(covered(start, end), `data at ${start} is in the map`);
	const mapped = map.extents.reduce((sum, [start, end]) => sum + end - start, 0);
	if (statSync(image.path).blocks * 512 < 4 * MiB) {
		// A filesystem with holes (ext4, xfs, btrfs, tmpfs): the map is the written blocks, rounded to 4 KiB pages.
		assert.ok(mapped <= 2 * MiB + 8192, `mapped ${mapped} bytes`);
		assert.ok(!extentCursor(map.extents)(16 * MiB, 24 * MiB), 'the hole in the middle is not data');
	} else {
		assert.equal(mapped, image.size);
	}
});

test('a map that cannot be asked for or read is no map: the writer then reads everything', async () => {
	assert.equal(await dataExtents(join(dir, 'map.img'), 40 * MiB, {perl: join(dir, 'no-such-perl')}), undefined);
	assert.equal(await dataExtents(join(dir, 'missing.img'), 40 * MiB), undefined);
	// A file that is one hole has an empty map (where the filesystem keeps holes).
	const hole = join(dir, 'hole.img');
	closeSync(openSync(hole, 'w'));
	execFileSync('truncate', ['-s', String(8 * MiB), hole]);
	if (statSync(hole).blocks === 0) assert.deepEqual((await dataExtents(hole, 8 * MiB))?.extents, []);
	assert.equal(parseExtents('0 10\nsomething else\n', 100), undefined);
	assert.equal(parseExtents('50 60\n10 20\n', 100), undefined, 'out of order');
	assert.equal(parseExtents('0 200\n', 100), undefined, 'past the end');
	assert.deepEqual(parseExtents('0 10\n10 20\n40 50\n', 100)?.extents, [
		[0, 20],
		[40, 50],
	]);
	assert.equal(extentCursor(undefined)(0, 1), true);
});

test('with the map, holes are not read; the hashes and skipped ranges are those of a full read', async () => {
	const image = sparseImage('holes.img');
	const map = await dataExtents(image.path, image.size);
	assert.ok(map);
	const results = [];
	/** Bytes of the image in the page cache after each write: reading a hole fills the cache with zero pages. */
	const cached: number[] = [];
	for (const extents of [map.extents, undefined]) {
		const drop = await dropCache(image.path, 'file');
		assert.equal(drop.ok, true);
		const source = await open(image.path, 'r');
		const target = await open(join(dir, 'holes.out'), 'w');
		try {
			await target.truncate(image.size);
			results.push(await writeImage({source, target, size: image.size, sparse: true, extents, syncEvery: Number.POSITIVE_INFINITY}));
		} finally {
			await target.close();
			await source.close();
		}
		cached.push(resident(image.path));
		assert.deepEqual(readFileSync(join(dir, 'holes.out')), readFileSync(image.path));
	}
	const [mapped, full] = results;
	if (statSync(image.path).blocks * 512 < 4 * MiB) {
		// Three blocks hold data; the kernel's read-ahead may add a few more, but never the whole image.
		assert.ok(cached[0]! < cached[1]! / 2, `with the map ${cached[0]} bytes were read, without it ${cached[1]}`);
		assert.ok(cached[1]! >= image.size - CHUNK);
	}
	assert.deepEqual(mapped!.chunkHashes, full!.chunkHashes);
	assert.deepEqual(mapped!.skipped, full!.skipped);
	assert.equal(mapped!.written, full!.written);
	assert.equal(mapped!.chunkHashes[4], zeroHash(CHUNK), 'a hole block has the hash of zeros');
	assert.equal(mapped!.chunkHashes[0], blockHash(readFileSync(image.path).subarray(0, CHUNK)));
});

test('the image sha256 is computed while writing, holes included, without reading the image again', async () => {
	const image = sparseImage('whole-hash.img');
	const map = await dataExtents(image.path, image.size);
	const expected = createHash('sha256').update(readFileSync(image.path)).digest('hex');
	for (const [extents, sparse] of [[map?.extents, true], [undefined, false]] as const) {
		const source = await open(image.path, 'r');
		const target = await open(join(dir, 'whole-hash.out'), 'w');
		try {
			const result = await writeImage({source, target, size: image.size, sparse, extents, syncEvery: Number.POSITIVE_INFINITY});
			assert.equal(result.sha256, expected);
			// Without a target (a verify of an earlier write) the same hash comes from the read alone.
			assert.equal((await writeImage({source, target: undefined, size: image.size, sparse, extents, phase: 'verify'})).sha256, expected);
		} finally {
			await target.close();
			await source.close();
		}
	}
});

test('on a disk without --sparse, hole blocks are written as zeros over the old contents', async () => {
	const image = sparseImage('dense-write.img');
	const map = await dataExtents(image.path, image.size);
	const disk = join(dir, 'old-disk.bin');
	appendFileSync(disk, Buffer.alloc(image.size + MiB, 0xff));
	const source = await open(image.path, 'r');
	const target = await open(disk, 'r+');
	try {
		const result = await writeImage({source, target, size: image.size, sparse: false, extents: map?.extents});
		assert.equal(result.written, image.size);
		assert.deepEqual(result.skipped, []);
	} finally {
		await target.close();
		await source.close();
	}
	const after = readFileSync(disk);
	assert.deepEqual(after.subarray(0, image.size), readFileSync(image.path));
	assert.equal(after[image.size], 0xff, 'bytes after the image are untouched');
});

test('the verify finds a changed byte in a data block and in a block of zeros, by offset', async () => {
	const image = sparseImage('verify.img');
	const map = await dataExtents(image.path, image.size);
	const copy = join(dir, 'verify.out');
	const source = await open(image.path, 'r');
	try {
		const target = await open(copy, 'w');
		const result = await writeImage({source, target, size: image.size, sparse: false, extents: map?.extents});
		await target.close();
		for (const offset of [MiB + 12_345, 20 * MiB + 7]) {
			const fd = openSync(copy, 'r+');
			const original = readFileSync(copy).subarray(offset, offset + 1);
			writeSync(fd, Buffer.from([original[0]! ^ 0x5a]), 0, 1, offset);
			const reader = await open(copy, 'r');
			await assert.rejects(
				verifyTarget({target: reader, source, size: image.size, chunkHashes: result.chunkHashes}),
				(error: unknown) => error instanceof FlashIoError && error.offset === offset && /differs from the image at byte/.test(error.message),
			);
			await reader.close();
			writeSync(fd, original, 0, 1, offset);
			closeSync(fd);
		}
		const reader = await open(copy, 'r');
		await verifyTarget({target: reader, source, size: image.size, chunkHashes: result.chunkHashes});
		await reader.close();
	} finally {
		await source.close();
	}
});

test('an image changed while it is written is reported, not written as if it were whole', async () => {
	const image = sparseImage('changing.img');
	const source = await open(image.path, 'r');
	const target = await open(join(dir, 'changing.out'), 'w');
	let changed = false;
	try {
		await assert.rejects(
			writeImage({
				source,
				target,
				size: image.size,
				sparse: true,
				onProgress: (progress) => {
					if (progress.done > 0 && !changed) {
						changed = true;
						appendFileSync(image.path, 'x');
					}
				},
			}),
			/the image was changed while it was being written/,
		);
	} finally {
		await target.close();
		await source.close();
	}
	assert.equal(changed, true);
});

test('a block hash is the sha256 of its bytes, and zeros are known without hashing them again', () => {
	const data = Buffer.from(Array.from({length: 3 * MiB + 5}, (_, index) => (index * 13) & 0xff));
	assert.equal(blockHash(data), createHash('sha256').update(data).digest('hex'));
	assert.equal(blockHash(Buffer.alloc(MiB)), createHash('sha256').update(Buffer.alloc(MiB)).digest('hex'));
	assert.equal(blockHash(Buffer.alloc(MiB)), zeroHash(MiB));
});

test('background syncs are sized to the device: small on a slow stick, rare on a fast disk', () => {
	// Nothing synced yet: the first interval.
	assert.equal(nextSyncInterval(0, 0), 64 * MiB);
	// A stick that took 3.2 s to make 64 MiB durable (20 MiB/s): about two seconds of it, in whole blocks.
	assert.equal(nextSyncInterval(64 * MiB, 3.2), 40 * MiB);
	// A very slow one still syncs at least 32 MiB at a time; a fast disk at most every 1 GiB.
	assert.equal(nextSyncInterval(64 * MiB, 60), 32 * MiB);
	assert.equal(nextSyncInterval(64 * MiB, 0.05), 1024 * MiB);
	assert.equal(nextSyncInterval(512 * MiB, 2) % CHUNK, 0);
});
