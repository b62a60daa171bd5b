// Boot stages and the console lines that mark them, from real seL4 / CAmkES / Linux boots (recorded logs in test/fixtures/serial/).
export const stageIds = ['elfloader', 'kernel', 'rootserver', 'vmm', 'linux', 'init', 'login', 'ready'] as const;
export type StageId = (typeof stageIds)[number];

export type StageSpec = {id: StageId; title: string; markers: RegExp[]};

export const stages: readonly StageSpec[] = [
	{id: 'elfloader', title: 'ELF loader', markers: [/ELF-loader started on CPU/]},
	{
		id: 'kernel',
		title: 'seL4 kernel',
		markers: [/Jumping to kernel-image entry point/, /^Bootstrapping kernel/, /^Boot config: (debug_port|disable_iommu|console_port)/],
	},
	{id: 'rootserver', title: 'root task', markers: [/Booting all finished, dropped to user space/]},
	{id: 'vmm', title: 'VMM loads the guest', markers: [/^Loading Kernel: '/, /^Loading Initrd: '/, /^Loading Generated DTB/]},
	{id: 'linux', title: 'Linux', markers: [/Booting Linux on physical CPU/, /\] Linux version \d/, /^Linux version \d/]},
	{id: 'init', title: 'init', markers: [/Run \S+ as init process/, /^SEL4LLM-STAGE init\b/, /Welcome to Buildroot/]},
	{id: 'login', title: 'login prompt', markers: [/^[\w.-]+ login:( |$)/, /\blogin: ?$/]},
	{id: 'ready', title: 'inference ready', markers: [/^SEL4LLM-READY\b/]},
];

export function stageIndex(stage: StageId): number {
	return stageIds.indexOf(stage);
}

export function isStageId(value: string): value is StageId {
	return (stageIds as readonly string[]).includes(value);
}

export function stageTitle(stage: StageId): string {
	return stages.find((each) => each.id === stage)!.title;
}

/** The stage a console line marks, if any. */
export function stageOf(line: string): StageId | undefined {
	for (const stage of stages) if (stage.markers.some((marker) => marker.test(line))) return stage.id;
	return undefined;
}

/**
 * What a stall at a stage probably means and what to try: the stall note of the live view, the plain output and the
 * replayed timeline all say this.
 */
export const stallAdvice: Record<StageId | 'start', string> = {
	start:
		'QEMU printed nothing: the image may not be a seL4 image for this platform, or QEMU waits for something. Check the command with `sel4-llm launch --dry-run`.',
	elfloader: 'the ELF loader did not start the kernel: the image may be built for another platform or need more memory (`--memory`). Rebuild with `sel4-llm run build`.',
	kernel: 'seL4 started but the root task did not: the kernel configuration may not fit this CPU or memory. Read the last kernel lines in the log.',
	rootserver: 'the root task runs but the VMM did not load the guest: the CAmkES objects may not fit in memory. Try `--memory`, or lower guest_ram_mb and rebuild.',
	vmm: 'the VMM loaded the guest but Linux printed nothing: the guest kernel may not match the VM (its console, the device tree), or it boots slowly without KVM. Wait a little, press Enter, then compare with `sel4-llm diagnose` on the log.',
	linux: 'Linux stopped printing: slow without KVM, or stuck on a device. The last kernel line in the log names the driver; wait, or press Enter to see whether the guest answers.',
	init: 'init runs but the inference service has not printed SEL4LLM-READY: a large model loads slowly without KVM. Wait; if it never comes, the service log is /run/sel4llm/log in the guest.',
	login: 'the guest waits at its login prompt: the inference service did not take the console. Log in as root and run /etc/init.d/S90sel4llm start.',
	ready: 'the service is ready and waiting for a prompt: ask it with Ctrl-P or `sel4-llm ask`.',
};

export type HaltKind = 'sel4-halt' | 'vmm-halt' | 'guest-panic' | 'guest-poweroff' | 'rootserver-abort';

/** Lines after which the system does not go on; QEMU may keep running, so launch stops it. */
export const haltMarkers: ReadonlyArray<{kind: HaltKind; pattern: RegExp; description: string}> = [
	{kind: 'sel4-halt', pattern: /^halting\.\.\.\s*$/, description: 'the seL4 kernel halted'},
	{kind: 'vmm-halt', pattern: /^Halting\.\.\.\s*$/, description: 'the VMM stopped the guest and halted'},
	{kind: 'guest-panic', pattern: /Kernel panic - not syncing/, description: 'the guest Linux kernel panicked'},
	{kind: 'guest-poweroff', pattern: /reboot: (Power down|System halted|Restarting system)/, description: 'the guest powered off'},
	{kind: 'guest-poweroff', pattern: /Unhandled PSCI function id 8\b/, description: 'the guest asked to power off (the ARM VMM does not handle it)'},
	{kind: 'rootserver-abort', pattern: /root server abort\(\)ed/, description: 'the root task aborted'},
];

export function haltOf(line: string): {kind: HaltKind; description: string} | undefined {
	const found = haltMarkers.find((marker) => marker.pattern.test(line));
	return found ? {kind: found.kind, description: found.description} : undefined;
}

// Escape sequences and control characters that terminals interpret: removed before matching and display.
// eslint-disable-next-line no-control-regex
const escapes = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_a-z=>78]|\x1b[()][A-Za-z0-9]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

export function cleanLine(text: string): string {
	return text.replace(escapes, '').replace(/\r/g, '');
}

/** "[   1.234] text": a line of a recorded log prefixed with the host's seconds since QEMU started. */
const hostTimePrefix = /^\[\s*(\d+\.\d{1,3})\] ?/;

export function splitHostTime(line: string): {seconds: number | undefined; text: string} {
	const match = hostTimePrefix.exec(line);
	if (!match) return {seconds: undefined, text: line};
	return {seconds: Number(match[1]), text: line.slice(match[0].length)};
}

export function formatSeconds(ms: number | undefined): string {
	return ms === undefined ? '     -' : `${(ms / 1000).toFixed(1).padStart(5)}s`;
}
