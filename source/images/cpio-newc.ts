// The cpio "newc" format, the one Linux unpacks as an initramfs (the kernel's Documentation/driver-api/early-userspace):
// each entry is a 110-byte header of hex fields, its NUL-terminated name and its contents, name and contents each
// padded to 4 bytes; an entry named TRAILER!!! ends the archive. Encoding entries and decoding one raw archive; the
// files that hold archives (gzip, appending, listing concatenations) are in cpio.ts.
import {ExitCode, UserError} from '../errors.js';

export type CpioEntryType = 'file' | 'dir' | 'symlink' | 'char' | 'other';

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
	/** Device number (character devices). */
	rdev?: {major: number; minor: number};
};

const newcMagic = '070701';
const headerLength = 110;
const trailerName = 'TRAILER!!!';
/** newc stores sizes as 8 hex digits. */
export const maxCpioFileSize = 0xffffffff;

const typeBits: Record<Exclude<CpioEntryType, 'other'>, number> = {file: 0o100000, dir: 0o040000, symlink: 0o120000, char: 0o020000};

function typeOf(mode: number): CpioEntryType {
	switch (mode & 0o170000) {
		case 0o100000:
			return 'file';
		case 0o040000:
			return 'dir';
		case 0o120000:
			return 'symlink';
		case 0o020000:
			return 'char';
		default:
			return 'other';
	}
}

function hex8(value: number): string {
	return value.toString(16).padStart(8, '0');
}

/** How many zero bytes bring `length` to a multiple of 4. */
export function pad4(length: number): number {
	return (4 - (length % 4)) % 4;
}

/** An entry's header and name, padded so that its `size` bytes of contents start on a 4-byte boundary. */
export function entryHead(entry: CpioEntry, ino: number, size: number): Buffer {
	if (size > maxCpioFileSize) {
		throw new UserError(`${entry.path} is ${size} bytes; a cpio (newc) archive holds files up to 4 GiB - 1`, {
			exitCode: ExitCode.invalidInput,
			hint: 'Use a smaller (more quantized) model, or deliver it on a disk instead of the initrd.',
		});
	}
	const name = Buffer.from(`${entry.path}\0`, 'utf8');
	const kind = entry.type === 'other' ? 0 : typeBits[entry.type];
	const fields = [
		ino,
		kind | (entry.mode & 0o7777),
		entry.uid,
		entry.gid,
		entry.type === 'dir' ? 2 : 1,
		entry.mtime,
		size,
		0,
		0,
		entry.rdev?.major ?? 0,
		entry.rdev?.minor ?? 0,
		name.length,
		0,
	];
	return Buffer.concat([Buffer.from(newcMagic + fields.map(hex8).join(''), 'latin1'), name, Buffer.alloc(pad4(headerLength + name.length))]);
}

/** Whether the entry's contents come from a host file (to stream) rather than from the entry itself. */
export function hasHostContents(entry: CpioEntry): entry is CpioEntry & {source: string} {
	return entry.type === 'file' && entry.data === undefined && entry.source !== undefined;
}

/** An entry whose contents it holds itself (all but files copied from the host): header, contents, padding. */
export function encodeEntry(entry: CpioEntry, ino: number): Buffer[] {
	const body = entry.type === 'symlink' ? Buffer.from(entry.target ?? '', 'utf8') : entry.type === 'file' && entry.data ? entry.data : Buffer.alloc(0);
	return [entryHead(entry, ino, body.length), body, Buffer.alloc(pad4(body.length))];
}

/** The entry that ends an archive. */
export function encodeTrailer(): Buffer[] {
	return encodeEntry({path: trailerName, type: 'other', mode: 0, uid: 0, gid: 0, mtime: 0, size: 0}, 0);
}

/** The zero bytes that pad an archive of `length` bytes to a multiple of 512, as cpio(1) does. */
export function blockPadding(length: number): Buffer {
	return Buffer.alloc((512 - (length % 512)) % 512);
}

/** Reads the raw archive starting at `start` into `into`; returns the offset after its trailer. */
export function parseNewc(data: Buffer, start: number, into: CpioEntry[]): number {
	let offset = start;
	for (;;) {
		const magic = data.toString('latin1', offset, offset + 6);
		if (magic !== newcMagic && magic !== '070702') throw new Error(`not a newc cpio header at byte ${offset}`);
		const header = offset;
		const field = (index: number): number => Number.parseInt(data.toString('latin1', header + 6 + index * 8, header + 14 + index * 8), 16);
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
		if (type === 'char') entry.rdev = {major: field(9), minor: field(10)};
		if (entry.path !== '' && entry.path !== '.') into.push(entry);
		if (offset > data.length) throw new Error('truncated cpio archive');
	}
}
