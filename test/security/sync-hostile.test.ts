// Hostile values and hostile repositories against the real git: a value from the command line, a recipe variable,
// a manifest or a lock file never reaches git as an option, and nothing a manifest or a project commits can make
// the sync write or read outside the workspace. A marker file must never appear.
import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {syncWorkspace} from '../../source/sync/sync.js';
import {cli, tempDir} from '../support/cli.js';
import {gitIn} from '../support/mini-upstream.js';

let root: string;
let marker: string;
let outside: string;

before(() => {
	root = tempDir('sel4-llm-hostile-');
	marker = join(root, 'pwned');
	outside = join(root, 'outside');
	mkdirSync(outside);
});
after(() => rmSync(root, {recursive: true, force: true}));

function assertNoMarker(): void {
	assert.equal(existsSync(marker), false, 'an injected command ran');
}

/** A git repository with the given files (symlinks as {link: target}) committed; returns its head commit. */
function repo(dir: string, files: Record<string, string | {link: string}>): string {
	mkdirSync(dir, {recursive: true});
	gitIn(dir, ['init', '-q', '-b', 'master']);
	for (const [name, content] of Object.entries(files)) {
		const path = join(dir, name);
		mkdirSync(join(path, '..'), {recursive: true});
		if (typeof content === 'string') writeFileSync(path, content);
		else symlinkSync(content.link, path);
	}
	gitIn(dir, ['add', '-A']);
	gitIn(dir, ['commit', '-q', '-m', 'files']);
	gitIn(dir, ['config', 'uploadpack.allowAnySHA1InWant', 'true']);
	return gitIn(dir, ['rev-parse', 'HEAD']);
}

/** A manifest repository under <base>/seL4/manifest.git whose default.xml is `xml`. */
function manifestRepo(base: string, xml: string): string {
	const dir = join(base, 'seL4', 'manifest.git');
	repo(dir, {'default.xml': xml});
	return `file://${dir}`;
}

const injections = [`--upload-pack=touch ${'MARKER'}`, `-u touch MARKER`, `ext::sh -c touch% MARKER`];
const withMarker = (text: string) => text.replace('MARKER', marker);

describe('values from the command line and from recipe variables', () => {
	for (const raw of injections) {
		const value = withMarker(raw);
		test(`sync --manifest-url=${JSON.stringify(raw)} is refused before git runs`, () => {
			const workspace = tempDir();
			const result = cli(['sync', `--manifest-url=${value}`, '--workspace', workspace, '--retries', '0']);
			assertNoMarker();
			assert.equal(result.code, 2, result.stderr);
			assert.match(result.stderr, /manifest URL .*(starts with "-"|runs commands)/);
			rmSync(workspace, {recursive: true, force: true});
		});
	}

	for (const raw of [...injections, `https://github.com/=--upload-pack=touch MARKER`, `https://github.com/=ext::sh -c touch% MARKER`]) {
		test(`sync --mirror=${JSON.stringify(raw)} is refused before git runs`, () => {
			const workspace = tempDir();
			const result = cli(['sync', `--mirror=${withMarker(raw)}`, '--workspace', workspace, '--retries', '0']);
			assertNoMarker();
			assert.equal(result.code, 2, result.stderr);
			assert.match(result.stderr, /the mirror (base|prefix|replacement|rule) .*(starts with "-"|runs commands|neither a URL)/);
			rmSync(workspace, {recursive: true, force: true});
		});
	}

	test('sync --manifest-branch with an option is refused before git runs', () => {
		const base = join(root, 'branch');
		const url = manifestRepo(base, '<manifest/>');
		const result = cli(['sync', `--manifest-url=${url}`, `--manifest-branch=--upload-pack=touch ${marker}`, '--workspace', join(base, 'ws')]);
		assertNoMarker();
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /manifest branch "--upload-pack/);
	});

	test('a recipe variable with an option reaches the sync as a value and is refused there', () => {
		const workspace = tempDir();
		const result = cli(['run', 'sources.sync', '--workspace', workspace, '--set', 'host_setup=skip', '--set', `manifest_url=--upload-pack=touch ${marker}`]);
		assertNoMarker();
		assert.equal(result.code, 1, result.stderr);
		assert.match(result.stderr, /the manifest URL "--upload-pack=touch .*" starts with "-"/);
		rmSync(workspace, {recursive: true, force: true});
	});
});

describe('hostile manifests', () => {
	const cases: Array<{what: string; xml: (project: string) => string; error: RegExp}> = [
		{
			what: 'a revision that is an option',
			xml: (project) => `<manifest><remote name="r" fetch="${project}"/><project name="p" remote="r" revision="--upload-pack=touch ${marker}"/></manifest>`,
			error: /default\.xml:1: revision of project p "--upload-pack=.*starts with "-"/,
		},
		{
			what: 'a remote whose fetch URL is an option',
			xml: () => `<manifest><remote name="r" fetch="--upload-pack=touch ${marker}"/><default remote="r" revision="master"/><project name="p"/></manifest>`,
			error: /fetch URL of remote r "--upload-pack=.*starts with "-"/,
		},
		{
			what: 'a remote on the ext:: transport',
			xml: () => `<manifest><remote name="r" fetch="ext::sh -c touch% ${marker}"/><default remote="r" revision="master"/><project name="p"/></manifest>`,
			error: /runs commands/,
		},
		{
			what: 'a project name that is an option',
			xml: (project) => `<manifest><remote name="r" fetch="${project}"/><default remote="r" revision="master"/><project name="--upload-pack=touch ${marker}" path="p"/></manifest>`,
			error: /project name "--upload-pack=.*starts with "-"/,
		},
		{
			what: 'an upstream that is an option',
			xml: (project) => `<manifest><remote name="r" fetch="${project}"/><default remote="r" revision="master"/><project name="p" upstream="--upload-pack=x"/></manifest>`,
			error: /upstream of project p "--upload-pack=x"/,
		},
		{
			what: 'a path that leaves the workspace',
			xml: (project) => `<manifest><remote name="r" fetch="${project}"/><default remote="r" revision="master"/><project name="p" path="../../escaped"/></manifest>`,
			error: /path of project p "\.\.\/\.\.\/escaped" must be a relative path inside the workspace/,
		},
		{
			what: 'a linkfile dest that leaves the workspace',
			xml: (project) => `<manifest><remote name="r" fetch="${project}"/><default remote="r" revision="master"/><project name="p"><linkfile src="a" dest="../../x"/></project></manifest>`,
			error: /<linkfile> dest "\.\.\/\.\.\/x"/,
		},
	];
	for (const each of cases) {
		test(`${each.what} is refused with the file and line, and nothing runs`, async () => {
			const base = join(root, `manifest-${cases.indexOf(each)}`);
			const projectBase = join(base, 'projects');
			repo(join(projectBase, 'p'), {a: 'a\n'});
			const url = manifestRepo(base, each.xml(`file://${projectBase}`));
			const workspace = join(base, 'ws');
			await assert.rejects(syncWorkspace({workspace, manifestUrl: url, retries: 0}), (error: Error & {exitCode?: number}) => {
				assert.match(error.message, each.error);
				assert.equal(error.exitCode, 3);
				return true;
			});
			assertNoMarker();
			assert.equal(existsSync(join(base, 'escaped')), false);
			assert.deepEqual(readdirSync(outside), []);
		});
	}
});

describe('symlinks committed in a project', () => {
	test('a copyfile or linkfile through a committed symlink is refused and writes nothing outside', async () => {
		const base = join(root, 'symlinks');
		const projectBase = join(base, 'projects');
		repo(join(projectBase, 'p'), {'x': 'payload\n', 'out': {link: outside}, 'pw': {link: '/etc/passwd'}});
		const xml = `<manifest><remote name="r" fetch="file://${projectBase}"/><default remote="r" revision="master"/>
<project name="p" path="projects/p">
  <copyfile src="x" dest="projects/p/out/copied"/>
  <linkfile src="x" dest="projects/p/out/linked"/>
  <copyfile src="pw" dest="passwd-copy"/>
</project></manifest>`;
		const url = manifestRepo(base, xml);
		const workspace = join(base, 'ws');
		const result = await syncWorkspace({workspace, manifestUrl: url, retries: 0});
		assert.equal(result.ok, false);
		const error = result.projects[0]!.error ?? '';
		assert.match(error, /goes through the symlink projects\/p\/out|not a regular file of the project/);
		assert.deepEqual(readdirSync(outside), [], 'nothing was written through the symlink');
		assert.equal(existsSync(join(workspace, 'passwd-copy')), false, 'no host file was copied in');
	});

	test('a copyfile whose source is a symlink to a host file is refused', async () => {
		const base = join(root, 'symlink-src');
		const projectBase = join(base, 'projects');
		repo(join(projectBase, 'p'), {'pw': {link: '/etc/passwd'}});
		const url = manifestRepo(base, `<manifest><remote name="r" fetch="file://${projectBase}"/><default remote="r" revision="master"/><project name="p"><copyfile src="pw" dest="passwd-copy"/></project></manifest>`);
		const workspace = join(base, 'ws');
		const result = await syncWorkspace({workspace, manifestUrl: url, retries: 0});
		assert.equal(result.ok, false);
		assert.match(result.projects[0]!.error ?? '', /goes through the symlink pw/);
		assert.equal(existsSync(join(workspace, 'passwd-copy')), false);
	});
});

describe('hostile lock files', () => {
	const base = () => {
		const dir = join(root, `lock-${Math.random().toString(36).slice(2)}`);
		mkdirSync(dir, {recursive: true});
		return dir;
	};
	const project = (fields: Record<string, unknown>) => ({
		name: 'p',
		path: 'projects/p',
		url: 'file:///nowhere/p',
		revision: '0'.repeat(40),
		linkfiles: [],
		copyfiles: [],
		...fields,
	});
	const cases: Array<{what: string; project: Record<string, unknown>; error: RegExp}> = [
		{what: 'a path above the workspace', project: {path: '../../x'}, error: /projects\[0\]\.path: "\.\.\/\.\.\/x" must be a relative path inside the workspace/},
		{what: 'an absolute path', project: {path: '/etc'}, error: /projects\[0\]\.path/},
		{what: 'a linkfile dest above the workspace', project: {linkfiles: [{src: 'a', dest: '../../x'}]}, error: /linkfiles\[0\]\.dest/},
		{what: 'a URL that is an option', project: {url: `--upload-pack=touch ${marker}`}, error: /projects\[0\]\.url: .*starts with "-"/},
		{what: 'a revision that is not a commit id', project: {revision: '--upload-pack=x'}, error: /projects\[0\]\.revision: must be a full commit id/},
		{what: 'an unknown key', project: {hook: 'sh -c x'}, error: /projects\[0\]/},
	];
	for (const each of cases) {
		test(`sync --lock with ${each.what} is refused (exit 3) before anything is written`, () => {
			const dir = base();
			const lock = join(dir, 'lock.json');
			writeFileSync(lock, JSON.stringify({version: 1, manifest: {url: 'file:///nowhere/m.git', file: 'default.xml'}, projects: [project(each.project)]}));
			const workspace = join(dir, 'ws');
			const result = cli(['sync', '--lock', lock, '--workspace', workspace]);
			assertNoMarker();
			assert.equal(result.code, 3, result.stderr);
			assert.match(result.stderr, each.error);
			assert.equal(existsSync(join(dir, 'x')), false);
			assert.equal(existsSync(join(workspace, 'projects')), false);
		});
	}
});
