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


const sourceCommands: CommandSpec[] = [
	{
		name: 'sync',
		summary: 'Fetch the seL4 CAmkES-VM sources of a manifest with git, in parallel, and lock their revisions',
		usage: 'sel4-llm sync [--manifest-url URL] [--manifest default.xml|master.xml] [--jobs N] [--lock FILE] [--full]\n       sel4-llm sync --check-build [--platform P] [--app APP] [--target T]',
		description:
			'Reads a repo manifest (the subset seL4 uses: remotes with relative fetch URLs, default revision and remote, projects with revision/upstream, linkfile, copyfile, include) and lays the projects out in the workspace as `repo sync` does: git data in .repo/projects/<path>.git, each checkout\'s .git a file pointing there, detached at the exact revision; linkfiles become symlinks, copyfiles copies. Projects are fetched in parallel, shallow when the server lets a commit be fetched by id (else a full fetch), with retries. A project already at its pinned revision is not fetched again, so an unchanged re-sync only fetches the manifest. A failing project does not stop the others. The exact revisions go into <workspace>/sel4-llm.lock.json (deterministic, to commit or share); `--lock FILE` reproduces one. Exit 0 when every project synced, 1 when any failed, 4 for a refused (deprecated) manifest.\n\nWith --check-build: print the init-build.sh command upstream documents for the platform, app and target, or refuse (exit 4) an app the platform does not support, naming the valid ones.',
		options: {
			'manifest-url': {type: 'string', valueName: 'URL', description: 'Manifest repository: a URL, a mirror, or a local path / file:// URL (default https://github.com/seL4/camkes-vm-examples-manifest.git)'},
			manifest: {type: 'string', valueName: 'FILE', values: ['default.xml', 'master.xml'], default: 'default.xml', description: 'default.xml: pinned, CI-tested revisions; master.xml: branch tips'},
			'manifest-branch': {type: 'string', valueName: 'BRANCH', description: 'Branch of the manifest repository (default: its default branch)'},
			jobs: {type: 'string', short: 'j', valueName: 'N', default: '4', description: 'Projects fetched at the same time (1-256)'},
			retries: {type: 'string', valueName: 'N', default: '2', description: 'Retries of a failed fetch, with a growing pause (0-10)'},
			lock: {type: 'string', valueName: 'FILE', description: 'Reproduce exactly the projects and revisions of a lock file written by sync (no manifest needed)'},
			full: {type: 'boolean', description: 'Fetch full history instead of a shallow fetch of the revision'},
			'check-build': {type: 'boolean', description: 'Only print the init-build.sh command for --platform/--app/--target, or refuse an invalid pair'},
			platform: {type: 'string', valueName: 'P', values: ['qemu-arm-virt', 'x86_64'], description: 'With --check-build: qemu-arm-virt (default) or x86_64'},
			app: {type: 'string', valueName: 'APP', description: 'With --check-build: CAmkES VM app (default llm_vm)'},
			target: {type: 'string', valueName: 'T', values: ['qemu', 'usb'], description: 'With --check-build: qemu (default) or usb (x86_64 only; no -DSIMULATION)'},
		},
		positionals: {min: 0, max: 0, name: ''},
		examples: [
			'sel4-llm sync',
			'sel4-llm sync --manifest master.xml --jobs 8',
			'sel4-llm sync --manifest-url file:///srv/mirror/seL4/camkes-vm-examples-manifest.git',
			'sel4-llm sync --lock ~/shared/sel4-llm.lock.json',
			'sel4-llm sync --check-build --platform x86_64 --app minimal_64 --target usb',
		],
		load: () => import('./sync.js'),
	},
];

const setupCommand: CommandSpec = {
	name: 'setup',
	summary: 'The guided first-time setup: check the host, choose, review the plan, build, boot',
	usage: 'sel4-llm setup [--yes] [--platform P] [--model FILE] [--guest-ram MIB] [--target qemu|usb] [--workspace DIR]',
	description:
		'On a terminal it asks a few questions (each with a default that works without KVM), shows the plan, then runs every step with a live log; on a failure it shows the known cause and can apply the fix and retry. Run it again to resume. Without a terminal, pass --yes and give the choices as flags.',
	options: {
		yes: {type: 'boolean', short: 'y', description: 'Do not ask: use the flags, saved choices and defaults, and run the plan'},
		platform: {type: 'string', values: ['qemu-arm-virt', 'x86_64'], valueName: 'P', description: 'seL4 platform'},
		model: {type: 'string', valueName: 'FILE', description: 'GGUF model for the guest ("" for the built-in demo model)'},
		'guest-ram': {type: 'string', valueName: 'MIB', description: 'Guest RAM in MiB'},
		target: {type: 'string', values: ['qemu', 'usb'], valueName: 'T', description: 'Boot in QEMU, or build a USB stick for a PC'},
	},
	usesRecipes: true,
	positionals: {min: 0, max: 0, name: ''},
	examples: ['sel4-llm setup', 'sel4-llm setup --yes --platform qemu-arm-virt --workspace ~/sel4-llm', 'sel4-llm setup --yes --platform x86_64 --target usb'],
	load: () => import('./setup.js'),
};

const doctorCommand: CommandSpec = {
	name: 'doctor',
	summary: 'Check this host: virtualization, packages, Python, tools; a verdict per platform; fixes',
	usage: 'sel4-llm doctor [--platform qemu-arm-virt|x86_64|all] [--target qemu|usb|any] [--json] [--facts FILE] [--fix [--yes]]',
	description: [
		'Gathers facts about this host once (CPU, /dev/kvm, nested KVM, VM/container/WSL, RAM, disk, OS, apt packages, python3 and its modules, repo, stack, cmake, ninja, dtc, QEMU, cross compiler, git), in parallel with a timeout per command, then checks them for the chosen platforms.',
		'For each platform it says whether this host can build it, run it in QEMU (x86_64 needs Intel VT-x + KVM + nested virtualization; qemu-arm-virt runs under emulation anywhere) and prepare a USB stick, and recommends one.',
		'Exit codes: 0 when no required check fails (warnings allowed), 1 when one does, 2 for a usage error, 3 for an unreadable --facts file.',
		'Required checks: everything needed to build each chosen platform; running qemu-arm-virt in QEMU; for x86_64, the KVM checks only with --target qemu and the USB tools only with --target usb.',
	].join('\n'),
	options: {
		platform: {type: 'string', values: ['qemu-arm-virt', 'x86_64', 'all'], valueName: 'PLATFORM', description: 'Platform(s) to check for (default: all, with a verdict each)'},
		target: {type: 'string', values: ['qemu', 'usb', 'any'], valueName: 'TARGET', description: 'Where it should boot; makes the KVM (qemu) or USB tool (usb) checks required (default: any)'},
		facts: {type: 'string', valueName: 'FILE', description: 'Evaluate a recorded facts document (the output of doctor --json) instead of this host'},
		fix: {type: 'boolean', description: 'Show the commands that fix failed checks, ask once, run them, then check again'},
		yes: {type: 'boolean', short: 'y', description: 'With --fix: do not ask (needed without a terminal)'},
		timeout: {type: 'string', valueName: 'SECONDS', description: 'Time limit for each command doctor runs (default: 5)'},
	},
	positionals: {min: 0, max: 0, name: ''},
	examples: [
		'sel4-llm doctor',
		'sel4-llm doctor --platform x86_64 --target qemu',
		'sel4-llm doctor --json > facts.json && sel4-llm doctor --facts facts.json',
		'sel4-llm doctor --fix --yes --platform qemu-arm-virt',
	],
	load: () => import('./doctor.js'),
};

export const commands: CommandSpec[] = [setupCommand, doctorCommand, ...recipeCommands, ...sourceCommands];

export function findCommand(name: string): CommandSpec | undefined {
	return commands.find((command) => command.name === name);
}
