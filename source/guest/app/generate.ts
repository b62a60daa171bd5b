// Renders our CAmkES app (llm_vm) from overlays/camkes/<platform>/ after validating every parameter.
import {existsSync} from 'node:fs';
import {mkdir, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {dirname, isAbsolute, join, relative, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {ExitCode, UserError} from '../../errors.js';
import {ourAppName, platformIds, platformRecord, type Platform} from '../../platforms.js';
import {armLayout, hex, MiB, x86Resources, type ArmLayout, type Sizes, type X86Resources} from './layout.js';

export const appName = ourAppName;

/** The package root (holds overlays/), the same from source/ and from dist/. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const templatesDir = join(packageRoot, 'overlays', 'camkes');

/** Upstream minimal_64's guest command line: serial console, no MSI (the VMM strips it), rootfs from the initrd. */
export const x86UpstreamCmdline =
	'earlyprintk=ttyS0,115200 console=ttyS0,115200 i8042.nokbd=y i8042.nomux=y i8042.noaux=y io_delay=udelay noisapnp pci=nomsi debug root=/dev/mem';

/** Names in the file server: upstream's for each VMM. */
export const fileNames: Record<Platform, {kernel: string; initrd: string}> = {
	x86_64: {kernel: 'bzimage', initrd: 'rootfs.cpio'},
	'qemu-arm-virt': {kernel: 'linux', initrd: 'linux-initrd'},
};

/** Where the app goes in a synced camkes-vm-examples tree (its directory name is the platform's CAMKES_VM_APP). */
export function appDir(tree: string, platform: Platform): string {
	const record = platformRecord(platform);
	return join(tree, 'projects', 'vm-examples', 'apps', record.appsFolder, record.ourApp);
}

/**
 * The x86 model disk: a SATA controller passed through to the Sataserver component, which serves one partition of
 * drive `drive` to the guest as virtio-blk (upstream's virtio_blk_sample). The defaults are that sample's values for
 * QEMU q35's AHCI controller at 00:1f.2; real hardware needs its own.
 */
export type SataOptions = {
	pciBdf: string;
	ioports: string;
	iospaces: string;
	iospaceId: number;
	drive: number;
	partition: number;
};

export const sataDefaults: SataOptions = {
	pciBdf: '0x0:0x1f.2',
	ioports: '0xf090:0xf097,0xf080:0xf083,0xf070:0xf077,0xf060:0xf063,0xf020:0xf03f',
	iospaces: '0x12:0x0:0x1f:2',
	iospaceId: 0x12,
	drive: 0,
	partition: 1,
};

export function checkSata(sata: SataOptions): void {
	const problems: string[] = [];
	if (!/^0x[0-9a-f]{1,2}:0x[0-9a-f]{1,2}\.[0-7]$/i.test(sata.pciBdf)) problems.push(`PCI address "${sata.pciBdf}" is not of the form 0x<bus>:0x<device>.<function> (e.g. 0x0:0x1f.2)`);
	if (!/^0x[0-9a-f]{1,4}:0x[0-9a-f]{1,4}(,0x[0-9a-f]{1,4}:0x[0-9a-f]{1,4})*$/i.test(sata.ioports)) problems.push(`I/O ports "${sata.ioports}" are not a list of 0x<first>:0x<last> ranges`);
	if (!/^0x[0-9a-f]{1,2}:0x[0-9a-f]{1,2}:0x[0-9a-f]{1,2}:[0-7]$/i.test(sata.iospaces)) problems.push(`IOMMU space "${sata.iospaces}" is not of the form 0x<id>:0x<bus>:0x<device>:<function>`);
	if (!Number.isInteger(sata.iospaceId) || sata.iospaceId < 1 || sata.iospaceId > 0xff) problems.push(`iospace id ${sata.iospaceId} is not 1-255`);
	if (!Number.isInteger(sata.drive) || sata.drive < 0 || sata.drive > 31) problems.push(`drive ${sata.drive} is not 0-31`);
	if (!Number.isInteger(sata.partition) || sata.partition < 1 || sata.partition > 4) problems.push(`partition ${sata.partition} is not 1-4 (an MBR primary partition)`);
	if (problems.length > 0) {
		throw new UserError(`the SATA passthrough settings are not usable:\n  ${problems.join('\n  ')}`, {
			exitCode: ExitCode.invalidInput,
			hint: 'Read them from the target PC (lspci -nn for the AHCI controller, /proc/ioports for its ports), or leave them out for QEMU q35.',
		});
	}
}

export type AppOptions = {
	platform: Platform;
	guestRamMb: number;
	/** Absolute paths the app's CMakeLists.txt hands to the file server. */
	kernelFile: string;
	initrdFile: string;
	sizes: Sizes;
	/** Extra guest kernel arguments, appended to the platform's command line. */
	cmdlineExtra?: string;
	/** Shown in the generated files' headers. */
	generator?: string;
	/** x86_64 only: also serve the model disk through a passed-through SATA controller. */
	sata?: SataOptions;
};

export type GeneratedApp = {
	platform: Platform;
	/** Relative path -> contents. */
	files: Map<string, string>;
	cmdline: string;
	arm?: ArmLayout;
	x86?: X86Resources;
	notes: string[];
};

const maxCmdline = 2047;

/** The guest kernel command line, checked so it survives the C preprocessor and the .camkes string. */
export function guestCmdline(platform: Platform, extra = ''): string {
	const bad = [...extra].filter((char) => char === '"' || char === '\\' || char < ' ' || char > '~');
	if (bad.length > 0) {
		const shown = [...new Set(bad)].map((char) => (char >= ' ' && char <= '~' ? char : `U+${char.codePointAt(0)?.toString(16).padStart(4, '0')}`));
		throw new UserError(`the kernel command line contains characters that would break the .camkes string: ${shown.join(' ')}`, {
			exitCode: ExitCode.invalidInput,
			hint: 'Use printable ASCII without double quotes or backslashes (Linux needs neither: write key=value pairs separated by spaces).',
		});
	}
	const trimmed = extra.trim().replace(/ +/g, ' ');
	if (trimmed.includes('/*') || trimmed.includes('*/') || trimmed.includes('//')) {
		throw new UserError('the kernel command line contains "/*", "*/" or "//", which the C preprocessor of the .camkes file would treat as a comment', {
			exitCode: ExitCode.invalidInput,
			hint: 'Remove them; kernel arguments do not need them.',
		});
	}
	if (platform === 'x86_64') {
		const overridden = trimmed.split(' ').filter((word) => /^(root|console|earlyprintk|pci)=/.test(word));
		if (overridden.length > 0) {
			throw new UserError(`the x86 guest's command line already sets ${overridden.map((word) => word.split('=')[0]).join(', ')} the way the VMM needs (${x86UpstreamCmdline})`, {
				exitCode: ExitCode.invalidInput,
				hint: 'Drop these arguments: the rootfs is the initramfs (root=/dev/mem), the console is ttyS0 and MSI must stay off (pci=nomsi).',
			});
		}
	}
	const full = [platform === 'x86_64' ? x86UpstreamCmdline : '', trimmed].filter((part) => part !== '').join(' ');
	if (full.length > maxCmdline) {
		throw new UserError(`the kernel command line is ${full.length} characters; Linux takes at most ${maxCmdline}`, {
			exitCode: ExitCode.invalidInput,
			hint: 'Shorten the extra arguments.',
		});
	}
	return full;
}

function checkCmakePath(path: string, what: string): void {
	if (!isAbsolute(path) || /["$\\;\n\r]/.test(path)) {
		throw new UserError(`the ${what} path "${path}" cannot be written into CMakeLists.txt`, {
			exitCode: ExitCode.invalidInput,
			hint: 'Use an absolute path without double quotes, "$", ";" or backslashes.',
		});
	}
}

async function templateFiles(dir: string, prefix = ''): Promise<string[]> {
	const out: string[] = [];
	for (const entry of await readdir(join(dir, prefix), {withFileTypes: true})) {
		const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
		if (entry.isDirectory()) out.push(...(await templateFiles(dir, rel)));
		else if (entry.name.endsWith('.in')) out.push(rel);
	}
	return out.sort();
}

export function render(template: string, values: Record<string, string>, name: string): string {
	return template.replace(/\{\{([a-z0-9_]+)\}\}/g, (_whole, key: string) => {
		const value = values[key];
		if (value === undefined) throw new Error(`template ${name}: no value for {{${key}}}`);
		return value;
	});
}

const mb = (bytes: number): string => `${Math.ceil(bytes / MiB)}`;

export async function generateApp(options: AppOptions): Promise<GeneratedApp> {
	if (!platformIds.includes(options.platform)) {
		throw new UserError(`platform "${String(options.platform)}" is not supported`, {hint: `Choose one of: ${platformIds.join(', ')}.`});
	}
	checkCmakePath(options.kernelFile, 'kernel');
	checkCmakePath(options.initrdFile, 'initrd');
	const cmdline = guestCmdline(options.platform, options.cmdlineExtra);
	const names = fileNames[options.platform];
	const notes: string[] = [];
	const values: Record<string, string> = {
		generator: options.generator ?? 'sel4-llm app',
		guest_ram_mb: String(options.guestRamMb),
		kernel_file: options.kernelFile,
		initrd_file: options.initrdFile,
		kernel_name: names.kernel,
		initrd_name: names.initrd,
		kernel_cmdline: cmdline,
		initrd_mb: mb(options.sizes.initrdBytes),
	};
	let arm: ArmLayout | undefined;
	let x86: X86Resources | undefined;
	const skip = new Set<string>();
	if (options.platform === 'qemu-arm-virt') {
		if (options.sata) {
			throw new UserError('a model disk over SATA exists only for x86_64', {
				exitCode: ExitCode.invalidInput,
				hint: 'On qemu-arm-virt the model is baked into the initramfs (the default).',
			});
		}
		arm = armLayout(options.guestRamMb, options.sizes);
		const resized = arm.ramSize !== 512 * MiB;
		Object.assign(values, {
			ram_base: hex(arm.ramBase),
			ram_size: hex(arm.ramSize),
			entry_addr: hex(arm.entryAddr),
			initrd_addr: hex(arm.initrdAddr),
			dtb_addr: hex(arm.dtbAddr),
			num_vcpus: '1',
			cnode_size_bits: String(arm.cnodeSizeBits),
			pool_count: String(arm.untyped24Pool),
			qemu_memory_mb: String(arm.qemuMemoryMb),
			ram_untyped_mmios: arm.ramUntypeds.map((entry, index) => `            "${entry}",${index === 0 ? ' // guest RAM, mapped one to one' : ''}`).join('\n'),
			layout_kernel: `kernel  ${hex(arm.ramBase)}-${hex(arm.kernelEnd)}  entry ${hex(arm.entryAddr)}`,
			layout_initrd: `initrd  ${hex(arm.initrdAddr)}-${hex(arm.initrdEnd)}  ${mb(options.sizes.initrdBytes)} MiB${arm.upstreamSlots ? ' (vm_minimal\'s slot)' : ''}`,
			layout_dtb: `dtb     ${hex(arm.dtbAddr)}-${hex(arm.dtbAddr + arm.dtbBytes)}  generated by the VMM`,
			layout_free: `ram end ${hex(arm.ramBase + arm.ramSize)}`,
			kernel_dts_overlay: resized
				? '# The guest RAM differs from the 512 MiB the seL4 kernel keeps free for a guest by default: resize that\n# reservation with a device tree overlay appended after the platform\'s own.\nset(KernelCustomDTSOverlay "${CMAKE_CURRENT_LIST_DIR}/qemu-arm-virt/reserve-guest-ram.dts" CACHE STRING "" FORCE)'
				: '# The guest RAM is the 512 MiB the seL4 kernel keeps free for a guest by default: no overlay needed.',
		});
		if (!resized) skip.add('qemu-arm-virt/reserve-guest-ram.dts.in');
		else notes.push(`guest RAM ${options.guestRamMb} MiB on qemu-arm-virt: VM_RAM_SIZE, untyped_mmios and the kernel's reserved memory are resized together (verified by booting with 512 and 1024 MiB)`);
		if (!arm.upstreamSlots) notes.push(`initrd placed at ${hex(arm.initrdAddr)} (vm_minimal's slot at 0x4D700000 holds only 25 MB before the DTB)`);
	} else {
		x86 = x86Resources(options.guestRamMb, options.sizes);
		const sata = options.sata;
		if (sata) {
			checkSata(sata);
			notes.push('model disk over a passed-through SATA controller (Sataserver, as in virtio_blk_sample): generated, not verified');
		}
		Object.assign(values, {
			sata_include: sata ? '#include <configurations/sata.h>\n' : '',
			sata_init: sata ? '    VM_INIT_SATA()\n' : '',
			sata_composition: sata ? '        SATA_COMPOSITION_DEF()\n        VM_SATA_CONNECTIONS(0)\n' : '',
			sata_config: sata
				? [
						'',
						'        /* The model disk: partition ' + sata.partition + ' of drive ' + sata.drive + ' behind the AHCI controller at ' + sata.pciBdf + ', as virtio-blk. */',
						'        VM_SATA_CONFIG()',
						`        sataserver.ioports = "${sata.ioports}";`,
						`        sataserver.iospaces = "${sata.iospaces}";`,
						`        sataserver.pci_bdfs = "${sata.pciBdf}";`,
						`        sataserver.iospace_id = 0x${sata.iospaceId.toString(16)};`,
						'        sataserver.num_bdfs = 1;',
						`        sataserver.drive = ${sata.drive};`,
						'        vm0.sataserver_iface_attributes = "0";',
						`        vm0.sataserver_iface_partitions = [${sata.partition}];`,
						'        vm0.dma_pool = 0x20000;',
						'        vm0.pci_devices_iospace = 1;',
						'        vm0.init_cons = [',
						'            {"init":"make_virtio_blk"},',
						'        ];',
						'',
					].join('\n')
				: '',
			sata_settings: sata
				? '\n# The Sataserver drives the passed-through controller in AHCI mode; the AHCI registers\' address comes from\n# the Sataserver\'s hardware header for this machine (upstream ships "optiplex", used by virtio_blk_sample on QEMU).\nset(SataserverUseAHCI ON CACHE STRING "")\nset(CAmkESVMDestHardware "optiplex" CACHE STRING "" FORCE)\n'
				: '',
			pool_bits: String(x86.poolBits),
			pool_count: String(x86.poolCount),
			pool_mb: String(x86.poolMb),
			cnode_size_bits: String(x86.cnodeSizeBits),
			heap_size: `0x${x86.heapSize.toString(16)}`,
		});
		if (options.guestRamMb > 1900) notes.push(`guest RAM ${options.guestRamMb} MiB: upstream's largest x86 example uses 1900 MiB; larger guests are not verified`);
	}
	const dir = join(templatesDir, options.platform);
	const files = new Map<string, string>();
	for (const name of await templateFiles(dir)) {
		if (skip.has(name)) continue;
		const text = await readFile(join(dir, name), 'utf8');
		files.set(name.slice(0, -'.in'.length), render(text, values, name));
	}
	return {platform: options.platform, files, cmdline, ...(arm ? {arm} : {}), ...(x86 ? {x86} : {}), notes};
}

const marker = 'Generated by sel4-llm';

/** Writes the app into the tree, replacing an earlier generated one; refuses to replace anything else. */
export async function writeApp(tree: string, app: GeneratedApp): Promise<string> {
	const dir = appDir(tree, app.platform);
	const examples = join(tree, 'projects', 'vm-examples');
	if (!existsSync(join(examples, 'settings.cmake'))) {
		throw new UserError(`${examples} is not a camkes-vm-examples checkout (no settings.cmake)`, {
			exitCode: ExitCode.refused,
			hint: 'Sync the sources first: sel4-llm run sources',
		});
	}
	if (existsSync(dir)) {
		const cmake = await readFile(join(dir, 'CMakeLists.txt'), 'utf8').catch(() => '');
		if (!cmake.includes(marker)) {
			throw new UserError(`${relative(process.cwd(), dir) || dir} exists and was not generated by sel4-llm`, {
				exitCode: ExitCode.refused,
				hint: 'Move it away; sel4-llm only replaces an app it generated.',
			});
		}
		await rm(dir, {recursive: true});
	}
	for (const [name, text] of app.files) {
		const path = join(dir, name);
		await mkdir(dirname(path), {recursive: true});
		await writeFile(path, text);
	}
	return dir;
}
