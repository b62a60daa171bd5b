// Brings the pinned llama.cpp source into a cache: `npm pack` of the pinned node-llama-cpp version, checked
// against its registry integrity, then a clone of its llama/gitRelease.bundle; or a shallow clone of a git tag.
import {createHash} from 'node:crypto';
import {createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {ExitCode, UsageError, UserError} from '../../errors.js';
import {execOk} from '../../system/exec.js';
import {gitValueProblem} from '../../system/untrusted.js';
import {withLock} from './lock.js';
import {sourceId, type GitSource, type LlamaSource, type NpmSource} from './pins.js';

export type AcquiredSource = {
	/** The llama.cpp source tree (a git work tree). */
	dir: string;
	source: LlamaSource;
	id: string;
	commit: string;
	/** sha256 of what the source came from (the bundle), or the commit for a git tag. */
	sha256: string;
	/** What the build cache key is made of: the commit plus the bundle hash. */
	key: string;
};

export async function fileSha256(path: string): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
	return hash.digest('hex');
}

export async function fileIntegrity(path: string): Promise<string> {
	const hash = createHash('sha512');
	for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
	return `sha512-${hash.digest('base64')}`;
}

type Progress = (line: string) => void;

async function gitHead(dir: string): Promise<string> {
	return (await execOk(['git', '-C', dir, 'rev-parse', '--verify', 'HEAD'])).stdout.trim();
}

async function acquireNpm(source: NpmSource, cacheDir: string, progress: Progress): Promise<AcquiredSource> {
	const tarballDir = join(cacheDir, 'npm');
	mkdirSync(tarballDir, {recursive: true});
	const tarballName = `${source.package.replace(/^@/, '').replace('/', '-')}-${source.version}.tgz`;
	const tarball = join(tarballDir, tarballName);
	if (!existsSync(tarball)) {
		progress(`npm pack ${source.package}@${source.version}`);
		await execOk(['npm', 'pack', `${source.package}@${source.version}`, '--pack-destination', tarballDir, '--silent'], {
			cwd: tarballDir,
		});
		if (!existsSync(tarball)) {
			const found = readdirSync(tarballDir).join(', ');
			throw new UserError(`npm pack did not write ${tarballName} (found: ${found || 'nothing'})`, {exitCode: ExitCode.failed});
		}
	}
	const integrity = await fileIntegrity(tarball);
	if (integrity !== source.integrity) {
		rmSync(tarball, {force: true});
		throw new UserError(`${tarballName} does not match the pinned integrity`, {
			exitCode: ExitCode.failed,
			hint: `expected ${source.integrity}, got ${integrity}; the cached copy was removed, run the command again`,
		});
	}
	const srcDir = join(cacheDir, 'src', `${source.commit.slice(0, 12)}-${source.bundleSha256.slice(0, 12)}`);
	if (!existsSync(join(srcDir, '.sel4llm-source.json'))) {
		const work = `${srcDir}.partial`;
		rmSync(work, {recursive: true, force: true});
		mkdirSync(work, {recursive: true});
		progress(`extract llama/gitRelease.bundle from ${tarballName}`);
		await execOk(['tar', '-xzf', tarball, '-C', work, 'package/llama/gitRelease.bundle', 'package/llama/llama.cpp.info.json']);
		const bundle = join(work, 'package', 'llama', 'gitRelease.bundle');
		const bundleSha = await fileSha256(bundle);
		if (bundleSha !== source.bundleSha256) {
			rmSync(work, {recursive: true, force: true});
			throw new UserError('the llama.cpp bundle in the package does not match the pinned sha256', {
				exitCode: ExitCode.failed,
				hint: `expected ${source.bundleSha256}, got ${bundleSha}`,
			});
		}
		progress('git clone gitRelease.bundle');
		const tree = join(work, 'llama.cpp');
		await execOk(['git', 'clone', '--quiet', '--', bundle, tree]);
		const commit = await gitHead(tree);
		if (commit !== source.commit) {
			rmSync(work, {recursive: true, force: true});
			throw new UserError(`the bundle's HEAD is ${commit}, the pin says ${source.commit}`, {exitCode: ExitCode.failed});
		}
		const info = readFileSync(join(work, 'package', 'llama', 'llama.cpp.info.json'), 'utf8');
		rmSync(srcDir, {recursive: true, force: true});
		renameSync(tree, srcDir);
		rmSync(work, {recursive: true, force: true});
		writeFileSync(
			join(srcDir, '.sel4llm-source.json'),
			`${JSON.stringify({id: sourceId(source), commit, bundleSha256: bundleSha, info: JSON.parse(info) as unknown}, null, '\t')}\n`,
		);
	}
	return {
		dir: srcDir,
		source,
		id: sourceId(source),
		commit: source.commit,
		sha256: source.bundleSha256,
		key: `${source.commit}:${source.bundleSha256}`,
	};
}

async function acquireGit(source: GitSource, cacheDir: string, progress: Progress): Promise<AcquiredSource> {
	const tagProblem = /^[A-Za-z0-9._/-]+$/.test(source.tag) ? gitValueProblem(source.tag, 'revision') : 'has characters a tag cannot have';
	if (tagProblem) throw new UsageError(`the llama.cpp tag "${source.tag}" ${tagProblem}`, {hint: 'use a release tag such as b6000'});
	const urlProblem = gitValueProblem(source.url, 'url');
	if (urlProblem) throw new UsageError(`the llama.cpp repository "${source.url}" ${urlProblem}`, {hint: 'give the URL or path of a llama.cpp git repository'});
	const safe = createHash('sha256').update(`${source.url}#${source.tag}`).digest('hex').slice(0, 16);
	const srcDir = join(cacheDir, 'src', `git-${safe}`);
	if (!existsSync(join(srcDir, '.sel4llm-source.json'))) {
		const work = `${srcDir}.partial`;
		rmSync(work, {recursive: true, force: true});
		progress(`git clone --depth 1 --branch ${source.tag} ${source.url}`);
		await execOk(['git', 'clone', '--quiet', '--depth', '1', `--branch=${source.tag}`, '--', source.url, work]);
		const commit = await gitHead(work);
		if (source.commit && commit !== source.commit) {
			rmSync(work, {recursive: true, force: true});
			throw new UserError(`tag ${source.tag} is at ${commit}, the pin says ${source.commit}`, {exitCode: ExitCode.failed});
		}
		rmSync(srcDir, {recursive: true, force: true});
		renameSync(work, srcDir);
		writeFileSync(join(srcDir, '.sel4llm-source.json'), `${JSON.stringify({id: sourceId(source), commit}, null, '\t')}\n`);
	}
	const recorded = JSON.parse(readFileSync(join(srcDir, '.sel4llm-source.json'), 'utf8')) as {commit: string};
	return {dir: srcDir, source, id: sourceId(source), commit: recorded.commit, sha256: recorded.commit, key: recorded.commit};
}

/** Makes the pinned source available under cacheDir (idempotent: a second call only checks the cache). */
export async function acquireLlamaSource(
	source: LlamaSource,
	cacheDir: string,
	progress: Progress = () => {},
): Promise<AcquiredSource> {
	return withLock(join(cacheDir, 'locks', 'source'), () =>
		source.kind === 'npm' ? acquireNpm(source, cacheDir, progress) : acquireGit(source, cacheDir, progress),
	);
}

/** The lock file entry for an acquired source. */
export function lockEntry(acquired: AcquiredSource): Record<string, string> {
	const entry: Record<string, string> = {source: acquired.id, commit: acquired.commit, sha256: acquired.sha256};
	if (acquired.source.kind === 'npm') entry.integrity = acquired.source.integrity;
	return entry;
}
