// One project's checkout, laid out like `repo sync`: its git data in .repo/projects/<path>.git, the checkout's
// `.git` a file pointing there; fetching a pinned commit (shallow where the server allows it) and checking it out.
import {existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {dirname, join, relative, resolve} from 'node:path';
import {git, GitError, gitOk, lastLines} from './git.js';
import {isCommitId} from './manifest.js';

/** A project's failure, with what to do and whether trying again can help. */
export class ProjectError extends Error {
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

export const permanentNetworkError = /does not appear to be a git repository|repository .* not found|Repository not found|could not read Username|Authentication failed|not our ref|unadvertised object|couldn't find remote ref/i;

export function describeGitFailure(error: unknown): string {
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
export async function resolveRemoteRef(url: string, revision: string, options: {env?: NodeJS.ProcessEnv; signal?: AbortSignal}): Promise<{sha: string; ref: string}> {
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

export function readGitdirFile(worktree: string): string | undefined {
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

export function isEmptyDir(path: string): boolean {
	try {
		return readdirSync(path).length === 0;
	} catch {
		return false;
	}
}

/** Creates (or repairs) the store and the `.git` file of a project's checkout. */
export async function prepareCheckout(workspace: string, path: string, url: string, env?: NodeJS.ProcessEnv): Promise<'new' | 'existing'> {
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

export async function hasCommit(cwd: string, sha: string, env?: NodeJS.ProcessEnv): Promise<boolean> {
	return (await git(['cat-file', '-e', `${sha}^{commit}`], {cwd, env})).code === 0;
}

export async function fetchRevision(cwd: string, sha: string, shallow: boolean, env: NodeJS.ProcessEnv | undefined, signal: AbortSignal | undefined): Promise<boolean> {
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

export async function checkout(cwd: string, path: string, sha: string, env?: NodeJS.ProcessEnv): Promise<void> {
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
