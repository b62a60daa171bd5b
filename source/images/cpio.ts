// cpio "newc" archives for Linux initramfs images: write one from a file tree (modes preserved, contents streamed),
// append it to an existing (possibly gzip-compressed) initramfs, and list any concatenation of raw and gzip
// segments back. Linux unpacks a concatenation of archives in order, so appending overrides or adds files without
// unpacking the original (no root, no fakeroot). See the kernel's Documentation/driver-api/early-userspace.
import {once} from 'node:events';
import {createReadStream, createWriteStream, type WriteStream} from 'node:fs';
import {copyFile, lstat, open, readdir, readFile, readlink, stat} from 'node:fs/promises';
import {join, posix} from 'node:path';
import {createGzip, inflateRawSync, type Gzip} from 'node:zlib';
import {ExitCode, UserError} from '../errors.js';

export type CpioEntryType = 'file' | 'dir' | 'symlink' | 'other';

export type CpioEntry = {
	/** Path inside the archive, relative, '/'-separated, without a leading '/' (e.g. "etc/init.d/S90x"). */
	path: string;
	type: CpioEntryType;
	/** Permission bits (0o7777). */
	mode: number;
	uid: number;
	gid: number;
	mtime: number;
	/** Size of the contents (files) or of the target (symlinks). */
	size: number;
	/** Symlink target. */
	target?: string;
	/** Host file the contents are copied from (files). */
	source?: string;
	/** Literal contents (files), when there is no source. */
	data?: Buffer;
};

const newcMagic = '070701';
const headerLength = 110;
const trailerName = 'TRAILER!!!';
/** newc stores sizes as 8 hex digits. */
export const maxCpioFileSize = 0xffffffff;

const typeBits: Record<Exclude<CpioEntryType, 'other'>, number> = {file: 0o100000, dir: 0o040000, symlink: 0o120000};

function typeOf(mode: number): CpioEntryType {
	switch (mode & 0o170000) {
		case 0o100000:
			return 'file';
		case 0o040000:
			return 'dir';
		case 0o120000:
			return 'symlink';
		default:
			return 'other';
	}
}

function hex8(value: number): string {
	return value.toString(16).padStart(8, '0');
}

function pad4(length: number): number {
	return (4 - (length % 4)) % 4;
}

/** Normalises an archive path and refuses anything that could escape the root. */
export function archivePath(path: string): string {
	const trimmed = path.replace(/^\.?\/+/, '').replace(/\/+$/, '');
	const normal = posix.normalize(trimmed);
	if (normal === '' || normal === '.' || normal.startsWith('../') || normal === '..' || normal.includes('\0')) {
		throw new UserError(`"${path}" is not a valid path inside the guest's root file system`, {
			exitCode: ExitCode.invalidInput,
			hint: 'Use paths relative to the guest root, without ".." (for example etc/init.d/S90app).',
		});
	}
	return normal;
}

function header(entry: CpioEntry, ino: number, nameLength: number, fileSize: number): Buffer {
	const kind = entry.type === 'other' ? 0 : typeBits[entry.type];
	const fields = [
		ino,
		kind | (entry.mode & 0o7777),
		entry.uid,
		entry.gid,
		entry.type === 'dir' ? 2 : 1,
		entry.mtime,
		fileSize,
		0,
		0,
		0,
		0,
		nameLength,
		0,
	];
	return Buffer.from(newcMagic + fields.map(hex8).join(''), 'latin1');
}

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
	const name = Buffer.from(`${entry.path}\0`, 'utf8');
	let body: Buffer | undefined;
	let size = 0;
	if (entry.type === 'symlink') {
		body = Buffer.from(entry.target ?? '', 'utf8');
		size = body.length;
	} else if (entry.type === 'file') {
		if (entry.data) {
			body = entry.data;
			size = body.length;
		} else if (entry.source) {
			size = (await stat(entry.source)).size;
			if (size !== entry.size) {
				throw new UserError(`${entry.source} changed size while the archive was written (${entry.size} -> ${size} bytes)`, {
					exitCode: ExitCode.failed,
					hint: 'Run again once nothing else writes to it.',
				});
			}
		}
	}
	if (size > maxCpioFileSize) {
		throw new UserError(`${entry.path} is ${size} bytes; a cpio (newc) archive holds files up to 4 GiB - 1`, {
			exitCode: ExitCode.invalidInput,
			hint: 'Use a smaller (more quantized) model, or deliver it on a disk instead of the initrd.',
		});
	}
	await sink.write(header(entry, ino, name.length, size));
	await sink.write(Buffer.concat([name, Buffer.alloc(pad4(headerLength + name.length))]));
	if (body) {
		await sink.write(body);
	} else if (entry.type === 'file' && entry.source) {
		let copied = 0;
		for await (const chunk of createReadStream(entry.source, {highWaterMark: 1 << 20})) {
			copied += (chunk as Buffer).length;
			await sink.write(chunk as Buffer);
		}
		if (copied !== size) throw new UserError(`${entry.source} changed while it was copied`, {exitCode: ExitCode.failed});
	}
	if (size > 0) await sink.write(Buffer.alloc(pad4(size)));
}

async function writeArchive(sink: Sink, entries: readonly CpioEntry[]): Promise<void> {
	let ino = 0x5e140000;
	for (const entry of entries) await writeEntry(sink, entry, ino++);
	const trailer: CpioEntry = {path: trailerName, type: 'other', mode: 0, uid: 0, gid: 0, mtime: 0, size: 0};
	await writeEntry(sink, trailer, 0);
	// Pad the archive to a multiple of 512 bytes, as cpio(1) does.
	await sink.write(Buffer.alloc((512 - (sink.written % 512)) % 512));
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

function parseNewc(data: Buffer, start: number, into: CpioEntry[]): number {
	let offset = start;
	for (;;) {
		const magic = data.toString('latin1', offset, offset + 6);
		if (magic !== newcMagic && magic !== '070702') throw new Error(`not a newc cpio header at byte ${offset}`);
		const field = (index: number): number => Number.parseInt(data.toString('latin1', offset + 6 + index * 8, offset + 14 + index * 8), 16);
		const mode = field(1);
		const fileSize = field(6);
		const nameSize = field(11);
		const nameStart = offset + headerLength;
		const path = data.toString('utf8', nameStart, nameStart + nameSize - 1);
		const dataStart = nameStart + nameSize + pad4(headerLength + nameSize);
		offset = dataStart + fileSize + pad4(fileSize);
		if (path === trailerName) return offset;
		const type = typeOf(mode);
		const entry: CpioEntry = {path: path.replace(/^\.?\/+/, ''), type, mode: mode & 0o7777, uid: field(2), gid: field(3), mtime: field(5), size: fileSize};
		if (type === 'symlink') entry.target = data.toString('utf8', dataStart, dataStart + fileSize);
		if (entry.path !== '' && entry.path !== '.') into.push(entry);
		if (offset > data.length) throw new Error('truncated cpio archive');
	}
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

/** The state of each path after unpacking (later entries win), as Linux leaves it. */
export function finalTree(entries: readonly CpioEntry[]): Map<string, CpioEntry> {
	const tree = new Map<string, CpioEntry>();
	for (const entry of entries) tree.set(entry.path, entry);
	return tree;
}

export type TreeOptions = {
	/** Where the tree goes inside the guest (e.g. "" for the root, "models"). */
	prefix?: string;
	/** Fixed modification time for reproducible archives (default 0). */
	mtime?: number;
};

/** Entries for a host directory tree, parents before children, modes as on disk, owned by root. */
export async function entriesFromTree(dir: string, options: TreeOptions = {}): Promise<CpioEntry[]> {
	const entries: CpioEntry[] = [];
	const mtime = options.mtime ?? 0;
	const walk = async (hostDir: string, guestDir: string): Promise<void> => {
		const names = (await readdir(hostDir)).sort();
		for (const name of names) {
			const host = join(hostDir, name);
			const guest = guestDir === '' ? name : `${guestDir}/${name}`;
			const info = await lstat(host);
			const base = {path: archivePath(guest), mode: info.mode & 0o7777, uid: 0, gid: 0, mtime};
			if (info.isDirectory()) {
				entries.push({...base, type: 'dir', size: 0});
				await walk(host, guest);
			} else if (info.isFile()) {
				entries.push({...base, type: 'file', size: info.size, source: host});
			} else if (info.isSymbolicLink()) {
				const target = await readlink(host);
				entries.push({...base, type: 'symlink', size: Buffer.byteLength(target), target});
			} else {
				throw new UserError(`${host} is neither a file, a directory nor a symlink`, {
					exitCode: ExitCode.invalidInput,
					hint: 'Overlays may hold only regular files, directories and symbolic links.',
				});
			}
		}
	};
	const prefix = options.prefix ? archivePath(options.prefix) : '';
	if (prefix) entries.push(...parentDirs(prefix, mtime), {path: prefix, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime, size: 0});
	await walk(dir, prefix);
	return entries;
}

function parentDirs(path: string, mtime: number): CpioEntry[] {
	const parts = path.split('/');
	const dirs: CpioEntry[] = [];
	for (let index = 1; index < parts.length; index++) {
		dirs.push({path: parts.slice(0, index).join('/'), type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime, size: 0});
	}
	return dirs;
}

/** One host file placed at `guestPath`, with its parent directories. */
export async function entryForFile(host: string, guestPath: string, options: {mode?: number; mtime?: number} = {}): Promise<CpioEntry[]> {
	const info = await stat(host);
	const path = archivePath(guestPath);
	const mtime = options.mtime ?? 0;
	return [...parentDirs(path, mtime), {path, type: 'file', mode: options.mode ?? info.mode & 0o7777, uid: 0, gid: 0, mtime, size: info.size, source: host}];
}

/** Files and places a guest cannot lose: replacing them breaks boot or login. */
export const protectedPaths = [
	'init',
	'linuxrc',
	'sbin/init',
	'bin/sh',
	'bin/busybox',
	'etc/inittab',
	'etc/init.d/rcS',
	'etc/init.d/rcK',
	'etc/passwd',
	'etc/group',
	'etc/shadow',
	'etc/fstab',
];
export const protectedPrefixes = ['lib/', 'lib64/', 'usr/lib/', 'dev/', 'proc/', 'sys/'];

/**
 * Decides how the overlay merges into the base: directories the base already has are left out (re-creating them
 * would reset their modes), and anything that would replace a file the guest needs, change the type of an existing
 * path or write through a symlink of the base is refused.
 */
export function mergeOverlay(base: readonly CpioEntry[], overlay: readonly CpioEntry[]): {entries: CpioEntry[]; replaced: string[]} {
	const tree = finalTree(base);
	const problems: string[] = [];
	const replaced: string[] = [];
	const entries: CpioEntry[] = [];
	// Later overlays win over earlier ones; each path keeps the position where it first appeared (parents first).
	const merged = new Map<string, CpioEntry>();
	for (const entry of overlay) merged.set(entry.path, entry);
	for (const entry of merged.values()) {
		const parts = entry.path.split('/');
		for (let index = 1; index < parts.length; index++) {
			const parent = tree.get(parts.slice(0, index).join('/'));
			if (parent && parent.type === 'symlink') {
				problems.push(`${entry.path}: the base has ${parent.path} -> ${parent.target ?? '?'} (a symlink); write to the real directory instead`);
			}
		}
		const existing = tree.get(entry.path);
		if (!existing) {
			entries.push(entry);
			continue;
		}
		if (existing.type !== entry.type) {
			problems.push(`${entry.path}: the base has a ${existing.type} there, the overlay a ${entry.type}`);
			continue;
		}
		if (entry.type === 'dir') continue;
		if (protectedPaths.includes(entry.path) || protectedPrefixes.some((prefix) => entry.path.startsWith(prefix))) {
			problems.push(`${entry.path}: the guest needs the base's version of this file`);
			continue;
		}
		replaced.push(entry.path);
		entries.push(entry);
	}
	if (problems.length > 0) {
		throw new UserError(`the overlay would break the guest's root file system:\n  ${problems.join('\n  ')}`, {
			exitCode: ExitCode.invalidInput,
			hint: `Overlays may add files and replace ordinary ones, but not ${protectedPaths.join(', ')} or anything under ${protectedPrefixes.join(', ')}. Give your file another name (init scripts go in etc/init.d/S<NN>name).`,
		});
	}
	return {entries, replaced};
}
