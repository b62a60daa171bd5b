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

const launchCommand: CommandSpec = {
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
		platform: {type: 'string', values: ['qemu-arm-virt', 'x86_64', 'linux-test'], valueName: 'P', description: 'Platform to boot (default: --set platform, else qemu-arm-virt)'},
		app: {type: 'string', valueName: 'NAME', description: 'CAmkES app whose build to boot (default: --set app, else llm_vm)'},
		image: {type: 'string', valueName: 'FILE', description: 'qemu-arm-virt: the capdl-loader-image-arm-qemu-arm-virt to boot'},
		kernel: {type: 'string', valueName: 'FILE', description: 'x86_64: kernel-x86_64-pc99; linux-test: a Linux kernel'},
		initrd: {type: 'string', valueName: 'FILE', description: 'x86_64: capdl-loader-image-x86_64-pc99; linux-test: an initramfs'},
		append: {type: 'string', valueName: 'TEXT', description: 'Kernel command line (x86_64: seL4 options such as disable_iommu; linux-test: Linux options)'},
		arch: {type: 'string', values: ['amd64', 'arm64'], valueName: 'ARCH', description: 'linux-test only: the architecture of --kernel (default amd64)'},
		cpu: {type: 'string', valueName: 'MODEL', description: 'x86_64: QEMU CPU model before ",+vmx" (default: upstream\'s Nehalem line)'},
		memory: {type: 'string', valueName: 'MIB', description: 'QEMU memory in MiB instead of the derived value'},
		'dry-run': {type: 'boolean', short: 'n', description: 'Print the exact QEMU command (and why it differs from upstream\'s) without starting it'},
		headless: {type: 'boolean', description: 'No console: wait for --expect, exit 0 when reached, 1 with the timeline and diagnosis otherwise'},
		expect: {type: 'string', multiple: true, valueName: 'STAGE|REGEX', description: 'What headless waits for: a stage (elfloader, kernel, rootserver, vmm, linux, init, login, ready) or a regular expression on a console line; repeatable (default: ready)'},
		timeout: {type: 'string', valueName: 'SECONDS', description: 'Give up after this many seconds (default 600 headless, none interactive)'},
		stall: {type: 'string', valueName: 'SECONDS', description: 'Report a stall after this many seconds without output (default 60)'},
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

const payloadCommands: CommandSpec[] = [
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
			'max-tokens': {type: 'string', valueName: 'N', description: 'Most tokens to generate (1-100000, default 128)'},
			socket: {type: 'string', valueName: 'PATH', description: 'The guest console\'s unix socket instead of the one launch recorded'},
			wait: {type: 'string', valueName: 'SECONDS', description: 'How long to wait for the guest to be ready (default 10)'},
			timeout: {type: 'string', valueName: 'SECONDS', description: 'Give up when the guest prints nothing for this long (default 120)'},
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
			platform: {type: 'string', values: ['qemu-arm-virt', 'x86_64'], valueName: 'P', description: 'build: the seL4 platform, instead of --arch'},
			out: {type: 'string', valueName: 'PATH', description: 'build: output folder (default <workspace>/payload); demo-model: the .gguf file'},
			cache: {type: 'string', valueName: 'DIR', description: 'Source and build cache (default <workspace>/cache/payload)'},
			tag: {type: 'string', valueName: 'TAG', description: 'Use this upstream llama.cpp git tag instead of the bundled release'},
			'git-url': {type: 'string', valueName: 'URL', description: 'With --tag: the repository (default github.com/ggml-org/llama.cpp)'},
			jobs: {type: 'string', valueName: 'N', description: 'build: parallel compile jobs (default 2)'},
			size: {type: 'string', values: ['tiny', 'bench'], valueName: 'SIZE', description: 'demo-model: tiny (~0.1M params, 140 KB) or bench (~27M params)'},
			seed: {type: 'string', valueName: 'N', description: 'demo-model: random seed (default 42)'},
			'guest-ram-mb': {type: 'string', valueName: 'MIB', description: 'check-model: the guest\'s RAM (default 512)'},
			layout: {type: 'string', values: ['initrd', 'disk'], valueName: 'L', description: 'check-model: model in the initrd (needs twice its size while unpacking) or on a disk'},
			'initrd-max-mb': {type: 'string', valueName: 'MIB', description: 'check-model: the VM app\'s initrd limit (vm_minimal: 25)'},
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

export const commands: CommandSpec[] = [...recipeCommands, launchCommand, ...payloadCommands];

export function findCommand(name: string): CommandSpec | undefined {
	return commands.find((command) => command.name === name);
}
