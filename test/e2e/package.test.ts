// The packed package works through npx in an empty directory, offline: every npx run is in a network namespace
// of its own (unshare -n; unshare -rn without root), which has nothing but a loopback interface, so its
// dependencies can only come from the npm cache.
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {readdirSync} from 'node:fs';
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

test('npm pack output runs with npx --yes ./sel4-llm-<version>.tgz without network', {timeout: 300_000, skip: 'reason' in offline ? offline.reason : false}, () => {
	const prefix = (offline as {argv: string[]}).argv;
	const dir = tempDir();
	const env = {...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false'};
	// The package is built by `prepare`; pack from the current build.
	execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], {cwd: root, env, stdio: 'pipe'});
	const tarball = readdirSync(dir).find((name) => /^sel4-llm-.*\.tgz$/.test(name));
	assert.ok(tarball, 'npm pack wrote a tarball');
	const offlineRun = (argv: string[]) => execFileSync(prefix[0]!, [...prefix.slice(1), ...argv], {cwd: dir, env, encoding: 'utf8'});

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
