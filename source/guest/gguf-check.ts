// A quick validation of a GGUF model file: readable, the "GGUF" magic, a known version, sane header counts.
// It reads only the first 24 bytes, so checking a multi-GiB model costs nothing.
import {open, stat} from 'node:fs/promises';
import {ExitCode, UserError} from '../errors.js';

export type GgufInfo = {
	path: string;
	size: number;
	version: number;
	tensorCount: bigint;
	metadataCount: bigint;
};

const supportedVersions = [1, 2, 3];
const headerBytes = 24;

/** Checks one file; throws a UserError saying what is wrong and what to do. */
export async function checkGguf(path: string): Promise<GgufInfo> {
	let size: number;
	try {
		const info = await stat(path);
		if (!info.isFile()) {
			throw new UserError(`model ${path} is not a regular file`, {
				exitCode: ExitCode.invalidInput,
				hint: 'Give the path of a .gguf file (or a directory that holds .gguf files).',
			});
		}
		size = info.size;
	} catch (error) {
		if (error instanceof UserError) throw error;
		const code = (error as NodeJS.ErrnoException).code;
		throw new UserError(`model ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`}`, {
			exitCode: ExitCode.invalidInput,
			hint: 'Check the path; models are GGUF files as used by llama.cpp (for example from Hugging Face).',
		});
	}
	if (size < headerBytes) {
		throw notGguf(path, `it is only ${size} bytes long`);
	}
	const buffer = Buffer.alloc(headerBytes);
	let handle;
	try {
		handle = await open(path, 'r');
		await handle.read(buffer, 0, headerBytes, 0);
	} catch (error) {
		throw new UserError(`model ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
			exitCode: ExitCode.invalidInput,
			hint: 'Make the file readable by this user (chmod a+r).',
		});
	} finally {
		await handle?.close();
	}
	if (buffer.toString('latin1', 0, 4) !== 'GGUF') {
		const start = buffer.subarray(0, 4).toString('hex');
		throw notGguf(path, `it starts with 0x${start}, not the GGUF magic "GGUF"`);
	}
	const version = buffer.readUInt32LE(4);
	if (!supportedVersions.includes(version)) {
		throw notGguf(path, `GGUF version ${version} is not one of ${supportedVersions.join(', ')}`);
	}
	// Version 1 stored the counts as 32-bit values; 2 and 3 as 64-bit.
	const tensorCount = version === 1 ? BigInt(buffer.readUInt32LE(8)) : buffer.readBigUInt64LE(8);
	const metadataCount = version === 1 ? BigInt(buffer.readUInt32LE(12)) : buffer.readBigUInt64LE(16);
	if (tensorCount > 1_000_000n || metadataCount > 1_000_000n) {
		throw notGguf(path, `its header claims ${tensorCount} tensors and ${metadataCount} metadata entries`);
	}
	return {path, size, version, tensorCount, metadataCount};
}

function notGguf(path: string, why: string): UserError {
	return new UserError(`model ${path} is not a usable GGUF file: ${why}`, {
		exitCode: ExitCode.invalidInput,
		hint: 'llama.cpp needs GGUF (versions 1-3). Convert other formats with llama.cpp\'s convert_hf_to_gguf.py, or download a .gguf file.',
	});
}
