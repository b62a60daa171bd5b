// Where the images to boot are: explicit flags, the build's recorded artifacts, or the build directory.
import {existsSync, readFileSync} from 'node:fs';
import {basename, join, resolve} from 'node:path';
import {readArtifacts} from '../engine/journal.js';
import {platformRecord, type Platform, type PlatformRecord} from '../platforms.js';
import type {QemuMachine} from './command.js';

export type ImageSet = {image?: string; kernel?: string; initrd?: string; source: string};


export function artifactsFile(workspace: string): string {
	return join(workspace, '.sel4-llm', 'artifacts.json');
}

export function buildImagesDir(workspace: string, platform: QemuMachine, app: string): string {
	return join(workspace, `build-${platform}-${app}`, 'images');
}

type Recorded = Record<string, Record<string, string>>;

function readRecorded(workspace: string): Recorded | undefined {
	return readArtifacts(workspace);
}

/** A recorded artifact whose file name is `name` (or whose artifact name is one of `keys`), newest step last wins. */
function findRecorded(recorded: Recorded, name: string, keys: string[]): string | undefined {
	let found: string | undefined;
	for (const artifacts of Object.values(recorded)) {
		if (!artifacts || typeof artifacts !== 'object') continue;
		for (const [key, path] of Object.entries(artifacts)) {
			if (typeof path !== 'string') continue;
			if (basename(path) === name || keys.includes(key)) found = path;
		}
	}
	return found;
}

/**
 * Resolves the images for a platform. Precedence: --image/--kernel/--initrd flags, then
 * <workspace>/.sel4-llm/artifacts.json (written by the build steps), then <workspace>/build-<platform>-<app>/images/.
 */
export function resolveImages(options: {
	workspace: string;
	platform: Platform;
	app: string;
	flags: {image?: string; kernel?: string; initrd?: string};
}): ImageSet {
	const {workspace, platform, app, flags} = options;
	const recorded = readRecorded(workspace);
	const imagesDir = buildImagesDir(workspace, platform, app);
	const pick = (role: 'image' | 'kernel' | 'initrd', name: string): {path: string; source: string} => {
		const flag = flags[role];
		if (flag) return {path: resolve(flag), source: `--${role}`};
		const fromRecord = recorded ? findRecorded(recorded, name, [name]) : undefined;
		if (fromRecord) return {path: fromRecord, source: artifactsFile(workspace)};
		return {path: join(imagesDir, name), source: imagesDir};
	};
	const boot: PlatformRecord['boot'] = platformRecord(platform).boot;
	if ('image' in boot) {
		const image = pick('image', boot.image);
		return {image: image.path, source: image.source};
	}
	// QEMU boots a multiboot kernel with the root server as its module (-initrd).
	const kernel = pick('kernel', boot.kernel);
	const initrd = pick('initrd', boot.rootserver);
	return {kernel: kernel.path, initrd: initrd.path, source: kernel.source === initrd.source ? kernel.source : `${kernel.source}, ${initrd.source}`};
}

/** QEMU_MEMORY from the build's CMake cache (qemu-arm-virt's kernel is configured for it), if known. */
export function configuredQemuMemory(workspace: string, platform: QemuMachine, app: string): number | undefined {
	const cache = join(workspace, `build-${platform}-${app}`, 'CMakeCache.txt');
	if (!existsSync(cache)) return undefined;
	const match = /^QEMU_MEMORY(?::[A-Z]+)?=(\d+)\s*$/m.exec(readFileSync(cache, 'utf8'));
	return match ? Number(match[1]) : undefined;
}
