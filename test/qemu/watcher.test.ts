import assert from 'node:assert/strict';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {fileURLToPath} from 'node:url';
import {formatTimeline, readCatalogue, replayFile, replayLog, SerialWatcher, parseExpectation, stageOf, cleanLine, splitHostTime} from '../../source/qemu/index.js';
import type {WatchEvent} from '../../source/qemu/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(root, 'test', 'fixtures', 'serial');
const recordedLogs = join(fixtures, 'recorded');
const catalogue = readCatalogue(join(root, 'recipes', 'troubleshoot.yaml'));

describe('stage markers', () => {
	const table: Array<[string, string | undefined]> = [
		['ELF-loader started on CPU: ARM Ltd. Cortex-A53 r0p4', 'elfloader'],
		['Jumping to kernel-image entry point...', 'kernel'],
		['Bootstrapping kernel', 'kernel'],
		['Boot config: debug_port = 0x3f8', 'kernel'],
		['Boot config: disable_iommu = false', 'kernel'],
		['Booting all finished, dropped to user space', 'rootserver'],
		["Loading Kernel: 'linux'", 'vmm'],
		["Loading Initrd: 'linux-initrd'", 'vmm'],
		['Loading Generated DTB', 'vmm'],
		['[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x410fd034]', 'linux'],
		['[    0.000000] Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org)', 'linux'],
		['[    2.268960] Run /init as init process', 'init'],
		['Welcome to Buildroot', 'init'],
		['buildroot login: ', 'login'],
		['buildroot login: root', 'login'],
		['SEL4LLM-READY model=x threads=1', 'ready'],
		// not stages
		['echo SEL4LLM-READY', undefined],
		['Loading compiled-in X.509 certificates', undefined],
		['ELF-loading image \'kernel\' to 60000000', undefined],
		['Untyped Retype: Insufficient memory', undefined],
	];
	for (const [line, stage] of table) {
		it(`${JSON.stringify(line)} -> ${stage ?? 'none'}`, () => assert.equal(stageOf(line), stage));
	}

	it('cleans escape sequences and carriage returns', () => {
		assert.equal(cleanLine('\x1b[0m\x1b[1m<<\x1b[0m\x1b[32mseL4(CPU 0)\x1b[0m>>\r'), '<<seL4(CPU 0)>>');
		assert.equal(cleanLine('\x1bc\x1b[?7l\x1b[2JSeaBIOS'), 'SeaBIOS');
	});

	it('splits host-time prefixes but not guest kernel times', () => {
		assert.deepEqual(splitHostTime('[   6.881] [    0.000000] Booting Linux'), {seconds: 6.881, text: '[    0.000000] Booting Linux'});
		assert.deepEqual(splitHostTime('[    0.000000] Booting Linux'), {seconds: undefined, text: '[    0.000000] Booting Linux'});
	});
});

type Expected = {stages: string[]; halt?: string; causes: string[]; generic?: string[]; notes?: string[]; summary: RegExp; timed?: boolean};

describe('replay of documented boots', () => {
	const table: Record<string, Expected> = {
		'arm-virt-ready.log': {
			stages: ['elfloader', 'kernel', 'rootserver', 'vmm', 'linux', 'init', 'login', 'ready'],
			causes: [],
			notes: ['sel4-untyped-retype-insufficient-memory'],
			summary: /log ends after stage "ready"/,
			timed: true,
		},
		'x86-vtx-not-supported.log': {
			stages: ['kernel'],
			halt: 'sel4-halt',
			causes: ['sel4-vtx-not-supported'],
			generic: ['sel4-boot-sys-failed'],
			summary: /the seL4 kernel halted after stage "kernel"/,
			timed: false,
		},
		'x86-vtx-feature-locked.log': {stages: ['kernel'], halt: 'sel4-halt', causes: ['sel4-vtx-feature-locked'], generic: ['sel4-boot-sys-failed'], summary: /seL4 kernel halted/},
		'x86-uefi-no-acpi.log': {stages: ['kernel'], halt: 'sel4-halt', causes: ['sel4-no-acpi'], generic: ['sel4-boot-sys-failed'], summary: /seL4 kernel halted/},
		'arm-virt-initrd-too-large.log': {
			stages: ['elfloader', 'kernel', 'rootserver', 'vmm', 'linux'],
			halt: 'guest-panic',
			causes: ['guest-initramfs-unpack-failed', 'guest-vfs-no-root'],
			generic: ['guest-kernel-panic'],
			summary: /guest Linux kernel panicked after stage "linux"/,
		},
		'arm-virt-guest-oom.log': {
			stages: ['elfloader', 'kernel', 'rootserver', 'vmm', 'linux', 'init'],
			halt: 'guest-panic',
			causes: ['guest-oom-killed', 'guest-out-of-memory-panic'],
			generic: ['guest-kernel-panic'],
			summary: /panicked after stage "init"/,
		},
		'x86-guest-illegal-instruction.log': {
			stages: ['kernel', 'rootserver', 'linux', 'init', 'login'],
			causes: ['llama-illegal-instruction'],
			summary: /^The inference binary used an instruction the guest CPU lacks after stage "login"/,
		},
		'arm-virt-rootserver-abort.log': {stages: ['elfloader', 'kernel', 'rootserver'], halt: 'rootserver-abort', causes: ['sel4-rootserver-abort'], summary: /root task aborted/},
		'arm-virt-poweroff.log': {
			stages: ['init', 'ready'],
			halt: 'guest-poweroff',
			causes: [],
			notes: ['vmm-guest-poweroff', 'vmm-unhandled-vcpu-fault', 'vmm-failed-to-run-vm'],
			summary: /guest powered off after stage "ready"/,
		},
	};
	for (const [file, expected] of Object.entries(table)) {
		it(file, () => {
			const result = replayFile(join(fixtures, file), {catalogue});
			assert.deepEqual(
				result.timeline.stages.map((record) => record.stage),
				expected.stages,
			);
			assert.equal(result.timeline.halt?.kind, expected.halt);
			assert.deepEqual(
				result.diagnosis.causes.map((cause) => cause.id).sort(),
				[...expected.causes].sort(),
			);
			const noted = result.timeline.signatures.filter((record) => record.benign || record.afterPoweroff).map((record) => record.id);
			assert.deepEqual(noted.sort(), [...(expected.notes ?? [])].sort());
			assert.deepEqual(result.diagnosis.generic.map((cause) => cause.id), expected.generic ?? []);
			assert.match(result.diagnosis.summary, expected.summary);
			if (expected.timed !== undefined) assert.equal(result.timed, expected.timed);
		});
	}

	it('orders causes by confidence: the specific one first', () => {
		const result = replayFile(join(fixtures, 'x86-vtx-not-supported.log'), {catalogue});
		assert.equal(result.diagnosis.causes[0]?.id, 'sel4-vtx-not-supported');
		const panic = replayFile(join(fixtures, 'arm-virt-initrd-too-large.log'), {catalogue});
		assert.equal(panic.diagnosis.causes.at(-1)?.id, 'guest-vfs-no-root');
	});

	it('a generic match after a specific one is folded out of the causes; alone it is the cause', () => {
		const alone = replayLog('Booting Linux on physical CPU 0x0\n[    2.0] Kernel panic - not syncing: Fatal exception\n', {catalogue});
		assert.deepEqual(alone.diagnosis.causes.map((cause) => cause.id), ['guest-kernel-panic']);
		assert.deepEqual(alone.diagnosis.generic, []);
	});

	it('the verdict fails on a ✗: a halt, a stall never got past, a power-off before ready; not on a power-off once ready', () => {
		const verdicts = Object.fromEntries(
			['arm-virt-stalled.log', 'arm-virt-poweroff.log', 'arm-virt-ready.log', 'x86-vtx-not-supported.log', 'recorded/camkes-vm-qemu-arm-virt-llama.log'].map((file) => [file, replayFile(join(fixtures, file), {catalogue}).diagnosis]),
		);
		assert.equal(verdicts['arm-virt-stalled.log']!.failed, true);
		assert.match(verdicts['arm-virt-stalled.log']!.summary, /^stalled after stage "vmm" \(VMM loads the guest\): no output for 184 s after "Loading Generated DTB"/);
		assert.equal(verdicts['recorded/camkes-vm-qemu-arm-virt-llama.log']!.failed, true);
		assert.match(verdicts['recorded/camkes-vm-qemu-arm-virt-llama.log']!.summary, /^the guest powered off before inference was ready after stage "init"/);
		assert.equal(verdicts['x86-vtx-not-supported.log']!.failed, true);
		assert.equal(verdicts['arm-virt-poweroff.log']!.failed, false);
		assert.equal(verdicts['arm-virt-ready.log']!.failed, false);
	});

	it('a shell prompt after the ready line is a "service stopped" row in the timeline, and in the JSON', () => {
		const result = replayLog('[   1.000] Run /init as init process\n[  11.000] SEL4LLM-READY model=demo.gguf threads=1\n[  11.200] / # \n', {catalogue});
		assert.deepEqual(result.timeline.serviceLeft, {t: 11_200, line: '/ # '});
		assert.match(formatTimeline(result.timeline).join('\n'), /\n {2}✓ {2}11\.0s {2}inference ready [^\n]*\n {2}! {2}11\.2s {2}service stopped {6}the inference service no longer reads the console: \/ #/);
		assert.equal(result.diagnosis.failed, false);
	});

	it('a stall the boot got past is not fatal', () => {
		const log = '[   0.100] ELF-loader started on CPU: x\n[  90.000] Jumping to kernel-image entry point...\n[  91.000] Booting all finished, dropped to user space\n';
		const result = replayLog(log, {catalogue, stallSeconds: 60});
		assert.equal(result.timeline.stalls.length, 1);
		assert.equal(result.diagnosis.failed, false);
		assert.match(formatTimeline(result.timeline).join('\n'), /^ {2}! {2}90\.0s {2}stall/m);
	});

	it('keeps the host times of a recorded log', () => {
		const result = replayFile(join(fixtures, 'arm-virt-ready.log'), {catalogue});
		assert.deepEqual(
			result.timeline.stages.map((record) => record.t),
			[210, 560, 600, 4900, 6800, 8700, 9200, 11000],
		);
		assert.match(result.command ?? '', /^qemu-system-aarch64 -machine virt,virtualization=on,highmem=off,secure=off/);
	});

	it('finds a stall in the gaps of a recorded log', () => {
		const result = replayFile(join(fixtures, 'arm-virt-stalled.log'), {catalogue, stallSeconds: 60});
		assert.equal(result.timeline.stalls.length, 1);
		assert.equal(result.timeline.stalls[0]?.stage, 'vmm');
		assert.equal(result.timeline.stalls[0]?.idleSeconds, 184);
	});

	it('reads the real qemu-arm-virt CAmkES VM log', () => {
		const result = replayFile(join(recordedLogs, 'camkes-vm-qemu-arm-virt-llama.log'), {catalogue});
		assert.deepEqual(
			result.timeline.stages.map((record) => record.stage),
			['elfloader', 'kernel', 'rootserver', 'vmm', 'linux', 'init'],
		);
		assert.equal(result.timeline.halt?.kind, 'guest-poweroff');
		assert.deepEqual(result.diagnosis.causes, []);
		assert.equal(result.timeline.stages.find((record) => record.stage === 'linux')?.t, 6881);
	}, );

	it('reads the real x86_64 GRUB log (no host times, escape sequences)', () => {
		const result = replayFile(join(recordedLogs, 'sel4-x86_64-grub-multiboot2-bios.log'), {catalogue});
		assert.deepEqual(
			result.timeline.stages.map((record) => record.stage),
			['kernel', 'rootserver'],
		);
		assert.equal(result.timed, false);
		assert.equal(result.timeline.halt, undefined);
	});

	it('meets expectations by stage or by regular expression', () => {
		const log = 'Booting Linux on physical CPU 0x0\nRun /init as init process\nhello from the guest\n';
		const met = replayLog(log, {expect: [parseExpectation('linux'), parseExpectation('^hello from')]});
		assert.deepEqual(met.timeline.expectationsMet, ['linux', '^hello from']);
		assert.match(met.diagnosis.summary, /reached linux, \^hello from/);
		const later = replayLog(log, {expect: [parseExpectation('ready')]});
		assert.deepEqual(later.timeline.expectationsMet, []);
		assert.throws(() => parseExpectation('('), /neither a stage nor a valid regular expression/);
	});
});

describe('live byte stream', () => {
	it('handles lines split across chunks, CRLF and a prompt without newline', () => {
		const events: WatchEvent[] = [];
		const watcher = new SerialWatcher({catalogue, onEvent: (event) => events.push(event)});
		watcher.push(Buffer.from('[    0.0] Booting Lin'), 10);
		watcher.push(Buffer.from('ux on physical CPU 0\r\nRun /init as init'), 20);
		watcher.push(Buffer.from(' process\r\n\r\nWelcome to Buildroot\r\nbuildroot login: '), 30);
		assert.deepEqual(
			events.filter((event) => event.type === 'stage').map((event) => event.type === 'stage' && `${event.stage}@${event.t}`),
			['linux@20', 'init@30', 'login@30'],
		);
		// A UTF-8 character split between two chunks arrives whole.
		const euro = Buffer.from('€\n');
		watcher.push(euro.subarray(0, 1), 40);
		watcher.push(euro.subarray(1), 41);
		assert.equal(watcher.timeline.lastLine, 'buildroot login: €');
	});

	it('reports a stall once per quiet period, and again after new output', () => {
		const watcher = new SerialWatcher({stallSeconds: 5});
		watcher.start(0);
		watcher.push('Booting Linux on physical CPU 0\n', 1000);
		assert.equal(watcher.tick(5000), undefined);
		assert.equal(watcher.tick(6100)?.stage, 'linux');
		assert.equal(watcher.tick(9000), undefined);
		watcher.push('Run /init as init process\n', 10_000);
		assert.equal(watcher.tick(14_000), undefined);
		const second = watcher.tick(15_500);
		assert.equal(second?.stage, 'init');
		assert.equal(second?.idleSeconds, 6);
		assert.equal(watcher.timeline.stalls.length, 2);
	});

	it('matches qemu stderr against the catalogue too', () => {
		const watcher = new SerialWatcher({catalogue});
		watcher.push('qemu-system-x86_64: warning: TCG doesn\'t support requested feature: CPUID.01H:ECX.vmx [bit 5]\n', 5, 'qemu');
		assert.deepEqual(watcher.timeline.signatures.map((record) => record.id), ['qemu-tcg-no-vmx']);
	});
});
