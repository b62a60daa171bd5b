// Upstream's prebuilt guest images in a synced tree (camkes-vm-examples-manifest layout).
import {join} from 'node:path';
import {platformRecord, type Platform} from '../../platforms.js';

export function upstreamGuestImages(tree: string, platform: Platform): {kernel: string; initrd: string} {
	const images = platformRecord(platform).guestImages;
	return {kernel: join(tree, images.kernel), initrd: join(tree, images.initrd)};
}
