// Every command: its help text and options, and a loader for its module. Loading is lazy so that
// `--help` and `--version` never import Ink, React, zod or YAML. A new command is an entry here; what an entry
// declares, the global options and the specs several commands share are in spec.ts.
import {platformIds, platformRecord, targets} from '../platforms.js';
import {guestRamRanges, minFree, platformChoice, type CliCommand} from './spec.js';

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


const guestCommands: CliCommand[] = [
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
		usage: 'sel4-llm rootfs --base <rootfs.cpio[.gz]> [--overlay DIR]... [--add HOST=GUEST]... [--model FILE.gguf [--model-in initrd|disk]] -o <out> [--compress auto|gzip|none]',
		description:
			'Copies the base initramfs and appends one cpio (newc) archive with the overlay trees (modes kept, owned by root) and the model under /models. Linux unpacks the archives in order, so added files win. Refuses overlays that would replace files the guest needs (/init, /sbin/init, /bin/busybox, /etc/inittab, libraries ...), change a path\'s type or write through a symlink, and models that are not GGUF.',
		options: {
			base: {type: 'string', valueName: 'FILE', description: 'The initramfs to start from (raw or gzip cpio)'},
			overlay: {type: 'string', multiple: true, valueName: 'DIR', description: 'A directory laid over the guest root (repeatable)'},
			add: {type: 'string', multiple: true, valueName: 'HOST=GUEST', description: 'One host file placed at a guest path, mode kept (repeatable), e.g. the inference program'},
			model: {type: 'string', valueName: 'FILE', description: 'A GGUF model to bake in as /models/<name> (an empty value means none)'},
			'model-in': {type: 'string', values: ['initrd', 'disk'], description: 'Where the model goes: initrd (default) bakes it in; disk only checks it and leaves it to the model disk'},
			output: {type: 'string', short: 'o', valueName: 'FILE', description: 'The initramfs to write'},
			compress: {type: 'string', values: ['auto', 'gzip', 'none'], description: 'Compression of the appended part (auto: like the base, none when a model is added)'},
		},
		positionals: {min: 0, max: 0, name: ''},
		examples: [
			'sel4-llm rootfs --base rootfs.cpio.gz --overlay overlays/rootfs --add payload/aarch64/sel4llm-infer=usr/bin/sel4llm-infer --model model.gguf -o llm-rootfs.cpio.gz',
		],
		load: () => import('./rootfs.js'),
	},
	{
		name: 'app',
		summary: 'Generate (or only check) our CAmkES app llm_vm for a platform',
		usage: `sel4-llm app --tree <sel4 dir> [--platform ${platformChoice}] [--guest-ram-mb N] [--kernel FILE] [--initrd FILE] [--cmdline-extra ARGS] [--headroom-mb N] [--sata [--sata-*]] [--check]`,
		description:
			`Validates the guest RAM against the platform, the kernel and initramfs against the memory layout (on qemu-arm-virt the initrd is placed so the DTB the VMM generates cannot overwrite it), derives untyped pools and CNode size from the RAM, checks the kernel command line, then writes projects/vm-examples/apps/${platformIds.map((id) => `${platformRecord(id).appsFolder}/${platformRecord(id).ourApp}`).join(' or ')}/ (CMakeLists.txt, settings, the .camkes assembly and, on Arm, the devices file). Build it with init-build.sh -DCAMKES_VM_APP= and that directory's name (camkes-vm-examples looks in apps/Arm first, so the x86 app has its own name).`,
		options: {
			tree: {type: 'string', valueName: 'DIR', description: 'The synced seL4 tree (holds projects/vm-examples)'},
			platform: {type: 'string', values: [...platformIds], description: 'Target platform (default qemu-arm-virt)'},
			'guest-ram-mb': {type: 'string', valueName: 'N', number: {min: 1, max: 1 << 20, integer: true}, default: 512, description: `Guest RAM in MiB (${guestRamRanges})`},
			kernel: {type: 'string', valueName: 'FILE', description: 'Guest kernel (default: upstream\'s image for the platform in the tree)'},
			initrd: {type: 'string', valueName: 'FILE', description: 'Guest initramfs (default: upstream\'s rootfs in the tree)'},
			'cmdline-extra': {type: 'string', valueName: 'ARGS', description: 'Extra guest kernel arguments (printable ASCII, no quotes or backslashes)'},
			'headroom-mb': {type: 'string', valueName: 'N', number: {min: 0, max: 1 << 20, integer: true}, default: 128, description: 'Guest RAM to keep free beyond kernel, initrd and rootfs'},
			check: {type: 'boolean', description: 'Validate and show the layout, write nothing'},
			sata: {type: 'boolean', description: 'x86_64: also serve a model disk (sel4-llm model-disk --mbr) through a passed-through AHCI controller (Sataserver, as upstream\'s virtio_blk_sample; not verified)'},
			'sata-pci-bdf': {type: 'string', valueName: '0xB:0xD.F', description: 'PCI address of the AHCI controller (default 0x0:0x1f.2, QEMU q35)'},
			'sata-ioports': {type: 'string', valueName: 'RANGES', description: 'Its I/O port ranges, 0xfirst:0xlast,... (default: virtio_blk_sample\'s)'},
			'sata-iospaces': {type: 'string', valueName: 'SPEC', description: 'IOMMU space 0xID:0xBUS:0xDEV:FN (default 0x12:0x0:0x1f:2)'},
			'sata-partition': {type: 'string', valueName: 'N', number: {min: 1, max: 128, integer: true}, default: 1, description: 'Partition of drive 0 given to the guest'},
		},
		positionals: {min: 0, max: 0, name: ''},
		examples: [
			'sel4-llm app --tree ~/sel4-llm --initrd llm-rootfs.cpio.gz --check',
			'sel4-llm app --tree ~/sel4-llm --platform x86_64 --guest-ram-mb 1024 --initrd llm-rootfs.cpio',
			'sel4-llm app --tree ~/sel4-llm --platform x86_64 --sata --sata-pci-bdf 0x0:0x17.0 --initrd llm-rootfs.cpio',
		],
		load: () => import('./app.js'),
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

const payloadCommands: CliCommand[] = [
	{
		name: 'ask',
		summary: 'Ask the model in the running guest a question; streams the answer and prints its stats',
		usage: 'sel4-llm ask "prompt" [--max-tokens N] [--socket PATH] [--wait S] [--timeout S] [--raw] [--ignore-eos] [--json]',
		description: [
			'Talks to the guest that `sel4-llm launch` started, over QEMU\'s serial console socket (from',
			'<workspace>/.sel4-llm/launch.json, or --socket). It waits for the guest\'s SEL4LLM-READY line (or, when the',
			'console is quiet because the guest was ready before, for an answer to a ping), sends the prompt, streams the',
			'answer to stdout and prints tokens, tokens/s and the time to the first token on stderr.',
			'The prompt "-" reads it from stdin (for long or multi-line prompts).',
			'',
			'Exit codes: 0 answered, 1 the guest failed or stopped answering, 2 usage, 4 no guest running or not ready.',
		].join('\n'),
		options: {
			'max-tokens': {type: 'string', valueName: 'N', number: {min: 1, max: 100_000, integer: true}, default: 128, description: 'Most tokens to generate'},
			socket: {type: 'string', valueName: 'PATH', description: 'The guest console\'s unix socket instead of the one launch recorded'},
			wait: {type: 'string', valueName: 'SECONDS', number: {min: 1, max: 3600}, default: 10, description: 'How long to wait for the guest to be ready'},
			timeout: {type: 'string', valueName: 'SECONDS', number: {min: 1, max: 3600}, default: 120, description: 'Give up when the guest prints nothing for this long'},
			raw: {type: 'boolean', description: 'Send the prompt as it is, without the model\'s chat template'},
			'ignore-eos': {type: 'boolean', description: 'Keep generating past the end-of-text token (for benchmarks)'},
		},
		positionals: {min: 1, max: Infinity, name: 'prompt'},
		examples: [
			'sel4-llm ask "What is a microkernel?"',
			'sel4-llm ask --max-tokens 32 --json "Say hello"',
			'cat question.txt | sel4-llm ask -',
			'sel4-llm ask --socket /tmp/sel4-llm/serial.sock "Hi"',
		],
		load: () => import('./ask.js'),
	},
	{
		name: 'payload',
		summary: 'Fetch and build the guest\'s llama.cpp program, write the demo model, check a GGUF model',
		usage: 'sel4-llm payload fetch|build|demo-model|check-model [options]',
		description: [
			'fetch        bring the pinned llama.cpp source into the cache: the release bundled in node-llama-cpp 3.22.1',
			'             (npm pack, checked against its registry integrity and the bundle\'s sha256), or --tag from git;',
			'             records it in <workspace>/.sel4-llm/payload.lock.json',
			'build        a static sel4llm-infer (our program over libllama) for --arch aarch64|x86_64 (or --platform',
			'             qemu-arm-virt|x86_64), written to <out>/<arch>/sel4llm-infer; cached by source hash and flags.',
			'             x86_64 builds leave out SSE4.2/AVX/AVX2/BMI2/FMA/F16C (the seL4 x86 VMM hides them);',
			'             aarch64 builds are generic armv8-a with the aarch64-linux-gnu cross compiler.',
			'demo-model   write a reproducible random-weight llama GGUF (gguf-py from the same source, Debian python3-numpy)',
			'check-model  validate a GGUF file: header, architecture, tensors, and the guest RAM it needs',
		].join('\n'),
		options: {
			arch: {type: 'string', values: ['aarch64', 'x86_64'], valueName: 'ARCH', description: 'build: the guest architecture (default aarch64)'},
			platform: {type: 'string', values: [...platformIds], valueName: 'P', description: 'build: the seL4 platform, instead of --arch'},
			out: {type: 'string', valueName: 'PATH', description: 'build: output folder (default <workspace>/payload); demo-model: the .gguf file'},
			cache: {type: 'string', valueName: 'DIR', description: 'Source and build cache (default <workspace>/cache/payload)'},
			tag: {type: 'string', valueName: 'TAG', description: 'Use this upstream llama.cpp git tag instead of the bundled release'},
			'git-url': {type: 'string', valueName: 'URL', description: 'With --tag: the repository (default github.com/ggml-org/llama.cpp)'},
			jobs: {type: 'string', valueName: 'N', number: {min: 1, max: 256, integer: true}, default: 2, description: 'build: parallel compile jobs'},
			size: {type: 'string', values: ['tiny', 'bench'], valueName: 'SIZE', description: 'demo-model: tiny (~0.1M params, 140 KB) or bench (~27M params)'},
			seed: {type: 'string', valueName: 'N', number: {min: 0, max: 2 ** 31 - 1, integer: true}, description: 'demo-model: random seed (default 42, or the size\'s own)'},
			'guest-ram-mb': {type: 'string', valueName: 'MIB', number: {min: 64, max: 1 << 20, integer: true}, default: 512, description: 'check-model: the guest\'s RAM'},
			layout: {type: 'string', values: ['initrd', 'disk'], valueName: 'L', description: 'check-model: model in the initrd (needs twice its size while unpacking) or on a disk'},
			'initrd-max-mb': {type: 'string', valueName: 'MIB', number: {min: 1, max: 1 << 20, integer: true}, description: 'check-model: the VM app\'s initrd limit (vm_minimal: 25)'},
		},
		positionals: {min: 1, max: 2, name: 'action'},
		examples: [
			'sel4-llm payload build --arch aarch64',
			'sel4-llm payload build --platform x86_64 --out dist-payload',
			'sel4-llm payload demo-model --out demo.gguf --seed 7',
			'sel4-llm payload check-model qwen2.5-0.5b-instruct-q4_k_m.gguf --guest-ram-mb 1024',
		],
		load: () => import('./payload.js'),
	},
];

const flashCommands: CliCommand[] = [
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
			timeout: {type: 'string', valueName: 'SECONDS', number: {min: 0, max: 999, integer: true}, default: 5, description: 'Seconds GRUB waits before booting the first entry'},
			'boot-test': {
				type: 'string',
				valueName: 'FIRMWARE',
				values: ['bios', 'uefi', 'both', 'none'],
				description: 'Boot test in QEMU before the image is offered for flashing (default: both when OVMF is installed, else bios)',
			},
			'boot-timeout': {type: 'string', valueName: 'SECONDS', number: {min: 1, max: 9999, integer: true}, default: 120, description: 'How long each boot test may take to reach the kernel (a large root server loads slowly under emulation)'},
		},
		positionals: {min: 0, max: 0, name: ''},
		examples: [
			'sel4-llm usb-image --app minimal_64',
			'sel4-llm usb-image --build-dir ~/sel4-llm/build-x86_64-llm_vm --lock ~/sel4-llm/sel4-llm.lock.json',
			'sel4-llm usb-image --kernel images/kernel-x86_64-pc99 --rootserver images/capdl-loader-image-x86_64-pc99 --output stick.img',
		],
		load: () => import('./usb-image.js'),
	},
	{
		name: 'flash',
		summary: 'Write a USB image to a stick safely, fast and verified (or list the disks and why each is offered or not)',
		usage: 'sel4-llm flash IMAGE [--device PATH] [--yes] | sel4-llm flash --list [--json] [--lsblk-json FILE]',
		description:
			'Lists disks with lsblk and offers only removable ones (USB, SD); never the disk holding /, /boot, swap, the workspace or the image, read-only disks, disks without medium or smaller than the image. Disks over 128 GB are flagged. Mounted partitions are named and unmounted only with consent (a question, or --unmount). On a terminal you pick the disk and confirm by typing its path; without a terminal --device and --yes are required. Right before the first write the disk is opened exclusively and its identity (path, size, model, serial, device number, and for a loop device its backing file) read again: it must match what was confirmed. Writes are large and aligned, synced at the end, with progress (bytes, speed, ETA) per phase: write, sync, verify. Verification reads the disk back after dropping its cached pages (BLKFLSBUF for block devices, fadvise DONTNEED for files) and compares sha256 per 4 MiB block, naming the offset of the first difference. A regular file works as a target too (--device FILE): a new one, or an existing one with --overwrite that no loop device and no other process uses; the image goes to a new file next to it, renamed over it once written and verified. Writing to a disk needs root: without it, the exact sudo command is printed.',
		options: {
			device: {type: 'string', valueName: 'PATH', description: 'The disk to write (e.g. /dev/sdb), or a regular file'},
			yes: {type: 'boolean', short: 'y', description: 'Do not ask (needs --device); the checks still run'},
			overwrite: {type: 'boolean', description: 'Allow replacing an existing regular file given as --device (it is kept until the new copy is written and verified)'},
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

export const commands: CliCommand[] = [setupCommand, doctorCommand, ...recipeCommands, launchCommand, diagnoseCommand, ...sourceCommands, ...guestCommands, ...payloadCommands, ...flashCommands];

export function findCommand(name: string): CliCommand | undefined {
	return commands.find((command) => command.name === name);
}
