// The QEMU CPU model for an x86_64 seL4 kernel, derived from the kernel's configuration in the build's CMakeCache.txt
// the way seL4_tools' simulation.cmake derives its `simulate` line: the micro-architecture's model, then each CPU
// feature the configuration uses switched on (or off). And the lines seL4 prints when the processor lacks one of
// them: its early boot code checks them before anything else and halts.

import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';

export type X86KernelConfig = {
	microArch: string;
	hugePage: boolean;
	fpuXsave: boolean;
	xsaveOpt: boolean;
	xsaveC: boolean;
	fsgsbaseInst: boolean;
	pcid: boolean;
	syscall: boolean;
	vtx: boolean;
};

const models: Record<string, string> = {
	nehalem: 'Nehalem',
	generic: 'qemu64',
	westmere: 'Westmere',
	sandy: 'SandyBridge',
	ivy: 'IvyBridge',
	haswell: 'Haswell',
	broadwell: 'Broadwell',
	skylake: 'Skylake-Client',
};

/** Reads the kernel's x86 options from a CMakeCache.txt; undefined when it is not an x86_64 seL4 build. */
export function kernelConfigFromCache(text: string): X86KernelConfig | undefined {
	const entries = new Map<string, string>();
	for (const line of text.split('\n')) {
		const match = /^([A-Za-z0-9_]+):[A-Z]+=(.*)$/.exec(line.trim());
		if (match) entries.set(match[1]!, match[2]!);
	}
	const microArch = entries.get('KernelX86MicroArch');
	if (!microArch || (entries.get('KernelSel4Arch') ?? 'x86_64') !== 'x86_64') return undefined;
	const on = (name: string) => /^(ON|TRUE|YES|1|Y)$/i.test(entries.get(name) ?? '');
	return {
		microArch,
		hugePage: on('KernelHugePage'),
		fpuXsave: entries.get('KernelFPU') === 'XSAVE',
		xsaveOpt: entries.get('KernelXSave') === 'XSAVEOPT',
		xsaveC: entries.get('KernelXSave') === 'XSAVEC',
		fsgsbaseInst: entries.get('KernelFSGSBase') === 'inst',
		pcid: on('KernelSupportPCID'),
		syscall: entries.get('KernelSyscall') === 'syscall',
		vtx: on('KernelVTX'),
	};
}

/**
 * The -cpu value for a kernel configuration. As simulation.cmake, except: `+vmx` for VT-x (what seL4 checks), `pcid`
 * next to `invpcid` (seL4 checks both), and without `enforce` when the emulator may lack a feature, so QEMU starts
 * without it (with a warning) and the kernel's own check says what is missing.
 */
export function x86CpuModel(config: X86KernelConfig, options: {enforce?: boolean} = {}): string {
	const model = models[config.microArch] ?? 'qemu64';
	const flag = (on: boolean, name: string) => `${on ? '+' : '-'}${name}`;
	const features = [
		// simulation.cmake ties vme to KernelVTX; seL4 checks vmx.
		flag(config.vtx, 'vme'),
		flag(config.vtx, 'vmx'),
		flag(config.hugePage, 'pdpe1gb'),
		flag(config.fpuXsave, 'xsave'),
		flag(config.xsaveOpt, 'xsaveopt'),
		flag(config.xsaveC, 'xsavec'),
		flag(config.fsgsbaseInst, 'fsgsbase'),
		flag(config.pcid, 'pcid'),
		flag(config.pcid, 'invpcid'),
		flag(config.syscall, 'syscall'),
		'+lm',
	];
	return [model, ...features, ...(options.enforce ? ['enforce'] : [])].join(',');
}

/** The -cpu value for the kernel configured in a build directory (its CMakeCache.txt), or undefined. */
export function x86CpuFromBuild(buildDir: string, options: {enforce?: boolean} = {}): string | undefined {
	const cache = join(buildDir, 'CMakeCache.txt');
	if (!existsSync(cache)) return undefined;
	const config = kernelConfigFromCache(readFileSync(cache, 'utf8'));
	return config ? x86CpuModel(config, options) : undefined;
}

/** seL4's messages for a processor feature it needs and does not find (src/arch/x86/64/head.S, fpu.c, vcpu.c). */
export const missingFeatureLines: ReadonlyArray<{line: RegExp; feature: string}> = [
	{line: /^Huge page not supported by the processor/, feature: 'pdpe1gb'},
	{line: /^PCIDs not supported by the processor/, feature: 'pcid'},
	{line: /^INVPCID instruction not supported by the processor/, feature: 'invpcid'},
	{line: /^SYSCALL\/SYSRET instruction not supported by the processor/, feature: 'syscall'},
	{line: /^fsgsbase instructions not supported by the processor/, feature: 'fsgsbase'},
	{line: /^XSAVE not supported/, feature: 'xsave'},
	{line: /^vt-x: not supported/, feature: 'vmx'},
];

/** The features QEMU says it could not give the guest ("TCG doesn't support requested feature: CPUID.01H:ECX.pcid [bit 17]"). */
export function unsupportedFeatures(qemuStderr: string): Set<string> {
	const found = new Set<string>();
	for (const match of qemuStderr.matchAll(/doesn't support requested feature: \S*?\.([a-z0-9_-]+) \[bit/g)) found.add(match[1]!);
	return found;
}
