// The Debian/Ubuntu packages an seL4 CAmkES VM build needs, per platform. One list for doctor and the
// host-setup recipe. Names are real (installable) package names: upstream's docs list a few virtual ones
// (ncurses-dev, qemu-kvm) that dpkg never reports as installed, so their real providers are used here.

import {platformIds, platformRecord, type Platform} from '../platforms.js';
import type {Need, Stage} from './types.js';

export type PackageGroup = {
	id: string;
	/** Why these packages are needed (shown in doctor's output). */
	reason: string;
	packages: string[];
	/** Needed for a build (required) or only recommended by upstream's docs (a warning when missing). */
	required: boolean;
	/** Platforms that need this group. */
	platforms: readonly Platform[];
	/** What the platforms need it for (omitted: build); only the verdicts of these needs count it. */
	stage?: Stage;
	/** Host architectures the group applies to (omitted: all). */
	hostArch?: readonly string[];
};

export const packageGroups: readonly PackageGroup[] = [
	{
		id: 'base',
		reason: 'seL4 build tools (upstream host-dependencies page)',
		packages: [
			'build-essential',
			'cmake',
			'ninja-build',
			'libxml2-utils',
			'libncurses-dev',
			'curl',
			'git',
			'device-tree-compiler',
			'xxd',
			'u-boot-tools',
			'python3-dev',
			'python3-pip',
			'python3-venv',
			'python-is-python3',
			'protobuf-compiler',
			'python3-protobuf',
		],
		required: true,
		platforms: [...platformIds],
	},
	{
		id: 'base-extras',
		reason: 'listed by upstream, not needed to build (cache, config UI, documentation)',
		packages: ['ccache', 'cmake-curses-gui', 'doxygen'],
		required: false,
		platforms: [...platformIds],
	},
	{
		id: 'camkes',
		reason: 'CAmkES build and test dependencies',
		packages: ['clang', 'gdb', 'libssl-dev', 'libclang-dev', 'libcunit1-dev', 'libsqlite3-dev', 'haskell-stack'],
		required: true,
		platforms: [...platformIds],
	},
	{
		id: 'vm-build',
		reason: 'used by the VM build but missing from upstream docs (rootfs assembly, libarchive)',
		packages: ['cpio', 'fakeroot', 'rsync', 'libarchive-dev'],
		required: true,
		platforms: [...platformIds],
	},
	{
		id: 'arm-cross',
		reason: 'AArch64 cross compiler and QEMU for qemu-arm-virt',
		packages: [...platformRecord('qemu-arm-virt').crossCompiler!.packages],
		required: true,
		platforms: ['qemu-arm-virt'],
		hostArch: ['x86_64'],
	},
	{
		id: 'arm-qemu',
		reason: 'QEMU for qemu-arm-virt (configure runs qemu-system-aarch64 to dump the device tree)',
		packages: ['qemu-system-arm'],
		required: true,
		platforms: ['qemu-arm-virt'],
	},
	{
		id: 'arm32-cross',
		reason: '32-bit Arm cross compilers listed by upstream (not used by qemu-arm-virt)',
		packages: ['gcc-arm-linux-gnueabi', 'g++-arm-linux-gnueabi'],
		required: false,
		platforms: ['qemu-arm-virt'],
		hostArch: ['x86_64'],
	},
	{
		id: 'x86-qemu',
		reason: 'QEMU with KVM for x86_64',
		packages: ['qemu-system-x86'],
		required: true,
		platforms: ['x86_64'],
	},
	{
		id: 'x86-32bit',
		reason: '32-bit libraries for a 32-bit Linux VMM (upstream\'s CAmkES image installs them); the x86_64 llm_vm build does not use them',
		packages: ['gcc-multilib', 'g++-multilib', 'linux-libc-dev:i386'],
		required: false,
		platforms: ['x86_64'],
		hostArch: ['x86_64'],
	},
	{
		id: 'usb',
		reason: 'bootable USB stick for a PC (GRUB for BIOS and UEFI, ISO and FAT tools)',
		packages: ['grub-pc-bin', 'grub-efi-amd64-bin', 'grub-common', 'xorriso', 'mtools'],
		required: true,
		platforms: ['x86_64'],
		stage: 'usb',
	},
];

/** Packages for a platform on a host architecture: what the host-setup recipe installs. */
export function packagesFor(platform: Platform, hostArch = 'x86_64', options: {usb?: boolean; recommended?: boolean} = {}): string[] {
	const list = packageGroups
		.filter((group) => group.platforms.includes(platform))
		.filter((group) => !group.hostArch || group.hostArch.includes(hostArch))
		.filter((group) => options.usb || group.stage !== 'usb')
		.filter((group) => options.recommended || group.required)
		.flatMap((group) => group.packages);
	return [...new Set(list)];
}

/** The capabilities a group is needed for, e.g. ["x86_64:build"]. */
export function groupNeeds(group: PackageGroup): Need[] {
	return group.platforms.map((platform) => `${platform}:${group.stage ?? 'build'}` as Need);
}

/** Foreign architectures a package list needs (`dpkg --add-architecture`). */
export function foreignArchitectures(packages: readonly string[]): string[] {
	return [...new Set(packages.filter((name) => name.includes(':')).map((name) => name.split(':')[1]!))];
}

/** Which package provides a tool doctor checks (for fixes). */
export const toolPackages: Record<string, string> = {
	git: 'git',
	cmake: 'cmake',
	ninja: 'ninja-build',
	dtc: 'device-tree-compiler',
	stack: 'haskell-stack',
	'qemu-system-aarch64': 'qemu-system-arm',
	'qemu-system-x86_64': 'qemu-system-x86',
	'aarch64-linux-gnu-gcc': 'gcc-aarch64-linux-gnu',
};
