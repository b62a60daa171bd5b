// The lock file: the exact revisions a sync checked out, to commit, share and reproduce with `sync --lock`.
import {readFileSync} from 'node:fs';
import type {FileLink} from './manifest.js';
import {isCommitId} from './manifest.js';

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

/** Serialises a lock deterministically (no timestamps), so an unchanged sync leaves the file byte-identical. */
export function formatLock(lock: LockFile): string {
	const projects = [...lock.projects].sort((a, b) => a.path.localeCompare(b.path));
	return `${JSON.stringify({...lock, projects}, null, '\t')}\n`;
}

export function readLock(file: string): LockFile {
	let data: unknown;
	try {
		data = JSON.parse(readFileSync(file, 'utf8'));
	} catch (error) {
		throw new LockFileError(`cannot read lock file ${file}: ${(error as Error).message}`);
	}
	const lock = data as Partial<LockFile>;
	if (lock.version !== 1 || !Array.isArray(lock.projects) || typeof lock.manifest !== 'object') {
		throw new LockFileError(`${file} is not a sel4-llm lock file (expected version 1 with "manifest" and "projects")`);
	}
	lock.projects.forEach((project, index) => {
		const where = `${file}: projects[${index}]`;
		if (typeof project.name !== 'string' || typeof project.path !== 'string' || typeof project.url !== 'string') {
			throw new LockFileError(`${where} needs name, path and url`);
		}
		if (typeof project.revision !== 'string' || !isCommitId(project.revision)) {
			throw new LockFileError(`${where} (${project.path}) needs a full commit id as revision, not "${String(project.revision)}"`);
		}
		project.linkfiles ??= [];
		project.copyfiles ??= [];
	});
	return lock as LockFile;
}
