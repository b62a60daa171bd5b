// The lock file: the exact revisions a sync checked out, to commit, share and reproduce with `sync --lock`.
// A lock file comes from outside (people share them), so it is checked as strictly as a manifest: every path stays
// inside the workspace, every URL and revision is one git cannot take for an option.
import {readFileSync} from 'node:fs';
import {z} from 'zod';
import type {FileLink} from './manifest.js';
import {isCommitId} from './manifest.js';
import {gitValueProblem, relativePathProblem} from '../system/untrusted.js';

export const lockFileName = 'sel4-llm.lock.json';

export type LockedProject = {
	name: string;
	path: string;
	url: string;
	/** The commit checked out. */
	revision: string;
	/** What the manifest asked for when it was not a commit id (a branch or a tag ref). */
	ref?: string;
	upstream?: string;
	linkfiles: FileLink[];
	copyfiles: FileLink[];
};

export type LockFile = {
	version: 1;
	manifest: {url: string; file: string; commit?: string};
	projects: LockedProject[];
};

export class LockFileError extends Error {}

const relativePath = z.string().superRefine((value, context) => {
	const problem = relativePathProblem(value);
	if (problem) context.addIssue({code: 'custom', message: `"${value}" ${problem}`});
});
const gitValue = (what: 'url' | 'revision' | 'name') =>
	z.string().superRefine((value, context) => {
		const problem = gitValueProblem(value, what);
		if (problem) context.addIssue({code: 'custom', message: `"${value}" ${problem}`});
	});
const link = z.strictObject({src: relativePath, dest: relativePath});

const lockSchema = z.strictObject({
	version: z.literal(1),
	manifest: z.strictObject({url: gitValue('url'), file: relativePath, commit: z.string().refine(isCommitId, 'must be a full commit id').optional()}),
	projects: z.array(
		z.strictObject({
			name: gitValue('name'),
			path: relativePath,
			url: gitValue('url'),
			revision: z.string().refine(isCommitId, 'must be a full commit id'),
			ref: gitValue('revision').optional(),
			upstream: gitValue('revision').optional(),
			linkfiles: z.array(link).default([]),
			copyfiles: z.array(link).default([]),
		}),
	),
});

/** Serialises a lock deterministically (no timestamps), so an unchanged sync leaves the file byte-identical. */
export function formatLock(lock: LockFile): string {
	const projects = [...lock.projects].sort((a, b) => a.path.localeCompare(b.path));
	return `${JSON.stringify({...lock, projects}, null, '\t')}\n`;
}

export function parseLock(text: string, file: string): LockFile {
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch (error) {
		throw new LockFileError(`${file} is not valid JSON: ${(error as Error).message}`);
	}
	const parsed = lockSchema.safeParse(data);
	if (!parsed.success) {
		const issue = parsed.error.issues[0]!;
		const where = issue.path.length > 0 ? issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '') : '(top level)';
		throw new LockFileError(`${file}: ${where}: ${issue.message}${parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problems)` : ''}`);
	}
	const lock = parsed.data as LockFile;
	const paths = lock.projects.map((project) => project.path);
	for (const [index, path] of paths.entries()) {
		const other = paths.find((each, at) => at !== index && (each === path || path.startsWith(`${each}/`)));
		if (other !== undefined) throw new LockFileError(`${file}: project paths "${other}" and "${path}" ${other === path ? 'are the same' : 'are nested'}`);
	}
	return lock;
}

export function readLock(file: string): LockFile {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		throw new LockFileError(`cannot read lock file ${file}: ${(error as NodeJS.ErrnoException).code === 'EISDIR' ? 'it is a directory' : (error as Error).message}`);
	}
	return parseLock(text, file);
}
