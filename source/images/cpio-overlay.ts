// The guest's root file system as cpio entries: entries for host trees and files (modes kept, owned by root, at
// validated guest paths), and the rules for laying them over a base initramfs without breaking the guest.
import {lstat, readdir, readlink, stat} from 'node:fs/promises';
import {join, posix} from 'node:path';
import {ExitCode, UserError} from '../errors.js';
import type {CpioEntry} from './cpio-newc.js';

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
