// doctor as a user runs it: dist/cli.js without a terminal, recorded facts, exit codes, --fix with fake tools.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {after, describe, test} from 'node:test';
import {evaluate} from '../../source/doctor/evaluate.js';
import {packageGroups} from '../../source/doctor/packages.js';
import {cli, factsDir, fakeBin, fixEnv, fixture, repoRoot} from './helpers.js';
import {jsonOutput} from '../support/cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'sel4-llm-doctor-'));
after(() => rmSync(scratch, {recursive: true, force: true}));

function doctor(args: string[], env: NodeJS.ProcessEnv = {}) {
	const {CI: _ci, ...base} = process.env;
	return spawnSync(process.execPath, [cli, 'doctor', ...args], {encoding: 'utf8', env: {...base, ...env}, timeout: 60_000});
}

describe('doctor --facts', () => {
	test('a ready host exits 0, a host missing packages exits 1', () => {
		const ready = doctor(['--facts', join(factsDir, 'intel-desktop-nested.json')]);
		assert.equal(ready.status, 0, ready.stderr);
		assert.match(ready.stderr, /x86_64 +build: yes; run in QEMU: yes; USB stick: yes/);
		assert.match(ready.stderr, /recommended platform: x86_64/);
		const missing = doctor(['--facts', join(factsDir, 'half-packages.json')]);
		assert.equal(missing.status, 1);
		assert.match(missing.stderr, /^ {4}\[✗\] Required apt packages: \d+ missing: /m);
		assert.match(missing.stderr, /^ {10}sudo apt-get install -y --no-install-recommends /m);
	});
	test('--json prints one document with the report and the facts it evaluated', () => {
		const result = doctor(['--facts', join(factsDir, 'wsl2.json'), '--json', '--platform', 'x86_64', '--target', 'qemu']);
		assert.equal(result.status, 1);
		const document = jsonOutput(result.stdout).result;
		const expected = evaluate(fixture('wsl2'), {platforms: ['x86_64'], target: 'qemu'});
		assert.deepEqual(document.checks, expected.checks);
		assert.deepEqual(document.verdicts, expected.verdicts);
		assert.equal(document.reportVersion, 1);
		assert.equal(document.facts.environment.wsl, true);
		assert.deepEqual(document.summary.requiredFailed, ['cpu-virt', 'kvm-device', 'kvm-access', 'kvm-nested']);
	});
	test('a whole doctor --json output is accepted as a facts file', () => {
		const first = doctor(['--facts', join(factsDir, 'amd-host.json'), '--json']);
		const file = join(scratch, 'sent-by-a-user.json');
		writeFileSync(file, first.stdout);
		const second = doctor(['--facts', file, '--json']);
		assert.deepEqual(jsonOutput(second.stdout).result.checks, jsonOutput(first.stdout).result.checks);
	});
	test('bad facts files exit 3 with a message', () => {
		const missing = doctor(['--facts', join(scratch, 'nope.json')]);
		assert.equal(missing.status, 3);
		assert.match(missing.stderr, /cannot read .*nope\.json: ENOENT/);
		const file = join(scratch, 'v9.json');
		writeFileSync(file, JSON.stringify({...fixture('amd-host'), factsVersion: 9}));
		const wrong = doctor(['--facts', file]);
		assert.equal(wrong.status, 3);
		assert.match(wrong.stderr, /unsupported factsVersion 9/);
		assert.doesNotMatch(wrong.stderr, /at .*\.js:\d+/, 'no stack');
	});
});

describe('doctor --facts, the plain report', () => {
	/** A host with everything but the x86-only packages (32-bit libraries, QEMU for x86, the GRUB tools). */
	function withoutX86Packages(): string {
		const facts = fixture('intel-desktop-nested');
		const x86Only = packageGroups.filter((group) => !group.platforms.includes('qemu-arm-virt')).flatMap((group) => group.packages);
		for (const name of x86Only) delete facts.packages!.installed[name];
		facts.packages!.foreignArchs = [];
		const file = join(scratch, 'no-x86-packages.json');
		writeFileSync(file, JSON.stringify(facts));
		return file;
	}
	const lines = (text: string) => text.replace(/\n$/, '').split('\n');

	test('x86-only packages missing: qemu-arm-virt can build, x86_64 cannot, named by the check\'s title', () => {
		const file = withoutX86Packages();
		const all = doctor(['--facts', file]);
		assert.equal(all.status, 1, 'x86_64 cannot build: a required check of a chosen platform failed');
		assert.match(all.stderr, /^ {2}qemu-arm-virt {2}build: yes; run in QEMU: emulated; USB stick: n\/a$/m);
		assert.match(all.stderr, /^ {2}x86_64 {9}build: no \(Required apt packages for x86_64\); run in QEMU: yes;\n {17}USB stick: no \(the build, Apt packages for a USB stick\n {17}\(x86_64\)\)$/m);
		assert.match(all.stderr, /recommended platform: qemu-arm-virt \(it builds here/);
		const arm = doctor(['--facts', file, '--platform', 'qemu-arm-virt']);
		assert.equal(arm.status, 0, arm.stderr);
		assert.doesNotMatch(arm.stderr, /multilib|i386|qemu-system-x86 /);
		assert.match(arm.stderr, /ready for qemu-arm-virt\n$/);
	});

	test('marks: [✗] for a required failure, [!] for an optional one and for warnings; verdicts say titles, never ids', () => {
		const result = doctor(['--facts', join(factsDir, 'half-packages.json')]);
		assert.match(result.stderr, /^\[✗\] Tools$/m);
		assert.match(result.stderr, /^ {4}\[✗\] Haskell stack \(builds capDL-tool\): not found on PATH$/m);
		assert.match(result.stderr, /^ {4}\[!\] qemu-system-x86_64: not found on PATH \(optional\)$/m);
		assert.match(result.stderr, /^ {4}\[!\] Recommended apt packages: not installed: /m);
		const verdicts = result.stderr.slice(result.stderr.indexOf('Verdicts'));
		assert.match(verdicts, /Python modules \(sel4-deps, camkes-deps\)/);
		assert.doesNotMatch(verdicts, /python-modules|tool-stack|tool-dtc|packages-/);
	});

	test('wrapped at 80 columns with hanging indents, each fix command whole on its own line, a final newline', () => {
		const result = doctor(['--facts', join(factsDir, 'half-packages.json')]);
		assert.ok(result.stderr.endsWith('qemu-arm-virt and x86_64\n') && !result.stderr.endsWith('\n\n'), JSON.stringify(result.stderr.slice(-40)));
		const all = lines(result.stderr);
		const long = all.filter((line) => line.length > 80);
		assert.ok(long.length > 0, 'the merged apt-get install is longer than a line');
		for (const line of long) assert.match(line, /^ {10}(sudo )?\S/, `only a command may be wider than 80 columns: ${line}`);
		const install = all.find((line) => line.includes('--no-install-recommends cmake'))!;
		assert.match(install, /^ {10}sudo apt-get install -y --no-install-recommends cmake libxml2-utils .* libarchive-dev$/);
		const fix = all.indexOf('        fix: download the repo launcher to /home/ada/.local/bin/repo');
		assert.deepEqual(all.slice(fix + 1, fix + 4), [
			'          mkdir -p /home/ada/.local/bin',
			'          curl -fsSL -o /home/ada/.local/bin/repo https://storage.googleapis.com/git-repo-downloads/repo',
			'          chmod a+rx /home/ada/.local/bin/repo',
		]);
		// A hint that needs several lines continues under its own text.
		const hint = all.findIndex((line) => line.startsWith('        hint: needed for: seL4 build tools'));
		assert.match(all[hint + 1]!, /^ {14}\S/);
		assert.ok(all.every((line) => !line.endsWith(' ')), 'no trailing blanks');
	});

	test('brief by default: a group whose checks all passed is one line; -v and --verbose show every check', () => {
		const brief = doctor(['--facts', join(factsDir, 'intel-desktop-nested.json')]);
		assert.match(brief.stderr, /^Doctor summary \(every check: sel4-llm doctor -v\)$/m);
		assert.match(brief.stderr, /^\[✓\] Python \(3\)$/m);
		assert.match(brief.stderr, /^\[✓\] Tools \(9\)$/m);
		assert.doesNotMatch(brief.stderr, /\[✓\] git:/);
		for (const flag of ['-v', '--verbose']) {
			const verbose = doctor(['--facts', join(factsDir, 'intel-desktop-nested.json'), flag]);
			assert.equal(verbose.status, brief.status);
			assert.match(verbose.stderr, /^\[✓\] Tools\n {4}\[✓\] git: 2\.34\.1 \(\/usr\/bin\/git\)$/m);
			assert.doesNotMatch(verbose.stderr, /Doctor summary/);
		}
	});

	test('no colour in a pipe; FORCE_COLOR asks for it, NO_COLOR is overruled only by FORCE_COLOR', () => {
		const file = join(factsDir, 'intel-kvm-not-accessible.json');
		const esc = /\u001B\[/;
		assert.doesNotMatch(doctor(['--facts', file]).stderr, esc);
		const forced = doctor(['--facts', file], {FORCE_COLOR: '1'}).stderr;
		assert.match(forced, /\u001B\[32m\[✓\]\u001B\[39m System/);
		assert.equal(forced.replace(/\u001B\[[0-9;]*m/g, ''), doctor(['--facts', file]).stderr);
		assert.doesNotMatch(doctor(['--facts', file], {FORCE_COLOR: '0'}).stderr, esc);
		assert.doesNotMatch(doctor(['--facts', file], {NO_COLOR: '1'}).stderr, esc);
	});

	test('the example in docs/doctor.md is what doctor prints', () => {
		const page = readFileSync(join(repoRoot, 'docs', 'doctor.md'), 'utf8');
		const example = /```text\n([\s\S]*?)```/.exec(page)![1]!;
		const result = doctor(['--facts', join(factsDir, 'intel-kvm-not-accessible.json'), '--platform', 'x86_64', '--target', 'qemu']);
		assert.equal(result.stderr, example);
	});

	test('without a terminal gathering shows no progress, and --json writes nothing on stderr', () => {
		const workspace = join(scratch, 'gather-workspace');
		const plain = doctor(['--workspace', workspace, '--timeout', '60']);
		assert.ok(plain.status === 0 || plain.status === 1, plain.stderr);
		assert.doesNotMatch(plain.stderr, /checking the host|⠋|\u001B/);
		assert.match(plain.stderr, /^Doctor summary/);
		const json = doctor(['--workspace', workspace, '--timeout', '60', '--json']);
		assert.equal(json.stderr, '');
		assert.equal(jsonOutput(json.stdout).result.reportVersion, 1);
	});
});

describe('usage errors exit 2', () => {
	test('unknown platform names the allowed values', () => {
		const result = doctor(['--platform', 'riscv']);
		assert.equal(result.status, 2);
		assert.match(result.stderr, /--platform must be one of: qemu-arm-virt, x86_64, all/);
	});
	test('bad timeout, --fix with --facts, arguments', () => {
		assert.equal(doctor(['--timeout', 'soon']).status, 2);
		assert.equal(doctor(['--fix', '--facts', join(factsDir, 'amd-host.json')]).status, 2);
		assert.equal(doctor(['extra']).status, 2);
	});
	test('--help lists every option', () => {
		const result = spawnSync(process.execPath, [cli, 'doctor', '--help'], {encoding: 'utf8'});
		for (const option of ['--platform', '--target', '--facts', '--fix', '--yes', '--verbose', '--timeout', '--json']) assert.ok(result.stdout.includes(option), option);
		assert.match(result.stdout, /Exit codes: 0 when no required check fails/);
	});
});

test('doctor --json never loads Ink or React', () => {
	// A resolve hook that refuses ink and react: the command must still succeed.
	const hook = join(scratch, 'no-ui.mjs');
	writeFileSync(
		hook,
		`import {register} from 'node:module';\nregister('data:text/javascript,' + encodeURIComponent('export async function resolve(s, c, n) { if (/^(ink|react)(\\\\/|$)/.test(s)) throw new Error("UI module loaded: " + s); return n(s, c); }'));\n`,
	);
	const control = spawnSync(process.execPath, ['--import', hook, '--input-type=module', '-e', 'await import("ink")'], {encoding: 'utf8'});
	assert.match(control.stderr, /UI module loaded: ink/, 'the hook works');
	const result = spawnSync(process.execPath, ['--import', hook, cli, 'doctor', '--json', '--facts', join(factsDir, 'container.json')], {encoding: 'utf8'});
	assert.equal(result.status, 0, result.stderr);
	assert.doesNotMatch(result.stderr, /UI module loaded/);
	assert.equal(jsonOutput(result.stdout).result.facts.environment.container, 'docker');
});

describe('doctor --fix with fake apt-get, python3, curl', () => {
	function setup(name: string) {
		const root = join(scratch, name);
		const {state, home, env} = fixEnv(root);
		return {state, home, env, workspace: join(root, 'workspace'), log: () => (existsSync(join(state, 'log')) ? readFileSync(join(state, 'log'), 'utf8') : '')};
	}

	// Root needs no sudo: run the sudo cases as an ordinary user (nobody) when the tests run as root.
	const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
	function doctorAsUser(args: string[], env: NodeJS.ProcessEnv) {
		const {CI: _ci, ...base} = process.env;
		const argv = [...asUser, process.execPath, cli, 'doctor', ...args];
		return spawnSync(argv[0]!, argv.slice(1), {encoding: 'utf8', env: {...base, ...env}, timeout: 60_000});
	}
	function openUp(fake: ReturnType<typeof setup>) {
		for (const dir of [scratch, dirname(fake.state), fake.state, fake.home]) chmodSync(dir, 0o777);
	}

	test('not root, password-less sudo: root commands run as sudo -n', () => {
		const fake = setup('sudo-ok');
		openUp(fake);
		const result = doctorAsUser(['--fix', '--yes', '--platform', 'qemu-arm-virt', '--workspace', fake.workspace], fake.env);
		const log = fake.log();
		assert.match(log, /^sudo -n true$/m, 'doctor asked sudo whether it works without a password');
		assert.match(log, /^sudo -n apt-get install -y --no-install-recommends /m);
		assert.match(log, /^apt-get install -y/m, 'and sudo ran it');
		assert.doesNotMatch(log, /^sudo -n python3/m, 'pip runs without sudo');
		assert.match(result.stderr, /\$ sudo -n apt-get update/);
	});

	test('not root, sudo wants a password: root commands are printed, never run', () => {
		const fake = setup('sudo-password');
		openUp(fake);
		const env = {...fake.env, PATH: `${join(fakeBin, 'sudo-password')}:${fake.env.PATH}`};
		const result = doctorAsUser(['--fix', '--yes', '--platform', 'qemu-arm-virt', '--workspace', fake.workspace], env);
		assert.match(result.stderr, /These need root and sudo cannot run without a password here; run them yourself:\n(.*\n)*  sudo apt-get install -y --no-install-recommends /);
		assert.doesNotMatch(fake.log(), /^apt-get install/m);
		assert.match(fake.log(), /python3 -m pip install/, 'the steps without root still ran');
		assert.match(result.stderr, /Still to run yourself \(as root\): sudo apt-get update; sudo apt-get install/);
	});

	test('without a terminal it needs --yes and changes nothing', () => {
		const fake = setup('no-yes');
		const result = doctor(['--fix', '--platform', 'qemu-arm-virt', '--workspace', fake.workspace], fake.env);
		assert.equal(result.status, 2);
		assert.match(result.stderr, /doctor --fix will run:/);
		assert.match(result.stderr, /^ {2}# install sel4-deps and camkes-deps with pip \(Python modules \(sel4-deps, camkes-deps\)\)$/m, 'the plan names checks by title');
		assert.doesNotMatch(result.stderr, /\(python-modules\)|tool-repo/);
		assert.match(result.stderr, /needs --yes/);
		assert.doesNotMatch(fake.log(), /install/);
	});

	test('--yes runs the plan with live output, checks again and reports what changed', () => {
		const fake = setup('yes');
		const result = doctor(['--fix', '--yes', '--platform', 'qemu-arm-virt', '--workspace', fake.workspace, '--json'], fake.env);
		const document = jsonOutput(result.stdout).result;
		const log = fake.log();
		const installs = log.split('\n').filter((line) => line.startsWith('apt-get install'));
		assert.equal(installs.length, 1, 'one apt-get install');
		assert.match(installs[0]!, /haskell-stack/);
		assert.match(log, /python3 -m pip install --user setuptools sel4-deps camkes-deps/);
		assert.match(log, /curl -fsSL -o .*\/home\/\.local\/bin\/repo https:\/\/storage\.googleapis\.com\/git-repo-downloads\/repo/);
		assert.match(result.stderr, /Setting up haskell-stack \(9\.9\) \.\.\./, 'live output');
		const changed = document.fix.changes.map((change: {id: string; to: string}) => `${change.id}:${change.to}`);
		for (const id of ['packages', 'python-modules', 'tool-repo', 'tool-stack']) assert.ok(changed.includes(`${id}:pass`), `${id} in ${changed}`);
		for (const id of ['packages', 'python-modules', 'tool-repo', 'tool-stack']) {
			assert.equal(document.checks.find((check: {id: string}) => check.id === id).status, 'pass', id);
		}
		assert.equal(result.status, document.ok ? 0 : 1);
	});
});
