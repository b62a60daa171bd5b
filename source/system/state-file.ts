// The files sel4-llm keeps its state in (the journal, artifacts, launch records, locks, image records): read
// through a schema and written atomically. A file that is not what it should be is never silently reset: it is
// moved aside, and the error names it, says what was wrong and what to do. A full disk is a clear error too, and
// the previous contents stay intact.
import {closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync} from 'node:fs';
import {basename, dirname, join} from 'node:path';
import type {z} from 'zod';
import {InputError, WorkError} from '../errors.js';

export type StateSpec<T> = {
	schema: z.ZodType<T>;
	/** What the file is, for messages: "the journal", "the launch record". */
	what: string;
	/** What to do after a bad file was moved aside (default: run the command again to start it afresh). */
	fix?: string;
};

function stamp(): string {
	return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
}

function firstProblem(error: z.ZodError): string {
	const issue = error.issues[0]!;
	const where = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
	return `${where ? `${where}: ` : ''}${issue.message}`;
}

/** Moves a bad state file aside (kept for inspection) and returns where it went. */
function moveAside(file: string): string {
	const aside = join(dirname(file), `${basename(file)}.bad-${stamp()}`);
	renameSync(file, aside);
	return aside;
}

/**
 * Reads a state file: undefined when it does not exist. A file that is not valid JSON or does not match the schema
 * is moved aside and reported (exit 3); a directory or other non-file in its place is reported and left alone.
 */
export function readState<T>(file: string, spec: StateSpec<T>): T | undefined {
	let text: string;
	try {
		const stats = statSync(file);
		if (!stats.isFile()) {
			throw new InputError(`${spec.what} ${file} is ${stats.isDirectory() ? 'a directory' : 'not a regular file'}`, {hint: `remove or rename it, then run again`});
		}
		text = readFileSync(file, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
		if (error instanceof InputError) throw error;
		throw new InputError(`cannot read ${spec.what} ${file}: ${(error as Error).message}`);
	}
	let problem: string;
	try {
		const parsed = spec.schema.safeParse(JSON.parse(text));
		if (parsed.success) return parsed.data;
		problem = firstProblem(parsed.error);
	} catch (error) {
		problem = text.trim() === '' ? 'it is empty' : `it is not valid JSON (${(error as Error).message})`;
	}
	const aside = moveAside(file);
	throw new InputError(`${spec.what} ${file} is not valid: ${problem}`, {
		hint: `it was moved to ${aside} (kept, not deleted); ${spec.fix ?? 'run the command again to start it afresh'}`,
	});
}

let sequence = 0;

/** Writes a state file atomically: a temporary file in the same directory, flushed, then renamed over it. */
export function writeState(file: string, data: unknown, what = 'a state file'): void {
	writeTextAtomic(file, `${JSON.stringify(data, null, 2)}\n`, what);
}

export function writeTextAtomic(file: string, text: string, what = 'a state file'): void {
	const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.${++sequence}.tmp`);
	let fd: number | undefined;
	try {
		fd = openSync(temporary, 'w', 0o644);
		writeSync(fd, text);
		fsyncSync(fd);
		closeSync(fd);
		fd = undefined;
		renameSync(temporary, file);
	} catch (error) {
		if (fd !== undefined) closeSync(fd);
		rmSync(temporary, {force: true});
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOSPC' || code === 'EDQUOT') {
			throw new WorkError(`the disk is full: ${what} (${file}) could not be written; its previous contents are intact`, {
				hint: `free space on the file system of ${dirname(file)}, then run again`,
			});
		}
		throw new WorkError(`${what} (${file}) could not be written: ${(error as Error).message}`);
	}
}
