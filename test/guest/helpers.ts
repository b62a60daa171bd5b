// Real inputs for guest tests, written at run time: GGUF headers, arm64 Image and bzImage headers, trees.
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

export function tempDir(name: string): string {
	return mkdtempSync(join(tmpdir(), `sel4llm-${name}-`));
}

/** A GGUF v3 file: header with no tensors and no metadata, then `padding` bytes of deterministic filler. */
export function writeGguf(path: string, padding = 4096, version = 3): void {
	const header = Buffer.alloc(24);
	header.write('GGUF', 0, 'latin1');
	header.writeUInt32LE(version, 4);
	const body = Buffer.alloc(padding);
	for (let index = 0; index < padding; index++) body[index] = (index * 31 + 7) & 0xff;
	writeFileSync(path, Buffer.concat([header, body]));
}

/** An arm64 Image header (text_offset 0x80000, the given image_size) followed by zeros up to `fileBytes`. */
export function writeArm64Image(path: string, imageSize: number, fileBytes = 4096): void {
	const buffer = Buffer.alloc(fileBytes);
	buffer.writeBigUInt64LE(0x80000n, 8);
	buffer.writeBigUInt64LE(BigInt(imageSize), 16);
	buffer.write('ARM\x64', 56, 'latin1');
	writeFileSync(path, buffer);
}

/** An x86 bzImage setup header ("HdrS", init_size) followed by zeros. */
export function writeBzImage(path: string, initSize: number, fileBytes = 4096): void {
	const buffer = Buffer.alloc(fileBytes);
	buffer.write('HdrS', 0x202, 'latin1');
	buffer.writeUInt32LE(initSize, 0x260);
	writeFileSync(path, buffer);
}

/** The parts of a synced tree the app generator looks at. */
export function fakeTree(root: string): string {
	mkdirSync(join(root, 'projects', 'vm-examples', 'apps', 'Arm'), {recursive: true});
	mkdirSync(join(root, 'projects', 'vm-examples', 'apps', 'x86'), {recursive: true});
	writeFileSync(join(root, 'projects', 'vm-examples', 'settings.cmake'), '# stand-in\n');
	mkdirSync(join(root, 'projects', 'camkes-vm-images', 'qemu-arm-virt'), {recursive: true});
	mkdirSync(join(root, 'projects', 'vm-linux', 'images', 'kernel', '64'), {recursive: true});
	mkdirSync(join(root, 'projects', 'vm-linux', 'images', 'rootfs', '64'), {recursive: true});
	return root;
}
