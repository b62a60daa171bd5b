// Parses `lsblk -J -O -b` into disks. Pure: takes the JSON text, returns plain data.
// Accepts the shapes of older util-linux releases too (strings for numbers and booleans, `mountpoint` only), and
// every layout lsblk prints: the tree (children), list mode (-l: one flat list, each node naming its parent in
// PKNAME), and full paths (-p: /dev/sda for sda); all of them become the same disks before any policy sees them.
import {UserError, ExitCode} from '../errors.js';
import {columnWidth} from '../system/paint.js';

export type Partition = {
	path: string;
	name: string;
	type: string;
	size: number;
	fstype: string | null;
	label: string | null;
	/** Mount points of this node (including "[SWAP]" for active swap). */
	mountpoints: string[];
	/** False when lsblk gave neither MOUNTPOINTS nor MOUNTPOINT for this node: its mounts are unknown. */
	mountsKnown: boolean;
	majMin: string | null;
};

export type Disk = {
	path: string;
	name: string;
	/** lsblk's TYPE: disk, loop, rom, ... */
	type: string;
	size: number;
	removable: boolean;
	hotplug: boolean;
	readOnly: boolean;
	transport: string | null;
	vendor: string | null;
	model: string | null;
	serial: string | null;
	majMin: string | null;
	/** Mount points of the disk node itself. */
	mountpoints: string[];
	/** False when lsblk gave no mount point field for the disk node itself (see the partitions' own flags). */
	mountsKnown: boolean;
	/** Every descendant (partitions, LVM volumes, crypt mappings), flattened. */
	partitions: Partition[];
	/** For an attached loop device on this host: the file behind it (from sysfs), and that file's dev:ino. */
	backingFile: string | null;
	backingId: string | null;
};

type Raw = Record<string, unknown>;

function text(value: unknown): string | null {
	if (value === null || value === undefined) return null;
	const result = String(value).trim();
	return result === '' ? null : result;
}

function bool(value: unknown): boolean {
	if (typeof value === 'boolean') return value;
	if (typeof value === 'number') return value !== 0;
	if (typeof value === 'string') return value === '1' || value.toLowerCase() === 'true';
	return false;
}

function number(value: unknown): number {
	if (typeof value === 'number' && Number.isFinite(value)) return value;
	if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value.trim());
	return 0;
}

function mountpoints(raw: Raw): string[] {
	const list = Array.isArray(raw.mountpoints) ? raw.mountpoints : [raw.mountpoint];
	return list.map((each) => text(each)).filter((each): each is string => each !== null);
}

/** lsblk gave a mount point field for the node (null when nothing is mounted); without one its mounts are unknown. */
function mountsKnown(raw: Raw): boolean {
	return 'mountpoints' in raw || 'mountpoint' in raw;
}

function pathOf(raw: Raw): string {
	const path = text(raw.path);
	if (path) return path;
	const name = text(raw.name) ?? text(raw.kname) ?? '?';
	return name.startsWith('/') ? name : `/dev/${name}`;
}

/** A kernel name as lsblk prints it without -p: "sda" for "/dev/sda" (names under /dev/mapper keep "mapper/"). */
function withoutDev(value: unknown): string | null {
	const name = text(value);
	return name?.startsWith('/dev/') ? name.slice('/dev/'.length) : name;
}

/** The kernel name of a node (KNAME: sda1, dm-0, zram0), else its NAME; the same with or without -p. */
function kernelName(raw: Raw): string {
	return withoutDev(raw.kname) ?? withoutDev(raw.name) ?? pathOf(raw);
}

function partitions(raw: Raw): Partition[] {
	const children = Array.isArray(raw.children) ? (raw.children as Raw[]) : [];
	return children.flatMap((child) => [
		{
			path: pathOf(child),
			name: kernelName(child),
			type: text(child.type) ?? 'part',
			size: number(child.size),
			fstype: text(child.fstype),
			label: text(child.label),
			mountpoints: mountpoints(child),
			mountsKnown: mountsKnown(child),
			majMin: text(child['maj:min']),
		},
		...partitions(child),
	]);
}

export function diskFromRaw(raw: Raw): Disk {
	return {
		path: pathOf(raw),
		name: kernelName(raw),
		type: text(raw.type) ?? 'disk',
		size: number(raw.size),
		removable: bool(raw.rm),
		hotplug: bool(raw.hotplug),
		readOnly: bool(raw.ro),
		transport: text(raw.tran),
		vendor: text(raw.vendor),
		model: text(raw.model),
		serial: text(raw.serial),
		majMin: text(raw['maj:min']),
		mountpoints: mountpoints(raw),
		mountsKnown: mountsKnown(raw),
		partitions: partitions(raw),
		backingFile: null,
		backingId: null,
	};
}

/** Parses an lsblk JSON document; `source` names it in errors. */
export function parseLsblk(json: string, source = 'lsblk output'): Disk[] {
	let document: unknown;
	try {
		document = JSON.parse(json);
	} catch (error) {
		throw new UserError(`${source} is not JSON: ${(error as Error).message}`, {
			hint: 'record it with: lsblk -J -O -b > lsblk.json',
			exitCode: ExitCode.invalidInput,
		});
	}
	const devices = (document as {blockdevices?: unknown})?.blockdevices;
	if (!Array.isArray(devices)) {
		throw new UserError(`${source} has no "blockdevices" list`, {
			hint: 'record it with: lsblk -J -O -b > lsblk.json',
			exitCode: ExitCode.invalidInput,
		});
	}
	const nodes = devices.filter((each): each is Raw => typeof each === 'object' && each !== null);
	return treeOf(nodes, source).map((each) => diskFromRaw(each));
}

/** Types of nodes that live on a disk (never a whole disk of their own in a list). */
const PARTITION_TYPES = new Set(['part']);

/**
 * The top-level nodes with their descendants as `children`. A tree comes as it is; a flat list (lsblk -l) is tied
 * together by PKNAME. A node with several parents (an md array over two disks) is listed once per parent, so it
 * becomes a child of each. A list whose partitions cannot be tied to a disk is refused: their mounts would count
 * for no disk, and the disk holding / would look empty.
 */
function treeOf(nodes: Raw[], source: string): Raw[] {
	if (nodes.some((node) => Array.isArray(node.children))) return nodes;
	const names = new Set(nodes.map((node) => kernelName(node)));
	const parentOf = (node: Raw) => {
		const parent = withoutDev(node.pkname);
		return parent !== null && names.has(parent) && parent !== kernelName(node) ? parent : undefined;
	};
	const children = new Map<string, Raw[]>();
	for (const node of nodes) {
		const parent = parentOf(node);
		if (parent === undefined) continue;
		const list = children.get(parent) ?? [];
		if (!list.some((each) => kernelName(each) === kernelName(node))) list.push(node);
		children.set(parent, list);
	}
	const roots = nodes.filter((node) => parentOf(node) === undefined);
	// Without any PKNAME field, a mapping (crypt, lvm, raid1) at the top cannot be told from one on a listed disk.
	const hasPkname = nodes.some((node) => 'pkname' in node);
	const untied = roots.filter((node) => PARTITION_TYPES.has(text(node.type) ?? '') || (!hasPkname && !['disk', 'loop', 'rom'].includes(text(node.type) ?? 'disk')));
	if (untied.length > 0) {
		throw new UserError(
			`${source} lists partitions or mappings without their disk (${untied.map((node) => kernelName(node)).join(', ')}): ${hasPkname ? 'their PKNAME names no device in it' : 'it has no PKNAME field'}`,
			{hint: 'record it as a tree, with: lsblk -J -O -b > lsblk.json', exitCode: ExitCode.invalidInput},
		);
	}
	const build = (node: Raw, above: Set<string>): Raw => {
		const name = kernelName(node);
		const below = above.has(name) ? [] : (children.get(name) ?? []);
		const path = new Set([...above, name]);
		return {...node, children: below.map((child) => build(child, path))};
	};
	const seen = new Set<string>();
	return roots.filter((node) => !seen.has(kernelName(node)) && seen.add(kernelName(node))).map((node) => build(node, new Set()));
}

/** The disk and those of its descendants whose mounts lsblk did not report. */
export function unknownMounts(disk: Disk): string[] {
	return [...(disk.mountsKnown ? [] : [disk.path]), ...disk.partitions.filter((part) => !part.mountsKnown).map((part) => part.path)];
}

/** Every mount point of a disk and its descendants. */
export function allMountpoints(disk: Disk): Array<{path: string; mountpoint: string}> {
	return [
		...disk.mountpoints.map((mountpoint) => ({path: disk.path, mountpoint})),
		...disk.partitions.flatMap((part) => part.mountpoints.map((mountpoint) => ({path: part.path, mountpoint}))),
	];
}

export function describeDisk(disk: Disk): string {
	const name = [disk.vendor, disk.model].filter(Boolean).join(' ') || (disk.type === 'loop' ? 'loop device' : 'unknown model');
	return `${disk.path} ${formatSize(disk.size)} ${name}${disk.transport ? ` (${disk.transport})` : ''}`;
}

/** One line per partition (and mapping) of a disk: name, size, filesystem, label, mount points. */
export function partitionLines(disk: Disk): string[] {
	const parts = disk.partitions;
	if (parts.length === 0) return [disk.mountpoints.length > 0 ? `mounted on ${disk.mountpoints.join(', ')}` : 'no partitions'];
	const name = columnWidth(parts.map((part) => part.name));
	const size = columnWidth(parts.map((part) => formatSize(part.size)));
	const fstype = columnWidth(parts.map((part) => part.fstype ?? '-'));
	return parts.map((part) => {
		const label = part.label ? `"${part.label}"` : 'no label';
		const mounts = !part.mountsKnown ? 'mounts unknown' : part.mountpoints.length > 0 ? part.mountpoints.join(', ') : 'not mounted';
		return `${part.name.padEnd(name)}  ${formatSize(part.size).padStart(size)}  ${(part.fstype ?? '-').padEnd(fstype)}  ${label}  ${mounts}`;
	});
}

export function formatSize(bytes: number): string {
	const units = ['B', 'kB', 'MB', 'GB', 'TB'];
	let value = bytes;
	let unit = 0;
	while (value >= 1000 && unit < units.length - 1) {
		value /= 1000;
		unit++;
	}
	return `${unit === 0 ? Math.round(value) : value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}
