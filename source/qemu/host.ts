// Can this host run the x86_64 CAmkES VM under QEMU? It needs KVM with VT-x, and nested VT-x when the host is
// itself a VM: software emulation (TCG) does not emulate VMX, so seL4 would stop at "vt-x: not supported".
import {accessSync, constants, existsSync, readFileSync} from 'node:fs';

export type KvmFacts = {
	kvmDevice: boolean;
	kvmAccessible: boolean;
	cpuVmx: boolean;
	cpuSvm: boolean;
	/** Inside a VM (the "hypervisor" CPU flag). */
	hypervisor: boolean;
	/** /sys/module/kvm_intel/parameters/nested: true, false, or undefined when kvm_intel is not loaded. */
	nested: boolean | undefined;
};

export type KvmVerdict = {ok: boolean; reasons: string[]; alternatives: string[]};

export function readKvmFacts(root = '/'): KvmFacts {
	const path = (relative: string) => `${root.replace(/\/$/, '')}/${relative}`;
	let flags = '';
	try {
		flags = /^flags\s*:(.*)$/m.exec(readFileSync(path('proc/cpuinfo'), 'utf8'))?.[1] ?? '';
	} catch {
		flags = '';
	}
	const has = (flag: string) => new RegExp(`\\b${flag}\\b`).test(flags);
	let kvmAccessible = false;
	try {
		accessSync(path('dev/kvm'), constants.R_OK | constants.W_OK);
		kvmAccessible = true;
	} catch {
		kvmAccessible = false;
	}
	let nested: boolean | undefined;
	const nestedFile = path('sys/module/kvm_intel/parameters/nested');
	if (existsSync(nestedFile)) nested = /^(Y|1)/.test(readFileSync(nestedFile, 'utf8').trim());
	return {kvmDevice: existsSync(path('dev/kvm')), kvmAccessible, cpuVmx: has('vmx'), cpuSvm: has('svm'), hypervisor: has('hypervisor'), nested};
}

export const x86Alternatives = [
	'Run on a Linux PC with an Intel CPU with VT-x and KVM (if that machine is itself a VM, enable nested virtualization on its host: kvm_intel nested=1, made persistent in /etc/modprobe.d/).',
	'Boot real hardware: write a USB stick with `sel4-llm flash` and boot a PC with VT-x enabled in its firmware.',
	'Use the emulated ARM platform, which runs anywhere: `sel4-llm launch --platform qemu-arm-virt` (build it with --set platform=qemu-arm-virt).',
];

const amdAlternative = 'Run on another machine: a Linux PC with an Intel CPU with VT-x and KVM. This AMD CPU cannot run the x86_64 CAmkES VM, since seL4 supports only Intel VT-x.';

/** Pure: what stops the x86_64 VM from running here, if anything. */
export function judgeKvm(facts: KvmFacts): KvmVerdict {
	const reasons: string[] = [];
	if (!facts.cpuVmx) {
		if (facts.cpuSvm) reasons.push('the CPU has AMD-V (svm), not Intel VT-x; the seL4 kernel has VT-x support only');
		else if (facts.hypervisor) reasons.push('this machine is a VM whose virtual CPU has no vmx flag: nested VT-x is not enabled on its host');
		else reasons.push('the CPU reports no vmx flag: VT-x is missing or disabled in the firmware');
	}
	if (!facts.kvmDevice) reasons.push('/dev/kvm does not exist: KVM is not available (kvm_intel not loaded, or virtualization disabled)');
	else if (!facts.kvmAccessible) reasons.push('/dev/kvm is not readable and writable by this user (add the user to the kvm group and log in again)');
	if (facts.cpuVmx && facts.hypervisor && facts.nested === false) {
		reasons.push('kvm_intel has nested=N: the seL4 VMM needs VT-x inside the guest (nested virtualization)');
	}
	if (facts.cpuVmx && facts.kvmDevice && facts.nested === false && !facts.hypervisor) {
		reasons.push('kvm_intel has nested=N: QEMU can only offer +vmx to seL4 with nested virtualization enabled');
	}
	if (reasons.length === 0) return {ok: true, reasons, alternatives: []};
	// On an AMD CPU no setting of this machine helps (seL4 has no AMD-V support): nothing about nested VT-x here.
	const amd = facts.cpuSvm && !facts.cpuVmx;
	return {ok: false, reasons, alternatives: amd ? [amdAlternative, ...x86Alternatives.slice(1)] : x86Alternatives};
}
