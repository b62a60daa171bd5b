// Files a user names on the command line (a model, a log to replay, a kernel, a lock file): the one check that they
// exist and are regular files of a sane size before anything reads them, so that a directory, a device such as
// /dev/zero or a FIFO is a clear error (exit 3) instead of a crash or a hang.
import {statSync} from 'node:fs';
import {resolve} from 'node:path';
import {InputError} from '../errors.js';

export type InputFileOptions = {
	/** Refuse files larger than this (a log to read whole, say). */
	maxBytes?: number;
	hint?: string;
};

/** The absolute path of an input file, after checking it is a regular file; otherwise an InputError naming it. */
export function inputFile(path: string, what: string, options: InputFileOptions = {}): string {
	const absolute = resolve(path);
	let stats;
	try {
		stats = statSync(absolute);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new InputError(`${what} ${path}: ${code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : `cannot be read (${code})`}`, options.hint ? {hint: options.hint} : {});
	}
	if (!stats.isFile()) {
		const kind = stats.isDirectory() ? 'a directory' : stats.isCharacterDevice() || stats.isBlockDevice() ? 'a device' : stats.isFIFO() ? 'a pipe' : 'not a regular file';
		throw new InputError(`${what} ${path} is ${kind}, not a file`, {hint: options.hint ?? `give the path of ${what} itself`});
	}
	if (options.maxBytes !== undefined && stats.size > options.maxBytes) {
		throw new InputError(`${what} ${path} is ${stats.size} bytes, more than the ${options.maxBytes} this reads`, options.hint ? {hint: options.hint} : {});
	}
	return absolute;
}

/** Everything a stream gives until it ends (stdin given as "-"), as text. */
export async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
	return Buffer.concat(chunks).toString('utf8');
}
