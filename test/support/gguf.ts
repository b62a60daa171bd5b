// A file with a valid GGUF header (one tensor, general.architecture = llama) of the given size (sparse), for
// validation tests; version 1 gives an unsupported header.
import {closeSync, ftruncateSync, openSync, writeSync} from 'node:fs';

function ggufString(text: string): Buffer {
	const length = Buffer.alloc(8);
	length.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
	return Buffer.concat([length, Buffer.from(text)]);
}

export function fakeGguf(path: string, bytes: number, version = 3): string {
	const head = Buffer.alloc(24);
	head.write('GGUF', 0, 'latin1');
	head.writeUInt32LE(version, 4);
	head.writeBigUInt64LE(1n, 8); // tensors
	head.writeBigUInt64LE(1n, 16); // metadata entries
	const type = Buffer.alloc(4);
	type.writeUInt32LE(8); // string
	const header = Buffer.concat([head, ggufString('general.architecture'), type, ggufString('llama')]);
	const fd = openSync(path, 'w');
	writeSync(fd, header);
	ftruncateSync(fd, Math.max(bytes, header.length));
	closeSync(fd);
	return path;
}
