// A bootable USB image for a PC: GRUB (BIOS and UEFI, via grub-mkrescue) loading the seL4 kernel and the
// root-server image as a multiboot module, with a provenance record and the PC checklist on the stick.
import {z} from 'zod';
import {readState, writeState} from '../system/state-file.js';
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {ExitCode, UserError, WorkError} from '../errors.js';
import {exec, failureOf} from '../system/exec.js';
import {grubConfig, grubEntries} from './usb/grub-config.js';
import {checklistBeside, PC_CHECKLIST, revisionsFromLock, sha256File, STICK_CHECKLIST, type Revision} from './usb/provenance.js';
import type {BootTestResult} from './usb/boot-test.js';

export const KERNEL_NAME = 'kernel-x86_64-pc99';
export const ROOTSERVER_NAME = 'capdl-loader-image-x86_64-pc99';
export const STICK_KERNEL = `/boot/sel4/${KERNEL_NAME}`;
export const STICK_ROOTSERVER = `/boot/sel4/${ROOTSERVER_NAME}`;

export type Inputs = {kernel: string; rootserver: string; buildDir: string | undefined};

/** The kernel and root-server files: given explicitly, or from the workspace's x86_64 build directory. */
export function findInputs(options: {kernel?: string; rootserver?: string; buildDir?: string; workspace: string; app: string}): Inputs {
	const buildDir = options.buildDir ? resolve(options.buildDir) : join(options.workspace, `build-x86_64-${options.app}`);
	const kernel = options.kernel ? resolve(options.kernel) : join(buildDir, 'images', KERNEL_NAME);
	const rootserver = options.rootserver ? resolve(options.rootserver) : join(buildDir, 'images', ROOTSERVER_NAME);
	const missing = [kernel, rootserver].filter((path) => !existsSync(path) || !statSync(path).isFile());
	if (missing.length > 0) {
		throw new UserError(`cannot find ${missing.join(' and ')}`, {
			hint:
				options.kernel || options.rootserver
					? 'check the paths given with --kernel and --rootserver'
					: `usb-image uses the x86_64 build's images/${KERNEL_NAME} and images/${ROOTSERVER_NAME} from ${buildDir}`,
			nextSteps: ['sel4-llm run build --set platform=x86_64 --set target=usb', 'or pass --kernel FILE --rootserver FILE (or --build-dir DIR)'],
			exitCode: ExitCode.refused,
		});
	}
	const head = readFileSync(kernel).subarray(0, 5);
	if (!(head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF')) {
		throw new UserError(`${kernel} is not an ELF file, so it is not an seL4 kernel image`, {exitCode: ExitCode.invalidInput});
	}
	return {kernel, rootserver, buildDir: options.kernel && options.rootserver ? undefined : buildDir};
}

export type ImageRecord = {
	format: 1;
	image: {path: string; size: number; sha256: string};
	provenance: Provenance;
	bootTests: BootTestResult[];
};

export type Provenance = {
	createdBy: string;
	createdAt: string;
	platform: 'x86_64';
	app: string;
	files: Record<'kernel' | 'rootserver', {source: string; onStick: string; size: number; sha256: string}>;
	lockFile?: {path: string; sha256: string; revisions: Revision[]};
	configuration: {
		consolePort: string;
		timeout: number;
		entries: Array<{title: string; protocol: string; cmdline: string}>;
		/** QEMU's -cpu for the kernel's configuration (from the build's CMakeCache.txt): what a boot test emulates. */
		qemuCpu?: string;
	};
	tools: Record<string, string>;
};

export function recordPath(image: string): string {
	return `${image}.json`;
}

/**
 * What flash relies on in an image record, checked when it is read; the rest (provenance details, each boot
 * test's lines) is kept as written.
 */
const imageRecordSchema = z.looseObject({
	format: z.literal(1),
	image: z.looseObject({path: z.string(), size: z.int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/)}),
	provenance: z.looseObject({
		platform: z.literal('x86_64'),
		app: z.string(),
		configuration: z.looseObject({qemuCpu: z.string().optional()}),
	}),
	bootTests: z.array(z.looseObject({firmware: z.enum(['bios', 'uefi']), ok: z.boolean(), cpu: z.string()})),
});

const recordSpec = {schema: imageRecordSchema, what: 'the image record', fix: 'make the image again with sel4-llm usb-image to record its hash and boot tests'};

/** The record usb-image wrote beside an image: undefined when there is none; one that is not valid is moved aside and reported. */
export function readRecord(image: string): ImageRecord | undefined {
	return readState(recordPath(image), recordSpec) as ImageRecord | undefined;
}

async function toolVersion(command: string): Promise<string> {
	const result = await exec([command, '--version'], {timeoutMs: 10_000, tailLines: 0});
	return result.ok ? (result.stdout.split('\n')[0] ?? '').trim() || 'unknown' : 'unknown';
}

/** What grub-mkrescue needs, as apt packages, when missing. */
export function missingTools(): string[] {
	const missing: string[] = [];
	const onPath = (name: string) => (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, name)));
	if (!onPath('grub-mkrescue')) missing.push('grub-common');
	if (!existsSync('/usr/lib/grub/i386-pc')) missing.push('grub-pc-bin');
	if (!existsSync('/usr/lib/grub/x86_64-efi')) missing.push('grub-efi-amd64-bin');
	if (!onPath('xorriso')) missing.push('xorriso');
	if (!onPath('mformat')) missing.push('mtools');
	return missing;
}

export async function buildUsbImage(options: {
	inputs: Inputs;
	output: string;
	app: string;
	consolePort: string;
	timeout: number;
	lockFile?: string | undefined;
	version: string;
	qemuCpu?: string;
}): Promise<{record: ImageRecord; grubCfg: string}> {
	const missing = missingTools();
	if (missing.length > 0) {
		throw new UserError(`usb-image needs ${missing.join(', ')}`, {
			hint: 'grub-mkrescue builds a BIOS and UEFI image without root from these packages',
			nextSteps: [`sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`],
			exitCode: ExitCode.refused,
		});
	}
	const output = resolve(options.output);
	mkdirSync(dirname(output), {recursive: true});
	const [kernel, rootserver] = await Promise.all([sha256File(options.inputs.kernel), sha256File(options.inputs.rootserver)]);
	let lockFile: Provenance['lockFile'];
	if (options.lockFile) {
		const path = resolve(options.lockFile);
		let text: string;
		try {
			text = readFileSync(path, 'utf8');
		} catch (error) {
			throw new UserError(`cannot read the lock file ${path}: ${(error as Error).message}`, {exitCode: ExitCode.invalidInput});
		}
		let revisions: Revision[];
		try {
			revisions = revisionsFromLock(text);
		} catch (error) {
			throw new UserError(`the lock file ${path} is not valid JSON: ${(error as Error).message}`, {exitCode: ExitCode.invalidInput});
		}
		lockFile = {path, sha256: (await sha256File(path)).sha256, revisions};
	}
	const grubOptions = {
		timeout: options.timeout,
		consolePort: options.consolePort,
		kernelPath: STICK_KERNEL,
		rootserverPath: STICK_ROOTSERVER,
		rootserverName: ROOTSERVER_NAME,
	};
	const grubCfg = grubConfig(grubOptions);
	const provenance: Provenance = {
		createdBy: `sel4-llm ${options.version}`,
		createdAt: new Date().toISOString(),
		platform: 'x86_64',
		app: options.app,
		files: {
			kernel: {source: options.inputs.kernel, onStick: STICK_KERNEL, ...kernel},
			rootserver: {source: options.inputs.rootserver, onStick: STICK_ROOTSERVER, ...rootserver},
		},
		...(lockFile ? {lockFile} : {}),
		configuration: {
			consolePort: options.consolePort,
			timeout: options.timeout,
			entries: grubEntries(grubOptions).map((entry) => ({title: entry.title, protocol: entry.protocol, cmdline: entry.cmdline.join(' ')})),
			...(options.qemuCpu ? {qemuCpu: options.qemuCpu} : {}),
		},
		tools: {'grub-mkrescue': await toolVersion('grub-mkrescue'), xorriso: await toolVersion('xorriso')},
	};
	const stage = mkdtempSync(join(dirname(output), '.usb-image-'));
	try {
		mkdirSync(join(stage, 'boot', 'grub'), {recursive: true});
		mkdirSync(join(stage, 'boot', 'sel4'), {recursive: true});
		mkdirSync(join(stage, 'sel4-llm'), {recursive: true});
		copyFileSync(options.inputs.kernel, join(stage, STICK_KERNEL));
		copyFileSync(options.inputs.rootserver, join(stage, STICK_ROOTSERVER));
		writeFileSync(join(stage, 'boot', 'grub', 'grub.cfg'), grubCfg);
		writeFileSync(join(stage, 'sel4-llm', 'provenance.json'), `${JSON.stringify(provenance, null, 2)}\n`);
		writeFileSync(join(stage, STICK_CHECKLIST), PC_CHECKLIST);
		const partial = `${output}.partial`;
		// Everything after `--` goes to xorriso.
		const made = await exec(['grub-mkrescue', `--output=${partial}`, stage, '--', '-volid', 'SEL4LLM'], {tailLines: 8});
		if (!made.ok) {
			rmSync(partial, {force: true});
			if (made.startError?.missing) throw failureOf(made, 'build the USB stick image');
			throw new WorkError(`grub-mkrescue failed: ${made.tail.at(-1) ?? made.startError?.message ?? `exit code ${made.exitCode}`}`, {hint: made.tail.join('\n  ')});
		}
		const {renameSync} = await import('node:fs');
		renameSync(partial, output);
	} finally {
		rmSync(stage, {recursive: true, force: true});
	}
	writeFileSync(checklistBeside(output), PC_CHECKLIST);
	const image = await sha256File(output);
	const record: ImageRecord = {format: 1, image: {path: output, ...image}, provenance, bootTests: []};
	writeRecord(record);
	return {record, grubCfg};
}

export function writeRecord(record: ImageRecord): void {
	writeState(recordPath(record.image.path), record, recordSpec.what);
}
