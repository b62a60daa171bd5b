// The built-in sync for real, with git, against a miniature upstream of file:// repositories.
import assert from 'node:assert/strict';
import {existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {after, before, test} from 'node:test';
import {readLock} from '../../source/sync/lock.js';
import {parseMirrors} from '../../source/sync/mirror.js';
import {syncWorkspace, type SyncEvent, type SyncOptions} from '../../source/sync/sync.js';
import {createMiniUpstream, gitIn, type MiniUpstream} from '../support/mini-upstream.js';

let mini: MiniUpstream;
const cleanup: string[] = [];

before(() => {
	mini = createMiniUpstream();
	cleanup.push(mini.root);
});
after(() => {
	for (const dir of cleanup) rmSync(dir, {recursive: true, force: true});
});

function workspace(): string {
	const dir = mkdtempSync(join(tmpdir(), 'sel4-llm-ws-'));
	cleanup.push(dir);
	return dir;
}

async function sync(dir: string, options: Partial<SyncOptions> = {}) {
	const events: SyncEvent[] = [];
	const result = await syncWorkspace({workspace: dir, manifestUrl: mini.manifestUrl, jobs: 4, retryDelayMs: 10, onEvent: (event) => events.push(event), ...options});
	return {result, events};
}

const head = (dir: string) => gitIn(dir, ['rev-parse', 'HEAD']);
const tip = (name: string, ref = 'HEAD') => gitIn(mini.repoDir(name), ['rev-parse', `${ref}^{commit}`]);

test('a first sync lays the workspace out like repo: .git files, exact revisions, linkfiles, copyfiles, lock file', async () => {
	const dir = workspace();
	const {result, events} = await sync(dir);
	assert.equal(result.ok, true, JSON.stringify(result.projects.filter((project) => project.error)));
	assert.deepEqual(
		result.projects.map((project) => project.action),
		result.projects.map(() => 'cloned'),
	);
	for (const project of mini.projects) {
		const gitFile = join(dir, project.path, '.git');
		assert.ok(lstatSync(gitFile).isFile(), `${project.path}/.git must be a file`);
		const pointer = readFileSync(gitFile, 'utf8');
		assert.match(pointer, /^gitdir: (\.\.\/)+\.repo\/projects\//, pointer);
		assert.ok(statSync(join(dir, '.repo', 'projects', `${project.path}.git`, 'HEAD')).isFile());
	}
	// Pinned revisions are exact (and not the branch tip); branch and tag projects are at their tips.
	assert.equal(head(join(dir, 'kernel')), mini.pins.get('seL4.git'));
	assert.notEqual(head(join(dir, 'kernel')), tip('seL4.git'));
	assert.equal(head(join(dir, 'projects/vm')), tip('camkes-vm.git'));
	assert.equal(head(join(dir, 'projects/musllibc')), tip('musllibc.git', 'sel4'));
	assert.equal(head(join(dir, 'projects/picotcp')), tip('picotcp.git', 'refs/tags/v1.7.0'));
	assert.equal(readFileSync(join(dir, 'projects/picotcp/VERSION'), 'utf8'), '1\n');
	// Shallow: one commit of history.
	assert.equal(gitIn(join(dir, 'kernel'), ['rev-list', '--count', 'HEAD']), '1');
	assert.ok(events.some((event) => event.type === 'project-done' && event.shallow));
	// Linkfiles are relative symlinks at the top; copyfiles are copies.
	assert.equal(readlinkSync(join(dir, 'init-build.sh')), 'tools/seL4/cmake-tool/init-build.sh');
	assert.equal(readlinkSync(join(dir, 'easy-settings.cmake')), 'projects/vm-examples/easy-settings.cmake');
	assert.equal(readlinkSync(join(dir, 'README.md')), 'projects/vm/README.md');
	assert.ok(lstatSync(join(dir, 'camkes_README.md')).isFile());
	assert.equal(readFileSync(join(dir, 'camkes_README.md'), 'utf8'), '# CAmkES\n');
	assert.ok(existsSync(join(dir, 'init-build.sh')), 'the symlink resolves');
	// The lock file records every exact revision.
	const lock = readLock(join(dir, 'sel4-llm.lock.json'));
	assert.equal(lock.manifest.url, mini.manifestUrl);
	assert.equal(lock.manifest.file, 'default.xml');
	assert.equal(lock.manifest.commit, gitIn(mini.manifestDir, ['rev-parse', 'HEAD']));
	const locked = new Map(lock.projects.map((project) => [project.path, project]));
	assert.equal(locked.size, mini.projects.length);
	assert.equal(locked.get('kernel')!.revision, mini.pins.get('seL4.git'));
	assert.equal(locked.get('kernel')!.upstream, 'master');
	assert.equal(locked.get('projects/musllibc')!.ref, 'sel4');
	assert.equal(locked.get('projects/picotcp')!.ref, 'refs/tags/v1.7.0');
	assert.equal(locked.get('projects/picotcp')!.url, `file://${join(mini.root, 'ext', 'picotcp.git')}`);
	// seL4's musllibc build runs `rm -f src/.git`: on a file that works, and the next sync repairs the pointer.
	rmSync(join(dir, 'projects/musllibc/.git'));
	const repaired = await sync(dir);
	assert.equal(repaired.result.ok, true);
	assert.ok(lstatSync(join(dir, 'projects/musllibc/.git')).isFile());
	assert.equal(head(join(dir, 'projects/musllibc')), tip('musllibc.git', 'sel4'));
});

test('an unchanged re-sync is a no-op: nothing fetched for pinned projects, the lock file untouched', async () => {
	const dir = workspace();
	assert.equal((await sync(dir)).result.ok, true);
	const lockPath = join(dir, 'sel4-llm.lock.json');
	const before = {text: readFileSync(lockPath, 'utf8'), mtime: statSync(lockPath).mtimeMs};
	// Take the pinned projects' repositories away: an unchanged sync must not need them.
	const pinned = mini.projects.filter((project) => project.track === 'pinned');
	for (const project of pinned) renameSync(mini.repoDir(project.name), `${mini.repoDir(project.name)}.away`);
	try {
		const {result, events} = await sync(dir);
		assert.equal(result.ok, true, JSON.stringify(result.projects.filter((project) => project.error)));
		assert.deepEqual(new Set(result.projects.map((project) => project.action)), new Set(['unchanged']));
		assert.equal(events.filter((event) => event.type === 'project-start' && event.what.startsWith('fetch')).length, 0);
	} finally {
		for (const project of pinned) renameSync(`${mini.repoDir(project.name)}.away`, mini.repoDir(project.name));
	}
	assert.equal(readFileSync(lockPath, 'utf8'), before.text);
	assert.equal(statSync(lockPath).mtimeMs, before.mtime);
});

test('a moved revision is updated; a moved branch is followed; the rest stays', async () => {
	const local = createMiniUpstream();
	cleanup.push(local.root);
	const dir = workspace();
	const first = await syncWorkspace({workspace: dir, manifestUrl: local.manifestUrl, retryDelayMs: 10});
	assert.equal(first.ok, true);
	const moved = local.commit('seL4.git', {'src/new.c': 'int new_code;\n'}, 'Kernel change');
	local.pins.set('seL4.git', moved);
	local.writeManifests();
	const branchTip = local.commit('camkes-vm.git', {'NEWS': 'news\n'}, 'Branch moves');
	const second = await syncWorkspace({workspace: dir, manifestUrl: local.manifestUrl, retryDelayMs: 10});
	assert.equal(second.ok, true);
	const actions = Object.fromEntries(second.projects.map((project) => [project.path, project.action]));
	assert.equal(actions.kernel, 'updated');
	assert.equal(actions['projects/vm'], 'updated');
	assert.equal(actions['tools/seL4'], 'unchanged');
	assert.equal(head(join(dir, 'kernel')), moved);
	assert.equal(readFileSync(join(dir, 'kernel/src/new.c'), 'utf8'), 'int new_code;\n');
	assert.equal(head(join(dir, 'projects/vm')), branchTip);
	const lock = readLock(join(dir, 'sel4-llm.lock.json'));
	assert.equal(lock.projects.find((project) => project.path === 'kernel')!.revision, moved);
});

test('a broken remote fails that project with a clear error while the others complete', async () => {
	const dir = workspace();
	const away = `${mini.repoDir('musllibc.git')}.away`;
	renameSync(mini.repoDir('musllibc.git'), away);
	let outcome;
	try {
		outcome = await sync(dir, {retries: 1});
	} finally {
		renameSync(away, mini.repoDir('musllibc.git'));
	}
	const {result, events} = outcome;
	assert.equal(result.ok, false);
	const failed = result.projects.filter((project) => project.error);
	assert.deepEqual(failed.map((project) => project.path), ['projects/musllibc']);
	assert.match(failed[0]!.error!, /does not appear to be a git repository|not found/i);
	assert.match(failed[0]!.hint!, /reachable.*--manifest-url/);
	for (const project of result.projects.filter((each) => !each.error)) assert.equal(project.action, 'cloned');
	assert.ok(existsSync(join(dir, 'kernel/VERSION')));
	assert.ok(events.some((event) => event.type === 'project-fail' && event.path === 'projects/musllibc'));
	assert.equal(result.lockWritten, false);
	assert.equal(existsSync(join(dir, 'sel4-llm.lock.json')), false, 'no lock file for an incomplete sync');
	// Once the remote is back, the next sync fetches only the failed project.
	const again = await sync(dir);
	assert.equal(again.result.ok, true);
	assert.deepEqual(
		again.result.projects.filter((project) => project.action !== 'unchanged').map((project) => project.path),
		['projects/musllibc'],
	);
});

test('local changes that block a checkout are reported with the fix, and the other projects still sync', async () => {
	const local = createMiniUpstream();
	cleanup.push(local.root);
	const dir = workspace();
	assert.equal((await syncWorkspace({workspace: dir, manifestUrl: local.manifestUrl, retryDelayMs: 10})).ok, true);
	writeFileSync(join(dir, 'kernel/VERSION'), 'my local edit\n');
	const moved = local.commit('seL4.git', {VERSION: '3\n'}, 'Version 3');
	local.pins.set('seL4.git', moved);
	local.writeManifests();
	const result = await syncWorkspace({workspace: dir, manifestUrl: local.manifestUrl, retryDelayMs: 10});
	assert.equal(result.ok, false);
	const kernel = result.projects.find((project) => project.path === 'kernel')!;
	assert.match(kernel.error!, /local changes in kernel block the checkout of [0-9a-f]{12}: VERSION/);
	assert.match(kernel.hint!, /git -C kernel stash -u/);
	assert.equal(readFileSync(join(dir, 'kernel/VERSION'), 'utf8'), 'my local edit\n', 'the change is kept');
	assert.ok(result.projects.filter((project) => project.path !== 'kernel').every((project) => !project.error));
	// After stashing, the sync goes through.
	gitIn(join(dir, 'kernel'), ['stash', '-q']);
	const fixed = await syncWorkspace({workspace: dir, manifestUrl: local.manifestUrl, retryDelayMs: 10});
	assert.equal(fixed.ok, true);
	assert.equal(head(join(dir, 'kernel')), moved);
});

test('a server that refuses fetching a commit by id gets a full fetch instead', async () => {
	const dir = workspace();
	// Protocol v0 over file:// refuses unadvertised objects, like servers without allowReachableSHA1InWant.
	const env = {...process.env, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'protocol.version', GIT_CONFIG_VALUE_0: '0'};
	const {result, events} = await sync(dir, {env});
	assert.equal(result.ok, true, JSON.stringify(result.projects.filter((project) => project.error)));
	assert.equal(head(join(dir, 'kernel')), mini.pins.get('seL4.git'));
	assert.equal(gitIn(join(dir, 'kernel'), ['rev-list', '--count', 'HEAD']), '2', 'full history');
	const kernelDone = events.find((event) => event.type === 'project-done' && event.path === 'kernel');
	assert.ok(kernelDone && kernelDone.type === 'project-done' && !kernelDone.shallow);
});

test('a lock file reproduces the exact revisions, even after the upstream branches moved', async () => {
	const local = createMiniUpstream();
	cleanup.push(local.root);
	const first = workspace();
	assert.equal((await syncWorkspace({workspace: first, manifestUrl: local.manifestUrl, retryDelayMs: 10})).ok, true);
	const lockPath = join(first, 'sel4-llm.lock.json');
	const vmAtLock = head(join(first, 'projects/vm'));
	local.commit('camkes-vm.git', {NEWS: 'later\n'}, 'Later work');
	const second = workspace();
	const result = await syncWorkspace({workspace: second, fromLock: lockPath, retryDelayMs: 10});
	assert.equal(result.ok, true);
	assert.equal(head(join(second, 'projects/vm')), vmAtLock);
	assert.equal(readlinkSync(join(second, 'init-build.sh')), 'tools/seL4/cmake-tool/init-build.sh');
	assert.equal(readFileSync(join(second, 'sel4-llm.lock.json'), 'utf8'), readFileSync(lockPath, 'utf8'));
	// A project that left the manifest is reported and left in place.
	const lock = readLock(join(second, 'sel4-llm.lock.json'));
	lock.projects.push({...lock.projects[0]!, name: 'gone.git', path: 'projects/gone'});
	writeFileSync(join(second, 'sel4-llm.lock.json'), JSON.stringify(lock));
	const events: SyncEvent[] = [];
	assert.equal((await syncWorkspace({workspace: second, manifestUrl: local.manifestUrl, retryDelayMs: 10, onEvent: (event) => events.push(event)})).ok, true);
	assert.ok(events.some((event) => event.type === 'note' && /projects\/gone is no longer in the manifest; it was left in place/.test(event.message)));
});

test('master.xml follows branch tips; a missing manifest file names the ones there are', async () => {
	const dir = workspace();
	const {result} = await sync(dir, {manifestFile: 'master.xml'});
	assert.equal(result.ok, true);
	assert.equal(head(join(dir, 'kernel')), tip('seL4.git'));
	await assert.rejects(sync(workspace(), {manifestFile: 'nope.xml'}), /no nope\.xml/);
	await assert.rejects(sync(workspace(), {manifestFile: 'nope.xml'}), (error: Error & {hint?: string}) => /default\.xml, master\.xml/.test(error.hint ?? ''));
});

test('an unreachable manifest and the deprecated manifest are refused before anything is fetched', async () => {
	await assert.rejects(sync(workspace(), {manifestUrl: `file://${mini.root}/nowhere.git`, retries: 0}), (error: Error & {hint?: string; kind?: string; exitCode?: number}) => {
		assert.match(error.message, /cannot fetch the manifest repository/);
		assert.match(error.hint!, /--manifest-url .*mirror/);
		// The work failed (the network or the server), not the input: exit code 1.
		assert.equal(error.kind, 'failed');
		assert.equal(error.exitCode, 1);
		return true;
	});
	const dir = workspace();
	await assert.rejects(sync(dir, {manifestUrl: 'https://github.com/seL4/camkes-vm-manifest.git'}), (error: Error & {kind?: string; exitCode?: number}) => {
		assert.match(error.message, /deprecated camkes-vm manifest/);
		assert.equal(error.kind, 'refused');
		assert.equal(error.exitCode, 4);
		return true;
	});
	assert.equal(existsSync(join(dir, '.repo', 'manifests')), false);
});

test('a directory in the way is not overwritten', async () => {
	const dir = workspace();
	gitIn(dir, ['init', '-q', join(dir, 'kernel')]);
	const {result} = await sync(dir);
	const kernel = result.projects.find((project) => project.path === 'kernel')!;
	assert.match(kernel.error!, /kernel is a git checkout that this sync does not manage/);
	assert.match(kernel.hint!, /mv kernel kernel\.old/);
	assert.ok(lstatSync(join(dir, 'kernel/.git')).isDirectory());
});

test('fetches are retried with a growing pause for network errors, not for permanent ones', async () => {
	const {withRetry} = await import('../../source/sync/sync.js');
	const {GitError} = await import('../../source/sync/git.js');
	const transient = new GitError(['fetch'], {code: 128, stdout: '', stderr: "fatal: unable to access 'https://github.com/seL4/seL4.git/': Could not resolve host: github.com\n"});
	const permanent = new GitError(['fetch'], {code: 128, stdout: '', stderr: "fatal: '/nowhere' does not appear to be a git repository\n"});
	const retries: Array<[number, string]> = [];
	let calls = 0;
	const started = Date.now();
	const value = await withRetry(
		async () => {
			calls++;
			if (calls < 3) throw transient;
			return 'fetched';
		},
		{retries: 2, delayMs: 20, onRetry: (attempt, error) => retries.push([attempt, error])},
	);
	assert.equal(value, 'fetched');
	assert.deepEqual(retries.map(([attempt]) => attempt), [1, 2]);
	assert.match(retries[0]![1], /Could not resolve host: github\.com/);
	assert.ok(Date.now() - started >= 20 + 40, 'the pause doubles');
	let permanentCalls = 0;
	await assert.rejects(
		withRetry(
			async () => {
				permanentCalls++;
				throw permanent;
			},
			{retries: 2, delayMs: 1, onRetry: () => assert.fail('no retry for a permanent error')},
		),
		GitError,
	);
	assert.equal(permanentCalls, 1);
	let exhausted = 0;
	await assert.rejects(
		withRetry(
			async () => {
				exhausted++;
				throw transient;
			},
			{retries: 1, delayMs: 1, onRetry: () => {}},
		),
	);
	assert.equal(exhausted, 2);
});

test('projects on absolute remotes: a manifest mirror alone names them and the rule to add; --mirror fetches them, the lock keeps upstream URLs', async () => {
	// A copy of the manifest whose "ext" remote is an upstream URL this machine cannot reach, as picotcp's
	// https://github.com/tass-belgium is on a machine that has only a mirror of the manifest.
	// It sits next to the seL4 repositories, so the relative remote ("../seL4") still resolves.
	const manifestDir = join(dirname(mini.manifestDir), 'manifest-absolute-remote');
	gitIn(dirname(mini.manifestDir), ['clone', '-q', '--', mini.manifestDir, manifestDir]);
	const upstream = 'http://127.0.0.1:9/tass-belgium';
	const xml = readFileSync(join(manifestDir, 'default.xml'), 'utf8');
	assert.match(xml, /<remote name="ext" fetch="file:\/\/[^"]+"\/>/);
	writeFileSync(join(manifestDir, 'default.xml'), xml.replace(/(<remote name="ext" fetch=")[^"]+"/, `$1${upstream}"`));
	gitIn(manifestDir, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-am', 'absolute upstream remote']);
	const manifestUrl = `file://${manifestDir}`;

	const dir = workspace();
	const first = await sync(dir, {manifestUrl, retries: 0});
	assert.equal(first.result.ok, false);
	const failed = first.result.projects.filter((project) => project.error);
	assert.deepEqual(failed.map((project) => project.path), ['projects/picotcp']);
	assert.match(failed[0]!.hint!, /a mirror given with --manifest-url does not cover it \(its remote http:\/\/127\.0\.0\.1:9\/tass-belgium is an absolute URL\)/);
	assert.match(failed[0]!.hint!, /--mirror http:\/\/127\.0\.0\.1:9\/tass-belgium\/=<mirror URL>\//);
	assert.equal(existsSync(join(dir, 'sel4-llm.lock.json')), false, 'no lock file for a partial sync');

	// The rule the hint names, with the mirror filled in.
	const ext = join(mini.root, 'ext');
	const second = await sync(dir, {manifestUrl, retries: 0, mirrors: parseMirrors(`${upstream}/=file://${ext}/`)});
	assert.equal(second.result.ok, true, JSON.stringify(second.result.projects.filter((project) => project.error)));
	assert.equal(head(join(dir, 'projects/picotcp')), tip('picotcp.git', 'refs/tags/v1.7.0'));
	const locked = new Map(readLock(join(dir, 'sel4-llm.lock.json')).projects.map((project) => [project.path, project]));
	assert.equal(locked.get('projects/picotcp')!.url, `${upstream}/picotcp.git`);

	// A base directory laid out as BASE/<host>/<path> (a mirror made with `git clone --mirror` has the .git ending or not).
	const base = mkdtempSync(join(tmpdir(), 'sel4-llm-mirror-base-'));
	cleanup.push(base);
	gitIn(base, ['clone', '-q', '--mirror', '--', join(ext, 'picotcp.git'), '127.0.0.1/tass-belgium/picotcp']);
	const third = await sync(workspace(), {manifestUrl, retries: 0, mirrors: parseMirrors(base)});
	assert.equal(third.result.ok, true, JSON.stringify(third.result.projects.filter((project) => project.error)));
	assert.equal(third.result.projects.find((project) => project.path === 'projects/picotcp')!.action, 'cloned');

	// A mirror that lacks the project says which URL it must hold.
	const empty = mkdtempSync(join(tmpdir(), 'sel4-llm-mirror-empty-'));
	cleanup.push(empty);
	const fourth = await sync(workspace(), {manifestUrl, retries: 0, mirrors: parseMirrors(empty)});
	const missing = fourth.result.projects.find((project) => project.error)!;
	assert.equal(missing.path, 'projects/picotcp');
	assert.equal(missing.hint, `check the mirror: file://${empty}/127.0.0.1/tass-belgium/picotcp.git must hold ${upstream}/picotcp.git, then sync again`);
});
