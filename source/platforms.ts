// The seL4 platforms sel4-llm builds for: one record each, holding everything that differs between them. The CLI's
// value lists, the wizard's choices, the guest RAM limits, the app layout in camkes-vm-examples, the image names,
// the configure flags, the payload architecture and the guest images all come from here, and the recipes'
// `platform` variable and RAM bounds are checked against this table when they load. Pure data and small helpers:
// no process, no file, no UI (it is imported by --help).

export type PlatformRecord = {
	id: 'qemu-arm-virt' | 'x86_64';
	/** Short description for help texts and the wizard. */
	summary: string;
	/** The folder of camkes-vm-examples' apps/ that holds this platform's apps. */
	appsFolder: 'Arm' | 'x86';
	/**
	 * The CAmkES app directory and CAMKES_VM_APP of our own app. camkes-vm-examples looks in apps/Arm before
	 * apps/x86, so the two platforms' apps must have different names to live in one tree.
	 */
	ourApp: string;
	/** seL4's architecture, and the guest payload's. */
	sel4Arch: 'aarch64' | 'x86_64';
	payloadArch: 'aarch64' | 'x86_64';
	/**
	 * What QEMU or GRUB boots, as `ninja` leaves it in the build's images/ folder (seL4_tools rootserver.cmake): one
	 * image with the kernel inside (the ELF loader's), or a multiboot kernel and its root server.
	 */
	boot: {image: string} | {kernel: string; rootserver: string};
	/** Upstream's prebuilt guest kernel and rootfs, relative to the synced tree. */
	guestImages: {kernel: string; initrd: string};
	/** Guest RAM, in MiB. */
	guestRam: {min: number; max: number; step: number; default: number; why: string};
	/**
	 * Upstream's QEMU line for it (the `simulate` script seL4_tools generates, and camkes-vm-examples' docs): the
	 * program, -machine, the default -cpu, the console upstream uses on stdio, the -m value's unit, and what comes
	 * before and after the boot images. The images themselves come from `boot`: `-kernel IMAGE`, or `-kernel KERNEL
	 * -initrd ROOTSERVER`.
	 */
	qemu: {
		program: 'qemu-system-aarch64' | 'qemu-system-x86_64';
		machine: string;
		cpu: string;
		stdioConsole: readonly string[];
		memoryUnit: '' | 'M';
		beforeImages: readonly string[];
		afterImages: readonly string[];
		/** The most RAM the machine can have (qemu-arm-virt with highmem=off: below 4 GiB). */
		maxMemoryMb?: number;
		/** The build's own QEMU_MEMORY (CMakeCache.txt) is what the kernel was configured for, so it wins. */
		memoryFromBuild: boolean;
	};
	/** Running it in QEMU needs Intel VT-x through KVM (nested when the host is a VM). */
	needsVtx: boolean;
	/** It can boot a PC from a USB stick. */
	usb: boolean;
	/**
	 * How camkes-vm-examples names it: the PLATFORM value its Arm apps list in settings.cmake (x86 apps all build for
	 * pc99), so an upstream app builds for this platform when it lives in `appsFolder`, lists this value and, where it
	 * fixes one, has the same seL4 architecture.
	 */
	upstreamPlatform: string;
	/**
	 * init-build.sh flags before -DCAMKES_VM_APP, as upstream documents them (x86 ignores PLATFORM); every build for
	 * QEMU also gets -DSIMULATION=TRUE after it.
	 */
	configureFlags: readonly string[];
	/** The cross compilers (C and C++) the guest payload and the host check use, and their packages. */
	crossCompiler?: {gcc: string; gxx: string; packages: readonly string[]};
};

/** The CPU line upstream's generated `simulate` uses for x86_64 (KernelX86MicroArch nehalem, SIMULATION). */
export const upstreamX86Cpu = 'Nehalem,+vme,+pdpe1gb,-xsave,-xsaveopt,-xsavec,-fsgsbase,-invpcid,+syscall,+lm,enforce';

const table = [
	{
		id: 'qemu-arm-virt',
		summary: 'AArch64 in QEMU (runs under emulation on any host)',
		appsFolder: 'Arm',
		ourApp: 'llm_vm',
		sel4Arch: 'aarch64',
		payloadArch: 'aarch64',
		boot: {image: 'capdl-loader-image-arm-qemu-arm-virt'},
		guestImages: {kernel: 'projects/camkes-vm-images/qemu-arm-virt/linux', initrd: 'projects/camkes-vm-images/qemu-arm-virt/rootfs.cpio.gz'},
		guestRam: {
			min: 128,
			max: 1024,
			step: 64,
			default: 512,
			why: 'qemu-arm-virt keeps the guest RAM inside the 32-bit map below 4 GiB next to seL4 and the file server; upstream reports failures near 2 GiB (seL4_projects_libs#126)',
		},
		qemu: {
			program: 'qemu-system-aarch64',
			machine: 'virt,virtualization=on,highmem=off,secure=off',
			cpu: 'cortex-a53',
			stdioConsole: ['-nographic'],
			memoryUnit: '',
			beforeImages: [],
			afterImages: [],
			maxMemoryMb: 3072,
			memoryFromBuild: true,
		},
		upstreamPlatform: 'qemu-arm-virt',
		configureFlags: ['-DPLATFORM=qemu-arm-virt', '-DAARCH64=TRUE'],
		needsVtx: false,
		usb: false,
		crossCompiler: {gcc: 'aarch64-linux-gnu-gcc', gxx: 'aarch64-linux-gnu-g++', packages: ['gcc-aarch64-linux-gnu', 'g++-aarch64-linux-gnu']},
	},
	{
		id: 'x86_64',
		summary: 'a PC (USB stick), or QEMU only with KVM and nested VT-x',
		appsFolder: 'x86',
		ourApp: 'llm_vm_x86',
		sel4Arch: 'x86_64',
		payloadArch: 'x86_64',
		boot: {kernel: 'kernel-x86_64-pc99', rootserver: 'capdl-loader-image-x86_64-pc99'},
		guestImages: {kernel: 'projects/vm-linux/images/kernel/64/default_bzimage_4.8.16', initrd: 'projects/vm-linux/images/rootfs/64/default_buildroot_rootfs-bare.cpio'},
		guestRam: {
			min: 128,
			max: 3072,
			step: 16,
			default: 512,
			why: "the x86 guest RAM is allocated from the VMM's untyped pools and must stay below the 3 GiB PCI hole; upstream's largest example uses 1900 MiB",
		},
		qemu: {
			program: 'qemu-system-x86_64',
			machine: 'q35,accel=kvm,kernel-irqchip=split',
			cpu: `${upstreamX86Cpu},+vmx`,
			stdioConsole: ['-nographic', '-serial', 'mon:stdio'],
			memoryUnit: 'M',
			beforeImages: ['-enable-kvm'],
			afterImages: ['-device', 'intel-iommu,intremap=off'],
			memoryFromBuild: false,
		},
		upstreamPlatform: 'pc99',
		configureFlags: [],
		needsVtx: true,
		usb: true,
	},
] as const satisfies readonly PlatformRecord[];

export const platformTable: readonly PlatformRecord[] = table;
export type Platform = (typeof table)[number]['id'];
export const platformIds: readonly Platform[] = platformTable.map((record) => record.id);

/** Where a build boots: in QEMU, or on a PC from a USB stick (x86_64 only). */
export const targets = ['qemu', 'usb'] as const;
export type Target = (typeof targets)[number];

export function platformRecord(id: Platform): PlatformRecord {
	return platformTable.find((record) => record.id === id)!;
}

/** The files `ninja` leaves for the platform, relative to the build directory. */
export function bootImagePaths(id: Platform): string[] {
	const boot: PlatformRecord['boot'] = platformRecord(id).boot;
	return 'image' in boot ? [`images/${boot.image}`] : [`images/${boot.kernel}`, `images/${boot.rootserver}`];
}

export function isPlatform(value: string): value is Platform {
	return (platformIds as readonly string[]).includes(value);
}

/** The name sel4-llm uses for its own app on every platform. */
export const ourAppName = 'llm_vm';

/** CAMKES_VM_APP (and the apps/ directory name) for an app on a platform: ours has a name per platform. */
export function camkesAppName(platform: Platform, app: string): string {
	return app === ourAppName ? platformRecord(platform).ourApp : app;
}

/** The lowest and highest guest RAM any platform accepts (the recipes' bounds). */
export function guestRamBounds(): {min: number; max: number} {
	return {min: Math.min(...platformTable.map((record) => record.guestRam.min)), max: Math.max(...platformTable.map((record) => record.guestRam.max))};
}
