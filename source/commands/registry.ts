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


const guestCommands: CommandSpec[] = [
	{
		name: 'model-disk',
		summary: 'Build an ext4 image holding GGUF models for the guest (no root, no mount)',
		usage: 'sel4-llm model-disk <model.gguf|dir>... -o <image> [--label NAME] [--margin-mb N] [--force]',
		description:
			'Checks every model (readable, GGUF magic and version), then writes a sparse ext4 image with `mke2fs -d`, sized to the models plus a margin and labelled SEL4LLM-MODELS, which the guest\'s init script looks for. A directory contributes every .gguf file under it. The image is for a virtio/AHCI disk (plain QEMU, or the x86 VMM with a passed-through SATA controller); in the seL4 VM on qemu-arm-virt the model is baked into the initramfs instead (sel4-llm rootfs --model).',
		options: {
			output: {type: 'string', short: 'o', valueName: 'FILE', description: 'Image file to write (never a device)'},
			label: {type: 'string', valueName: 'NAME', description: 'File system label (default SEL4LLM-MODELS, at most 16 characters)'},
			'margin-mb': {type: 'string', valueName: 'N', description: 'Free space to leave in MiB (default: 2% of the models plus 8 MiB)'},
			force: {type: 'boolean', description: 'Replace an existing image file'},
			mbr: {type: 'boolean', description: 'Put the file system in partition 1 of an MBR table (for a SATA disk the x86 VMM\'s Sataserver passes to the guest)'},
		},
		positionals: {min: 1, max: Infinity, name: 'model.gguf|dir'},
		examples: ['sel4-llm model-disk tinyllama.Q4_K_M.gguf -o models.img', 'sel4-llm model-disk ~/models --json -o models.img'],
		load: () => import('./model-disk.js'),
	},
	{
		name: 'rootfs',
		summary: 'Add our guest files (and optionally a model) to an initramfs without unpacking it',
		usage: 'sel4-llm rootfs --base <rootfs.cpio[.gz]> [--overlay DIR]... [--model FILE.gguf [--model-in initrd|disk]] -o <out> [--compress auto|gzip|none]',
		description:
			'Copies the base initramfs and appends one cpio (newc) archive with the overlay trees (modes kept, owned by root) and the model under /models. Linux unpacks the archives in order, so added files win. Refuses overlays that would replace files the guest needs (/init, /sbin/init, /bin/busybox, /etc/inittab, libraries ...), change a path\'s type or write through a symlink, and models that are not GGUF.',
		options: {
			base: {type: 'string', valueName: 'FILE', description: 'The initramfs to start from (raw or gzip cpio)'},
			overlay: {type: 'string', multiple: true, valueName: 'DIR', description: 'A directory laid over the guest root (repeatable)'},
			model: {type: 'string', valueName: 'FILE', description: 'A GGUF model to bake in as /models/<name> (an empty value means none)'},
			'model-in': {type: 'string', values: ['initrd', 'disk'], description: 'Where the model goes: initrd (default) bakes it in; disk only checks it and leaves it to the model disk'},
			output: {type: 'string', short: 'o', valueName: 'FILE', description: 'The initramfs to write'},
			compress: {type: 'string', values: ['auto', 'gzip', 'none'], description: 'Compression of the appended part (auto: like the base, none when a model is added)'},
		},
		positionals: {min: 0, max: 0, name: ''},
		examples: ['sel4-llm rootfs --base rootfs.cpio.gz --overlay overlays/rootfs --model model.gguf -o llm-rootfs.cpio.gz'],
		load: () => import('./rootfs.js'),
	},
	{
		name: 'app',
		summary: 'Generate (or only check) our CAmkES app llm_vm for a platform',
		usage: 'sel4-llm app --tree <sel4 dir> [--platform qemu-arm-virt|x86_64] [--guest-ram-mb N] [--kernel FILE] [--initrd FILE] [--cmdline-extra ARGS] [--headroom-mb N] [--sata [--sata-*]] [--check]',
		description:
			'Validates the guest RAM against the platform, the kernel and initramfs against the memory layout (on qemu-arm-virt the initrd is placed so the DTB the VMM generates cannot overwrite it), derives untyped pools and CNode size from the RAM, checks the kernel command line, then writes projects/vm-examples/apps/<Arm|x86>/llm_vm/ (CMakeLists.txt, settings, the .camkes assembly and, on Arm, the devices file). Build it with init-build.sh -DCAMKES_VM_APP=llm_vm.',
		options: {
			tree: {type: 'string', valueName: 'DIR', description: 'The synced seL4 tree (holds projects/vm-examples)'},
			platform: {type: 'string', values: ['qemu-arm-virt', 'x86_64'], description: 'Target platform (default qemu-arm-virt)'},
			'guest-ram-mb': {type: 'string', valueName: 'N', description: 'Guest RAM in MiB (default 512; qemu-arm-virt 128-1024, x86_64 128-3072)'},
			kernel: {type: 'string', valueName: 'FILE', description: 'Guest kernel (default: upstream\'s image for the platform in the tree)'},
			initrd: {type: 'string', valueName: 'FILE', description: 'Guest initramfs (default: upstream\'s rootfs in the tree)'},
			'cmdline-extra': {type: 'string', valueName: 'ARGS', description: 'Extra guest kernel arguments (printable ASCII, no quotes or backslashes)'},
			'headroom-mb': {type: 'string', valueName: 'N', description: 'Guest RAM to keep free beyond kernel, initrd and rootfs (default 128)'},
			check: {type: 'boolean', description: 'Validate and show the layout, write nothing'},
			sata: {type: 'boolean', description: 'x86_64: also serve a model disk (sel4-llm model-disk --mbr) through a passed-through AHCI controller (Sataserver, as upstream\'s virtio_blk_sample; not verified)'},
			'sata-pci-bdf': {type: 'string', valueName: '0xB:0xD.F', description: 'PCI address of the AHCI controller (default 0x0:0x1f.2, QEMU q35)'},
			'sata-ioports': {type: 'string', valueName: 'RANGES', description: 'Its I/O port ranges, 0xfirst:0xlast,... (default: virtio_blk_sample\'s)'},
			'sata-iospaces': {type: 'string', valueName: 'SPEC', description: 'IOMMU space 0xID:0xBUS:0xDEV:FN (default 0x12:0x0:0x1f:2)'},
			'sata-partition': {type: 'string', valueName: 'N', description: 'Partition of drive 0 given to the guest (default 1)'},
		},
		positionals: {min: 0, max: 0, name: ''},
		examples: [
			'sel4-llm app --tree ~/sel4-llm/sel4 --initrd llm-rootfs.cpio.gz --check',
			'sel4-llm app --tree ~/sel4-llm/sel4 --platform x86_64 --guest-ram-mb 1024 --initrd llm-rootfs.cpio',
			'sel4-llm app --tree ~/sel4-llm/sel4 --platform x86_64 --sata --sata-pci-bdf 0x0:0x17.0 --initrd llm-rootfs.cpio',
		],
		load: () => import('./app.js'),
	},
];

export const commands: CommandSpec[] = [...recipeCommands, ...guestCommands];

export function findCommand(name: string): CommandSpec | undefined {
	return commands.find((command) => command.name === name);
}
