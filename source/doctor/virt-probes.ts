// The virtualization ladder the x86_64 CAmkES VMM needs to run in QEMU: an Intel CPU with VT-x, /dev/kvm, access to
// it, nested virtualization, and what kind of machine this is (VM, container, WSL) so the hint says where to switch it on.
import type {HostFacts} from '../system/facts.js';
import type {Fix, Need} from './types.js';
import {unknown, x86Run, type Draft, type Probe} from './probe-kit.js';

function kvmHostHint(facts: HostFacts): string {
	const env = facts.environment;
	if (env?.wsl) return 'WSL2: set nestedVirtualization=true in %UserProfile%\\.wslconfig (Windows 11), then `wsl --shutdown`';
	if (env?.container) return `inside a ${env.container} container: start it with --device /dev/kvm (and a kernel with nested KVM on the host)`;
	if (env?.vm) return `inside a VM (${env.vm}): enable nested virtualization for this VM in the outer hypervisor`;
	return 'enable VT-x (Intel Virtualization Technology) in the firmware setup';
}

function vmxHint(facts: HostFacts): string {
	const env = facts.environment;
	if (env?.wsl) return kvmHostHint(facts);
	if (env?.vm) return `this is a ${env.vm} VM: the outer hypervisor must expose VT-x (nested virtualization) to it`;
	return 'enable VT-x (Intel Virtualization Technology) in the firmware setup';
}

export const cpuVirtProbe: Probe = (facts) => {
	const base = {id: 'cpu-virt', group: 'virtualization' as const, title: 'CPU virtualization (VT-x)', needs: [x86Run]};
	if (!facts.cpu) return unknown(base.id, base.group, base.title, 'cpu', facts, base.needs);
	const {vendor, flags} = facts.cpu;
	if (vendor === 'intel' && flags.includes('vmx')) return {...base, status: 'pass', summary: 'Intel CPU with VT-x (vmx)'};
	if (vendor === 'intel') return {...base, status: 'fail', summary: 'Intel CPU without the vmx flag: VT-x is off or hidden', hint: vmxHint(facts)};
	if (vendor === 'amd')
		return {
			...base,
			status: 'fail',
			summary: `AMD CPU${flags.includes('svm') ? ' with AMD-V (svm)' : ''}: seL4's x86 VMM supports Intel VT-x only`,
			hint: 'use qemu-arm-virt here, or build x86_64 and boot it on an Intel PC from a USB stick',
		};
	return {
		...base,
		status: 'fail',
		summary: `${vendor === 'arm' ? `Arm CPU${facts.kvm?.devicePresent ? ' with hypervisor extensions (KVM available)' : ''}` : 'non-x86 CPU'}: the x86 VMM needs an Intel x86_64 host with VT-x`,
		hint: 'qemu-arm-virt runs here under emulation',
	};
};

export const kvmDeviceProbe: Probe = (facts) => {
	const base = {id: 'kvm-device', group: 'virtualization' as const, title: 'KVM device (/dev/kvm)', needs: [x86Run]};
	if (!facts.kvm) return unknown(base.id, base.group, base.title, 'kvm', facts, base.needs);
	if (facts.kvm.devicePresent) return {...base, status: 'pass', summary: `present (${facts.kvm.modules.join(', ') || 'no kvm module listed'})`};
	const canLoad = facts.cpu?.vendor === 'intel' && facts.cpu.flags.includes('vmx') && !facts.environment?.container && !facts.kvm.modules.includes('kvm_intel');
	return {
		...base,
		status: 'fail',
		summary: 'no /dev/kvm: QEMU cannot use hardware virtualization',
		hint: canLoad ? 'load the kvm_intel module' : kvmHostHint(facts),
		...(canLoad ? {fix: {commands: [['modprobe', 'kvm_intel']], sudo: true, description: 'load the kvm_intel module', affects: ['kvm'] as const satisfies Fix['affects']}} : {}),
	} as Draft;
};

export const kvmAccessProbe: Probe = (facts) => {
	const base = {id: 'kvm-access', group: 'virtualization' as const, title: 'KVM access for this user', needs: [x86Run]};
	if (!facts.kvm) return unknown(base.id, base.group, base.title, 'kvm', facts, base.needs);
	if (!facts.kvm.devicePresent) return {...base, status: 'fail', summary: 'no /dev/kvm to access'};
	if (facts.kvm.accessible) return {...base, status: 'pass', summary: `read/write (group ${facts.kvm.deviceGroup}, mode ${facts.kvm.deviceMode})`};
	const group = facts.kvm.deviceGroup;
	const user = facts.user;
	const summary = `/dev/kvm is not readable and writable by ${user?.name ?? 'this user'} (group ${group}, mode ${facts.kvm.deviceMode})`;
	if (group && user && user.configuredGroups.includes(group) && !user.groups.includes(group))
		return {...base, status: 'fail', summary, hint: `${user.name} was added to the ${group} group after logging in: log out and in again (or run \`newgrp ${group}\`)`};
	if (group === 'kvm' && user)
		return {
			...base,
			status: 'fail',
			summary,
			hint: 'add yourself to the kvm group, then log out and in again',
			fix: {commands: [['usermod', '-aG', 'kvm', user.name]], sudo: true, description: `add ${user.name} to the kvm group (takes effect at the next login)`, affects: ['user', 'kvm']},
		};
	return {...base, status: 'fail', summary, hint: 'give the kvm group access with a udev rule (KERNEL=="kvm", GROUP="kvm", MODE="0660") and join that group'};
};

export const kvmNestedProbe: Probe = (facts) => {
	const base = {id: 'kvm-nested', group: 'virtualization' as const, title: 'Nested virtualization (kvm_intel nested)', needs: [x86Run]};
	if (!facts.kvm) return unknown(base.id, base.group, base.title, 'kvm', facts, base.needs);
	const value = facts.kvm.nestedIntel;
	if (value === 'Y' || value === '1') return {...base, status: 'pass', summary: 'enabled: KVM guests can use VT-x (seL4\'s VMM needs it)'};
	if (value === 'N' || value === '0') {
		const conf = '/etc/modprobe.d/sel4-llm-kvm-nested.conf';
		return {
			...base,
			status: 'fail',
			summary: 'disabled: seL4 in QEMU/KVM would stop at "vt-x: not supported"',
			hint: 'enable nested=1 for kvm_intel; reloading the module needs every running VM stopped',
			fix: {
				commands: [
					['sh', '-c', `echo 'options kvm_intel nested=1' > ${conf}`],
					['modprobe', '-r', 'kvm_intel'],
					['modprobe', 'kvm_intel', 'nested=1'],
				],
				sudo: true,
				description: `enable nested virtualization now and at every boot (${conf})`,
				affects: ['kvm'],
			},
		};
	}
	if (facts.kvm.nestedAmd !== null) return {...base, status: 'fail', summary: 'KVM is kvm_amd: nested VT-x is not available on AMD'};
	const other = facts.kvm.modules.filter((name) => name !== 'kvm');
	const vmx = facts.cpu?.flags.includes('vmx') ?? false;
	return {
		...base,
		status: 'fail',
		summary: `kvm_intel is not loaded${other.length > 0 ? ` (KVM here comes from ${other.join(', ')})` : ''}: no nested VT-x`,
		hint: vmx ? 'load it with nested=1: modprobe kvm_intel nested=1' : 'needs VT-x first (see CPU virtualization)',
	};
};

export const environmentProbe: Probe = (facts) => {
	const base = {id: 'environment', group: 'virtualization' as const, title: 'Bare metal, VM, container or WSL', needs: [x86Run, 'x86_64:usb' as Need]};
	const env = facts.environment;
	if (!env) return {...base, status: 'warn', summary: 'unknown'};
	if (env.wsl) return {...base, status: 'warn', summary: 'WSL2: KVM needs nested virtualization enabled in Windows; USB sticks need usbipd', hint: kvmHostHint(facts)};
	if (env.container) {
		const kvm = facts.kvm?.devicePresent ?? false;
		return {
			...base,
			status: 'warn',
			summary: `inside a ${env.container} container${env.vm ? ` on a ${env.vm} VM` : ''}: ${kvm ? '/dev/kvm is passed in; USB devices must be too' : '/dev/kvm and USB devices must be passed in'}`,
			...(kvm ? {} : {hint: kvmHostHint(facts)}),
		};
	}
	if (env.vm) return {...base, status: 'pass', summary: `a ${env.vm} VM${env.dmi ? ` (${env.dmi})` : ''}: x86 runs need nested virtualization from the outer hypervisor`};
	return {...base, status: 'pass', summary: `bare metal${env.dmi ? ` (${env.dmi})` : ''}`};
};

export const iommuProbe: Probe = (facts) => {
	const base = {id: 'iommu', group: 'virtualization' as const, title: 'IOMMU (VT-d)', needs: ['x86_64:usb' as Need]};
	const entries = facts.iommu?.entries ?? [];
	if (entries.length > 0)
		return {...base, status: 'pass', summary: `present (${entries.join(', ')})`, hint: 'on real hardware seL4 was tested with VT-d on Q35 and Intel 5500 chipsets only; add disable_iommu to the kernel command line if it hangs'};
	return {...base, status: 'pass', summary: 'none visible: not needed for QEMU (it emulates intel-iommu); a PC booted from USB may have one'};
};
