// The host, sources and build recipes through the built CLI (`sel4-llm plan/run`) against the miniature
// upstream: real git, real cmake and ninja, real skip and invalidation.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {loadRecipeSet} from '../../source/engine/load.js';
import {diagnose} from '../../source/engine/troubleshoot.js';
import {packageGroups, packagesFor} from '../../source/doctor/packages.js';
import {camkesAppName, platformIds, platformRecord} from '../../source/platforms.js';
import {initBuildCommand} from '../../source/sync/build-commands.js';
import {cli, root, tempDir, jsonOutput} from '../support/cli.js';
import {createMiniUpstream, type MiniUpstream} from '../support/mini-upstream.js';

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
	const dir = tempDir('sel4-llm-recipes-');
	cleanup.push(dir);
	return dir;
}

const recipesDir = join(root, 'recipes');

// The host steps install packages with sudo and reach PyPI: tests run on a prepared host (host_setup=skip).
function run(dir: string, args: string[]) {
	return cli([...args, '--workspace', dir, '--set', `manifest_url=${mini.manifestUrl}`, '--set', 'host_setup=skip']);
}

function journal(dir: string): Record<string, {state: string; artifacts?: Record<string, string>}> {
	return (JSON.parse(readFileSync(join(dir, '.sel4-llm', 'journal.json'), 'utf8')) as {steps: Record<string, {state: string}>}).steps;
}

const ran = (stderr: string) =>
	stderr
		.split('\n')
		.filter((line) => line.startsWith('> run'))
		.map((line) => /> run +([\w.-]+):/.exec(line)![1]!);

test('the recipes load; every host step has a status check; sudo and network are declared', () => {
	const set = loadRecipeSet([recipesDir]);
	const host = [...set.steps.values()].filter((step) => step.recipe === 'host');
	assert.deepEqual(host.map((step) => step.name), ['apt', 'cross-compiler', 'python-deps', 'stack', 'repo-launcher']);
	for (const step of host) assert.ok(step.spec.status, `${step.id} needs a status check`);
	assert.deepEqual(set.steps.get('host.apt')!.spec.capabilities, ['sudo', 'network']);
	assert.deepEqual(set.steps.get('host.cross-compiler')!.spec.if, {host_setup: 'auto', platform: 'qemu-arm-virt'});
	assert.deepEqual(set.steps.get('host.repo-launcher')!.spec.if, {host_setup: 'auto', sync: 'repo'});
	// The host comes first: the sync needs git, the build the tools, the Python deps and stack.
	assert.deepEqual(set.steps.get('sources.sync')!.needs, ['host.apt']);
	assert.deepEqual(set.steps.get('build.check')!.needs, ['sources.sync', 'sources.sync-repo', 'host.apt', 'host.cross-compiler', 'host.python-deps', 'host.stack']);
	assert.ok(set.order.indexOf('host.stack') < set.order.indexOf('build.configure-arm'));
	// One apt-get install for the packages, run through sudo.
	const installs = (set.steps.get('host.apt')!.spec.run as Array<{argv?: string[]; sudo?: boolean}>).filter((command) => command.argv?.[1] === 'install');
	assert.equal(installs.length, 1);
	assert.equal(installs[0]!.sudo, true);
	assert.ok(installs[0]!.argv!.includes('device-tree-compiler'));
	// Every build step sees the venv first on PATH.
	for (const id of ['build.configure-arm', 'build.configure-x86-qemu', 'build.configure-x86-usb', 'build.ninja-arm', 'build.ninja-x86']) {
		assert.equal(set.steps.get(id)!.spec.env?.PATH, '${build_path}', id);
	}
	assert.match(String(set.vars.get('build_path')!.spec.default), /^\$\{workspace\}\/python-venv\/bin:.*\$\{env\.PATH\}$/);
	assert.equal(set.vars.get('manifest_url')!.spec.default, 'https://github.com/seL4/camkes-vm-examples-manifest.git');
	assert.deepEqual(set.vars.get('manifest')!.spec.values, ['default.xml', 'master.xml']);
	assert.deepEqual(set.vars.get('sync')!.spec.values, ['builtin', 'repo']);
});

test('host.apt installs and checks exactly the packages doctor requires (the cross compiler and stack have their own steps)', () => {
	const set = loadRecipeSet([recipesDir]);
	const spec = set.steps.get('host.apt')!.spec;
	const install = (spec.run as Array<{argv?: string[]}>).find((command) => command.argv?.[1] === 'install')!.argv!;
	const installed = install.slice(install.indexOf('--no-install-recommends') + 1);
	const script = (spec.status as Array<{sh: string}>)[0]!.sh;
	const checked = /for p in ([^;]+); do/.exec(script)![1]!.replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean);
	const ownSteps = new Set([...platformIds.flatMap((id) => platformRecord(id).crossCompiler?.packages ?? []), 'haskell-stack']);
	const required = platformIds.flatMap((id) => packagesFor(id, 'x86_64')).filter((name) => !ownSteps.has(name));
	const extras = packageGroups.find((group) => group.id === 'base-extras')!.packages;
	const expected = [...new Set([...required, ...extras])].sort();
	assert.ok(expected.length > 30, expected.join(' '));
	assert.deepEqual([...installed].sort(), expected);
	assert.deepEqual([...checked].sort(), expected);
	assert.ok(!installed.includes('gcc-multilib'), 'the 32-bit packages are only recommended');
});

test('plan prints exactly the upstream commands for each platform', () => {
	const dir = workspace();
	const commands = (args: string[]) =>
		run(dir, ['plan', 'build', ...args])
			.stdout.concat(run(dir, ['plan', 'build', ...args]).stderr)
			.split('\n')
			.filter((line) => line.trim().startsWith('$ '))
			.map((line) => line.trim().slice(2));
	const arm = commands([]);
	assert.ok(arm.includes(`sel4-llm sync --workspace=${dir} --manifest-url=${mini.manifestUrl} --mirror= --manifest=default.xml --jobs=2`), arm.join('\n'));
	assert.ok(arm.includes('../init-build.sh -DPLATFORM=qemu-arm-virt -DAARCH64=TRUE -DCAMKES_VM_APP=llm_vm -DSIMULATION=TRUE'), arm.join('\n'));
	assert.ok(arm.includes('ninja -j 2'));
	const x86 = commands(['--set', 'platform=x86_64']);
	assert.ok(x86.includes('../init-build.sh -DCAMKES_VM_APP=llm_vm_x86 -DSIMULATION=TRUE'), x86.join('\n'));
	assert.ok(!x86.some((line) => line.includes('-DPLATFORM')));
	const usb = commands(['--set', 'platform=x86_64', '--set', 'target=usb', '--set', 'app=minimal_64', '--set', 'manifest=master.xml']);
	assert.ok(usb.includes('../init-build.sh -DCAMKES_VM_APP=minimal_64'), usb.join('\n'));
	assert.ok(usb.some((line) => line.endsWith('--manifest=master.xml --jobs=2')));
	const host = cli(['plan', 'host', '--workspace', dir]);
	assert.match(host.stdout + host.stderr, /host\.apt: Install the host packages .*\[needs: sudo, network\]/);
});

test('qemu-arm-virt: sync, configure and build for real; a second run skips everything; another app gets its own directory', () => {
	const dir = workspace();
	const first = run(dir, ['run', 'build', '--set', 'app=vm_minimal']);
	assert.equal(first.code, 0, first.stderr);
	assert.deepEqual(ran(first.stderr), ['sources.sync', 'build.check', 'build.configure-arm', 'build.ninja-arm']);
	const build = join(dir, 'build-qemu-arm-virt-vm_minimal');
	const image = join(build, 'images', 'capdl-loader-image-arm-qemu-arm-virt');
	assert.equal(readFileSync(image, 'utf8'), 'app=vm_minimal platform=qemu-arm-virt aarch64=TRUE simulation=TRUE stamp=\n');
	assert.equal(journal(dir)['build.ninja-arm']!.artifacts!.image, image);
	assert.match(first.stderr, /build\.ninja-arm \| \[1\/1\] Generating images\/capdl-loader-image-arm-qemu-arm-virt/, 'ninja output is shown live');
	const second = run(dir, ['run', 'build', '--set', 'app=vm_minimal']);
	assert.equal(second.code, 0, second.stderr);
	assert.deepEqual(ran(second.stderr), []);
	// A change to the app's sources rebuilds (ninja) without configuring again.
	writeFileSync(join(dir, 'projects/vm-examples/apps/Arm/vm_minimal/extra.camkes'), '/* changed */\n');
	assert.deepEqual(ran(run(dir, ['run', 'build', '--set', 'app=vm_minimal']).stderr), ['build.ninja-arm']);
	const other = run(dir, ['run', 'build', '--set', 'app=vm_introspect']);
	assert.equal(other.code, 0, other.stderr);
	assert.deepEqual(ran(other.stderr), ['build.check', 'build.configure-arm', 'build.ninja-arm']);
	assert.ok(existsSync(join(dir, 'build-qemu-arm-virt-vm_introspect', 'images', 'capdl-loader-image-arm-qemu-arm-virt')));
	assert.ok(existsSync(image), 'the other app keeps its build directory');
});

test('x86_64: both images under their real names; switching between QEMU and USB reconfigures; new sources invalidate the build', () => {
	const local = createMiniUpstream();
	cleanup.push(local.root);
	const dir = workspace();
	const args = (target: string) => ['run', 'build', '--workspace', dir, '--set', `manifest_url=${local.manifestUrl}`, '--set', 'platform=x86_64', '--set', 'app=minimal_64', '--set', `target=${target}`, '--set', 'host_setup=skip'];
	const qemu = cli(args('qemu'));
	assert.equal(qemu.code, 0, qemu.stderr);
	assert.deepEqual(ran(qemu.stderr), ['sources.sync', 'build.check', 'build.configure-x86-qemu', 'build.ninja-x86']);
	const build = join(dir, 'build-x86_64-minimal_64');
	for (const name of ['kernel-x86_64-pc99', 'capdl-loader-image-x86_64-pc99']) {
		assert.equal(readFileSync(join(build, 'images', name), 'utf8'), 'app=minimal_64 platform= aarch64=OFF simulation=TRUE stamp=\n');
	}
	assert.deepEqual(journal(dir)['build.ninja-x86']!.artifacts, {
		kernel: join(build, 'images', 'kernel-x86_64-pc99'),
		image: join(build, 'images', 'capdl-loader-image-x86_64-pc99'),
	});
	const usb = cli(args('usb'));
	assert.equal(usb.code, 0, usb.stderr);
	assert.deepEqual(ran(usb.stderr), ['build.check', 'build.configure-x86-usb', 'build.ninja-x86']);
	assert.match(readFileSync(join(build, 'images', 'kernel-x86_64-pc99'), 'utf8'), /simulation=OFF/);
	const back = cli(args('qemu'));
	assert.deepEqual(ran(back.stderr), ['build.check', 'build.configure-x86-qemu', 'build.ninja-x86']);
	assert.match(back.stderr, /build\.configure-x86-qemu: .*status check/);
	assert.match(readFileSync(join(build, 'images', 'kernel-x86_64-pc99'), 'utf8'), /simulation=TRUE/);
	assert.deepEqual(ran(cli(args('qemu')).stderr), []);
	// A new pinned revision: re-syncing changes the lock file, which invalidates configure and build.
	local.pins.set('seL4.git', local.commit('seL4.git', {'src/fix.c': 'int fix;\n'}, 'Kernel fix'));
	local.writeManifests();
	const resync = cli([...args('qemu'), '--force']);
	assert.equal(resync.code, 0, resync.stderr);
	assert.deepEqual(ran(cli(args('qemu')).stderr), []);
	const forcedSources = cli(['run', 'sources.sync', '--force', '--workspace', dir, '--set', `manifest_url=${local.manifestUrl}`, '--set', 'host_setup=skip']);
	assert.equal(forcedSources.code, 0, forcedSources.stderr);
	assert.match(forcedSources.stderr, /kernel +updated/);
	assert.deepEqual(ran(cli(args('qemu')).stderr), ['build.check', 'build.configure-x86-qemu', 'build.ninja-x86']);
});

test('our app for both platforms in one tree: x86_64 configures its own app, not the Arm one camkes-vm-examples finds first', () => {
	const dir = workspace();
	const synced = run(dir, ['run', 'sources.sync']);
	assert.equal(synced.code, 0, synced.stderr);
	const examples = join(dir, 'projects/vm-examples/apps');
	assert.ok(existsSync(join(examples, 'Arm', camkesAppName('qemu-arm-virt', 'llm_vm'))) && existsSync(join(examples, 'x86', camkesAppName('x86_64', 'llm_vm'))));
	const configure = (name: string, args: string[]) => {
		const build = join(dir, name);
		mkdirSync(build);
		return spawnSync(args[0]!, args.slice(1), {cwd: build, encoding: 'utf8'});
	};
	// The mechanism: one name for both apps sends the x86 build into apps/Arm, whose settings refuse the platform.
	const sameName = configure('build-same-name', ['../init-build.sh', '-DCAMKES_VM_APP=llm_vm', '-DSIMULATION=TRUE']);
	assert.notEqual(sameName.status, 0);
	assert.match(sameName.stdout + sameName.stderr, /PLATFORM: {2}not supported|PLATFORM: .*not supported/);
	const x86 = configure('build-x86', initBuildCommand({platform: 'x86_64', app: 'llm_vm', target: 'qemu'}));
	assert.equal(x86.status, 0, x86.stdout + x86.stderr);
	assert.match(readFileSync(join(dir, 'build-x86', 'image.in'), 'utf8'), /^app=llm_vm_x86 platform= /);
	const arm = configure('build-arm', initBuildCommand({platform: 'qemu-arm-virt', app: 'llm_vm', target: 'qemu'}));
	assert.equal(arm.status, 0, arm.stdout + arm.stderr);
	assert.match(readFileSync(join(dir, 'build-arm', 'image.in'), 'utf8'), /^app=llm_vm platform=qemu-arm-virt aarch64=TRUE/);
});

test('an app the platform does not support is refused before cmake runs, naming the valid apps', () => {
	const dir = workspace();
	const result = run(dir, ['run', 'build', '--set', 'app=vm_virtio_net']);
	assert.equal(result.code, 1);
	assert.match(result.stderr, /app "vm_virtio_net" cannot be built for platform qemu-arm-virt: vm_virtio_net does not support qemu-arm-virt \(upstream accepts: exynos5422, tx2, zcu102\)/);
	assert.match(result.stderr, /apps for qemu-arm-virt: vm_minimal, vm_cross_connector, vm_introspect, vm_multi, llm_vm/);
	assert.ok(!ran(result.stderr).some((id) => id.startsWith('build.configure')));
	assert.equal(existsSync(join(dir, 'build-qemu-arm-virt-vm_virtio_net')), false);
	const x86 = run(dir, ['run', 'build', '--set', 'platform=x86_64', '--set', 'app=vm_minimal']);
	assert.equal(x86.code, 1);
	assert.match(x86.stderr, /is an Arm app/);
	assert.match(x86.stderr, /apps for x86_64: minimal_64, optiplex9020, zmq_samples, cma34cr_centos, cma34cr_ubuntu, llm_vm/);
});

test('the repo back end without repo installed fails with the install hint', () => {
	const dir = workspace();
	const result = cli(['run', 'sources', '--workspace', dir, '--set', 'sync=repo', '--set', `manifest_url=${mini.manifestUrl}`, '--set', 'host_setup=skip'], {env: {HOME: dir}});
	assert.equal(result.code, 1, result.stderr);
	assert.match(result.stderr, /sources\.sync-repo/);
	assert.match(result.stderr, /repo is not installed\. Install the launcher: mkdir -p ~\/\.local\/bin && curl -fsSL -o ~\/\.local\/bin\/repo\s+https:\/\/storage\.googleapis\.com\/git-repo-downloads\/repo/);
	assert.match(result.stderr, /Known cause: repo is not installed/);
	assert.match(result.stderr, /\$ curl -fsSL -o .*\/\.local\/bin\/repo https:\/\/storage\.googleapis\.com\/git-repo-downloads\/repo/);
	assert.equal(existsSync(join(dir, '.repo')), false, 'nothing was synced');
});

test('sel4-llm sync on the command line: progress lines, JSON, refusals and exit codes', () => {
	const dir = workspace();
	const result = cli(['sync', '--workspace', dir, '--manifest-url', mini.manifestUrl, '--jobs', '3']);
	assert.equal(result.code, 0, result.stderr);
	assert.match(result.stderr, /Manifest default\.xml from file:\/\/.*: 7 projects, 3 at a time/);
	assert.match(result.stderr, /\[ 1\/7\] kernel +cloned [0-9a-f]{12} in [\d.]+ s \(shallow\)/);
	assert.match(result.stderr, /Synced 7 projects in [\d.]+ s: 7 cloned, 0 updated, 0 unchanged\./);
	const again = cli(['sync', '--workspace', dir, '--manifest-url', mini.manifestUrl, '--json']);
	assert.equal(again.code, 0);
	const json = jsonOutput(again.stdout).result as {ok: boolean; projects: Array<{action: string}>; lockFile: string};
	assert.equal(json.ok, true);
	assert.ok(json.projects.every((project) => project.action === 'unchanged'));
	assert.equal(json.lockFile, join(dir, 'sel4-llm.lock.json'));
	const deprecated = cli(['sync', '--workspace', workspace(), '--manifest-url', 'https://github.com/seL4/camkes-vm-manifest.git']);
	assert.equal(deprecated.code, 4);
	assert.match(deprecated.stderr, /deprecated camkes-vm manifest/);
	assert.match(deprecated.stderr, /hint: use https:\/\/github\.com\/seL4\/camkes-vm-examples-manifest\.git/);
	const badJobs = cli(['sync', '--jobs', 'many']);
	assert.equal(badJobs.code, 2);
	assert.match(badJobs.stderr, /--jobs must be a whole number from 1 to 256/);
	const badManifest = cli(['sync', '--manifest', 'other.xml']);
	assert.equal(badManifest.code, 2);
	assert.match(badManifest.stderr, /--manifest must be one of: default\.xml, master\.xml/);
	const check = cli(['sync', '--check-build', '--platform', 'x86_64', '--app', 'minimal_64', '--target', 'usb']);
	assert.equal(check.code, 0);
	assert.equal(check.stdout, 'cd build-x86_64-minimal_64 && ../init-build.sh -DCAMKES_VM_APP=minimal_64 && ninja\n');
	const refused = cli(['sync', '--check-build', '--platform', 'qemu-arm-virt', '--app', 'vm_virtio']);
	assert.equal(refused.code, 4);
	assert.match(refused.stderr, /unknown CAmkES VM app "vm_virtio" \(there is no vm_virtio; the Arm virtio example is vm_virtio_net\)/);
	const help = cli(['sync', '--help']);
	assert.match(help.stdout, /--manifest-url/);
	assert.match(help.stdout, /--check-build/);
});

test('troubleshooting: the upstream failure messages of this stage find their entries', () => {
	const set = loadRecipeSet([recipesDir]);
	const entries = (id: string) => set.steps.get(id)!.spec.troubleshoot ?? [];
	const cases: Array<[step: string, line: string, entry: string]> = [
		['sources.sync', 'error: https://github.com/seL4/camkes-vm-manifest.git is the deprecated camkes-vm manifest (last updated 2018, ...)', 'deprecated-manifest'],
		['sources.sync', "fatal: unable to access 'https://github.com/seL4/seL4.git/': Could not resolve host: github.com", 'sync-network'],
		['sources.sync', 'error: cannot fetch the manifest repository https://github.com/seL4/camkes-vm-examples-manifest.git: fatal: ...', 'sync-network'],
		['sources.sync', '[ 3/20] kernel FAILED: local changes in kernel block the checkout of 1283345bfd75: VERSION', 'sync-local-changes'],
		['sources.sync', 'error: unable to write file: No space left on device', 'sync-disk-full'],
		['sources.sync-repo', '  File "/home/u/.repo/repo/main.py", line 79\n    file=sys.stderr)\n        ^\nSyntaxError: invalid syntax', 'repo-python'],
		['sources.sync-repo', "/usr/bin/env: 'python': No such file or directory", 'repo-python'],
		['sources.sync-repo', 'error: Cannot checkout seL4_libs: leaving master; does not track upstream', 'repo-local-changes'],
		['sources.sync-repo', 'fatal: cannot obtain manifest https://github.com/seL4/camkes-vm-examples-manifest.git', 'repo-network'],
		['build.configure-arm', 'CMake Error at projects/vm-examples/apps/Arm/vm_minimal/CMakeLists.txt:87 (message):\n  Only AARCH64 is supported on QEMU, set -DAARCH64=TRUE', 'only-aarch64-on-qemu'],
		['build.configure-arm', '  PLATFORM: x86_64 not supported.', 'unknown-platform'],
		['build.configure-x86-qemu', '  App does not exist for supported architecture', 'unknown-app'],
		['build.configure-arm', "  Cannot find 'dtc' program.", 'dtc-missing'],
		['build.configure-arm', "  Error: need at least QEMU version 3.1.0, found '2.11.1'", 'qemu-too-old'],
		['build.configure-x86-usb', "ModuleNotFoundError: No module named 'pyfdt'", 'python-module-missing'],
		['build.ninja-arm', "ModuleNotFoundError: No module named 'plyplus'", 'ninja-python-module-missing'],
		['build.ninja-x86', 'HttpExceptionRequest Request { host = "downloads.haskell.org" } (ConnectionFailure Network.Socket.getAddrInfo)', 'stack-download'],
		['build.ninja-arm', 'ninja: error: failed to write: No space left on device', 'ninja-disk-full'],
		['host.apt', 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1234 (apt-get)', 'apt-lock-held'],
	];
	for (const [step, text, expected] of cases) {
		const found = diagnose(entries(step), {stepId: step, lines: text.split('\n')}).map((diagnosis) => diagnosis.id);
		assert.ok(found.includes(expected), `${step}: "${text}" should match ${expected}, matched ${found.join(', ') || 'nothing'}`);
	}
	const repoMissing = diagnose(entries('sources.sync-repo'), {stepId: 'sources.sync-repo', lines: [], failedChecks: ['sources.sync-repo#precondition-2']});
	assert.deepEqual(repoMissing.map((diagnosis) => diagnosis.id), ['repo-missing']);
});
