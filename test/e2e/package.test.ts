// The packed package works through npx in an empty directory, offline: every npx run is in a network namespace
// of its own (unshare -n; unshare -rn without root), which has nothing but a loopback interface, so its
// dependencies can only come from the npm cache. The cache is the test's own: one install of the tarball with the
// network fills it (package documents and tarballs; `npm ci` alone leaves no package documents), so the runs depend
// neither on what the user's cache holds nor on its lock, which a busy machine's other npm runs hold too.
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {readdirSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {root, tempDir} from '../support/cli.js';
import {jsonOutput} from '../support/cli.js';

/** The command prefix that cuts the network, or why there is none here. */
function offlinePrefix(): {argv: string[]} | {reason: string} {
	const argv = process.getuid?.() === 0 ? ['unshare', '-n'] : ['unshare', '-rn'];
	const probe = spawnSync(argv[0]!, [...argv.slice(1), 'cat', '/proc/net/dev'], {encoding: 'utf8'});
	if (probe.error || probe.status !== 0) {
		return {reason: `cannot cut the network with ${argv.join(' ')} here (${(probe.error?.message ?? probe.stderr).trim() || `exit ${probe.status}`})`};
	}
	return {argv};
}

const offline = offlinePrefix();

test('npm pack output runs with npx --yes ./sel4-llm-<version>.tgz without network', {timeout: 300_000, skip: 'reason' in offline ? offline.reason : false}, (t) => {
	const prefix = (offline as {argv: string[]}).argv;
	const dir = tempDir();
	const env = {...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false'};
	// The package is built by `prepare`; pack from the current build.
	execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], {cwd: root, env, stdio: 'pipe'});
	const tarball = readdirSync(dir).find((name) => /^sel4-llm-.*\.tgz$/.test(name));
	assert.ok(tarball, 'npm pack wrote a tarball');
	const cache = tempDir();
	const prime = spawnSync('npm', ['install', '--no-save', '--ignore-scripts', '--prefix', tempDir(), join(dir, tarball)], {
		env: {...env, npm_config_cache: cache, npm_config_fetch_retries: '1'},
		encoding: 'utf8',
		timeout: 240_000,
	});
	if (prime.status !== 0 && /EAI_AGAIN|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|ENETUNREACH/.test(prime.stderr)) {
		t.skip(`the npm registry cannot be reached to fill the test's cache: ${prime.stderr.trim().split('\n').at(-2) ?? ''}`);
		return;
	}
	assert.equal(prime.status, 0, `npm install of the tarball: ${prime.stderr}`);
	// Offline: npm takes what the cache holds and fails at once for anything else, never waiting on the network.
	const offlineEnv = {...env, npm_config_cache: cache, npm_config_offline: 'true'};
	const offlineRun = (argv: string[]) =>
		execFileSync(prefix[0]!, [...prefix.slice(1), ...argv], {cwd: dir, env: offlineEnv, encoding: 'utf8', timeout: 120_000, stdio: 'pipe'});

	// Inside the namespace there is only the loopback interface: nothing can reach the registry.
	const interfaces = offlineRun(['cat', '/proc/net/dev'])
		.split('\n')
		.slice(2)
		.map((line) => line.trim().split(':')[0])
		.filter(Boolean);
	assert.deepEqual(interfaces, ['lo'], 'the network is cut for the npx runs');

	const help = offlineRun(['npx', '--yes', `./${tarball}`, '--help']);
	assert.match(help, /Usage: sel4-llm <command> \[options\]/);
	assert.match(help, /plan +Dry run/);
	const version = offlineRun(['npx', '--yes', `./${tarball}`, '--version']);
	assert.match(version, /^\d+\.\d+\.\d+\n$/);
	const recipes = offlineRun(['npx', '--yes', `./${tarball}`, 'recipes', '--json']);
	assert.ok(jsonOutput(recipes).result.vars.platform, 'the packed recipes load');
	assert.deepEqual(readdirSync(dir), [tarball], 'npx leaves the directory as it was: nothing but the tarball');
});
