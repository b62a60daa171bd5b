// Which disks may be written: a pure function of the lsblk disks and a few facts about the host.
import {posix} from 'node:path';
import {allMountpoints, formatSize, unknownMounts, type Disk} from './lsblk.js';

export type RefusalCode =
	| 'system'
	| 'mounts-unknown'
	| 'swap'
	| 'workspace'
	| 'image'
	| 'read-only'
	| 'no-medium'
	| 'too-small'
	| 'not-a-disk'
	| 'virtual'
	| 'non-removable';

export type WarningCode = 'large' | 'mounted' | 'usb-non-removable' | 'non-removable-allowed';

export type Reason<Code> = {code: Code; message: string};

export type Verdict = {
	disk: Disk;
	/** True when the disk may be chosen (possibly after unmounting, see `mounted`). */
	offered: boolean;
	refusals: Array<Reason<RefusalCode>>;
	warnings: Array<Reason<WarningCode>>;
	/** Mounted nodes of an offered disk: they are unmounted only with consent. */
	mounted: Array<{path: string; mountpoint: string}>;
};

export type PolicyFacts = {
	/** Size of the image to write, in bytes (undefined when only listing). */
	imageSize?: number | undefined;
	/** Absolute, resolved path of the image file. */
	imagePath?: string | undefined;
	/** The image file's dev:ino (see fileId): a loop device over it is the image by another name. */
	imageId?: string | undefined;
	/** Device number (maj:min) of the filesystem that holds the image, from its stat; on this host only. */
	imageDevice?: string | undefined;
	/** Absolute, resolved path of the workspace. */
	workspace?: string | undefined;
	/** Device number (maj:min) of the filesystem that holds the workspace; on this host only. */
	workspaceDevice?: string | undefined;
	/** Swap devices from /proc/swaps (lsblk also marks them "[SWAP]"). */
	swapDevices?: string[];
	allowNonRemovable?: boolean;
	/** Disks above this many bytes are flagged (default 128 GB). */
	largeBytes?: number;
};

export const LARGE_BYTES = 128e9;

/**
 * True for a mount point where desktops mount removable media: /media/<name>/... or /run/media/<name>/...
 * Anything else mounted on a disk (/, /boot, /srv/data, /mnt/x, /media itself) makes it a system disk.
 */
export function isRemovableMediaMount(mountpoint: string): boolean {
	if (!mountpoint.startsWith('/') || mountpoint.split('/').includes('..')) return false;
	const parts = posix.normalize(mountpoint).split('/').filter(Boolean);
	if (parts[0] === 'media') return parts.length >= 2;
	return parts[0] === 'run' && parts[1] === 'media' && parts.length >= 3;
}

/** The mount point among `mountpoints` that holds `path` (longest prefix), if any. */
export function mountpointHolding(path: string, mountpoints: string[]): string | undefined {
	let best: string | undefined;
	for (const mountpoint of mountpoints) {
		if (mountpoint.startsWith('[')) continue;
		const inside = mountpoint === '/' || path === mountpoint || path.startsWith(`${mountpoint}/`);
		if (inside && (best === undefined || mountpoint.length > best.length)) best = mountpoint;
	}
	return best;
}

/** True when the disk is plugged in by hand: removable media, a hotplug bus or a USB/MMC transport. */
export function isRemovableKind(disk: Disk): boolean {
	return disk.removable || disk.hotplug || disk.transport === 'usb' || disk.transport === 'mmc';
}

export function judge(disks: Disk[], facts: PolicyFacts = {}): Verdict[] {
	const every = disks.flatMap((disk) => allMountpoints(disk).map((entry) => ({...entry, disk})));
	const holder = (path: string | undefined) => {
		if (!path) return undefined;
		const mountpoint = mountpointHolding(path, every.map((each) => each.mountpoint));
		return mountpoint === undefined ? undefined : every.find((each) => each.mountpoint === mountpoint);
	};
	const workspaceHolder = holder(facts.workspace);
	const imageHolder = holder(facts.imagePath);
	const swaps = new Set(facts.swapDevices ?? []);
	const large = facts.largeBytes ?? LARGE_BYTES;

	return disks.map((disk) => {
		const refusals: Array<Reason<RefusalCode>> = [];
		const warnings: Array<Reason<WarningCode>> = [];
		const mounts = allMountpoints(disk);
		const nodes = [disk.path, ...disk.partitions.map((part) => part.path)];

		// By TYPE and by kernel name: an md array or a mapping listed as TYPE "disk" is still built on other disks.
		if (/^raid|^md$/.test(disk.type) || /^md\d/.test(disk.name)) {
			refusals.push({code: 'virtual', message: 'is a software RAID (md) device, built on other disks, not a stick'});
		} else if (['crypt', 'lvm', 'dm', 'mpath'].includes(disk.type) || /^dm-\d/.test(disk.name)) {
			const kind = ['crypt', 'lvm', 'mpath'].includes(disk.type) ? disk.type : 'dm';
			refusals.push({code: 'virtual', message: `is a device-mapper (${kind}) device, built on other devices, not a stick`});
		} else if (disk.type === 'mtd' || /^mtd/.test(disk.name)) {
			refusals.push({code: 'not-a-disk', message: 'is raw flash memory (MTD) of the board, not a disk'});
		} else if (disk.type !== 'disk' && disk.type !== 'loop') {
			refusals.push({code: 'not-a-disk', message: `is ${disk.type === 'rom' ? 'an optical drive' : `a ${disk.type} device`}, not a disk`});
		}
		if (/^(zram|ram|nbd)\d/.test(disk.name)) {
			const kind = disk.name.replace(/\d+$/, '');
			refusals.push({code: 'virtual', message: `is a virtual ${kind} device ${kind === 'nbd' ? 'on the network' : 'in memory'}, not a stick`});
		}
		// Fail-safe: every mount is the system's, except removable media mounted by the desktop (offered for unmounting).
		const system = mounts.filter((each) => each.mountpoint !== '[SWAP]' && !isRemovableMediaMount(each.mountpoint));
		if (system.length > 0) {
			refusals.push({
				code: 'system',
				message: `holds the running system (${system.map((each) => `${each.mountpoint} on ${each.path}`).join(', ')})`,
			});
		}
		const unknown = unknownMounts(disk);
		if (unknown.length > 0) {
			refusals.push({
				code: 'mounts-unknown',
				message: `has mounts that could not be read (lsblk gave no mount point for ${unknown.join(', ')}): it may hold the running system`,
			});
		}
		const swap = [...mounts.filter((each) => each.mountpoint === '[SWAP]').map((each) => each.path), ...nodes.filter((node) => swaps.has(node))];
		if (swap.length > 0) {
			refusals.push({code: 'swap', message: `holds active swap (${[...new Set(swap)].join(', ')})`});
		}
		// By device number too: a filesystem that lsblk shows unmounted, or under another name, still holds the file.
		const holding = (device: string | undefined) =>
			device === undefined ? undefined : [{path: disk.path, majMin: disk.majMin}, ...disk.partitions].find((node) => node.majMin === device)?.path;
		const imageNode = holding(facts.imageDevice);
		if (facts.imagePath && nodes.includes(facts.imagePath)) {
			refusals.push({code: 'image', message: `is the image itself (${facts.imagePath})`});
		} else if (facts.imageId !== undefined && disk.backingId === facts.imageId) {
			refusals.push({code: 'image', message: `is the image itself: a loop device over ${disk.backingFile ?? facts.imagePath}`});
		} else if (imageHolder?.disk === disk) {
			refusals.push({code: 'image', message: `holds the image file (${facts.imagePath} on ${imageHolder.mountpoint})`});
		} else if (imageNode) {
			refusals.push({code: 'image', message: `holds the image file (${facts.imagePath} is on ${imageNode})`});
		}
		const workspaceNode = holding(facts.workspaceDevice);
		if (workspaceHolder?.disk === disk) {
			refusals.push({code: 'workspace', message: `holds the workspace (${facts.workspace} on ${workspaceHolder.mountpoint})`});
		} else if (workspaceNode) {
			refusals.push({code: 'workspace', message: `holds the workspace (${facts.workspace} is on ${workspaceNode})`});
		}
		if (disk.readOnly) refusals.push({code: 'read-only', message: 'is read-only (write-protect switch on, or a read-only device)'});
		if (disk.size === 0 && disk.type !== 'rom') {
			refusals.push({code: 'no-medium', message: 'has no medium (an empty card reader slot?) or reports size 0'});
		} else if (facts.imageSize !== undefined && disk.size < facts.imageSize) {
			refusals.push({code: 'too-small', message: `is smaller (${formatSize(disk.size)}) than the image (${formatSize(facts.imageSize)})`});
		}
		if (!isRemovableKind(disk)) {
			if (facts.allowNonRemovable) {
				warnings.push({code: 'non-removable-allowed', message: 'is not removable: offered only because of --allow-non-removable'});
			} else {
				// The way out is named only where it is one: a disk refused for anything else stays refused with it.
				const only = refusals.length === 0;
				refusals.push({code: 'non-removable', message: `is not removable (an internal disk)${only ? '; --allow-non-removable offers it' : ''}`});
			}
		} else if (!disk.removable && disk.transport === 'usb') {
			warnings.push({code: 'usb-non-removable', message: 'reports non-removable but is on USB (a USB SSD or enclosure)'});
		}
		if (disk.size > large) {
			warnings.push({code: 'large', message: `is large (${formatSize(disk.size)}): make sure it is not a backup or data disk`});
		}
		const mounted = refusals.length === 0 ? mounts : [];
		if (mounted.length > 0) {
			warnings.push({
				code: 'mounted',
				message: `has mounted filesystems (${mounted.map((each) => `${each.path} on ${each.mountpoint}`).join(', ')}) that must be unmounted first`,
			});
		}
		return {disk, offered: refusals.length === 0, refusals, warnings, mounted};
	});
}

/** True when --allow-non-removable alone would offer the disk (an internal disk that nothing else rules out). */
export function onlyNonRemovable(verdict: Verdict): boolean {
	return verdict.refusals.length > 0 && verdict.refusals.every((each) => each.code === 'non-removable');
}

/** Why a disk is refused (or, when offered, what to note about it), as one sentence; empty when nothing to say. */
export function reasons(verdict: Verdict): string {
	const list = verdict.offered ? verdict.warnings : verdict.refusals;
	return list.length === 0 ? '' : `it ${list.map((each) => each.message).join('; it ')}`;
}

/** The reasons with a "not offered:" or "note:" label. */
export function explain(verdict: Verdict): string {
	const text = reasons(verdict);
	return text ? `${verdict.offered ? 'note' : 'not offered'}: ${text}` : '';
}
