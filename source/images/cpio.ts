// Initramfs files of cpio "newc" archives: write one from entries (contents streamed, optionally gzip), append one
// to an existing (possibly gzip-compressed) initramfs, and list any concatenation of raw and gzip segments back.
// Linux unpacks a concatenation of archives in order, so appending overrides or adds files without unpacking the
// original (no root, no fakeroot). The format itself is in cpio-newc.ts, the guest's entries in cpio-overlay.ts.
import {once} from 'node:events';
import {createReadStream, createWriteStream, type WriteStream} from 'node:fs';
import {copyFile, open, readFile, stat} from 'node:fs/promises';
import {createGzip, inflateRawSync, type Gzip} from 'node:zlib';
import {ExitCode, UserError} from '../errors.js';
import {blockPadding, encodeEntry, encodeTrailer, entryHead, hasHostContents, pad4, parseNewc, type CpioEntry} from './cpio-newc.js';

/** A byte sink with back-pressure, optionally gzip-compressing into the file. */
class Sink {
	written = 0;
	private readonly file: WriteStream;
	private readonly gzip: Gzip | undefined;

	constructor(file: WriteStream, compress: boolean) {
		this.file = file;
		if (compress) {
			this.gzip = createGzip({level: 6});
			this.gzip.pipe(file);
		}
	}

	async write(chunk: Buffer): Promise<void> {
		if (chunk.length === 0) return;
		this.written += chunk.length;
		const target = this.gzip ?? this.file;
		if (!target.write(chunk)) await once(target, 'drain');
	}

	async end(): Promise<void> {
		const finished = once(this.file, 'close');
		if (this.gzip) this.gzip.end();
		else this.file.end();
		await finished;
	}
}

async function writeEntry(sink: Sink, entry: CpioEntry, ino: number): Promise<void> {
	if (!hasHostContents(entry)) {
		for (const chunk of encodeEntry(entry, ino)) await sink.write(chunk);
		return;
	}
	const size = (await stat(entry.source)).size;
	if (size !== entry.size) {
		throw new UserError(`${entry.source} changed size while the archive was written (${entry.size} -> ${size} bytes)`, {
			exitCode: ExitCode.failed,
			hint: 'Run again once nothing else writes to it.',
		});
	}
	await sink.write(entryHead(entry, ino, size));
	let copied = 0;
	for await (const chunk of createReadStream(entry.source, {highWaterMark: 1 << 20})) {
		copied += (chunk as Buffer).length;
		await sink.write(chunk as Buffer);
	}
	if (copied !== size) throw new UserError(`${entry.source} changed while it was copied`, {exitCode: ExitCode.failed});
	await sink.write(Buffer.alloc(pad4(size)));
}

async function writeArchive(sink: Sink, entries: readonly CpioEntry[]): Promise<void> {
	let ino = 0x5e140000;
	for (const entry of entries) await writeEntry(sink, entry, ino++);
	for (const chunk of encodeTrailer()) await sink.write(chunk);
	await sink.write(blockPadding(sink.written));
}

/** Writes a new archive with these entries (in order) to `output`. */
export async function writeCpio(output: string, entries: readonly CpioEntry[], options: {gzip?: boolean} = {}): Promise<void> {
	const sink = new Sink(createWriteStream(output), options.gzip ?? false);
	try {
		await writeArchive(sink, entries);
	} finally {
		await sink.end();
	}
}

export type AppendOptions = {
	/** The initramfs to start from (raw or gzip cpio, or a concatenation). It is not modified. */
	base: string;
	output: string;
	entries: readonly CpioEntry[];
	/** Compress the appended archive: 'auto' follows the base (gzip base -> gzip). Large models are better 'none'. */
	compress?: 'gzip' | 'none' | 'auto';
};

export async function isGzipFile(path: string): Promise<boolean> {
	const handle = await open(path, 'r');
	try {
		const magic = Buffer.alloc(2);
		await handle.read(magic, 0, 2, 0);
		return magic[0] === 0x1f && magic[1] === 0x8b;
	} finally {
		await handle.close();
	}
}

/**
 * Copies `base` to `output` and appends one more archive holding `entries`. The appended part starts on a 4-byte
 * boundary (the kernel skips the zero padding between segments and requires aligned raw archives).
 */
export async function appendToCpio(options: AppendOptions): Promise<{bytes: number}> {
	if (options.base === options.output) {
		throw new UserError('the output initramfs must differ from the base one', {exitCode: ExitCode.usage});
	}
	const gzipBase = await isGzipFile(options.base);
	const compress = options.compress === 'auto' || options.compress === undefined ? gzipBase : options.compress === 'gzip';
	await copyFile(options.base, options.output);
	const baseSize = (await stat(options.output)).size;
	const file = createWriteStream(options.output, {flags: 'a'});
	const padding = pad4(baseSize);
	if (padding > 0) file.write(Buffer.alloc(padding));
	const sink = new Sink(file, compress);
	try {
		await writeArchive(sink, options.entries);
	} finally {
		await sink.end();
	}
	return {bytes: (await stat(options.output)).size};
}

/** Parses one gzip member at `offset`; returns the inflated data and the offset after it. */
function gunzipMember(buffer: Buffer, offset: number): {data: Buffer; next: number} {
	const flags = buffer[offset + 3] ?? 0;
	let position = offset + 10;
	if (flags & 0x04) position += 2 + buffer.readUInt16LE(position);
	if (flags & 0x08) position = buffer.indexOf(0, position) + 1;
	if (flags & 0x10) position = buffer.indexOf(0, position) + 1;
	if (flags & 0x02) position += 2;
	const result = inflateRawSync(buffer.subarray(position), {info: true}) as unknown as {buffer: Buffer; engine: {bytesWritten: number}};
	const next = position + result.engine.bytesWritten + 8;
	const expected = buffer.readUInt32LE(next - 4);
	if (expected !== (result.buffer.length >>> 0)) throw new Error(`gzip member at ${offset}: size mismatch`);
	return {data: result.buffer, next};
}

/** Lists every entry of an initramfs: raw and gzip segments, concatenated, with zero padding between them. */
export function parseCpio(buffer: Buffer): CpioEntry[] {
	const entries: CpioEntry[] = [];
	let offset = 0;
	while (offset < buffer.length) {
		if (buffer[offset] === 0) {
			offset++;
			continue;
		}
		if (buffer[offset] === 0x1f && buffer[offset + 1] === 0x8b) {
			const {data, next} = gunzipMember(buffer, offset);
			let inner = 0;
			while (inner < data.length) {
				if (data[inner] === 0) inner++;
				else inner = parseNewc(data, inner, entries);
			}
			offset = next;
			continue;
		}
		if (buffer[offset] === 0x30 && offset % 4 === 0) {
			offset = parseNewc(buffer, offset, entries);
			continue;
		}
		throw new Error(`unknown data at byte ${offset} of the initramfs`);
	}
	return entries;
}

export async function listCpio(path: string): Promise<CpioEntry[]> {
	return parseCpio(await readFile(path));
}
