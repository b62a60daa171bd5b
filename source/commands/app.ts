// `sel4-llm app`: validate and generate our CAmkES app llm_vm.
import {ExitCode, UserError} from '../errors.js';
import {appDir, prepareApp, sataDefaults, writeApp} from '../guest/app/index.js';
import {hex} from '../guest/app/layout.js';
import type {Platform} from '../platforms.js';
import {formatCommand} from '../system/quote.js';
import {buildDirName, initBuildCommand} from '../sync/build-commands.js';
import type {CommandContext} from './context.js';
import {numberOption} from './options.js';


export async function run(context: CommandContext): Promise<number> {
	const tree = context.options.tree;
	if (typeof tree !== 'string') {
		throw new UserError('app needs --tree DIR, the synced seL4 tree', {hint: 'The directory that holds projects/vm-examples, e.g. --tree ~/sel4-llm (the workspace)'});
	}
	const platform = (typeof context.options.platform === 'string' ? context.options.platform : 'qemu-arm-virt') as Platform;
	const string = (name: string): string | undefined => (typeof context.options[name] === 'string' ? (context.options[name] as string) : undefined);
	const kernel = string('kernel');
	const initrd = string('initrd');
	const cmdlineExtra = string('cmdline-extra');
	const sata = context.options.sata
		? {
				...sataDefaults,
				...(string('sata-pci-bdf') ? {pciBdf: string('sata-pci-bdf') as string} : {}),
				...(string('sata-ioports') ? {ioports: string('sata-ioports') as string} : {}),
				...(string('sata-iospaces') ? {iospaces: string('sata-iospaces') as string} : {}),
				partition: numberOption(context, 'sata-partition')!,
			}
		: undefined;
	if (!sata && ['sata-pci-bdf', 'sata-ioports', 'sata-iospaces', 'sata-partition'].some((name) => context.options[name] !== undefined)) {
		throw new UserError('the --sata-* options need --sata', {exitCode: ExitCode.usage, hint: 'Add --sata to serve the model disk through a passed-through SATA controller (x86_64).'});
	}
	const app = await prepareApp({
		...(sata ? {sata} : {}),
		tree,
		platform,
		guestRamMb: numberOption(context, 'guest-ram-mb')!,
		...(kernel ? {kernel} : {}),
		...(initrd ? {initrd} : {}),
		...(cmdlineExtra !== undefined ? {cmdlineExtra} : {}),
		headroomMb: numberOption(context, 'headroom-mb')!,
	});
	const check = Boolean(context.options.check);
	const dir = check ? appDir(tree, platform) : await writeApp(tree, app);
	if (context.mode === 'json') {
		context.events.result({dir, written: !check, platform, cmdline: app.cmdline, files: [...app.files.keys()], arm: app.arm, x86: app.x86, notes: app.notes});
		return 0;
	}
	const out = context.io.stderr;
	out.write(`app llm_vm for ${platform}: ${check ? 'checked, nothing written' : `written to ${dir}`}\n`);
	if (app.arm) {
		out.write(`  guest RAM ${hex(app.arm.ramBase)} + ${hex(app.arm.ramSize)}, initrd at ${hex(app.arm.initrdAddr)}, DTB at ${hex(app.arm.dtbAddr)}, QEMU -m ${app.arm.qemuMemoryMb}\n`);
	}
	if (app.x86) out.write(`  untyped pool ${app.x86.poolCount} x 2^${app.x86.poolBits} (${app.x86.poolMb} MiB), cnode_size_bits ${app.x86.cnodeSizeBits}\n`);
	for (const note of app.notes) out.write(`  note: ${note}\n`);
	if (!check) {
		const choice = {platform, app: 'llm_vm', target: 'qemu'};
		out.write(`  next: mkdir -p ${buildDirName(platform, 'llm_vm')} && cd ${buildDirName(platform, 'llm_vm')} && ${formatCommand(initBuildCommand(choice))} && ninja\n`);
	}
	context.io.stdout.write(`${dir}\n`);
	return 0;
}
