// A regular file as the target: what it is (new, existing, a symlink), whether anything else uses it (a loop device
// over it, another process with it open), whether its folder has room, and the temporary file next to it that takes
// the image and is renamed over it only once everything has succeeded.
import {constants, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, unlinkSync, type Stats} from 'node:fs';
import {link, open, rename, statfs, unlink, type FileHandle} from 'node:fs/promises';
import {basename, dirname, join} from 'node:path';
import {randomBytes} from 'node:crypto';
import {onExit} from '../system/children.js';
import {isRoot} from '../system/user.js';
import {fileId} from './device.js';
import type {Extents} from './extents.js';
import {SPARSE_BLOCK} from './writer.js';

export type FileTarget =
	| {kind: 'new'; path: string}
	| {kind: 'existing'; path: string; stat: Stats; id: string}
	/** A symlink whose target does not exist: writing "through" it would replace the link itself. */
	| {kind: 'dangling'; path: string; link: string};

/** What the path names: `path` is the resolved one (symlinks followed) where it exists. */
export function inspectFileTarget(path: string): FileTarget {
	let link: Stats | undefined;
	try {
		link = lstatSync(path);
	} catch {
		return {kind: 'new', path};
	}
	if (link.isSymbolicLink()) {
		try {
			const resolved = realpathSync(path);
			const stat = statSync(resolved);
			return {kind: 'existing', path: resolved, stat, id: fileId(stat)};
		} catch {
			return {kind: 'dangling', path, link: readlinkSync(path)};
		}
	}
	return {kind: 'existing', path: realpathSync(path), stat: link, id: fileId(link)};
}

/** The loop devices (from sysfs) whose backing file is the file with this id. */
export function loopsBackedBy(id: string, sysBlock = '/sys/block'): string[] {
	let names: string[];
	try {
		names = readdirSync(sysBlock).filter((name) => /^loop\d+$/.test(name));
	} catch {
		return [];
	}
	const found: string[] = [];
	for (const name of names) {
		let backing: string;
		try {
			backing = readFileSync(join(sysBlock, name, 'loop', 'backing_file'), 'utf8').replace(/\n$/, '');
			if (backing && fileId(statSync(backing)) === id) found.push(`/dev/${name}`);
		} catch {
			// Not attached, or its backing file is gone: not this file.
		}
	}
	return found.sort((a, b) => a.localeCompare(b, 'en', {numeric: true}));
}

/** Other processes that hold the file with this id open (from /proc/PID/fd); entries we cannot read are skipped. */
export function processesWithOpen(id: string, proc = '/proc'): Array<{pid: number; command: string}> {
	const found: Array<{pid: number; command: string}> = [];
	let pids: string[];
	try {
		pids = readdirSync(proc).filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
	} catch {
		return [];
	}
	for (const pid of pids) {
		let fds: string[];
		try {
			fds = readdirSync(join(proc, pid, 'fd'));
		} catch {
			continue;
		}
		const holds = fds.some((fd) => {
			const entry = join(proc, pid, 'fd', fd);
			try {
				// Pipes, sockets and anonymous inodes are not files on a filesystem; stat the rest through the link.
				return readlinkSync(entry).startsWith('/') && fileId(statSync(entry)) === id;
			} catch {
				return false;
			}
		});
		if (!holds) continue;
		let command = '?';
		try {
			command = readFileSync(join(proc, pid, 'comm'), 'utf8').trim() || '?';
		} catch {
			// Gone meanwhile: still named by its pid.
		}
		found.push({pid: Number(pid), command});
	}
	return found.sort((a, b) => a.pid - b.pid);
}

/** Bytes the written copy takes at most: the image's data blocks (zero blocks are skipped, holes stay holes). */
export function bytesNeeded(size: number, extents: Extents | undefined): number {
	if (!extents) return size;
	let blocks = 0;
	let last = -1;
	for (const [start, end] of extents) {
		const first = Math.max(Math.floor(start / SPARSE_BLOCK), last + 1);
		const final = Math.ceil(end / SPARSE_BLOCK) - 1;
		if (final >= first) blocks += final - first + 1;
		last = Math.max(last, final);
	}
	return Math.min(size, blocks * SPARSE_BLOCK);
}

/** Bytes an unprivileged writer may still use in the folder's filesystem; undefined when it cannot be asked. */
export async function freeBytes(folder: string): Promise<number | undefined> {
	try {
		const stats = await statfs(folder);
		return stats.bavail * stats.bsize;
	} catch {
		return undefined;
	}
}

export type TempFile = {
	path: string;
	handle: FileHandle;
	/** Puts the copy in place of the target: renamed over the existing file, or linked as a new one. */
	commit(): Promise<void>;
	/** Removes the copy (after a failure); the target is left as it was. */
	discard(): Promise<void>;
};

export class TargetChanged extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'TargetChanged';
	}
}

/**
 * Creates the temporary file next to the target (same folder, so the final rename is atomic), with the mode (and,
 * as root, the owner) of the file it replaces. Until commit, the target itself is never opened.
 */
export async function createTempFile(target: Extract<FileTarget, {kind: 'new' | 'existing'}>): Promise<TempFile> {
	const folder = dirname(target.path);
	const path = join(folder, `.${basename(target.path)}.sel4-llm-${process.pid}-${randomBytes(4).toString('hex')}.part`);
	const mode = target.kind === 'existing' ? target.stat.mode & 0o7777 : 0o666;
	const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
	let state: 'open' | 'committed' | 'discarded' = 'open';
	// However sel4-llm ends (a second Ctrl-C exits at once), no partial copy is left behind.
	onExit(() => {
		if (state !== 'open') return;
		try {
			unlinkSync(path);
		} catch {
			// Already gone.
		}
	});
	try {
		if (target.kind === 'existing') {
			await handle.chmod(mode);
			if (isRoot()) await handle.chown(target.stat.uid, target.stat.gid).catch(() => undefined);
		}
	} catch (error) {
		await handle.close().catch(() => undefined);
		await unlink(path).catch(() => undefined);
		state = 'discarded';
		throw error;
	}
	return {
		path,
		handle,
		async commit() {
			if (target.kind === 'existing') {
				// The file confirmed is the one replaced: not another one put there meanwhile.
				const now = inspectFileTarget(target.path);
				if (now.kind !== 'existing' || now.id !== target.id) {
					throw new TargetChanged(`${target.path} was replaced or removed while the image was written`);
				}
				await rename(path, target.path);
			} else {
				// link(2) never replaces a file that appeared meanwhile; filesystems without hard links (FAT on a stick)
				// get a rename after one more look.
				try {
					await link(path, target.path);
				} catch (error) {
					const code = (error as NodeJS.ErrnoException).code;
					if (code === 'EEXIST') throw new TargetChanged(`${target.path} appeared while the image was written`);
					if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw error;
					if (inspectFileTarget(target.path).kind !== 'new') throw new TargetChanged(`${target.path} appeared while the image was written`);
					await rename(path, target.path);
					state = 'committed';
					await syncFolder(folder);
					return;
				}
				await unlink(path);
			}
			state = 'committed';
			await syncFolder(folder);
		},
		async discard() {
			if (state !== 'open') return;
			state = 'discarded';
			await handle.close().catch(() => undefined);
			await unlink(path).catch(() => undefined);
		},
	};
}

/** Makes the rename durable: the folder's entry is synced like the data was. */
async function syncFolder(folder: string): Promise<void> {
	const handle = await open(folder, 'r').catch(() => undefined);
	await handle
		?.sync()
		.catch(() => undefined)
		.finally(() => handle.close());
}
