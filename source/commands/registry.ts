// Every command: its help text and options, and a loader for its module. Loading is lazy so that
// `--help` and `--version` never import Ink, React, zod or YAML. A new command is an entry here; what an entry
// declares, the global options and the specs several commands share are in spec.ts.
import {platformIds, targets} from '../platforms.js';
import {minFree, platformChoice, type CliCommand} from './spec.js';
import {flashCommands, guestCommands, payloadCommands} from './tool-entries.js';

const recipeCommands: CliCommand[] = [
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
		usage: 'sel4-llm plan [step|recipe...] [--force] [--only] [--set name=value]',
		description:
			'Shows what `run` would do without changing anything: each step with run/skip and the reason, the commands with variables expanded, and the capabilities it needs (network, sudo, long, device-write). Status checks of steps are run (they only read).',
		options: {
			force: {type: 'boolean', description: 'Plan as if every selected step had to run again'},
			only: {type: 'boolean', description: 'Only the named steps, not the steps they need'},
		},
		usesRecipes: true,
		positionals: {min: 0, max: Infinity, name: 'step|recipe'},
		examples: ['sel4-llm plan', 'sel4-llm plan build --set platform=x86_64'],
		load: () => import('./plan.js'),
	},
	{
		name: 'run',
		summary: 'Run steps or whole recipes (with the steps they need), skipping what is up to date',
		usage: 'sel4-llm run <step|recipe>... [--force] [--only] [--set name=value]',
		options: {
			force: {type: 'boolean', description: 'Run the named steps again even if they are up to date'},
			only: {type: 'boolean', description: 'Run only the named steps, not the steps they need (what a fix that reruns one step uses)'},
			yes: {type: 'boolean', short: 'y', description: 'Do not ask; accept the plan (needed without a terminal for sudo steps)'},
			'min-free': minFree,
		},
		usesRecipes: true,
		positionals: {min: 1, max: Infinity, name: 'step|recipe'},
		examples: ['sel4-llm run sources', 'sel4-llm run build --force', 'sel4-llm run host.python-deps --only --force'],
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

const diagnoseCommand: CliCommand = {
	name: 'diagnose',
	summary: 'Find the known causes of a failure in any log: a build log, a serial console, a step log',
	usage: 'sel4-llm diagnose [LOG|-] [--json] [--recipes DIR]',
	description: [
		'Reads a log: one made outside sel4-llm (init-build.sh, ninja, pip, repo, apt), a pasted serial console, a',
		'recorded boot (<workspace>/logs/launch-*.log) or a step log of ours (<workspace>/.sel4-llm/logs/<recipe>.<step>.log).',
		'It tells the stage the log comes from (host setup, sync, configure, build, boot, guest) from the lines themselves,',
		'matches every line against every troubleshooting entry (recipes/troubleshoot.yaml and the steps\' own entries of the',
		'loaded recipes, --recipes DIR included) and prints the known causes, most likely first: the evidence line and its',
		'number, the cause, the fix with the capabilities its commands need, how to re-check, and where it was reported.',
		'It runs nothing. Lines that healthy runs print too, and faults that follow a guest power-off, are only notes.',
		'',
		'LOG "-", or no LOG when stdin is not a terminal, reads stdin.',
		'',
		'Exit codes: 0 a known cause matched, 1 none did (it then prints the first error-looking line and where to ask:',
		'the seL4 discourse and the issue tracker of the upstream repository for that stage), 2 usage, 3 unreadable log.',
	].join('\n'),
	options: {},
	positionals: {min: 0, max: 1, name: 'LOG'},
	usesRecipes: true,
	examples: [
		'sel4-llm diagnose build/ninja.log',
		'ninja 2>&1 | sel4-llm diagnose -',
		'sel4-llm diagnose ~/sel4-llm/.sel4-llm/logs/build.ninja-arm.log --json',
		'sel4-llm diagnose ~/sel4-llm/logs/launch-qemu-arm-virt-20260101-120000.log',
	],
	load: () => import('./diagnose.js'),
};

const sourceCommands: CliCommand[] = [
	{
		name: 'sync',
		summary: 'Fetch the seL4 CAmkES-VM sources of a manifest with git, in parallel, and lock their revisions',
		usage: 'sel4-llm sync [--manifest-url URL] [--mirror RULES] [--manifest default.xml|master.xml] [--jobs N] [--lock FILE] [--full]\n       sel4-llm sync --check-build [--platform P] [--app APP] [--target T]',
		description:
			'Reads a repo manifest (the subset seL4 uses: remotes with relative fetch URLs, default revision and remote, projects with revision/upstream, linkfile, copyfile, include) and lays the projects out in the workspace as `repo sync` does: git data in .repo/projects/<path>.git, each checkout\'s .git a file pointing there, detached at the exact revision; linkfiles become symlinks, copyfiles copies. Projects are fetched in parallel, shallow when the server lets a commit be fetched by id (else a full fetch), with retries. A project already at its pinned revision is not fetched again, so an unchanged re-sync only fetches the manifest. A failing project does not stop the others. The exact revisions go into <workspace>/sel4-llm.lock.json (deterministic, to commit or share); `--lock FILE` reproduces one. A mirror given with --manifest-url covers the projects whose remotes are relative to the manifest (seL4\'s own); --mirror rewrites any URL, including the absolute remotes (picotcp, polly, libzmq, lwip): PREFIX=REPLACEMENT works like git\'s url.<base>.insteadOf, and BASE fetches scheme://host/path from BASE/host/path (on a local BASE, with or without a ".git" ending). Several rules go in one value, separated by spaces; the longest matching prefix wins. The lock file keeps the upstream URLs. Exit 0 when every project synced, 1 when any failed, 4 for a refused (deprecated) manifest.\n\nWith --check-build: print the init-build.sh command upstream documents for the platform, app and target, or refuse (exit 4) an app the platform does not support, naming the valid ones.',
		options: {
			'manifest-url': {type: 'string', valueName: 'URL', description: 'Manifest repository: a URL, a mirror, or a local path / file:// URL (default https://github.com/seL4/camkes-vm-examples-manifest.git)'},
			manifest: {type: 'string', valueName: 'FILE', values: ['default.xml', 'master.xml'], default: 'default.xml', description: 'default.xml: pinned, CI-tested revisions; master.xml: branch tips'},
			mirror: {type: 'string', valueName: 'RULES', description: 'Fetch from mirrors: PREFIX=REPLACEMENT (like git insteadOf) or BASE holding BASE/<host>/<path>; several separated by spaces'},
			'manifest-branch': {type: 'string', valueName: 'BRANCH', description: 'Branch of the manifest repository (default: its default branch)'},
			jobs: {type: 'string', short: 'j', valueName: 'N', number: {min: 1, max: 256, integer: true}, default: 4, description: 'Projects fetched at the same time'},
			retries: {type: 'string', valueName: 'N', number: {min: 0, max: 10, integer: true}, default: 2, description: 'Retries of a failed fetch, with a growing pause'},
			lock: {type: 'string', valueName: 'FILE', description: 'Reproduce exactly the projects and revisions of a lock file written by sync (no manifest needed)'},
			full: {type: 'boolean', description: 'Fetch full history instead of a shallow fetch of the revision'},
			'check-build': {type: 'boolean', description: 'Only print the init-build.sh command for --platform/--app/--target, or refuse an invalid pair'},
			platform: {type: 'string', valueName: 'P', values: [...platformIds], description: 'With --check-build: qemu-arm-virt (default) or x86_64'},
			app: {type: 'string', valueName: 'APP', description: 'With --check-build: CAmkES VM app (default llm_vm)'},
			target: {type: 'string', valueName: 'T', values: [...targets], description: 'With --check-build: qemu (default) or usb (x86_64 only; no -DSIMULATION)'},
		},
		positionals: {min: 0, max: 0, name: ''},
		examples: [
			'sel4-llm sync',
			'sel4-llm sync --manifest master.xml --jobs 8',
			'sel4-llm sync --manifest-url file:///srv/mirror/seL4/camkes-vm-examples-manifest.git',
			'sel4-llm sync --mirror file:///srv/mirror',
			"sel4-llm sync --mirror 'https://github.com/=https://git.example.org/github/ https://git.savannah.gnu.org/git/=https://git.example.org/savannah/'",
			'sel4-llm sync --lock ~/shared/sel4-llm.lock.json',
			'sel4-llm sync --check-build --platform x86_64 --app minimal_64 --target usb',
		],
		load: () => import('./sync.js'),
	},
];

const setupCommand: CliCommand = {
	name: 'setup',
	summary: 'The guided first-time setup: check the host, choose, review the plan, build, boot',
	usage: 'sel4-llm setup [--yes] [--platform P] [--model FILE] [--guest-ram MIB] [--target qemu|usb] [--workspace DIR]',
	description:
		'On a terminal it asks a few questions (each with a default that works without KVM), shows the plan, then runs every step with a live log; on a failure it shows the known cause and can apply the fix and retry. Run it again to resume. Without a terminal, pass --yes and give the choices as flags.',
	options: {
		yes: {type: 'boolean', short: 'y', description: 'Do not ask: use the flags, saved choices and defaults, and run the plan'},
		platform: {type: 'string', values: [...platformIds], valueName: 'P', description: 'seL4 platform'},
		model: {type: 'string', valueName: 'FILE', description: 'GGUF model for the guest ("" for the built-in demo model)'},
		'guest-ram': {type: 'string', valueName: 'MIB', description: 'Guest RAM in MiB'},
		target: {type: 'string', values: [...targets], valueName: 'T', description: 'Boot in QEMU, or build a USB stick for a PC'},
		'min-free': minFree,
	},
	usesRecipes: true,
	positionals: {min: 0, max: 0, name: ''},
	examples: ['sel4-llm setup', 'sel4-llm setup --yes --platform qemu-arm-virt --workspace ~/sel4-llm', 'sel4-llm setup --yes --platform x86_64 --target usb'],
	load: () => import('./setup.js'),
};

const doctorCommand: CliCommand = {
	name: 'doctor',
	summary: 'Check this host: virtualization, packages, Python, tools; a verdict per platform; fixes',
	usage: `sel4-llm doctor [--platform ${platformChoice}|all] [--target qemu|usb|any] [-v] [--json] [--facts FILE] [--fix [--yes]]`,
	description: [
		'Gathers facts about this host once (CPU, /dev/kvm, nested KVM, VM/container/WSL, RAM, disk, OS, apt packages, python3 and its modules, repo, stack, cmake, ninja, dtc, QEMU, cross compiler, git), in parallel with a timeout per command, then checks them for the chosen platforms.',
		'For each platform it says whether this host can build it, run it in QEMU (x86_64 needs Intel VT-x + KVM + nested virtualization; qemu-arm-virt runs under emulation anywhere) and prepare a USB stick, and recommends one.',
		'Exit codes: 0 when no required check fails (warnings allowed), 1 when one does, 2 for a usage error, 3 for an unreadable --facts file.',
		'Required checks: everything needed to build each chosen platform; running qemu-arm-virt in QEMU; for x86_64, the KVM checks only with --target qemu and the USB tools only with --target usb.',
		'Marks: [✓] passed, [✗] a required check failed, [!] a warning or an optional check failed, [-] not needed for the chosen platforms.',
	].join('\n'),
	options: {
		platform: {type: 'string', values: [...platformIds, 'all'], valueName: 'PLATFORM', description: 'Platform(s) to check for (default: all, with a verdict each)'},
		target: {type: 'string', values: [...targets, 'any'], valueName: 'TARGET', description: 'Where it should boot; makes the KVM (qemu) or USB tool (usb) checks required (default: any)'},
		facts: {type: 'string', valueName: 'FILE', description: 'Evaluate a recorded facts document (the output of doctor --json) instead of this host'},
		fix: {type: 'boolean', description: 'Show the commands that fix failed checks, ask once, run them, then check again'},
		yes: {type: 'boolean', short: 'y', description: 'With --fix: do not ask (needed without a terminal)'},
		verbose: {type: 'boolean', short: 'v', description: 'Show every check (by default a group whose checks all pass is one line)'},
		timeout: {type: 'string', valueName: 'SECONDS', number: {min: 0.1, max: 600}, default: 5, description: 'Time limit for each command doctor runs'},
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

const launchCommand: CliCommand = {
	name: 'launch',
	summary: 'Boot the built system in QEMU with a live console, a boot timeline and diagnoses',
	usage: 'sel4-llm launch [--platform P] [--headless --expect STAGE|REGEX --timeout S] [--dry-run] [--replay LOG] [-- QEMU-ARGS...]',
	description: [
		'Starts QEMU with upstream\'s command line for the platform, watches the serial console and turns it into a boot timeline:',
		'elfloader, kernel, rootserver, vmm, linux, init, login, ready (the guest prints a line starting with SEL4LLM-READY).',
		'It detects halts, stalls (no output for --stall seconds) and the known failure signatures of recipes/troubleshoot.yaml,',
		'and always stops QEMU when it ends (the ARM VMM does not handle a guest power-off, so QEMU would keep running).',
		'',
		'On a terminal the console streams in a pane under the timeline and the keyboard goes to the guest; press Ctrl-] to leave.',
		'Without a terminal the console is printed as plain lines. The full console log (lines prefixed with host seconds)',
		'always goes to a file (--log, default <workspace>/logs/launch-<platform>-<time>.log).',
		'',
		'Images: --image/--kernel/--initrd, else <workspace>/.sel4-llm/artifacts.json, else <workspace>/build-<platform>-<app>/images/.',
		'QEMU memory: max(2048, guest_ram_mb + 1024 rounded up to 256) MiB; on qemu-arm-virt the build\'s QEMU_MEMORY wins when',
		'CMakeCache.txt records it. The console is a unix socket instead of upstream\'s -nographic stdio (see --dry-run).',
		'',
		'x86_64 needs KVM with Intel VT-x and nested virtualization (software emulation cannot provide VT-x); without them',
		'launch refuses (exit code 4) and names the alternatives.',
		'',
		'Platform linux-test boots a plain Linux kernel + initramfs without seL4 (--kernel, --initrd, --arch, --append); it is',
		'meant for testing launch itself.',
		'',
		'Exit codes: 0 expectation reached (or a clean stop), 1 boot failed / timed out / replay shows a failure,',
		'2 usage, 3 unreadable catalogue or log, 4 refused (x86_64 without KVM + VT-x), 130 interrupted.',
	].join('\n'),
	options: {
		platform: {type: 'string', values: [...platformIds, 'linux-test'], valueName: 'P', description: 'Platform to boot (default: --set platform, else qemu-arm-virt)'},
		app: {type: 'string', valueName: 'NAME', description: 'CAmkES app whose build to boot (default: --set app, else llm_vm)'},
		image: {type: 'string', valueName: 'FILE', description: 'qemu-arm-virt: the capdl-loader-image-arm-qemu-arm-virt to boot'},
		kernel: {type: 'string', valueName: 'FILE', description: 'x86_64: kernel-x86_64-pc99; linux-test: a Linux kernel'},
		initrd: {type: 'string', valueName: 'FILE', description: 'x86_64: capdl-loader-image-x86_64-pc99; linux-test: an initramfs'},
		append: {type: 'string', valueName: 'TEXT', description: 'Kernel command line (x86_64: seL4 options such as disable_iommu; linux-test: Linux options)'},
		arch: {type: 'string', values: ['amd64', 'arm64'], valueName: 'ARCH', description: 'linux-test only: the architecture of --kernel (default amd64)'},
		cpu: {type: 'string', valueName: 'MODEL', description: 'x86_64: QEMU CPU model before ",+vmx" (default: the CPU the build\'s kernel was configured for, from its CMakeCache.txt, else upstream\'s Nehalem line)'},
		memory: {type: 'string', valueName: 'MIB', number: {min: 64, max: 1024 * 1024}, description: 'QEMU memory in MiB instead of the derived value'},
		'dry-run': {type: 'boolean', short: 'n', description: 'Print the exact QEMU command (and why it differs from upstream\'s) without starting it'},
		headless: {type: 'boolean', description: 'No console: wait for --expect, exit 0 when reached, 1 with the timeline and diagnosis otherwise'},
		ask: {type: 'string', valueName: 'PROMPT', description: 'Boot headless, ask the model this once the guest is ready, print the answer and its stats, then stop (exit code: the answer\'s)'},
		serve: {type: 'boolean', description: 'Like --headless, but keep the guest running once --expect is reached, for `sel4-llm ask`, until Ctrl-C/SIGTERM or --timeout'},
		expect: {type: 'string', multiple: true, valueName: 'STAGE|REGEX', description: 'What headless waits for: a stage (elfloader, kernel, rootserver, vmm, linux, init, login, ready) or a regular expression on a console line; repeatable (default: ready)'},
		timeout: {type: 'string', valueName: 'SECONDS', number: {min: 1, max: 7 * 86_400}, description: 'Give up after this many seconds (default 600 headless, none interactive)'},
		stall: {type: 'string', valueName: 'SECONDS', number: {min: 1, max: 86_400}, default: 60, description: 'Report a stall after this many seconds without output'},
		log: {type: 'string', valueName: 'FILE', description: 'Where to write the console log'},
		replay: {type: 'string', valueName: 'LOG', description: 'Read a recorded console log instead of booting: print its timeline and diagnosis'},
	},
	positionals: {min: 0, max: Infinity, name: 'QEMU argument (after --)'},
	usesRecipes: true,
	examples: [
		'sel4-llm launch',
		'sel4-llm launch --dry-run',
		'sel4-llm launch --headless --expect ready --timeout 300',
		'sel4-llm launch --replay ~/sel4-llm/logs/launch-qemu-arm-virt-20260101-120000.log',
		'sel4-llm launch -- -smp 2',
		'sel4-llm launch --platform linux-test --arch arm64 --kernel vmlinuz --initrd initrd.gz --headless --expect init',
	],
	load: () => import('./launch.js'),
};

export const commands: CliCommand[] = [setupCommand, doctorCommand, ...recipeCommands, launchCommand, diagnoseCommand, ...sourceCommands, ...guestCommands, ...payloadCommands, ...flashCommands];

export function findCommand(name: string): CliCommand | undefined {
	return commands.find((command) => command.name === name);
}
