// Boots a USB image (a file or a written block device) in QEMU as a USB stick and watches the serial console:
// GRUB's menu must appear and the kernel must print its first lines.
import {start} from '../../system/exec.js';
import {copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {missingFeatureLines, unsupportedFeatures} from '../../qemu/x86-cpu.js';

export type Firmware = 'bios' | 'uefi';

export type BootTestResult = {
	firmware: Firmware;
	ok: boolean;
	/** GRUB started (its banner, its menu or its "Booting" line was seen). */
	grub: boolean;
	/** GRUB's menu was drawn (not with timeout 0). */
	grubMenu: boolean;
	/** The first kernel lines seen after GRUB (seL4 or the test kernel). */
	kernelLines: string[];
	seconds: number;
	/** The QEMU CPU model the image was booted with. */
	cpu: string;
	/**
	 * The kernel started and stopped at its check for a processor feature this QEMU cannot emulate (PCID without
	 * KVM, VT-x): as far as emulation goes; a PC with the feature goes on.
	 */
	emulationLimit?: string;
	/** Why it failed, when it did. */
	problem?: string;
	log?: string;
};

/** Lines that prove a kernel started after GRUB: seL4's own, or our test kernel's. */
export const KERNEL_MARKERS = [/^Boot config: /, /^vt-x: /, /^Booting all finished/, /seL4 called fail/, /^testkernel: /, ...missingFeatureLines.map((each) => each.line)];

const OVMF_CODE = ['/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_CODE.fd', '/usr/share/ovmf/OVMF.fd'];
const OVMF_VARS = ['/usr/share/OVMF/OVMF_VARS_4M.fd', '/usr/share/OVMF/OVMF_VARS.fd'];

export function ovmfFiles(): {code: string; vars: string | undefined} | undefined {
	const code = OVMF_CODE.find((path) => existsSync(path));
	if (!code) return undefined;
	const vars = code.endsWith('OVMF.fd') ? undefined : OVMF_VARS.find((path) => existsSync(path) && path.includes('_4M') === code.includes('_4M'));
	return {code, vars};
}

export function stripTerminal(text: string): string {
	// eslint-disable-next-line no-control-regex
	// Escape sequences, then the other control characters (seL4's printf can emit a NUL after its message).
	return text.replace(/\x1b\[[0-9;?=]*[a-zA-Z]|\x1b[()][0-9A-Za-z]|\x1b[c=>78]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

export function qemuUsbArgs(image: string, firmware: Firmware, varsCopy: string | undefined, code: string | undefined, cpu = 'max'): string[] {
	const args = ['-machine', 'q35', '-cpu', cpu, '-m', '2048', '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot'];
	if (firmware === 'uefi') {
		args.push('-drive', `if=pflash,format=raw,readonly=on,file=${code}`);
		if (varsCopy) args.push('-drive', `if=pflash,format=raw,file=${varsCopy}`);
	}
	args.push(
		'-device', 'qemu-xhci,id=xhci',
		'-drive', `if=none,id=stick,format=raw,readonly=on,file=${image}`,
		'-device', 'usb-storage,bus=xhci.0,drive=stick,bootindex=1',
	);
	return args;
}

export async function bootTest(
	image: string,
	options: {
		firmware: Firmware;
		timeoutMs?: number;
		logFile?: string;
		signal?: AbortSignal;
		onLine?: (line: string) => void;
		/** The -cpu value: the one the kernel was configured for (x86CpuModel), else everything QEMU offers ("max"). */
		cpu?: string;
	},
): Promise<BootTestResult> {
	const firmware = options.firmware;
	const cpu = options.cpu ?? 'max';
	const started = Date.now();
	let scratch: string | undefined;
	let varsCopy: string | undefined;
	let code: string | undefined;
	if (firmware === 'uefi') {
		const ovmf = ovmfFiles();
		if (!ovmf) {
			return {firmware, ok: false, grub: false, grubMenu: false, kernelLines: [], seconds: 0, cpu, problem: 'OVMF is not installed (apt-get install ovmf)'};
		}
		code = ovmf.code;
		if (ovmf.vars) {
			scratch = mkdtempSync(join(tmpdir(), 'sel4-llm-ovmf-'));
			varsCopy = join(scratch, 'vars.fd');
			copyFileSync(ovmf.vars, varsCopy);
		}
	}
	const timeoutMs = options.timeoutMs ?? (firmware === 'uefi' ? 120_000 : 90_000);
	let raw = '';
	let stderr = '';
	let pending = '';
	let grubMenu = false;
	let grub = false;
	const kernelLines: string[] = [];
	let problem: string | undefined;
	let settled = false;
	let stopTimer: NodeJS.Timeout | undefined;
	const stopNow = () => {
		if (settled) return;
		settled = true;
		void qemu.stop(500);
	};
	const take = (line: string) => {
		const clean = stripTerminal(line).trim();
		if (!clean) return;
		options.onLine?.(clean);
		if (clean.includes('GNU GRUB')) grubMenu = true;
		if (grubMenu || /Welcome to GRUB!|Booting `/.test(clean)) grub = true;
		if (grub && KERNEL_MARKERS.some((marker) => marker.test(clean))) {
			kernelLines.push(clean);
			// Keep listening a moment for the following lines, then stop QEMU.
			stopTimer ??= setTimeout(stopNow, 1500);
			if (/^testkernel: halt|^vt-x: |halting/.test(clean) || missingFeatureLines.some((each) => each.line.test(clean))) stopNow();
		}
	};
	const qemu = start(['qemu-system-x86_64', ...qemuUsbArgs(image, firmware, varsCopy, code, cpu)], {
		timeoutMs,
		graceMs: 500,
		drainMs: 200,
		maxCapture: 0,
		tailLines: 0,
		...(options.signal ? {signal: options.signal} : {}),
		onChunk: (stream, chunk) => {
			const text = chunk.toString('latin1');
			raw += text;
			if (stream !== 'stdout') {
				stderr += text;
				return;
			}
			pending += text;
			const parts = pending.split('\n');
			pending = parts.pop() ?? '';
			for (const part of parts) take(part);
			// GRUB draws its menu without newlines: look at the unfinished line too.
			if (!grubMenu && stripTerminal(pending).includes('GNU GRUB')) grubMenu = grub = true;
			// seL4's CPU checks halt right after their message, which may never get its line end.
			if (grub && missingFeatureLines.some((each) => each.line.test(stripTerminal(pending).trim()))) {
				take(pending);
				pending = '';
			}
		},
	});
	const outcome = await qemu.result;
	if (stopTimer) clearTimeout(stopTimer);
	if (pending) take(pending);
	if (!settled) {
		if (outcome.startError) problem = `cannot start qemu-system-x86_64: ${outcome.startError.message} (apt-get install qemu-system-x86)`;
		else if (outcome.timedOut) problem = `no ${grub ? 'kernel line' : 'GRUB'} within ${timeoutMs / 1000} s`;
		else if (outcome.cancelled) problem = 'stopped';
		else problem = `QEMU exited (code ${outcome.exitCode}) before the kernel printed`;
	}
	// A kernel that stops at its CPU check started; it counts as booted when the feature is one this QEMU cannot give.
	let emulationLimit: string | undefined;
	const missing = kernelLines.map((line) => ({line, check: missingFeatureLines.find((each) => each.line.test(line))})).find((each) => each.check);
	if (missing) {
		const feature = missing.check!.feature;
		if (cpu === 'max' || unsupportedFeatures(stderr).has(feature)) {
			emulationLimit = `seL4 started and stopped at its CPU check ("${missing.line}"): this QEMU cannot emulate ${feature}; a PC that has it goes on`;
		} else {
			problem = cpu.split(',').includes(`-${feature}`)
				? `seL4 stopped at its CPU check ("${missing.line}"): the kernel needs ${feature}, which the build's configuration turns off (-cpu ${cpu}), so the kernel is not from that build`
				: `seL4 stopped at its CPU check ("${missing.line}") although the emulated CPU (${cpu}) has ${feature}`;
		}
	}
	const ok = grub && kernelLines.length > 0 && (!missing || emulationLimit !== undefined);
	const result: BootTestResult = {
		firmware,
		ok,
		grub,
		grubMenu,
		kernelLines,
		seconds: (Date.now() - started) / 1000,
		cpu,
		...(emulationLimit ? {emulationLimit} : {}),
		...(ok ? {} : {problem: problem ?? (grub ? 'GRUB started but no kernel line followed' : 'GRUB did not appear on the serial console')}),
	};
	if (scratch) rmSync(scratch, {recursive: true, force: true});
	if (options.logFile) {
		writeFileSync(options.logFile, stripTerminal(raw));
		result.log = options.logFile;
	}
	return result;
}
