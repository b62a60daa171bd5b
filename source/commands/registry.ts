// Every command: its help text and options, and a loader for its module. Loading is lazy so that
// `--help` and `--version` never import Ink, React, zod or YAML.
import type {CommandContext} from './context.js';

export type OptionSpec = {
	type: 'string' | 'boolean';
	multiple?: boolean;
	short?: string;
	description: string;
	/** Allowed values for a string option; anything else is a usage error naming them. */
	values?: readonly string[];
	valueName?: string;
	default?: string | boolean;
};

export type CommandModule = {run(context: CommandContext): Promise<number>};

export type CommandSpec = {
	name: string;
	summary: string;
	usage: string;
	description?: string;
	options: Record<string, OptionSpec>;
	examples?: string[];
	/** Positional arguments: how many at least / at most (Infinity for any). */
	positionals?: {min: number; max: number; name: string};
	/** Commands that accept the recipe options (--workspace, --set, --recipes). */
	usesRecipes?: boolean;
	load(): Promise<CommandModule>;
};

export const globalOptions: Record<string, OptionSpec> = {
	workspace: {
		type: 'string',
		valueName: 'DIR',
		description: 'Workspace directory for sources, builds, logs and the journal (default: ~/sel4-llm, or $SEL4LLM_WORKSPACE)',
	},
	set: {type: 'string', multiple: true, valueName: 'NAME=VALUE', description: 'Set a recipe variable (repeatable)'},
	json: {type: 'boolean', description: 'Machine-readable output on stdout (NDJSON events or one JSON document)'},
	plain: {type: 'boolean', description: 'Plain line output even on a terminal'},
	recipes: {type: 'string', valueName: 'DIR', description: 'Read recipes from DIR instead of the built-in ones'},
	help: {type: 'boolean', short: 'h', description: 'Show help'},
};

const recipeCommands: CommandSpec[] = [
	{
		name: 'recipes',
		summary: 'List the recipes, their steps and variables',
		usage: 'sel4-llm recipes [--json]',
		options: {},
		usesRecipes: true,
		positionals: {min: 0, max: 0, name: ''},
		load: () => import('./recipes.js'),
	},
	{
		name: 'plan',
		summary: 'Dry run: every step in order, run or skip and why, the exact commands',
		usage: 'sel4-llm plan [step|recipe...] [--force] [--set name=value]',
		description:
			'Shows what `run` would do without changing anything: each step with run/skip and the reason, the commands with variables expanded, and the capabilities it needs (network, sudo, long, device-write). Status checks of steps are run (they only read).',
		options: {force: {type: 'boolean', description: 'Plan as if every selected step had to run again'}},
		usesRecipes: true,
		positionals: {min: 0, max: Infinity, name: 'step|recipe'},
		examples: ['sel4-llm plan', 'sel4-llm plan build --set platform=x86_64'],
		load: () => import('./plan.js'),
	},
	{
		name: 'run',
		summary: 'Run steps or whole recipes (with the steps they need), skipping what is up to date',
		usage: 'sel4-llm run <step|recipe>... [--force] [--set name=value]',
		options: {
			force: {type: 'boolean', description: 'Run the named steps again even if they are up to date'},
			yes: {type: 'boolean', short: 'y', description: 'Do not ask; accept the plan (needed without a terminal for sudo steps)'},
		},
		usesRecipes: true,
		positionals: {min: 1, max: Infinity, name: 'step|recipe'},
		examples: ['sel4-llm run sources', 'sel4-llm run build --force'],
		load: () => import('./run.js'),
	},
	{
		name: 'status',
		summary: 'The journal: done, stale or pending for every step',
		usage: 'sel4-llm status [--json]',
		options: {},
		usesRecipes: true,
		positionals: {min: 0, max: 0, name: ''},
		load: () => import('./status.js'),
	},
];

const flashCommands: CommandSpec[] = [
	{
		name: 'usb-image',
		summary: 'Build a bootable USB stick image for a PC (x86_64) from the build, and boot-test it in QEMU',
		usage: 'sel4-llm usb-image [--kernel FILE --rootserver FILE | --build-dir DIR] [--output FILE] [--lock FILE]',
		description:
			'Packs the seL4 kernel (images/kernel-x86_64-pc99) and the root-server image (images/capdl-loader-image-x86_64-pc99, loaded as a multiboot module) into a GRUB image for BIOS and UEFI made with grub-mkrescue (no root needed). GRUB talks over the serial port (115200 8N1). Entries: multiboot2 (default, needed for UEFI), multiboot2 with disable_iommu, multiboot2 with the console on the other COM port, and multiboot fallbacks. The stick carries /sel4-llm/provenance.json (sha256 of both files, synced revisions from --lock, the configuration) and /sel4-llm/PC-CHECKLIST.txt; the same record is written next to the image as IMAGE.json. The image is then booted in QEMU as a USB stick (xHCI + usb-storage) under BIOS and, when OVMF is installed, UEFI: GRUB must show its menu and the kernel must print on the serial console. Without --kernel/--rootserver the files come from <workspace>/build-x86_64-<app>/images/ (or --build-dir DIR).',
		options: {
			kernel: {type: 'string', valueName: 'FILE', description: 'The seL4 kernel (images/kernel-x86_64-pc99)'},
			rootserver: {type: 'string', valueName: 'FILE', description: 'The root-server image (images/capdl-loader-image-x86_64-pc99)'},
			'build-dir': {type: 'string', valueName: 'DIR', description: 'Build directory holding images/ (default: <workspace>/build-x86_64-<app>)'},
			app: {type: 'string', valueName: 'NAME', description: 'CAmkES app the build is for (default: llm_vm); names the build directory and the image'},
			output: {type: 'string', valueName: 'FILE', description: 'Image file to write (default: <workspace>/usb/sel4-llm-x86_64-<app>.img)'},
			lock: {type: 'string', valueName: 'FILE', description: 'Lock file of the synced sources; its revisions go into the provenance record'},
			'console-port': {type: 'string', valueName: 'PORT', description: 'Serial I/O port seL4 prints to, in hex (default: 0x3f8, COM1)'},
			timeout: {type: 'string', valueName: 'SECONDS', description: 'Seconds GRUB waits before booting the first entry (default: 5)'},
			'boot-test': {
				type: 'string',
				valueName: 'FIRMWARE',
				values: ['bios', 'uefi', 'both', 'none'],
				description: 'Boot test in QEMU before the image is offered for flashing (default: both when OVMF is installed, else bios)',
			},
			'boot-timeout': {type: 'string', valueName: 'SECONDS', description: 'How long each boot test may take to reach the kernel (default: 120; a large root server loads slowly under emulation)'},
		},
		positionals: {min: 0, max: 0, name: ''},
		examples: [
			'sel4-llm usb-image --app minimal_64',
			'sel4-llm usb-image --build-dir ~/sel4-llm/build-x86_64-llm_vm --lock ~/sel4-llm/manifest.lock',
			'sel4-llm usb-image --kernel images/kernel-x86_64-pc99 --rootserver images/capdl-loader-image-x86_64-pc99 --output stick.img',
		],
		load: () => import('./usb-image.js'),
	},
	{
		name: 'flash',
		summary: 'Write a USB image to a stick safely, fast and verified (or list the disks and why each is offered or not)',
		usage: 'sel4-llm flash IMAGE [--device PATH] [--yes] | sel4-llm flash --list [--json] [--lsblk-json FILE]',
		description:
			'Lists disks with lsblk and offers only removable ones (USB, SD); never the disk holding /, /boot, swap, the workspace or the image, read-only disks, disks without medium or smaller than the image. Disks over 128 GB are flagged. Mounted partitions are named and unmounted only with consent (a question, or --unmount). On a terminal you pick the disk and confirm by typing its path; without a terminal --device and --yes are required. Right before the first write the disk is opened exclusively and its identity (path, size, model, serial, device number) read again: it must match what was confirmed. Writes are large and aligned, synced at the end, with progress (bytes, speed, ETA) per phase: write, sync, verify. Verification reads the disk back after dropping its cached pages (BLKFLSBUF for block devices, fadvise DONTNEED for files) and compares sha256 per 4 MiB block, naming the offset of the first difference. A regular file works as a target too (--device FILE). Writing to a disk needs root: without it, the exact sudo command is printed.',
		options: {
			device: {type: 'string', valueName: 'PATH', description: 'The disk to write (e.g. /dev/sdb), or a regular file'},
			yes: {type: 'boolean', short: 'y', description: 'Do not ask (needs --device); the checks still run'},
			list: {type: 'boolean', description: 'List every disk with its verdict (offered or not, and why); writes nothing'},
			'lsblk-json': {type: 'string', valueName: 'FILE', description: 'Read a recorded `lsblk -J -O -b` document instead of running lsblk; nothing is ever written'},
			'allow-non-removable': {type: 'boolean', description: 'DANGEROUS: also offer internal (non-removable) disks and loop devices'},
			unmount: {type: 'boolean', description: 'Unmount the target\'s mounted partitions without asking'},
			'no-verify': {type: 'boolean', description: 'Skip the read-back verification'},
			'verify-only': {type: 'boolean', description: 'Do not write: read the device back and compare it with IMAGE'},
			sparse: {
				type: 'boolean',
				description: 'Skip writing all-zero blocks of the image (faster for sparse images). Automatic for a new file target; for a disk only with this flag, since its old contents stay in the skipped blocks',
			},
			'ignore-boot-test': {type: 'boolean', description: 'Flash even though the image failed its QEMU boot test'},
			'test-boot': {type: 'boolean', description: 'After verifying, boot the written stick read-only in QEMU (BIOS) and watch for GRUB and the kernel'},
		},
		positionals: {min: 0, max: 1, name: 'IMAGE'},
		examples: [
			'sel4-llm flash --list',
			'sel4-llm flash ~/sel4-llm/usb/sel4-llm-x86_64-llm_vm.img',
			'sudo sel4-llm flash stick.img --device /dev/sdb --yes',
			'sel4-llm flash --list --json --lsblk-json lsblk.json',
		],
		load: () => import('./flash.js'),
	},
];

export const commands: CommandSpec[] = [...recipeCommands, ...flashCommands];

export function findCommand(name: string): CommandSpec | undefined {
	return commands.find((command) => command.name === name);
}
