// A file with a GGUF header of the given size (sparse), for validation tests.
import {closeSync, ftruncateSync, openSync, writeSync} from 'node:fs';

export function fakeGguf(path: string, bytes: number, version = 3): string {
	const fd = openSync(path, 'w');
	const header = Buffer.alloc(24);
	header.write('GGUF', 0, 'latin1');
	header.writeUInt32LE(version, 4);
	writeSync(fd, header);
	ftruncateSync(fd, bytes);
	closeSync(fd);
	return path;
}
