// A manifest sync with plain git, laid out like `repo sync`: each project's git data lives in
// .repo/projects/<path>.git and the checkout's `.git` is a file pointing there (seL4's musllibc build runs
// `rm -f src/.git`, which fails on a directory). Projects are fetched in parallel, shallow where the server
// allows fetching a commit by id, and checked out detached at the exact revision. A project already at its
// pinned revision costs no network access. The result is recorded in a lock file.
import {copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {dirname, join, relative, resolve} from 'node:path';
import {InputError, RefusedError, UsageError, WorkError} from '../errors.js';
import {git, GitError, gitOk, lastLines, type GitResult} from './git.js';
import {formatLock, lockFileName, readLock, type LockFile, type LockedProject} from './lock.js';
import {isCommitId, parseManifest, type FileLink} from './manifest.js';
import {mirrorUrl, type MirrorRule} from './mirror.js';
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

class ProjectError extends Error {
	constructor(
		message: string,
		readonly hint?: string,
		readonly retry = false,
	) {
		super(message);
	}
}

export function storeDir(workspace: string, path: string): string {
	return join(workspace, '.repo', 'projects', `${path}.git`);
}

const permanentNetworkError = /does not appear to be a git repository|repository .* not found|Repository not found|could not read Username|Authentication failed|not our ref|unadvertised object|couldn't find remote ref/i;

function describeGitFailure(error: unknown): string {
	if (!(error instanceof GitError)) return (error as Error).message;
	const text = error.result.stderr || error.result.stdout;
	const fatal = text
		.split('\n')
		.map((line) => line.trim())
		.filter((line) => /^(fatal|error):/.test(line));
	return (fatal.length > 0 ? fatal.slice(0, 2).join(' | ') : lastLines(text, 3)) || error.message;
}

export async function withRetry<T>(
	what: () => Promise<T>,
	options: {retries: number; delayMs: number; signal?: AbortSignal; onRetry: (attempt: number, error: string) => void},
): Promise<T> {
	for (let attempt = 0; ; attempt++) {
		try {
			return await what();
		} catch (error) {
			const text = describeGitFailure(error);
			const retryable = error instanceof ProjectError ? error.retry : !permanentNetworkError.test(text);
			if (attempt >= options.retries || !retryable || options.signal?.aborted) throw error;
			options.onRetry(attempt + 1, text);
			await new Promise((done) => setTimeout(done, options.delayMs * 2 ** attempt));
		}
	}
}

/** The commit a branch or tag name points at on the remote (annotated tags peeled). */
async function resolveRemoteRef(url: string, revision: string, options: {env?: NodeJS.ProcessEnv; signal?: AbortSignal}): Promise<{sha: string; ref: string}> {
	const candidates = revision.startsWith('refs/') ? [revision] : [`refs/heads/${revision}`, `refs/tags/${revision}`];
	const result = await gitOk(['ls-remote', '--', url, ...candidates.flatMap((ref) => [ref, `${ref}^{}`])], options);
	const refs = new Map<string, string>();
	for (const line of result.stdout.split('\n')) {
		const [sha, name] = line.split('\t');
		if (sha && name) refs.set(name, sha);
	}
	for (const ref of candidates) {
		const sha = refs.get(`${ref}^{}`) ?? refs.get(ref);
		if (sha) return {sha, ref};
	}
	throw new ProjectError(`revision "${revision}" does not exist on ${url}`, 'check the revision in the manifest, or the remote (a mirror may be incomplete)');
}

function readGitdirFile(worktree: string): string | undefined {
	try {
		const text = readFileSync(join(worktree, '.git'), 'utf8');
		const match = /^gitdir: (.+)$/m.exec(text);
		return match ? resolve(worktree, match[1]!.trim()) : undefined;
	} catch {
		return undefined;
	}
}

/** The commit checked out in a project we manage, read from files (no process), or undefined. */
export function checkedOutRevision(workspace: string, path: string): string | undefined {
	const worktree = join(workspace, path);
	const store = storeDir(workspace, path);
	if (readGitdirFile(worktree) !== store) return undefined;
	try {
		const head = readFileSync(join(store, 'HEAD'), 'utf8').trim();
		if (isCommitId(head)) return head;
		const ref = /^ref: (.+)$/.exec(head)?.[1];
		if (!ref) return undefined;
		const loose = join(store, ref);
		if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
		return undefined;
	} catch {
		return undefined;
	}
}

function isEmptyDir(path: string): boolean {
	try {
		return readdirSync(path).length === 0;
	} catch {
		return false;
	}
}

/** Creates (or repairs) the store and the `.git` file of a project's checkout. */
async function prepareCheckout(workspace: string, path: string, url: string, env?: NodeJS.ProcessEnv): Promise<'new' | 'existing'> {
	const worktree = join(workspace, path);
	const store = storeDir(workspace, path);
	const gitPath = join(worktree, '.git');
	const relativeStore = relative(worktree, store);
	let state: 'new' | 'existing' = 'existing';
	if (existsSync(gitPath) && lstatSync(gitPath).isDirectory()) {
		throw new ProjectError(
			`${path} is a git checkout that this sync does not manage (its .git is a directory)`,
			`move it away (mv ${path} ${path}.old) and sync again; sel4-llm keeps git data in .repo/projects/ like repo does`,
		);
	}
	if (!existsSync(join(store, 'HEAD'))) {
		if (existsSync(worktree) && !isEmptyDir(worktree)) {
			throw new ProjectError(`${path} exists and is not a checkout made by this sync`, `move it away (mv ${path} ${path}.old) and sync again`);
		}
		mkdirSync(dirname(store), {recursive: true});
		rmSync(store, {recursive: true, force: true});
		mkdirSync(worktree, {recursive: true});
		await gitOk(['init', '-q', `--separate-git-dir=${store}`, '--', worktree], {env});
		state = 'new';
	}
	// A relative pointer, so the workspace can be moved; rewritten if missing (e.g. removed by a build).
	const pointer = `gitdir: ${relativeStore}\n`;
	if (!existsSync(gitPath) || readFileSync(gitPath, 'utf8') !== pointer) writeFileSync(gitPath, pointer);
	const current = await git(['config', '--get', 'remote.origin.url'], {cwd: worktree, env});
	if (current.code !== 0) await gitOk(['remote', 'add', '--', 'origin', url], {cwd: worktree, env});
	else if (current.stdout.trim() !== url) await gitOk(['remote', 'set-url', '--', 'origin', url], {cwd: worktree, env});
	return state;
}

async function hasCommit(cwd: string, sha: string, env?: NodeJS.ProcessEnv): Promise<boolean> {
	return (await git(['cat-file', '-e', `${sha}^{commit}`], {cwd, env})).code === 0;
}

async function fetchRevision(cwd: string, sha: string, shallow: boolean, env: NodeJS.ProcessEnv | undefined, signal: AbortSignal | undefined): Promise<boolean> {
	if (shallow) {
		const result = await git(['fetch', '-q', '--no-tags', '--depth', '1', '--', 'origin', sha], {cwd, env, ...(signal ? {signal} : {})});
		if (result.code === 0 && (await hasCommit(cwd, sha, env))) return true;
		const text = result.stderr;
		// Servers that refuse a commit by id say so; anything else (network) is for the caller to retry.
		if (!/not our ref|unadvertised object|couldn't find remote ref|no such remote ref|invalid refspec|Server does not allow/i.test(text)) {
			throw new GitError(['fetch', '--depth', '1', 'origin', sha], result);
		}
	}
	const shallowFile = existsSync(join(cwd, '.git')) ? join(readGitdirFile(cwd) ?? join(cwd, '.git'), 'shallow') : '';
	const args = ['fetch', '-q', '--no-tags', ...(shallowFile && existsSync(shallowFile) ? ['--unshallow'] : []), '--', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*'];
	await gitOk(args, {cwd, env, ...(signal ? {signal} : {})});
	if (!(await hasCommit(cwd, sha, env))) {
		throw new ProjectError(`commit ${sha} is not on any branch or tag of the remote`, 'check the revision in the manifest, or whether the mirror is complete');
	}
	return false;
}

async function checkout(cwd: string, path: string, sha: string, env?: NodeJS.ProcessEnv): Promise<void> {
	const result = await git(['checkout', '-q', '--detach', sha, '--'], {cwd, env});
	if (result.code === 0) return;
	const files = result.stderr
		.split('\n')
		.filter((line) => /^\t/.test(line))
		.map((line) => line.trim());
	if (/would be overwritten by checkout|Your local changes|untracked working tree files/i.test(result.stderr)) {
		const list = files.length > 0 ? `: ${files.slice(0, 5).join(', ')}${files.length > 5 ? ` and ${files.length - 5} more` : ''}` : '';
		throw new ProjectError(
			`local changes in ${path} block the checkout of ${sha.slice(0, 12)}${list}`,
			`keep them with \`git -C ${path} stash -u\` (or commit them on a branch), or drop them with \`git -C ${path} checkout -- . && git -C ${path} clean -fd\`; then sync again`,
		);
	}
	throw new GitError(['checkout', '--detach', sha], result);
}

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

function placeLink(workspace: string, project: WantedProject, link: FileLink, kind: 'link' | 'copy'): void {
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
