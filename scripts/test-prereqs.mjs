// What the test suite needs from the machine, checked in well under a second before anything is built: the Debian
// packages listed in .ci/apt/*.txt (read from dpkg's status file, no process per package), root (tests that need
// it skip without it, visibly) and free disk for the fixture cache and the scratch folders.
//
// Missing packages stop the run with the one command that installs them; as root with SEL4LLM_TEST_INSTALL=1
// they are installed here instead (.ci/apt/install, which says what it installs).
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, readFileSync, statfsSync} from 'node:fs';
import {homedir, tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GiB = 2 ** 30;

/** Where the tests keep their expensive fixtures (test/support/cache.ts resolves the same folder). */
export function testCacheDir(env = process.env) {
	if (env.SEL4LLM_TEST_CACHE) return resolve(env.SEL4LLM_TEST_CACHE);
	const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
	return join(base, 'sel4-llm-tests');
}

/** The package names of .ci/apt/*.txt, in one list without duplicates. */
export function wantedPackages() {
	const dir = join(root, '.ci', 'apt');
	const names = new Set();
	for (const file of readdirSync(dir).filter((name) => name.endsWith('.txt')).sort()) {
		for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
			for (const name of line.replace(/#.*/, '').trim().split(/\s+/)) if (name) names.add(name);
		}
	}
	return [...names].sort();
}

/** Installed package names from dpkg's status file (native and arch-qualified names), or null without dpkg. */
export function installedPackages(statusFile = '/var/lib/dpkg/status') {
	let text;
	try {
		text = readFileSync(statusFile, 'utf8');
	} catch {
		return null;
	}
	const installed = new Set();
	for (const stanza of text.split(/\n\n+/)) {
		const name = /^Package: (\S+)/m.exec(stanza)?.[1];
		const status = /^Status: (.*)$/m.exec(stanza)?.[1];
		if (name && status && /^\S+ ok installed$/.test(status.trim())) installed.add(name); // install or hold
	}
	return installed;
}

/** Names apt has no candidate for (not in this distribution): they cannot be installed, so they are not asked for. */
function notInArchive(names) {
	if (names.length === 0) return [];
	const result = spawnSync('apt-cache', ['policy', ...names], {encoding: 'utf8', env: {...process.env, LC_ALL: 'C'}});
	if (result.status !== 0) return [];
	const absent = [];
	let current;
	const seen = new Set();
	for (const line of result.stdout.split('\n')) {
		const head = /^(\S+):$/.exec(line);
		if (head) {
			current = head[1];
			seen.add(current);
			continue;
		}
		if (current && /^\s*Candidate: \(none\)/.test(line)) absent.push(current);
	}
	// apt-cache prints nothing at all for names it has never heard of.
	for (const name of names) if (!seen.has(name)) absent.push(name);
	return absent;
}

function freeBytes(path) {
	let dir = path;
	while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
	try {
		const stats = statfsSync(dir);
		return stats.bavail * stats.bsize;
	} catch {
		return undefined;
	}
}

const format = (bytes) => `${(bytes / GiB).toFixed(1)} GiB`;

/**
 * Checks the machine; returns normally when the suite can run, otherwise prints what is missing with the command
 * to run and exits. `log` gets one line per finding.
 */
export function checkPrerequisites({log = (line) => console.error(line), env = process.env} = {}) {
	const problems = [];
	const isRoot = process.getuid?.() === 0;

	// Packages.
	const wanted = wantedPackages();
	const installed = installedPackages();
	if (installed === null) {
		log(`prerequisites: no dpkg here: the tests expect a Debian or Ubuntu machine with: ${wanted.join(' ')}`);
	} else {
		let missing = wanted.filter((name) => !installed.has(name));
		if (missing.length > 0) {
			const absent = new Set(notInArchive(missing));
			for (const name of absent) log(`prerequisites: ${name} is not in this distribution's archive; the tests do without it`);
			missing = missing.filter((name) => !absent.has(name));
		}
		if (missing.length > 0 && env.SEL4LLM_TEST_INSTALL === '1' && isRoot) {
			log(`prerequisites: installing ${missing.length} missing packages (SEL4LLM_TEST_INSTALL=1): ${missing.join(' ')}`);
			const run = spawnSync('bash', [join(root, '.ci', 'apt', 'install')], {stdio: 'inherit'});
			if (run.status !== 0) problems.push(`installing the packages failed (exit ${run.status}); run: bash .ci/apt/install`);
		} else if (missing.length > 0) {
			problems.push(
				`missing packages: ${missing.join(' ')}\n` +
					`  install them with:  sudo bash .ci/apt/install\n` +
					`  (or, as root, let the tests do it: SEL4LLM_TEST_INSTALL=1 npm test)`,
			);
		}
	}

	// Root: not required, but tests that need it (loop devices, tmpfs mounts, another user's view) skip without it.
	if (!isRoot) log('prerequisites: not root: the tests that need root (loop devices, tmpfs mounts) will be skipped, each with its reason');

	// Disk: the fixture cache (payload builds, Debian kernels) and the scratch folders (images of a few hundred MiB).
	const cache = testCacheDir(env);
	const warm = existsSync(join(cache, 'status.json'));
	const needCache = warm ? 0.5 * GiB : 3 * GiB;
	const needTmp = 2 * GiB;
	const cacheFree = freeBytes(cache);
	const tmpFree = freeBytes(tmpdir());
	if (cacheFree !== undefined && cacheFree < needCache) {
		problems.push(`only ${format(cacheFree)} free for the test cache ${cache} (needs ${format(needCache)}); free some space or point SEL4LLM_TEST_CACHE elsewhere`);
	}
	if (tmpFree !== undefined && tmpFree < needTmp) {
		problems.push(`only ${format(tmpFree)} free in ${tmpdir()} (needs ${format(needTmp)}); free some space or set TMPDIR`);
	}

	if (problems.length > 0) {
		for (const problem of problems) log(`prerequisites: ${problem}`);
		if (env.SEL4LLM_TEST_IGNORE_PREREQUISITES === '1') {
			log('prerequisites: going on anyway (SEL4LLM_TEST_IGNORE_PREREQUISITES=1); expect failures');
			return;
		}
		log('prerequisites: stopped before running anything (set SEL4LLM_TEST_IGNORE_PREREQUISITES=1 to run anyway)');
		process.exit(1);
	}
	mkdirSync(cache, {recursive: true});
	const packages = installed === null ? 'packages not checked' : `${wanted.length} packages installed`;
	log(`prerequisites: ${packages}, ${isRoot ? 'root' : 'not root'}, ${cacheFree === undefined ? '?' : format(cacheFree)} free for ${cache}: ok`);
}
