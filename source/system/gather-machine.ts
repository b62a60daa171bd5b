// The machine's sections of the facts: architecture and kernel, CPU, memory, free disk at the workspace, the OS
// release, and the user with its groups (now and after the next login) and PATH.
import {promises as fs} from 'node:fs';
import {arch as osArch, homedir, platform as osPlatform, userInfo} from 'node:os';
import {dirname, resolve} from 'node:path';
import type {HostFacts} from './facts.js';
import {parseCpuinfo, parseMeminfo, parseOsRelease} from './fact-parsers.js';
import {exists, groupNames, readText, type GatherContext} from './gather-kit.js';

export async function gatherCpu(): Promise<Pick<HostFacts, 'cpu'>> {
	const text = await readText('/proc/cpuinfo');
	return {cpu: text === null ? null : parseCpuinfo(text)};
}

export async function gatherMemory(): Promise<Pick<HostFacts, 'memory'>> {
	const text = await readText('/proc/meminfo');
	return {memory: text === null ? null : parseMeminfo(text)};
}

export async function gatherHost(): Promise<Pick<HostFacts, 'host'>> {
	const release = await readText('/proc/sys/kernel/osrelease');
	const machine = osArch() === 'x64' ? 'x86_64' : osArch() === 'arm64' ? 'aarch64' : osArch();
	return {host: {arch: machine, kernelRelease: release?.trim() ?? null, platform: osPlatform()}};
}

export async function gatherUser(context: GatherContext): Promise<Pick<HostFacts, 'user'>> {
	const groups = await groupNames();
	let name: string;
	try {
		name = userInfo().username;
	} catch {
		name = String(process.getuid?.() ?? '');
	}
	const gids = process.getgroups?.() ?? [];
	const passwd = (await readText('/etc/passwd')) ?? '';
	const primary = passwd
		.split('\n')
		.map((line) => line.split(':'))
		.find((fields) => fields[0] === name)?.[3];
	const groupText = (await readText('/etc/group')) ?? '';
	const configured = new Set<string>();
	if (primary !== undefined && groups.has(Number(primary))) configured.add(groups.get(Number(primary))!);
	for (const line of groupText.split('\n')) {
		const [group, , , members] = line.split(':');
		if (group && members?.split(',').includes(name)) configured.add(group);
	}
	return {
		user: {
			name,
			uid: process.getuid?.() ?? -1,
			home: homedir(),
			groups: [...new Set(gids.map((gid) => groups.get(gid) ?? String(gid)))],
			configuredGroups: [...configured],
			pathDirs: (context.env.PATH ?? '').split(':').filter(Boolean),
		},
	};
}

export async function gatherDisk(context: GatherContext): Promise<Pick<HostFacts, 'disk'>> {
	let checked = resolve(context.workspace);
	while (!(await exists(checked)) && dirname(checked) !== checked) checked = dirname(checked);
	const stats = await fs.statfs(checked);
	const mib = (blocks: number) => Math.floor((blocks * stats.bsize) / (1024 * 1024));
	return {disk: {path: context.workspace, checkedPath: checked, freeMiB: mib(stats.bavail), totalMiB: mib(stats.blocks)}};
}

export async function gatherOs(): Promise<Pick<HostFacts, 'os'>> {
	const text = (await readText('/etc/os-release')) ?? (await readText('/usr/lib/os-release'));
	return {os: text === null ? null : parseOsRelease(text)};
}
