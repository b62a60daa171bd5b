// The model disk: an ext4 image holding GGUF models, built with `mke2fs -d` from a staging directory. No root, no
// loop device, no mount; the image is sparse and sized to its content plus a margin.
import {copyFile, link, lstat, mkdir, mkdtemp, open, readdir, rm, stat} from 'node:fs/promises';
import {basename, dirname, join, resolve} from 'node:path';
import {ExitCode, UserError} from '../errors.js';
import {readGgufHeader, type GgufHeader} from '../guest/gguf.js';
import {execOk} from '../system/exec.js';


export const modelDiskLabel = 'SEL4LLM-MODELS';
const blockSize = 4096;
const MiB = 1024 * 1024;

export type ModelDiskOptions = {
	/** GGUF files, or directories whose *.gguf files (at any depth) are taken. */
	inputs: string[];
	output: string;
	label?: string;
	/** Free space to leave, in MiB (default: 2% of the content plus 8 MiB). */
	marginMb?: number;
	/** Replace an existing output file. */
	force?: boolean;
	/**
	 * Put the file system into partition 1 of an MBR partition table (starting at 1 MiB). The x86 VMM's Sataserver
	 * hands a partition of a passed-through SATA disk to the guest (virtio_blk_sample uses partition 1).
	 */
	mbr?: boolean;
};

export type ModelDiskFile = {name: string; size: number; version: number};

export type ModelDiskResult = {
	output: string;
	label: string;
	/** Apparent size of the image. */
	sizeBytes: number;
	/** Bytes actually allocated on the host (the image is sparse). */
	allocatedBytes: number;
	contentBytes: number;
	/** Where the file system starts in the image (0, or 1 MiB with an MBR). */
	fsOffset: number;
	files: ModelDiskFile[];
};

const mbrOffset = MiB;

/** An MBR with one Linux partition (type 0x83) from `offset` for `length` bytes. */
export function mbrSector(offset: number, length: number): Buffer {
	const sector = Buffer.alloc(512);
	sector.writeUInt32LE(0x5e14_11a1, 440);
	const entry = 446;
	sector[entry] = 0x00;
	// CHS fields are unused by Linux; mark them as "use LBA".
	sector.set([0xfe, 0xff, 0xff], entry + 1);
	sector[entry + 4] = 0x83;
	sector.set([0xfe, 0xff, 0xff], entry + 5);
	sector.writeUInt32LE(offset / 512, entry + 8);
	sector.writeUInt32LE(length / 512, entry + 12);
	sector[510] = 0x55;
	sector[511] = 0xaa;
	return sector;
}

type Planned = {host: string; name: string; info: GgufHeader};

async function findGguf(dir: string, relative = ''): Promise<Array<{host: string; name: string}>> {
	const found: Array<{host: string; name: string}> = [];
	for (const name of (await readdir(join(dir, relative))).sort()) {
		const rel = relative ? `${relative}/${name}` : name;
		const info = await lstat(join(dir, rel));
		if (info.isDirectory()) found.push(...(await findGguf(dir, rel)));
		else if ((info.isFile() || info.isSymbolicLink()) && name.toLowerCase().endsWith('.gguf')) found.push({host: join(dir, rel), name: rel});
	}
	return found;
}

/** Validates every input before anything is written. */
export async function planModelDisk(inputs: readonly string[]): Promise<Planned[]> {
	if (inputs.length === 0) {
		throw new UserError('no model given', {hint: 'Pass one or more .gguf files or directories: sel4-llm model-disk model.gguf -o models.img'});
	}
	const planned: Planned[] = [];
	for (const input of inputs) {
		const path = resolve(input);
		let info;
		try {
			info = await stat(path);
		} catch {
			throw new UserError(`model ${input} does not exist`, {exitCode: ExitCode.invalidInput, hint: 'Check the path.'});
		}
		const candidates = info.isDirectory() ? await findGguf(path) : [{host: path, name: basename(path)}];
		if (candidates.length === 0) {
			throw new UserError(`${input} holds no .gguf file`, {exitCode: ExitCode.invalidInput, hint: 'Put the GGUF models in the directory, or name the files.'});
		}
		for (const candidate of candidates) planned.push({...candidate, info: readGgufHeader(candidate.host)});
	}
	const names = new Set<string>();
	for (const each of planned) {
		if (names.has(each.name)) {
			throw new UserError(`two models would be stored as ${each.name}`, {exitCode: ExitCode.invalidInput, hint: 'Rename one of them.'});
		}
		names.add(each.name);
	}
	return planned;
}

/** Image size in bytes for this much content: data blocks, metadata and the margin, rounded to 1 MiB. */
export function modelDiskSize(files: ReadonlyArray<{size: number}>, marginMb?: number): number {
	const data = files.reduce((sum, file) => sum + Math.ceil(file.size / blockSize) * blockSize, 0);
	// Block-group metadata (bitmaps, inode tables with few inodes, extent tree blocks) stays well under 1% here.
	const metadata = Math.ceil(data / 128) + 4 * MiB;
	const margin = marginMb !== undefined ? marginMb * MiB : Math.ceil(data * 0.02) + 8 * MiB;
	return Math.ceil((data + metadata + margin) / MiB) * MiB;
}

async function stage(planned: readonly Planned[], dir: string): Promise<void> {
	for (const each of planned) {
		const target = join(dir, each.name);
		await mkdir(dirname(target), {recursive: true});
		try {
			await link(each.host, target);
		} catch {
			// Another file system: copy (uses reflinks where the file system has them).
			await copyFile(each.host, target);
		}
	}
}

export async function buildModelDisk(options: ModelDiskOptions): Promise<ModelDiskResult> {
	const label = options.label ?? modelDiskLabel;
	if (!/^[A-Za-z0-9._-]{1,16}$/.test(label)) {
		throw new UserError(`label "${label}" is not usable`, {hint: 'An ext4 label has at most 16 characters; use letters, digits, ".", "_" and "-".'});
	}
	if (options.marginMb !== undefined && (!Number.isInteger(options.marginMb) || options.marginMb < 0 || options.marginMb > 1024 * 1024)) {
		throw new UserError(`margin ${options.marginMb} MiB is out of range`, {hint: 'Give a whole number of MiB from 0 to 1048576.'});
	}
	const output = resolve(options.output);
	const existing = await stat(output).catch(() => undefined);
	if (existing && !existing.isFile()) {
		throw new UserError(`${options.output} exists and is not a regular file`, {
			exitCode: ExitCode.refused,
			hint: 'model-disk writes an image file only; it never writes to devices. Choose a file name.',
		});
	}
	if (existing && !options.force) {
		throw new UserError(`${options.output} already exists`, {exitCode: ExitCode.refused, hint: 'Pass --force to replace it, or choose another name.'});
	}
	const planned = await planModelDisk(options.inputs);
	const files = planned.map((each) => ({name: each.name, size: each.info.fileSize, version: each.info.version}));
	const contentBytes = files.reduce((sum, file) => sum + file.size, 0);
	const sizeBytes = modelDiskSize(files, options.marginMb);
	await mkdir(dirname(output), {recursive: true});
	// Stage next to the output so hard links work when the models live on the same file system.
	const staging = await mkdtemp(join(dirname(output), `.${basename(output)}.staging-`));
	try {
		await stage(planned, staging);
		if (existing) await rm(output);
		const fsOffset = options.mbr ? mbrOffset : 0;
		if (options.mbr) {
			const handle = await open(output, 'w');
			try {
				await handle.truncate(fsOffset + sizeBytes);
				await handle.write(mbrSector(fsOffset, sizeBytes), 0, 512, 0);
			} finally {
				await handle.close();
			}
		}
		const inodes = Math.max(64, files.length * 2 + 32);
		await execOk(
			[
				'mke2fs',
				'-q',
				'-F',
				'-t', 'ext4',
				'-b', String(blockSize),
				'-L', label,
				'-m', '0',
				'-N', String(inodes),
				// A read-mostly disk needs no journal; without metadata checksums mke2fs -d copies about 3x faster
				// (it recomputes bitmap checksums for every block it allocates), and old guest kernels read it too.
				'-O', '^has_journal,^metadata_csum',
				'-E', options.mbr ? `root_owner=0:0,offset=${mbrOffset}` : 'root_owner=0:0',
				'-d', staging,
				'--',
				output,
				`${sizeBytes / 1024}k`,
			],
			{what: 'build the model disk'},
		);
	} finally {
		await rm(staging, {recursive: true, force: true});
	}
	const result = await stat(output);
	return {output, label, sizeBytes: result.size, allocatedBytes: result.blocks * 512, contentBytes, fsOffset: options.mbr ? mbrOffset : 0, files};
}
