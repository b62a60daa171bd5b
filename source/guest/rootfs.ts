// Lays our guest files (and optionally a model) into an initramfs: validated first, then one appended archive.
import {stat} from 'node:fs/promises';
import {inputFile} from '../system/input-file.js';
import {basename, resolve} from 'node:path';
import {ExitCode, UserError} from '../errors.js';
import {appendToCpio, listCpio} from '../images/cpio.js';
import type {CpioEntry} from '../images/cpio-newc.js';
import {entriesFromTree, entryForFile, mergeOverlay} from '../images/cpio-overlay.js';
import {readGgufHeader} from './gguf.js';

export type RootfsOptions = {
	base: string;
	output: string;
	overlays?: string[];
	/** Single host files placed at a guest path (modes kept), after the overlays. */
	files?: Array<{host: string; guest: string}>;
	model?: string;
	/** Where the model goes in the guest (default models/<file name>). */
	modelPath?: string;
	compress?: 'auto' | 'gzip' | 'none';
};

export type RootfsResult = {output: string; bytes: number; added: string[]; replaced: string[]; modelPath?: string};

export async function buildRootfs(options: RootfsOptions): Promise<RootfsResult> {
	const base = inputFile(options.base, 'the base initramfs', {hint: 'Use upstream\'s guest rootfs (camkes-vm-images/qemu-arm-virt/rootfs.cpio.gz, or vm-linux/images/rootfs/64/default_buildroot_rootfs-bare.cpio for x86_64).'});
	const output = resolve(options.output);
	if (base === output) throw new UserError('--output must differ from --base', {hint: 'The base initramfs is never modified; write a new file.'});
	let baseEntries: CpioEntry[];
	try {
		baseEntries = await listCpio(base);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new UserError(code === 'ENOENT' ? `the base initramfs ${options.base} does not exist` : `${options.base} is not a cpio initramfs (${(error as Error).message})`, {
			exitCode: ExitCode.invalidInput,
			hint: 'Use upstream\'s guest rootfs (camkes-vm-images/qemu-arm-virt/rootfs.cpio.gz, or vm-linux/images/rootfs/64/default_buildroot_rootfs-bare.cpio for x86_64).',
		});
	}
	const overlay: CpioEntry[] = [];
	for (const dir of options.overlays ?? []) {
		const info = await stat(dir).catch(() => undefined);
		if (!info?.isDirectory()) {
			throw new UserError(`overlay ${dir} is not a directory`, {exitCode: ExitCode.invalidInput, hint: 'Give a directory laid out like the guest root (etc/init.d/..., usr/bin/...).'});
		}
		overlay.push(...(await entriesFromTree(dir)));
	}
	for (const file of options.files ?? []) {
		const info = await stat(file.host).catch(() => undefined);
		if (!info?.isFile()) {
			throw new UserError(`${file.host} is not a file`, {exitCode: ExitCode.invalidInput, hint: 'Build it first, or fix the path (HOST=GUEST).'});
		}
		overlay.push(...(await entryForFile(resolve(file.host), file.guest)));
	}
	let modelPath: string | undefined;
	if (options.model) {
		readGgufHeader(options.model);
		modelPath = options.modelPath ?? `models/${basename(options.model)}`;
		overlay.push(...(await entryForFile(resolve(options.model), modelPath, {mode: 0o644})));
	}
	if (overlay.length === 0) {
		throw new UserError('nothing to add', {hint: 'Give --overlay DIR, --add HOST=GUEST and/or --model FILE.'});
	}
	const {entries, replaced} = mergeOverlay(baseEntries, overlay);
	const compress = options.compress === undefined || options.compress === 'auto' ? (options.model ? 'none' : 'auto') : options.compress;
	const {bytes} = await appendToCpio({base, output, entries, compress});
	return {output, bytes, added: entries.map((entry) => entry.path), replaced, ...(modelPath ? {modelPath} : {})};
}
