// A manifest sync with plain git, laid out like `repo sync`: each project's git data lives in
// .repo/projects/<path>.git and the checkout's `.git` is a file pointing there (seL4's musllibc build runs
// `rm -f src/.git`, which fails on a directory). Projects are fetched in parallel, shallow where the server
// allows fetching a commit by id, and checked out detached at the exact revision. A project already at its
// pinned revision costs no network access. The result is recorded in a lock file.
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {InputError, RefusedError, UsageError, WorkError} from '../errors.js';
import {git, GitError, gitOk, lastLines, type GitResult} from './git.js';
import {formatLock, lockFileName, readLock, type LockFile, type LockedProject} from './lock.js';
import {isCommitId, parseManifest, type FileLink} from './manifest.js';
import {mirrorUrl, type MirrorRule} from './mirror.js';
import {checkedOutRevision, checkout, describeGitFailure, fetchRevision, hasCommit, permanentNetworkError, prepareCheckout, ProjectError, resolveRemoteRef, withRetry} from './checkout.js';
import {insidePath, placeLink} from './links.js';

export {checkedOutRevision, storeDir, withRetry} from './checkout.js';
export {insidePath} from './links.js';
import {gitValueProblem, relativePathProblem} from '../system/untrusted.js';

export const defaultManifestUrl = 'https://github.com/seL4/camkes-vm-examples-manifest.git';
export const deprecatedManifest = /(^|[/:])camkes-vm-manifest(\.git)?\/?$/;

export type ProjectAction = 'unchanged' | 'cloned' | 'updated';

export type SyncEvent =
	| {type: 'manifest'; url: string; via?: string; file: string; commit?: string; projects: number; fromLock?: string}
	| {type: 'note'; message: string}
	| {type: 'project-start'; index: number; total: number; path: string; what: string}
	| {type: 'project-retry'; index: number; total: number; path: string; attempt: number; error: string}
	| {type: 'project-done'; index: number; total: number; path: string; action: ProjectAction; revision: string; durationMs: number; shallow: boolean}
	| {type: 'project-fail'; index: number; total: number; path: string; error: string; hint?: string};

export type ProjectResult = {
	name: string;
	path: string;
	url: string;
	revision?: string;
	action?: ProjectAction;
	error?: string;
	hint?: string;
};

export type SyncResult = {
	ok: boolean;
	workspace: string;
	lockFile?: string;
	lockWritten: boolean;
	projects: ProjectResult[];
	durationMs: number;
};

export type SyncOptions = {
	workspace: string;
	manifestUrl?: string;
	manifestFile?: string;
	/** Branch of the manifest repository; its default branch when absent. */
	manifestBranch?: string;
	/** Reproduce exactly the projects and revisions of this lock file instead of reading a manifest. */
	fromLock?: string;
	/** Where to write the lock file (default <workspace>/sel4-llm.lock.json). */
	lockFile?: string;
	jobs?: number;
	retries?: number;
	/** Milliseconds before the first retry (doubles each time). */
	retryDelayMs?: number;
	shallow?: boolean;
	/** Where to fetch from instead of the URLs the manifest names (see mirror.ts). */
	mirrors?: MirrorRule[];
	env?: NodeJS.ProcessEnv;
	signal?: AbortSignal;
	onEvent?: (event: SyncEvent) => void;
};

type WantedProject = {
	name: string;
	path: string;
	/** The URL the manifest names (recorded in the lock file). */
	url: string;
	/** Where it is fetched from: the URL, or its mirror. */
	fetchUrl: string;
	absoluteRemote?: string;
	revision: string;
	upstream?: string;
	linkfiles: FileLink[];
	copyfiles: FileLink[];
};

async function syncProject(
	project: WantedProject,
	index: number,
	total: number,
	options: Required<Pick<SyncOptions, 'workspace' | 'retries' | 'retryDelayMs' | 'shallow'>> & Pick<SyncOptions, 'env' | 'signal' | 'onEvent'>,
): Promise<ProjectResult> {
	const started = Date.now();
	const {workspace, env, signal} = options;
	const emit = options.onEvent ?? (() => {});
	const base = {name: project.name, path: project.path, url: project.url};
	const retry = {
		retries: options.retries,
		delayMs: options.retryDelayMs,
		...(signal ? {signal} : {}),
		onRetry: (attempt: number, error: string) => emit({type: 'project-retry', index, total, path: project.path, attempt, error}),
	};
	try {
		let sha = project.revision;
		let ref: string | undefined;
		if (!isCommitId(sha)) {
			emit({type: 'project-start', index, total, path: project.path, what: `resolve ${sha}`});
			const resolved = await withRetry(() => resolveRemoteRef(project.fetchUrl, project.revision, {...(env ? {env} : {}), ...(signal ? {signal} : {})}), retry);
			sha = resolved.sha;
			ref = resolved.ref;
		}
		const current = checkedOutRevision(workspace, project.path);
		if (current === sha) {
			emit({type: 'project-done', index, total, path: project.path, action: 'unchanged', revision: sha, durationMs: Date.now() - started, shallow: false});
			return {...base, revision: sha, action: 'unchanged'};
		}
		const worktree = insidePath(workspace, project.path, 'project path');
		insidePath(workspace, `.repo/projects/${project.path}.git`, 'git directory');
		const state = await prepareCheckout(workspace, project.path, project.fetchUrl, env);
		let shallow = false;
		if (!(await hasCommit(worktree, sha, env))) {
			emit({type: 'project-start', index, total, path: project.path, what: `fetch ${sha.slice(0, 12)}${options.shallow ? ' (shallow)' : ''}`});
			shallow = await withRetry(() => fetchRevision(worktree, sha, options.shallow, env, signal), retry);
		}
		if (ref?.startsWith('refs/heads/')) {
			await git(['update-ref', '--', `refs/remotes/origin/${ref.slice('refs/heads/'.length)}`, sha], {cwd: worktree, env});
		}
		await checkout(worktree, project.path, sha, env);
		const action: ProjectAction = state === 'new' || current === undefined ? 'cloned' : 'updated';
		emit({type: 'project-done', index, total, path: project.path, action, revision: sha, durationMs: Date.now() - started, shallow});
		return {...base, revision: sha, action};
	} catch (error) {
		const message =
			error instanceof ProjectError
				? error.message
				: error instanceof GitError
					? ['fetch', 'ls-remote'].includes(error.args[0]!)
						? `git ${error.args[0]} ${project.fetchUrl} failed: ${describeGitFailure(error)}`
						: `git ${error.args.join(' ')} in ${project.path} failed: ${describeGitFailure(error)}`
					: (error as Error).message;
		const hint = error instanceof ProjectError ? error.hint : unreachableHint(project);
		emit({type: 'project-fail', index, total, path: project.path, error: message, ...(hint ? {hint} : {})});
		return {...base, error: message, ...(hint ? {hint} : {})};
	}
}

/** What to do when a project cannot be fetched: a mirror of the manifest covers only relative remotes. */
function unreachableHint(project: WantedProject): string {
	if (project.fetchUrl !== project.url) return `check the mirror: ${project.fetchUrl} must hold ${project.url}, then sync again`;
	const remote = project.absoluteRemote;
	if (remote) {
		return `check that ${project.url} is reachable (network, proxy), then sync again; a mirror given with --manifest-url does not cover it (its remote ${remote} is an absolute URL): mirror it too and add --mirror ${remote}/=<mirror URL>/ (recipe variable mirror), or --mirror BASE for mirrors kept as BASE/<host>/<path>`;
	}
	return `check that ${project.url} is reachable (network, proxy), or sync from a mirror (--manifest-url, or --mirror), then sync again`;
}

async function pool<T, R>(items: T[], jobs: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
	const results: R[] = new Array(items.length);
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			const index = next++;
			results[index] = await work(items[index]!, index);
		}
	};
	await Promise.all(Array.from({length: Math.max(1, Math.min(jobs, items.length))}, worker));
	return results;
}

type StateFile = {manifestUrl: string; manifestFile: string; manifestBranch?: string};

async function readManifest(options: SyncOptions): Promise<{lock: LockFile; projects: WantedProject[]; via?: string}> {
	const workspace = options.workspace;
	const url = options.manifestUrl ?? defaultManifestUrl;
	const file = options.manifestFile ?? 'default.xml';
	const urlProblem = gitValueProblem(url, 'url');
	if (urlProblem) throw new UsageError(`the manifest URL "${url}" ${urlProblem}`, {hint: 'give the URL or path of the manifest repository (a local path that starts with "-" can be written ./-name)'});
	const fileProblem = relativePathProblem(file);
	if (fileProblem) throw new InputError(`the manifest file "${file}" ${fileProblem}`, {hint: 'name a manifest of the repository, such as default.xml'});
	if (options.manifestBranch !== undefined) {
		const branchProblem = gitValueProblem(options.manifestBranch, 'revision');
		if (branchProblem) throw new UsageError(`the manifest branch "${options.manifestBranch}" ${branchProblem}`, {hint: 'give a branch name of the manifest repository'});
	}
	if (deprecatedManifest.test(url.replace(/\/+$/, ''))) {
		throw new RefusedError(`${url} is the deprecated camkes-vm manifest (last updated 2018, old make layout without init-build.sh)`, {hint: `use ${defaultManifestUrl} (the default)`});
	}
	const fetchUrl = mirrorUrl(url, options.mirrors ?? []);
	const dir = join(workspace, '.repo', 'manifests');
	const env = options.env;
	const signal = options.signal;
	if (!existsSync(join(dir, '.git'))) {
		rmSync(dir, {recursive: true, force: true});
		mkdirSync(dir, {recursive: true});
		await gitOk(['init', '-q', '--', dir], {env});
	}
	// Fetch straight from the URL (a mirror given later just works), then check out only when it moved.
	const branch = options.manifestBranch ?? 'HEAD';
	let fetched: GitResult | undefined;
	for (let attempt = 0; attempt <= (options.retries ?? 2); attempt++) {
		fetched = await git(['fetch', '-q', '--depth', '1', '--', fetchUrl, branch], {cwd: dir, env, ...(signal ? {signal} : {})});
		if (fetched.code === 0 || permanentNetworkError.test(fetched.stderr) || signal?.aborted) break;
		if (attempt < (options.retries ?? 2)) await new Promise((done) => setTimeout(done, (options.retryDelayMs ?? 1000) * 2 ** attempt));
	}
	if (!fetched || fetched.code !== 0) {
		throw new WorkError(`cannot fetch the manifest repository ${fetchUrl}${options.manifestBranch ? ` (branch ${options.manifestBranch})` : ''}: ${lastLines(fetched?.stderr ?? '', 2)}`, {hint: fetchUrl !== url ? `check the mirror: ${fetchUrl} must hold ${url}` : 'check the network (and proxy), or point --manifest-url (recipe variable manifest_url) at a reachable mirror or a local file:// copy, or give --mirror (recipe variable mirror)'});
	}
	const commit = readFileSync(join(dir, '.git', 'FETCH_HEAD'), 'utf8').slice(0, 40);
	let current = '';
	try {
		current = readFileSync(join(dir, '.git', 'HEAD'), 'utf8').trim();
	} catch {
		// a fresh repository
	}
	if (current !== commit || !existsSync(join(dir, file))) await gitOk(['checkout', '-q', '--force', '--detach', commit, '--'], {cwd: dir, env});
	const manifestPath = join(dir, file);
	if (!existsSync(manifestPath)) {
		const available = readdirSync(dir).filter((name) => name.endsWith('.xml'));
		throw new InputError(`the manifest repository has no ${file}`, {hint: `available manifests: ${available.join(', ') || 'none'}`});
	}
	let manifest;
	try {
		manifest = parseManifest(readFileSync(manifestPath, 'utf8'), {
			manifestUrl: url,
			file,
			readInclude: (name) => readFileSync(join(dir, name), 'utf8'),
		});
	} catch (error) {
		throw new InputError((error as Error).message, {hint: 'fix the manifest or choose another one with --manifest'});
	}
	const state: StateFile = {manifestUrl: url, manifestFile: file, ...(options.manifestBranch ? {manifestBranch: options.manifestBranch} : {})};
	writeFileSync(join(workspace, '.repo', 'sel4-llm-sync.json'), `${JSON.stringify(state, null, '\t')}\n`);
	for (const ignored of manifest.ignored) options.onEvent?.({type: 'note', message: `manifest element not used by this sync: ${ignored}`});
	const projects = manifest.projects.map((project) => ({
		name: project.name,
		path: project.path,
		url: project.url,
		fetchUrl: mirrorUrl(project.url, options.mirrors ?? []),
		...(project.absoluteRemote ? {absoluteRemote: project.absoluteRemote} : {}),
		revision: project.revision,
		...(project.upstream ? {upstream: project.upstream} : {}),
		linkfiles: project.linkfiles,
		copyfiles: project.copyfiles,
	}));
	return {lock: {version: 1, manifest: {url, file, commit}, projects: []}, projects, ...(fetchUrl !== url ? {via: fetchUrl} : {})};
}

/** Syncs the workspace to the manifest (or a lock file). Project failures are reported per project. */
export async function syncWorkspace(options: SyncOptions): Promise<SyncResult> {
	const started = Date.now();
	const workspace = resolve(options.workspace);
	mkdirSync(join(workspace, '.repo'), {recursive: true});
	let lock: LockFile;
	let projects: WantedProject[];
	if (options.fromLock) {
		let locked: LockFile;
		try {
			locked = readLock(options.fromLock);
		} catch (error) {
			throw new InputError((error as Error).message, {hint: 'give a lock file written by `sel4-llm sync`'});
		}
		lock = {version: 1, manifest: locked.manifest, projects: []};
		projects = locked.projects.map((project) => ({...project, fetchUrl: mirrorUrl(project.url, options.mirrors ?? [])}));
		options.onEvent?.({type: 'manifest', url: locked.manifest.url, file: locked.manifest.file, ...(locked.manifest.commit ? {commit: locked.manifest.commit} : {}), projects: projects.length, fromLock: options.fromLock});
	} else {
		let via: string | undefined;
		({lock, projects, via} = await readManifest({...options, workspace}));
		options.onEvent?.({type: 'manifest', url: lock.manifest.url, ...(via ? {via} : {}), file: lock.manifest.file, ...(lock.manifest.commit ? {commit: lock.manifest.commit} : {}), projects: projects.length});
	}
	const results = await pool(projects, options.jobs ?? 4, (project, index) =>
		syncProject(project, index + 1, projects.length, {
			workspace,
			retries: options.retries ?? 2,
			retryDelayMs: options.retryDelayMs ?? 1000,
			shallow: options.shallow ?? true,
			...(options.env ? {env: options.env} : {}),
			...(options.signal ? {signal: options.signal} : {}),
			...(options.onEvent ? {onEvent: options.onEvent} : {}),
		}),
	);
	// Links and copies of the projects that synced.
	results.forEach((result, index) => {
		if (result.error) return;
		const project = projects[index]!;
		try {
			for (const link of project.linkfiles) placeLink(workspace, project, link, 'link');
			for (const copy of project.copyfiles) placeLink(workspace, project, copy, 'copy');
		} catch (error) {
			result.error = (error as Error).message;
			options.onEvent?.({type: 'project-fail', index: index + 1, total: projects.length, path: project.path, error: result.error});
		}
	});
	const ok = results.every((result) => !result.error);
	const lockFile = options.lockFile ?? join(workspace, lockFileName);
	let lockWritten = false;
	if (ok) {
		lock.projects = results.map((result, index): LockedProject => {
			const project = projects[index]!;
			return {
				name: project.name,
				path: project.path,
				url: project.url,
				revision: result.revision!,
				...(isCommitId(project.revision) ? {} : {ref: project.revision}),
				...('ref' in project && typeof project.ref === 'string' ? {ref: project.ref} : {}),
				...(project.upstream ? {upstream: project.upstream} : {}),
				linkfiles: project.linkfiles,
				copyfiles: project.copyfiles,
			};
		});
		const text = formatLock(lock);
		const previous = existsSync(lockFile) ? readFileSync(lockFile, 'utf8') : undefined;
		if (previous !== undefined) {
			try {
				const kept = new Set(lock.projects.map((project) => project.path));
				for (const old of readLock(lockFile).projects) {
					if (!kept.has(old.path)) options.onEvent?.({type: 'note', message: `${old.path} is no longer in the manifest; it was left in place (remove it and .repo/projects/${old.path}.git by hand)`});
				}
			} catch {
				// an unreadable old lock file is simply replaced
			}
		}
		if (previous !== text) writeFileSync(lockFile, text);
		lockWritten = true;
	}
	return {ok, workspace, ...(lockWritten ? {lockFile} : {}), lockWritten, projects: results, durationMs: Date.now() - started};
}
