// The exact init-build.sh arguments upstream documents and its CI runs, per platform, app and target, and the
// app/platform pairs upstream accepts (camkes-vm-examples: apps/Arm/*/settings.cmake lists, apps/x86/*).
// Pure: no process, no file.

import {bootImagePaths, camkesAppName, platformIds, platformRecord, targets, type Platform, type Target} from '../platforms.js';

export type AppInfo = {
	app: string;
	/** The folder of camkes-vm-examples' apps/ it lives in. */
	family: 'Arm' | 'x86';
	/** Upstream PLATFORM values the app accepts (Arm), or the seL4 architecture it builds (x86). */
	upstreamPlatforms: readonly string[];
	sel4Arch?: 'x86_64' | 'ia32' | 'aarch64';
	ours?: boolean;
};

/** Every app of camkes-vm-examples, and ours. */
export const apps: readonly AppInfo[] = [
	{app: 'vm_minimal', family: 'Arm', upstreamPlatforms: ['tk1', 'tx1', 'tx2', 'exynos5422', 'qemu-arm-virt', 'odroidc2', 'zcu102']},
	{app: 'vm_cross_connector', family: 'Arm', upstreamPlatforms: ['exynos5422', 'qemu-arm-virt']},
	{app: 'vm_introspect', family: 'Arm', upstreamPlatforms: ['exynos5422', 'qemu-arm-virt']},
	{app: 'vm_multi', family: 'Arm', upstreamPlatforms: ['exynos5422', 'qemu-arm-virt']},
	{app: 'vm_virtio_net', family: 'Arm', upstreamPlatforms: ['exynos5422', 'tx2', 'zcu102']},
	{app: 'vm_serial_server', family: 'Arm', upstreamPlatforms: ['exynos5422']},
	{app: 'odroid_vm', family: 'Arm', upstreamPlatforms: ['exynos5410']},
	{app: 'minimal', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'ia32'},
	{app: 'minimal_64', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'x86_64'},
	{app: 'optiplex9020', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'x86_64'},
	{app: 'zmq_samples', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'x86_64'},
	{app: 'virtio_blk_sample', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'ia32'},
	{app: 'cma34cr_centos', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'x86_64'},
	{app: 'cma34cr_ubuntu', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'x86_64'},
	{app: 'llm_vm', family: 'Arm', upstreamPlatforms: ['qemu-arm-virt'], sel4Arch: 'aarch64', ours: true},
	{app: 'llm_vm', family: 'x86', upstreamPlatforms: ['pc99'], sel4Arch: 'x86_64', ours: true},
];

/** Whether an app builds for one of our platforms: the platform's apps folder, PLATFORM value and seL4 architecture. */
function supports(info: AppInfo, platform: Platform): boolean {
	const record = platformRecord(platform);
	return info.family === record.appsFolder && info.upstreamPlatforms.includes(record.upstreamPlatform) && (info.sel4Arch === undefined || info.sel4Arch === record.sel4Arch);
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
	if (target === 'usb' && !platformRecord(platform).usb) {
		const usb = platformIds.filter((id) => platformRecord(id).usb);
		throw new BuildChoiceError(`target usb needs platform ${usb.join(' or ')} (${platform} exists only in QEMU)`, `use ${usb.map((id) => `--set platform=${id}`).join(' or ')}, or --set target=qemu`);
	}
	const known = apps.filter((info) => info.app === choice.app);
	if (known.length === 0) {
		const extra = choice.app === 'vm_virtio' ? ' (there is no vm_virtio; the Arm virtio example is vm_virtio_net)' : '';
		throw new BuildChoiceError(`unknown CAmkES VM app "${choice.app}"${extra}`, validText);
	}
	if (valid.includes(choice.app)) return {platform, app: choice.app, target};
	const info = known[0]!;
	const record = platformRecord(platform);
	let why: string;
	if (info.family !== record.appsFolder) {
		why = `${choice.app} is an ${info.family} app${info.family === 'Arm' ? ` (init-build.sh would pick apps/Arm/${choice.app} and stop at its platform check)` : ''}`;
	} else if (info.sel4Arch !== undefined && info.sel4Arch !== record.sel4Arch) {
		why = `${choice.app} builds a ${info.sel4Arch === 'ia32' ? '32-bit (ia32)' : info.sel4Arch} seL4, while platform ${platform} builds ${record.sel4Arch} images`;
	} else {
		why = `${choice.app} does not support ${record.upstreamPlatform} (upstream accepts: ${info.upstreamPlatforms.join(', ')})`;
	}
	throw new BuildChoiceError(`app "${choice.app}" cannot be built for platform ${platform}: ${why}`, validText);
}

/**
 * The init-build.sh arguments, exactly as upstream documents them:
 * qemu-arm-virt: -DPLATFORM=qemu-arm-virt -DAARCH64=TRUE -DCAMKES_VM_APP=<app> -DSIMULATION=TRUE;
 * x86_64: -DCAMKES_VM_APP=<app> (x86 ignores PLATFORM), plus -DSIMULATION=TRUE only for QEMU runs.
 */
export function initBuildArgs(choice: BuildChoice): string[] {
	const {platform, app, target} = checkBuildChoice(choice);
	return [...platformRecord(platform).configureFlags, `-DCAMKES_VM_APP=${camkesAppName(platform, app)}`, ...(target === 'qemu' ? ['-DSIMULATION=TRUE'] : [])];
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
