// The virtualization sections of the facts: /dev/kvm and its modules (nested included), whether this is a VM, a
// container or WSL, and the IOMMUs the kernel sees.
import {constants, promises as fs} from 'node:fs';
import type {HostFacts} from './facts.js';
import {exists, groupNames, readText, run, type GatherContext} from './gather-kit.js';
import {which, type RunResult} from './run.js';

export async function gatherKvm(): Promise<Pick<HostFacts, 'kvm'>> {
	const device = '/dev/kvm';
	const [stat, accessible, modules, nestedIntel, nestedAmd, groups] = await Promise.all([
		fs.stat(device).catch(() => null),
		fs.access(device, constants.R_OK | constants.W_OK).then(() => true, () => false),
		fs.readdir('/sys/module').then((names) => names.filter((name) => /^kvm(_|$)/.test(name)).sort(), () => [] as string[]),
		readText('/sys/module/kvm_intel/parameters/nested'),
		readText('/sys/module/kvm_amd/parameters/nested'),
		groupNames(),
	]);
	return {
		kvm: {
			devicePresent: stat !== null,
			accessible: stat !== null && accessible,
			deviceGroup: stat ? (groups.get(stat.gid) ?? String(stat.gid)) : null,
			deviceMode: stat ? (stat.mode & 0o777).toString(8).padStart(4, '0') : null,
			modules,
			nestedIntel: nestedIntel?.trim() ?? null,
			nestedAmd: nestedAmd?.trim() ?? null,
		},
	};
}

export async function gatherEnvironment(context: GatherContext): Promise<Pick<HostFacts, 'environment'>> {
	const detector = which('systemd-detect-virt', context.env.PATH);
	const [dockerenv, containerenv, cgroup, osrelease, cpuinfo, vendor, product, container, vm] = await Promise.all([
		exists('/.dockerenv'),
		exists('/run/.containerenv'),
		readText('/proc/1/cgroup'),
		readText('/proc/sys/kernel/osrelease'),
		readText('/proc/cpuinfo'),
		readText('/sys/class/dmi/id/sys_vendor'),
		readText('/sys/class/dmi/id/product_name'),
		detector ? run(context, [detector, '--container']) : Promise.resolve(null),
		detector ? run(context, [detector, '--vm']) : Promise.resolve(null),
	]);
	const detected = (result: RunResult | null) => {
		const word = result?.stdout.trim();
		return word && word !== 'none' && !result?.timedOut ? word : null;
	};
	const wsl = /microsoft/i.test(osrelease ?? '');
	let containerName = detected(container);
	if (!containerName) {
		if (dockerenv) containerName = 'docker';
		else if (containerenv) containerName = 'podman';
		else if (/\/(docker|kubepods|lxc|containerd|libpod)/.test(cgroup ?? '')) containerName = /\/(docker|kubepods|lxc|containerd|libpod)/.exec(cgroup!)![1]!;
	}
	if (containerName === 'wsl') containerName = null;
	const hypervisorFlag = /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo ?? '');
	const dmi = [vendor?.trim(), product?.trim()].filter(Boolean).join(' ') || null;
	let vmName = detected(vm);
	if (!vmName && wsl) vmName = 'microsoft';
	if (!vmName && hypervisorFlag) vmName = 'unknown';
	return {environment: {container: containerName, vm: vmName, wsl, hypervisorFlag, dmi}};
}

export async function gatherIommu(): Promise<Pick<HostFacts, 'iommu'>> {
	const entries = await fs.readdir('/sys/class/iommu').catch(() => null);
	return {iommu: entries === null ? {entries: []} : {entries: entries.sort()}};
}
