// The manifest's <linkfile> and <copyfile> entries: paths checked to stay inside the workspace, then placed.
import {copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync} from 'node:fs';
import {dirname, join, relative} from 'node:path';
import {ProjectError} from './checkout.js';
import type {FileLink} from './manifest.js';

/**
 * The absolute path of `rel` under `root`, refusing one that would leave it: every part of the path that already
 * exists must be a real directory, not a symlink (a project can commit `out -> /elsewhere`, and a write to
 * `out/x` would land outside the workspace). The last part may be a symlink only when `lastMayBeLink`.
 */
export function insidePath(root: string, rel: string, what: string, lastMayBeLink = false): string {
	const parts = rel.split('/').filter((part) => part !== '' && part !== '.');
	let current = root;
	for (const [index, part] of parts.entries()) {
		if (part === '..') throw new ProjectError(`${what} "${rel}" leaves ${root}`);
		current = join(current, part);
		let stats;
		try {
			stats = lstatSync(current);
		} catch {
			return join(root, ...parts);
		}
		const last = index === parts.length - 1;
		if (stats.isSymbolicLink() && !(last && lastMayBeLink)) {
			throw new ProjectError(`${what} "${rel}" goes through the symlink ${relative(root, current)} (-> ${readlinkSync(current)}); it could lead outside the workspace`, 'remove the symlink (or fix the manifest), then sync again');
		}
		if (!last && !stats.isDirectory()) throw new ProjectError(`${what} "${rel}": ${relative(root, current)} is not a directory`);
	}
	return join(root, ...parts);
}

export function placeLink(workspace: string, project: {path: string}, link: FileLink, kind: 'link' | 'copy'): void {
	// Checked before anything is created: mkdir would follow a symlink in the way.
	const dest = insidePath(workspace, link.dest, `<${kind}file> dest`, kind === 'link');
	const projectDir = insidePath(workspace, project.path, 'project path');
	const source = kind === 'copy' ? insidePath(projectDir, link.src, `<copyfile> src`) : join(projectDir, link.src);
	mkdirSync(dirname(dest), {recursive: true});
	if (kind === 'link') {
		const target = relative(dirname(dest), source);
		let existing: string | undefined;
		try {
			existing = lstatSync(dest).isSymbolicLink() ? readlinkSync(dest) : '';
		} catch {
			existing = undefined;
		}
		if (existing === target) return;
		if (existing !== undefined) rmSync(dest, {force: true, recursive: false});
		symlinkSync(target, dest);
		return;
	}
	if (!existsSync(source) || !lstatSync(source).isFile()) throw new Error(`copyfile source ${project.path}/${link.src} is not a regular file of the project`);
	if (existsSync(dest) && lstatSync(dest).isFile() && readFileSync(dest).equals(readFileSync(source))) return;
	rmSync(dest, {force: true});
	copyFileSync(source, dest);
}
