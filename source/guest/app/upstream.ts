// Upstream's prebuilt guest images in a synced tree (camkes-vm-examples-manifest layout).
import {join} from 'node:path';
import type {Platform} from './layout.js';

export function upstreamGuestImages(tree: string, platform: Platform): {kernel: string; initrd: string} {
	if (platform === 'x86_64') {
		return {
			kernel: join(tree, 'projects', 'vm-linux', 'images', 'kernel', '64', 'default_bzimage_4.8.16'),
			initrd: join(tree, 'projects', 'vm-linux', 'images', 'rootfs', '64', 'default_buildroot_rootfs-bare.cpio'),
		};
	}
	return {
		kernel: join(tree, 'projects', 'camkes-vm-images', 'qemu-arm-virt', 'linux'),
		initrd: join(tree, 'projects', 'camkes-vm-images', 'qemu-arm-virt', 'rootfs.cpio.gz'),
	};
}
