// The subset of the repo manifest format that seL4 manifests use: remotes (with fetch URLs relative to the
// manifest's own URL), a default remote and revision, projects with name/path/revision/upstream/remote,
// linkfile and copyfile, include, and remove-project.
import {posix} from 'node:path';
import {gitValueProblem, relativePathProblem} from '../system/untrusted.js';
import {parseXml, XmlError, type XmlElement} from './xml.js';

export type FileLink = {src: string; dest: string};

export type ManifestProject = {
	name: string;
	path: string;
	remote: string;
	/** The project's clone URL: the remote's resolved fetch URL plus the name. */
	url: string;
	/** Set when the remote's fetch URL is absolute: a mirror of the manifest does not cover the project. */
	absoluteRemote?: string;
	/** A commit id (pinned), a branch name, or a full ref such as refs/tags/v1.7.0. */
	revision: string;
	upstream?: string;
	destBranch?: string;
	linkfiles: FileLink[];
	copyfiles: FileLink[];
};

export type ManifestRemote = {name: string; fetch: string; url: string; revision?: string};

export type Manifest = {
	remotes: ManifestRemote[];
	defaultRemote?: string;
	defaultRevision?: string;
	projects: ManifestProject[];
	/** Elements this reader does not act on (reported, not fatal). */
	ignored: string[];
};

export class ManifestError extends Error {
	constructor(
		message: string,
		readonly file: string,
		readonly line?: number,
	) {
		super(`${file}${line ? `:${line}` : ''}: ${message}`);
	}
}

export function isCommitId(revision: string): boolean {
	return /^[0-9a-f]{40}$/.test(revision) || /^[0-9a-f]{64}$/.test(revision);
}

const hasScheme = (url: string) => /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(url);
const scpLike = (url: string) => /^[^/:]+@?[^/:]*:(?!\/\/)/.test(url) && !hasScheme(url) && !url.startsWith('/');

/**
 * Resolves a remote's fetch attribute against the manifest URL the way repo does (a URL join): with the
 * manifest at https://github.com/seL4/camkes-vm-examples-manifest.git, fetch="../seL4" becomes
 * https://github.com/seL4. Local paths and scp-style addresses (git@host:path) are joined as paths.
 */
export function resolveFetchUrl(fetch: string, manifestUrl: string): string {
	const trimmed = fetch.replace(/\/+$/, '');
	if (hasScheme(trimmed) || (scpLike(trimmed) && !trimmed.startsWith('.'))) return trimmed;
	const base = manifestUrl.replace(/\/+$/, '');
	if (hasScheme(base)) {
		const joined = new URL(trimmed === '' ? '.' : trimmed, base).href;
		return joined.replace(/\/+$/, '');
	}
	if (scpLike(base)) {
		const colon = base.indexOf(':');
		const host = base.slice(0, colon);
		const path = base.slice(colon + 1);
		return `${host}:${posix.normalize(posix.join(posix.dirname(path), trimmed))}`.replace(/\/+$/, '');
	}
	// A plain local path.
	return posix.resolve(posix.dirname(base), trimmed);
}

/** Whether a remote's fetch attribute names its own location (not one relative to the manifest). */
export function isAbsoluteFetch(fetch: string): boolean {
	const trimmed = fetch.replace(/\/+$/, '');
	return hasScheme(trimmed) || trimmed.startsWith('/') || (scpLike(trimmed) && !trimmed.startsWith('.'));
}

function checkGitValue(value: string, what: 'url' | 'revision' | 'name', label: string, file: string, line: number): string {
	const problem = gitValueProblem(value, what);
	if (problem) throw new ManifestError(`${label} "${value}" ${problem}`, file, line);
	return value;
}

function checkRelative(path: string, what: string, file: string, line: number): string {
	const problem = relativePathProblem(path);
	if (problem) throw new ManifestError(`${what} "${path}" ${problem}`, file, line);
	return posix.normalize(path).replace(/\/$/, '');
}

export type ParseOptions = {
	/** The URL (or local path) the manifest repository was cloned from; relative fetch URLs resolve against it. */
	manifestUrl: string;
	/** Display name of the manifest file in errors. */
	file?: string;
	/** Reads a file of the manifest repository, for <include name="...">. */
	readInclude?: (name: string) => string;
};

function flatten(root: XmlElement, options: ParseOptions, file: string, depth: number): Array<{element: XmlElement; file: string}> {
	if (root.name !== 'manifest') throw new ManifestError(`the root element is <${root.name}>, expected <manifest>`, file, root.line);
	const out: Array<{element: XmlElement; file: string}> = [];
	for (const child of root.children) {
		if (child.name !== 'include') {
			out.push({element: child, file});
			continue;
		}
		const name = child.attributes.name;
		if (!name) throw new ManifestError('<include> needs a name', file, child.line);
		if (depth > 8) throw new ManifestError('includes nested too deeply', file, child.line);
		if (!options.readInclude) throw new ManifestError(`<include name="${name}"> cannot be read here`, file, child.line);
		const relative = checkRelative(name, 'include', file, child.line);
		let text: string;
		try {
			text = options.readInclude(relative);
		} catch (error) {
			throw new ManifestError(`cannot read included manifest ${name}: ${(error as Error).message}`, file, child.line);
		}
		out.push(...flatten(parseText(text, relative), options, relative, depth + 1));
	}
	return out;
}

function parseText(text: string, file: string): XmlElement {
	try {
		return parseXml(text);
	} catch (error) {
		if (error instanceof XmlError) throw new ManifestError(`malformed XML: ${error.message.replace(/ \(line \d+\)$/, '')}`, file, error.line);
		throw error;
	}
}

/** Parses a manifest and resolves every project's URL, remote and revision. */
export function parseManifest(text: string, options: ParseOptions): Manifest {
	const file = options.file ?? 'manifest';
	const elements = flatten(parseText(text, file), options, file, 0);
	const remotes = new Map<string, ManifestRemote>();
	let defaultRemote: string | undefined;
	let defaultRevision: string | undefined;
	const raw: Array<{element: XmlElement; file: string}> = [];
	const removed = new Set<string>();
	const ignored: string[] = [];
	for (const {element, file: where} of elements) {
		const a = element.attributes;
		switch (element.name) {
			case 'remote': {
				if (!a.name || a.fetch === undefined) throw new ManifestError('<remote> needs name and fetch', where, element.line);
				if (remotes.has(a.name)) throw new ManifestError(`remote "${a.name}" is declared twice`, where, element.line);
				if (a.fetch !== '') checkGitValue(a.fetch, 'url', `fetch URL of remote ${a.name}`, where, element.line);
				if (a.revision) checkGitValue(a.revision, 'revision', `revision of remote ${a.name}`, where, element.line);
				remotes.set(a.name, {
					name: a.name,
					fetch: a.fetch,
					url: resolveFetchUrl(a.fetch, options.manifestUrl),
					...(a.revision ? {revision: a.revision} : {}),
				});
				break;
			}
			case 'default':
				if (a.remote) defaultRemote = a.remote;
				if (a.revision) defaultRevision = a.revision;
				break;
			case 'project':
				raw.push({element, file: where});
				break;
			case 'remove-project':
				if (!a.name) throw new ManifestError('<remove-project> needs a name', where, element.line);
				removed.add(a.name);
				break;
			default:
				ignored.push(`<${element.name}> (${where}:${element.line})`);
		}
	}
	const projects: ManifestProject[] = [];
	const paths = new Map<string, string>();
	for (const {element, file: where} of raw) {
		const a = element.attributes;
		if (!a.name) throw new ManifestError('<project> needs a name', where, element.line);
		if (removed.has(a.name)) continue;
		checkGitValue(a.name, 'name', 'project name', where, element.line);
		const path = checkRelative(a.path ?? a.name.replace(/\.git$/, ''), `path of project ${a.name}`, where, element.line);
		if (paths.has(path)) throw new ManifestError(`path "${path}" is used by ${paths.get(path)} and ${a.name}`, where, element.line);
		for (const other of paths.keys()) {
			if (path.startsWith(`${other}/`) || other.startsWith(`${path}/`)) {
				throw new ManifestError(`project paths "${other}" and "${path}" are nested; this sync does not support nested projects`, where, element.line);
			}
		}
		paths.set(path, a.name);
		const remoteName = a.remote ?? defaultRemote;
		if (!remoteName) throw new ManifestError(`project ${a.name} has no remote and there is no <default remote="...">`, where, element.line);
		const remote = remotes.get(remoteName);
		if (!remote) {
			throw new ManifestError(
				`project ${a.name} uses remote "${remoteName}", which is not declared (declared: ${[...remotes.keys()].join(', ') || 'none'})`,
				where,
				element.line,
			);
		}
		const revision = a.revision ?? remote.revision ?? defaultRevision;
		if (!revision) throw new ManifestError(`project ${a.name} has no revision and there is no default revision`, where, element.line);
		checkGitValue(revision, 'revision', `revision of project ${a.name}`, where, element.line);
		if (a.upstream) checkGitValue(a.upstream, 'revision', `upstream of project ${a.name}`, where, element.line);
		const links = (kind: 'linkfile' | 'copyfile') =>
			element.children
				.filter((child) => child.name === kind)
				.map((child) => {
					if (!child.attributes.src || !child.attributes.dest) throw new ManifestError(`<${kind}> needs src and dest`, where, child.line);
					const srcProblem = relativePathProblem(child.attributes.src);
					if (srcProblem) {
						const why = srcProblem.startsWith('must be a relative path') ? 'must stay inside the project' : srcProblem;
						throw new ManifestError(`<${kind}> src "${child.attributes.src}" ${why}`, where, child.line);
					}
					const src = posix.normalize(child.attributes.src);
					return {src, dest: checkRelative(child.attributes.dest, `<${kind}> dest`, where, child.line)};
				});
		projects.push({
			name: a.name,
			path,
			remote: remoteName,
			url: `${remote.url}/${a.name}`,
			...(isAbsoluteFetch(remote.fetch) ? {absoluteRemote: remote.url} : {}),
			revision,
			...(a.upstream ? {upstream: a.upstream} : {}),
			...(a['dest-branch'] ? {destBranch: a['dest-branch']} : {}),
			linkfiles: links('linkfile'),
			copyfiles: links('copyfile'),
		});
	}
	const dests = new Map<string, string>();
	for (const project of projects) {
		for (const link of [...project.linkfiles, ...project.copyfiles]) {
			if (dests.has(link.dest)) throw new ManifestError(`"${link.dest}" is written by both ${dests.get(link.dest)} and ${project.name}`, file);
			dests.set(link.dest, project.name);
		}
	}
	return {
		remotes: [...remotes.values()],
		...(defaultRemote ? {defaultRemote} : {}),
		...(defaultRevision ? {defaultRevision} : {}),
		projects,
		ignored,
	};
}
