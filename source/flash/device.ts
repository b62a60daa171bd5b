// The host side of flashing: running lsblk, facts for the policy, unmounting, opening the target exclusively
// and re-checking its identity right before the first write.
import {constants, existsSync, readFileSync, realpathSync, statSync, type Stats} from 'node:fs';
import {open, type FileHandle} from 'node:fs/promises';
import {ExitCode, UserError} from '../errors.js';
import {exec} from '../system/exec.js';
import {formatCommand} from '../system/quote.js';
import {diskFromRaw, parseLsblk, type Disk} from './lsblk.js';

export async function listDisks(lsblkJson?: string): Promise<Disk[]> {
	if (lsblkJson) {
		let text: string;
		try {
			text = readFileSync(lsblkJson, 'utf8');
		} catch (error) {
			throw new UserError(`cannot read ${lsblkJson}: ${(error as Error).message}`, {exitCode: ExitCode.invalidInput});
		}
		return parseLsblk(text, lsblkJson);
	}
	const result = await exec(['lsblk', '-J', '-O', '-b'], {maxCapture: 32 << 20});
	if (!result.ok) {
		throw new UserError(`lsblk failed: ${result.startError?.message ?? (result.tail.at(-1) || `exit code ${result.exitCode}`)}`, {
			nextSteps: ['sudo apt-get install -y util-linux'],
			exitCode: ExitCode.failed,
		});
	}
	return parseLsblk(result.stdout, 'lsblk -J -O -b').map((disk) => withHostFacts(disk));
}

/** A file as the kernel knows it: device and inode, the same for every name of the file. */
export function fileId(stat: Pick<Stats, 'dev' | 'ino'>): string {
	return `${stat.dev}:${stat.ino}`;
}

/** The file id of `path` (following symlinks), or undefined when it cannot be stat'ed. */
export function fileIdOf(path: string): string | undefined {
	try {
		return fileId(statSync(path));
	} catch {
		return undefined;
	}
}

/** The file behind a loop device (from sysfs), or undefined for a device that is not an attached loop device. */
export function loopBacking(name: string): {file: string; id: string | undefined} | undefined {
	if (!/^loop\d+$/.test(name)) return undefined;
	let file: string;
	try {
		file = readFileSync(`/sys/block/${name}/loop/backing_file`, 'utf8').replace(/\n$/, '');
	} catch {
		return undefined;
	}
	return file === '' ? undefined : {file, id: fileIdOf(file)};
}

/** What only this host can tell about a disk lsblk listed: the file behind a loop device, the device number. */
export function withHostFacts(disk: Disk): Disk {
	const backing = loopBacking(disk.name);
	let majMin = disk.majMin;
	if (majMin === null) {
		try {
			const stat = statSync(disk.path);
			if (stat.isBlockDevice()) majMin = majMinOf(stat.rdev);
		} catch {
			// Gone: the identity check right before writing says so.
		}
	}
	return {...disk, majMin, backingFile: backing?.file ?? null, backingId: backing?.id ?? null};
}

/** The disk at `path` as lsblk sees it now, or undefined when it is gone. */
export async function readDisk(path: string): Promise<Disk | undefined> {
	const result = await exec(['lsblk', '-J', '-O', '-b', '--', path], {maxCapture: 8 << 20});
	if (!result.ok) return undefined;
	try {
		const devices = (JSON.parse(result.stdout) as {blockdevices?: Array<Record<string, unknown>>}).blockdevices ?? [];
		return devices[0] ? withHostFacts(diskFromRaw(devices[0])) : undefined;
	} catch {
		return undefined;
	}
}

export function swapDevices(): string[] {
	try {
		return readFileSync('/proc/swaps', 'utf8')
			.split('\n')
			.slice(1)
			.map((line) => line.split(/\s+/)[0]!)
			.filter((name) => name.startsWith('/dev/'))
			.map((name) => {
				try {
					return realpathSync(name);
				} catch {
					return name;
				}
			});
	} catch {
		return [];
	}
}

export function resolvePath(path: string): string {
	try {
		return realpathSync(path);
	} catch {
		return path;
	}
}

/**
 * What makes a disk the one that was confirmed. Two sticks of one model without serials, or two loop devices of one
 * size, differ only in their device number (maj:min) or, for loop devices, the file behind them.
 */
export type Identity = {
	path: string;
	size: number;
	model: string | null;
	serial: string | null;
	/** The device number, from lsblk or else from the device node's st_rdev. */
	majMin: string | null;
	/** For a loop device: its backing file and that file's dev:ino (another file renamed to the same path differs). */
	backingFile: string | null;
	backingId: string | null;
};

export function identityOf(disk: Disk): Identity {
	return {path: disk.path, size: disk.size, model: disk.model, serial: disk.serial, majMin: disk.majMin, backingFile: disk.backingFile, backingId: disk.backingId};
}

const identityLabels = {path: 'path', size: 'size', model: 'model', serial: 'serial', majMin: 'device number', backingFile: 'backing file'} as const;

export function identityDifferences(expected: Identity, actual: Identity): string[] {
	const differences: string[] = [];
	for (const key of Object.keys(identityLabels) as Array<keyof typeof identityLabels>) {
		if (expected[key] !== actual[key]) differences.push(`${identityLabels[key]} was ${JSON.stringify(expected[key])}, now ${JSON.stringify(actual[key])}`);
	}
	if (expected.backingFile === actual.backingFile && expected.backingId !== actual.backingId) {
		differences.push(`backing file ${expected.backingFile ?? '?'} was inode ${expected.backingId ?? 'unknown'}, now ${actual.backingId ?? 'unknown'}`);
	}
	return differences;
}

export function majMinOf(rdev: number): string {
	const major = ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
	const minor = (rdev & 0xff) | ((rdev >> 12) & ~0xff & 0xfffff);
	return `${major}:${minor}`;
}

/** The exact command to run the same thing under sudo. */
export function sudoCommand(argv: string[], extra: string[] = []): string {
	return formatCommand(['sudo', ...argv, ...extra]);
}

export function permissionError(path: string, argv: string[], extra: string[]): UserError {
	return new UserError(`permission denied: cannot open ${path} for writing`, {
		hint: 'writing a whole disk needs root. sudo runs the same command as root; every check runs again before anything is written',
		nextSteps: [sudoCommand(argv, extra)],
		exitCode: ExitCode.refused,
	});
}

/**
 * Opens a block device for writing, exclusively (the kernel refuses with EBUSY while any of its partitions is
 * mounted or in use), then checks that it is still the disk that was confirmed.
 */
export async function openConfirmedDisk(confirmed: Disk, argv: string[], extra: string[]): Promise<FileHandle> {
	let handle: FileHandle;
	try {
		handle = await open(confirmed.path, constants.O_WRONLY | constants.O_EXCL);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'EACCES' || code === 'EPERM') throw permissionError(confirmed.path, argv, extra);
		if (code === 'EBUSY') {
			throw new UserError(`${confirmed.path} is busy: a partition is mounted or the disk is in use`, {
				hint: 'unmount its partitions (or let flash do it with --unmount) and close programs using it',
				exitCode: ExitCode.refused,
			});
		}
		if (code === 'ENOENT' || code === 'ENXIO' || code === 'ENODEV') {
			throw new UserError(`${confirmed.path} is gone: the device was unplugged or renamed since it was confirmed`, {
				nextSteps: ['plug it in again and re-run flash'],
				exitCode: ExitCode.refused,
			});
		}
		throw error;
	}
	try {
		const now = await readDisk(confirmed.path);
		const stat = await handle.stat();
		const problems: string[] = [];
		if (!now) problems.push('lsblk no longer lists it');
		else {
			problems.push(...identityDifferences(identityOf(confirmed), identityOf(now)));
			const mounted = [...now.mountpoints, ...now.partitions.flatMap((part) => part.mountpoints)];
			if (mounted.length > 0) problems.push(`mounted again: ${mounted.join(', ')}`);
		}
		if (!stat.isBlockDevice()) problems.push('it is no longer a block device');
		else if (confirmed.majMin && majMinOf(stat.rdev) !== confirmed.majMin) {
			problems.push(`the open device is ${majMinOf(stat.rdev)}, the confirmed one ${confirmed.majMin}`);
		}
		if (problems.length > 0) {
			throw new UserError(`${confirmed.path} is not the disk that was confirmed: ${problems.join('; ')}`, {
				hint: 'nothing was written. The device may have been swapped or renamed',
				nextSteps: ['re-run flash and confirm the disk again'],
				exitCode: ExitCode.refused,
			});
		}
		return handle;
	} catch (error) {
		await handle.close();
		throw error;
	}
}

export async function unmount(paths: string[]): Promise<void> {
	for (const path of paths) {
		const result = await exec(['umount', '--', path]);
		if (!result.ok) {
			throw new UserError(`cannot unmount ${path}: ${(result.stderr.trim() || result.startError?.message) ?? `exit code ${result.exitCode}`}`, {
				hint: 'close files and programs that use it, then try again',
				exitCode: ExitCode.refused,
			});
		}
	}
}

/** What kind of target a --device path is. */
export function targetKind(path: string): 'block' | 'file' | 'missing' | 'other' {
	if (!existsSync(path)) return 'missing';
	const stat = statSync(path);
	if (stat.isBlockDevice()) return 'block';
	if (stat.isFile()) return 'file';
	return 'other';
}
