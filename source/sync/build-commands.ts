// The exact init-build.sh arguments upstream documents and its CI runs, per platform, app and target, and the
// app/platform pairs upstream accepts (camkes-vm-examples: apps/Arm/*/settings.cmake lists, apps/x86/*).
// Pure: no process, no file.

import {bootImagePaths, camkesAppName, platformIds, targets, type Platform, type Target} from '../platforms.js';

export type AppInfo = {
	app: string;
	family: 'arm' | 'x86';
	/** Upstream PLATFORM values the app accepts (Arm), or the seL4 architecture it builds (x86). */
	upstreamPlatforms: readonly string[];
	sel4Arch?: 'x86_64' | 'ia32' | 'aarch64';
	ours?: boolean;
};

/** Every app of camkes-vm-examples, and ours. */
export const apps: readonly AppInfo[] = [
	{app: 'vm_minimal', family: 'arm', upstreamPlatforms: ['tk1', 'tx1', 'tx2', 'exynos5422', 'qemu-arm-virt', 'odroidc2', 'zcu102']},
	{app: 'vm_cross_connector', family: 'arm', upstreamPlatforms: ['exynos5422', 'qemu-arm-virt']},
	{app: 'vm_introspect', family: 'arm', upstreamPlatforms: ['exynos5422', 'qemu-arm-virt']},
	{app: 'vm_multi', family: 'arm', upstreamPlatforms: ['exynos5422', 'qemu-arm-virt']},
	{app: 'vm_virtio_net', family: 'arm', upstreamPlatforms: ['exynos5422', 'tx2', 'zcu102']},
	{app: 'vm_serial_server', family: 'arm', upstreamPlatforms: ['exynos5422']},
	{app: 'odroid_vm', family: 'arm', upstreamPlatforms: ['exynos5410']},
	{app: 'minimal', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'ia32'},
	{app: 'minimal_64', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'x86_64'},
	{app: 'optiplex9020', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'x86_64'},
	{app: 'zmq_samples', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'x86_64'},
	{app: 'virtio_blk_sample', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'ia32'},
	{app: 'cma34cr_centos', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'x86_64'},
	{app: 'cma34cr_ubuntu', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'x86_64'},
	{app: 'llm_vm', family: 'arm', upstreamPlatforms: ['qemu-arm-virt'], sel4Arch: 'aarch64', ours: true},
	{app: 'llm_vm', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'x86_64', ours: true},
];

/** Whether an app builds for one of our platforms. */
function supports(info: AppInfo, platform: Platform): boolean {
	if (platform === 'qemu-arm-virt') return info.family === 'arm' && info.upstreamPlatforms.includes('qemu-arm-virt');
	return info.family === 'x86' && info.sel4Arch === 'x86_64';
}

/** The apps that build for a platform, in table order. */
export function validApps(platform: Platform): string[] {
	return [...new Set(apps.filter((info) => supports(info, platform)).map((info) => info.app))];
}

export type BuildChoice = {platform: string; app: string; target: string};

export class BuildChoiceError extends Error {
	constructor(
		message: string,
		readonly hint: string,
	) {
		super(message);
	}
}

/** Refuses a choice upstream would reject (or that cannot give the images the platform needs), naming valid ones. */
export function checkBuildChoice(choice: BuildChoice): {platform: Platform; app: string; target: Target} {
	if (!(platformIds as readonly string[]).includes(choice.platform)) {
		throw new BuildChoiceError(`unknown platform "${choice.platform}"`, `platforms: ${platformIds.join(', ')}`);
	}
	const platform = choice.platform as Platform;
	if (!(targets as readonly string[]).includes(choice.target)) {
		throw new BuildChoiceError(`unknown target "${choice.target}"`, `targets: ${targets.join(', ')}`);
	}
	const target = choice.target as Target;
	const valid = validApps(platform);
	const validText = `apps for ${platform}: ${valid.join(', ')}`;
	if (target === 'usb' && platform !== 'x86_64') {
		throw new BuildChoiceError(`target usb needs platform x86_64 (qemu-arm-virt exists only in QEMU)`, 'use --set platform=x86_64, or --set target=qemu');
	}
	const known = apps.filter((info) => info.app === choice.app);
	if (known.length === 0) {
		const extra = choice.app === 'vm_virtio' ? ' (there is no vm_virtio; the Arm virtio example is vm_virtio_net)' : '';
		throw new BuildChoiceError(`unknown CAmkES VM app "${choice.app}"${extra}`, validText);
	}
	if (valid.includes(choice.app)) return {platform, app: choice.app, target};
	const info = known[0]!;
	let why: string;
	if (info.family === 'x86' && platform === 'qemu-arm-virt') why = `${choice.app} is an x86 app`;
	else if (info.family === 'x86') why = `${choice.app} builds a 32-bit (ia32) seL4, while platform x86_64 builds x86_64 images`;
	else if (platform === 'x86_64') why = `${choice.app} is an Arm app (init-build.sh would pick apps/Arm/${choice.app} and stop at its platform check)`;
	else why = `${choice.app} does not support qemu-arm-virt (upstream accepts: ${info.upstreamPlatforms.join(', ')})`;
	throw new BuildChoiceError(`app "${choice.app}" cannot be built for platform ${platform}: ${why}`, validText);
}

/**
 * The init-build.sh arguments, exactly as upstream documents them:
 * qemu-arm-virt: -DPLATFORM=qemu-arm-virt -DAARCH64=TRUE -DCAMKES_VM_APP=<app> -DSIMULATION=TRUE;
 * x86_64: -DCAMKES_VM_APP=<app> (x86 ignores PLATFORM), plus -DSIMULATION=TRUE only for QEMU runs.
 */
export function initBuildArgs(choice: BuildChoice): string[] {
	const {platform, app, target} = checkBuildChoice(choice);
	const name = camkesAppName(platform, app);
	if (platform === 'qemu-arm-virt') return ['-DPLATFORM=qemu-arm-virt', '-DAARCH64=TRUE', `-DCAMKES_VM_APP=${name}`, '-DSIMULATION=TRUE'];
	return [`-DCAMKES_VM_APP=${name}`, ...(target === 'qemu' ? ['-DSIMULATION=TRUE'] : [])];
}

/** The whole configure command, run from the build directory. */
export function initBuildCommand(choice: BuildChoice): string[] {
	return ['../init-build.sh', ...initBuildArgs(choice)];
}

/** One fresh build directory per platform and app, directly under the workspace. */
export function buildDirName(platform: string, app: string): string {
	return `build-${platform}-${app}`;
}

/** The images `ninja` leaves in the build directory, under their real names. */
export function imagePaths(platform: Platform): string[] {
	return bootImagePaths(platform);
}
