// Table tests: every probe and verdict over facts of real host kinds.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {evaluate} from '../../source/doctor/evaluate.js';
import {buildFixPlan} from '../../source/doctor/fix-plan.js';
import {packageGroups, packagesFor} from '../../source/doctor/packages.js';
import {compareVersions, runProbes} from '../../source/doctor/probes.js';
import type {CheckResult, DoctorReport} from '../../source/doctor/types.js';
import {fixture, fixtureNames} from './helpers.js';

type Row = {
	ok: boolean;
	/** Every check that fails (required or not), sorted. */
	failing: string[];
	arm: [string, string, string];
	x86: [string, string, string];
	recommended: string;
	/** Extra expectations on single checks: id -> status. */
	statuses?: Record<string, CheckResult['status']>;
};

const virtFailNoKvm = ['cpu-virt', 'kvm-access', 'kvm-device', 'kvm-nested'];
const table: Record<string, Row> = {
	'intel-desktop-nested': {ok: true, failing: [], arm: ['yes', 'emulated', 'n/a'], x86: ['yes', 'yes', 'yes'], recommended: 'x86_64', statuses: {os: 'pass', 'kvm-nested': 'pass', iommu: 'pass', sudo: 'warn'}},
	'intel-nested-off': {ok: true, failing: ['kvm-nested'], arm: ['yes', 'emulated', 'n/a'], x86: ['yes', 'no', 'yes'], recommended: 'qemu-arm-virt'},
	'intel-kvm-not-accessible': {ok: true, failing: ['kvm-access'], arm: ['yes', 'emulated', 'n/a'], x86: ['yes', 'no', 'yes'], recommended: 'qemu-arm-virt'},
	'amd-host': {ok: true, failing: ['cpu-virt', 'kvm-nested'], arm: ['yes', 'emulated', 'n/a'], x86: ['yes', 'no', 'yes'], recommended: 'qemu-arm-virt', statuses: {'kvm-device': 'pass'}},
	'cloud-vm-no-kvm': {ok: true, failing: virtFailNoKvm, arm: ['yes', 'emulated', 'n/a'], x86: ['yes', 'no', 'yes'], recommended: 'qemu-arm-virt', statuses: {environment: 'pass', sudo: 'pass'}},
	wsl2: {ok: true, failing: virtFailNoKvm, arm: ['yes', 'emulated', 'n/a'], x86: ['yes', 'no', 'yes'], recommended: 'qemu-arm-virt', statuses: {environment: 'warn', memory: 'warn'}},
	container: {ok: true, failing: ['kvm-access', 'kvm-device', 'tool-repo'], arm: ['yes', 'emulated', 'n/a'], x86: ['yes', 'no', 'yes'], recommended: 'qemu-arm-virt', statuses: {environment: 'warn', sudo: 'pass'}},
	'aarch64-host': {ok: true, failing: ['cpu-virt', 'kvm-nested'], arm: ['yes', 'emulated', 'n/a'], x86: ['yes', 'no', 'yes'], recommended: 'qemu-arm-virt', statuses: {'host-arch': 'warn', 'tool-aarch64-linux-gnu-gcc': 'pass'}},
	'ubuntu-2404-externally-managed': {ok: false, failing: ['python-modules'], arm: ['no', 'emulated', 'n/a'], x86: ['no', 'yes', 'no'], recommended: 'qemu-arm-virt', statuses: {os: 'warn'}},
	'half-packages': {
		ok: false,
		failing: ['packages', 'packages-qemu-arm-virt', 'packages-x86_64', 'packages-x86_64-usb', 'python-modules', 'tool-dtc', 'tool-qemu-system-x86_64', 'tool-repo', 'tool-stack'],
		arm: ['no', 'emulated', 'n/a'],
		x86: ['no', 'no', 'no'],
		recommended: 'qemu-arm-virt',
	},
};

const triple = (report: DoctorReport, platform: string) => {
	const verdict = report.verdicts.find((each) => each.platform === platform)!;
	return [verdict.build.status, verdict.run.status, verdict.usb.status];
};

describe('doctor over recorded hosts', () => {
	test('the table covers every fixture', () => {
		assert.deepEqual(Object.keys(table).sort(), fixtureNames());
	});
	for (const [name, row] of Object.entries(table)) {
		test(name, () => {
			const report = evaluate(fixture(name));
			assert.equal(report.ok, row.ok, `ok; required failures: ${report.summary.requiredFailed.join(', ')}`);
			assert.deepEqual(report.checks.filter((check) => check.status === 'fail').map((check) => check.id).sort(), row.failing);
			assert.deepEqual(triple(report, 'qemu-arm-virt'), row.arm);
			assert.deepEqual(triple(report, 'x86_64'), row.x86);
			assert.equal(report.recommendation.platform, row.recommended);
			for (const [id, status] of Object.entries(row.statuses ?? {})) {
				assert.equal(report.checks.find((check) => check.id === id)?.status, status, id);
			}
			for (const check of report.checks) {
				assert.ok(check.summary.length > 0 && !check.summary.includes('\n'), `${check.id} has a one-line summary`);
			}
		});
	}
});

describe('required checks follow platform and target', () => {
	test('--target qemu makes the KVM ladder required for x86_64', () => {
		const facts = fixture('intel-nested-off');
		assert.equal(evaluate(facts, {platforms: ['x86_64']}).ok, true);
		const report = evaluate(facts, {platforms: ['x86_64'], target: 'qemu'});
		assert.equal(report.ok, false);
		assert.deepEqual(report.summary.requiredFailed, ['kvm-nested']);
	});
	test('qemu-arm-virt alone skips the x86 checks', () => {
		const report = evaluate(fixture('amd-host'), {platforms: ['qemu-arm-virt']});
		assert.equal(report.ok, true);
		for (const id of ['cpu-virt', 'kvm-device', 'kvm-access', 'kvm-nested', 'tool-qemu-system-x86_64']) {
			assert.equal(report.checks.find((check) => check.id === id)?.status, 'skip', id);
		}
		assert.deepEqual(report.verdicts.map((verdict) => verdict.platform), ['qemu-arm-virt']);
	});
	test('--target usb requires the GRUB tools for x86_64', () => {
		const facts = fixture('intel-desktop-nested');
		delete facts.packages!.installed['xorriso'];
		assert.equal(evaluate(facts, {platforms: ['x86_64']}).ok, true);
		const report = evaluate(facts, {platforms: ['x86_64'], target: 'usb'});
		assert.deepEqual(report.summary.requiredFailed, ['packages-x86_64-usb']);
		assert.match(report.checks.find((check) => check.id === 'packages-x86_64-usb')!.summary, /1 missing: xorriso/);
		assert.equal(report.checks.find((check) => check.id === 'packages')!.status, 'pass');
	});
	test('without --target usb a missing GRUB tool is optional, and still blocks the USB stick verdict', () => {
		const facts = fixture('intel-desktop-nested');
		delete facts.packages!.installed['xorriso'];
		const report = evaluate(facts);
		const usb = report.checks.find((check) => check.id === 'packages-x86_64-usb')!;
		assert.deepEqual([usb.status, usb.required, report.ok], ['fail', false, true]);
		assert.deepEqual(triple(report, 'x86_64'), ['yes', 'yes', 'no']);
		assert.deepEqual(report.verdicts.find((verdict) => verdict.platform === 'x86_64')!.usb.blockers, ['packages-x86_64-usb']);
	});
	test('x86-only packages missing: the qemu-arm-virt verdicts pass, x86_64 cannot build, and only --platform x86_64 fails', () => {
		const facts = fixture('intel-desktop-nested');
		const x86Only = packageGroups.filter((group) => !group.platforms.includes('qemu-arm-virt')).flatMap((group) => group.packages);
		assert.ok(['gcc-multilib', 'linux-libc-dev:i386', 'qemu-system-x86'].every((name) => x86Only.includes(name)));
		for (const name of x86Only) delete facts.packages!.installed[name];
		const report = evaluate(facts);
		assert.deepEqual(triple(report, 'qemu-arm-virt'), ['yes', 'emulated', 'n/a']);
		assert.deepEqual(triple(report, 'x86_64'), ['no', 'yes', 'no']);
		assert.deepEqual(report.verdicts.find((verdict) => verdict.platform === 'x86_64')!.build.blockers, ['packages-x86_64']);
		assert.equal(report.recommendation.platform, 'qemu-arm-virt');
		assert.equal(evaluate(facts, {platforms: ['qemu-arm-virt']}).ok, true);
		assert.equal(evaluate(facts, {platforms: ['x86_64']}).ok, false);
		const arm = evaluate(facts, {platforms: ['qemu-arm-virt']});
		assert.equal(arm.checks.find((check) => check.id === 'packages-x86_64')!.status, 'skip');
		assert.doesNotMatch(JSON.stringify(arm.checks.filter((check) => check.status !== 'skip')), /multilib|i386|qemu-system-x86\b/);
	});
	test('32-bit packages are recommended for x86_64 only: missing, they warn (the x86_64 llm_vm build does not use them)', () => {
		const facts = fixture('intel-desktop-nested');
		delete facts.packages!.installed['linux-libc-dev:i386'];
		delete facts.packages!.installed['gcc-multilib'];
		facts.packages!.foreignArchs = [];
		const recommended = (platform: 'qemu-arm-virt' | 'x86_64') => evaluate(facts, {platforms: [platform]}).checks.find((check) => check.id === 'packages-recommended')!;
		assert.equal(evaluate(facts, {platforms: ['x86_64']}).ok, true);
		assert.doesNotMatch(recommended('qemu-arm-virt').summary, /i386|multilib/);
		const x86 = recommended('x86_64');
		assert.equal(x86.status, 'warn');
		assert.match(x86.summary, /gcc-multilib linux-libc-dev:i386/);
		assert.match(x86.hint!, /^not needed to build: 32-bit libraries for a 32-bit Linux VMM/);
		// Its fix adds the i386 architecture before installing.
		assert.deepEqual(x86.fix!.commands[0], ['dpkg', '--add-architecture', 'i386']);
		assert.deepEqual(x86.fix!.commands[1], ['apt-get', 'update']);
	});
});

describe('probe details', () => {
	const check = (report: DoctorReport, id: string) => report.checks.find((each) => each.id === id)!;
	test('nested off: a persistent fix that needs root', () => {
		const nested = check(evaluate(fixture('intel-nested-off')), 'kvm-nested');
		assert.equal(nested.fix?.sudo, true);
		assert.deepEqual(nested.fix?.commands.at(-1), ['modprobe', 'kvm_intel', 'nested=1']);
		assert.match(nested.fix!.commands[0]!.join(' '), /options kvm_intel nested=1' > \/etc\/modprobe\.d\//);
	});
	test('kvm not accessible: join the kvm group', () => {
		const access = check(evaluate(fixture('intel-kvm-not-accessible')), 'kvm-access');
		assert.deepEqual(access.fix?.commands, [['usermod', '-aG', 'kvm', 'ada']]);
	});
	test('added to kvm but not logged in again: no fix, the hint says to log in again', () => {
		const facts = fixture('intel-kvm-not-accessible');
		facts.user!.configuredGroups.push('kvm');
		const access = check(evaluate(facts), 'kvm-access');
		assert.equal(access.fix, undefined);
		assert.match(access.hint!, /log out and in/);
	});
	test('AMD: no fix can make the x86 VMM run', () => {
		const report = evaluate(fixture('amd-host'));
		assert.match(check(report, 'cpu-virt').summary, /VT-x only/);
		assert.equal(check(report, 'cpu-virt').fix, undefined);
	});
	test('cloud VM: the hint points at the outer hypervisor', () => {
		assert.match(check(evaluate(fixture('cloud-vm-no-kvm')), 'cpu-virt').hint!, /outer hypervisor/);
	});
	test('WSL2: the hint names .wslconfig', () => {
		assert.match(check(evaluate(fixture('wsl2')), 'kvm-device').hint!, /wslconfig/);
	});
	test('container: the hint says to pass /dev/kvm', () => {
		assert.match(check(evaluate(fixture('container')), 'kvm-device').hint!, /--device \/dev\/kvm/);
	});
	test('externally managed Python: a venv in the workspace', () => {
		const modules = check(evaluate(fixture('ubuntu-2404-externally-managed')), 'python-modules');
		assert.deepEqual(modules.fix?.commands[0], ['python3', '-m', 'venv', '/home/ada/sel4-llm/python-venv']);
		assert.equal(modules.fix?.sudo, false);
	});
	test('a venv with the modules is a warning, not a failure', () => {
		const facts = fixture('ubuntu-2404-externally-managed');
		facts.venv = {...facts.python!, path: '/home/ada/sel4-llm/python-venv/bin/python3', inVenv: true, externallyManaged: false, modules: Object.fromEntries(Object.keys(facts.python!.modules).map((name) => [name, true]))};
		const report = evaluate(facts);
		assert.equal(check(report, 'python-modules').status, 'warn');
		assert.equal(report.ok, true);
	});
	test('a Python 2 repo launcher that does not run fails', () => {
		const facts = fixture('intel-desktop-nested');
		facts.tools!.repo = {path: '/usr/bin/repo', version: null, runs: false, detail: 'SyntaxError: invalid syntax'};
		const repo = check(evaluate(facts), 'tool-repo');
		assert.equal(repo.status, 'fail');
		assert.match(repo.summary, /SyntaxError/);
		assert.deepEqual(repo.fix?.commands[1], ['curl', '-fsSL', '-o', '/home/ada/.local/bin/repo', 'https://storage.googleapis.com/git-repo-downloads/repo']);
	});
	test('qemu-system-aarch64 older than 3.1 fails', () => {
		const facts = fixture('intel-desktop-nested');
		facts.tools!['qemu-system-aarch64'].version = '2.11.1';
		assert.equal(check(evaluate(facts, {platforms: ['qemu-arm-virt']}), 'tool-qemu-system-aarch64').status, 'fail');
	});
	test('low memory and disk fail, moderate ones warn', () => {
		const facts = fixture('intel-desktop-nested');
		facts.memory = {totalMiB: 3000, availableMiB: 2500};
		facts.disk!.freeMiB = 5000;
		let report = evaluate(facts);
		assert.equal(check(report, 'memory').status, 'fail');
		assert.equal(check(report, 'disk').status, 'fail');
		facts.memory = {totalMiB: 6000, availableMiB: 5000};
		facts.disk!.freeMiB = 15000;
		report = evaluate(facts);
		assert.equal(check(report, 'memory').status, 'warn');
		assert.equal(check(report, 'disk').status, 'warn');
	});
	test('OS: Ubuntu 22.04 passes, 20.04 and Fedora warn (never fail)', () => {
		const facts = fixture('intel-desktop-nested');
		assert.equal(check(evaluate(facts), 'os').status, 'pass');
		facts.os = {...facts.os!, versionId: '20.04', prettyName: 'Ubuntu 20.04.6 LTS'};
		assert.match(check(evaluate(facts), 'os').summary, /seL4 only/);
		facts.os = {id: 'fedora', idLike: [], versionId: '40', prettyName: 'Fedora Linux 40', codename: null};
		facts.packages = {manager: null, nativeArch: null, foreignArchs: [], installed: {}};
		const report = evaluate(facts);
		assert.equal(check(report, 'os').status, 'warn');
		assert.equal(check(report, 'packages').status, 'warn');
	});
	test('a fact that timed out is a failure that says so', () => {
		const facts = fixture('intel-desktop-nested');
		facts.tools = null;
		facts.gather.tools = {status: 'timeout', ms: 6000, detail: 'timed out after 6000 ms'};
		const cmake = check(evaluate(facts), 'tool-cmake');
		assert.equal(cmake.status, 'fail');
		assert.match(cmake.summary, /timed out after 6000 ms/);
	});
	test('probes are pure: the same facts give the same report', () => {
		const facts = fixture('half-packages');
		const copy = structuredClone(facts);
		assert.deepEqual(runProbes(facts, {platforms: ['qemu-arm-virt', 'x86_64'], target: 'any'}), runProbes(copy, {platforms: ['qemu-arm-virt', 'x86_64'], target: 'any'}));
		assert.deepEqual(facts, copy);
	});
});

describe('fix plan', () => {
	test('one apt-get install for every missing package, sudo -n when allowed', () => {
		const facts = fixture('half-packages');
		facts.privileges = {root: false, sudoPresent: true, sudoNonInteractive: true};
		delete facts.packages!.installed['linux-libc-dev:i386'];
		const plan = buildFixPlan(evaluate(facts), facts);
		const apt = plan.steps[0]!;
		assert.equal(apt.commands[0]![0], 'sudo');
		assert.equal(apt.commands[0]![1], '-n');
		const installs = plan.steps.flatMap((step) => step.commands).filter((argv) => argv.includes('install') && argv.includes('apt-get'));
		assert.equal(installs.length, 1);
		for (const name of ['haskell-stack', 'device-tree-compiler', 'qemu-system-x86']) assert.ok(installs[0]!.includes(name), name);
		assert.ok(!installs[0]!.includes('linux-libc-dev:i386'), 'recommended packages are not part of the fix');
		assert.equal(new Set(installs[0]).size, installs[0]!.length, 'no package twice');
		const pip = plan.steps.find((step) => step.checks.includes('python-modules'))!;
		assert.deepEqual(pip.commands[0]!.slice(0, 4), ['python3', '-m', 'pip', 'install']);
		assert.equal(plan.manual.length, 0);
	});
	test('without password-less sudo, root commands are printed for the user', () => {
		const facts = fixture('intel-nested-off');
		const plan = buildFixPlan(evaluate(facts, {platforms: ['x86_64'], target: 'qemu'}), facts);
		assert.equal(plan.steps.length, 0);
		assert.deepEqual(plan.manual[0]!.commands.at(-1), ['sudo', 'modprobe', 'kvm_intel', 'nested=1']);
	});
	test('as root nothing is wrapped', () => {
		const facts = fixture('container');
		const plan = buildFixPlan(evaluate(facts), facts);
		assert.deepEqual(plan.steps[0]!.commands[0], ['mkdir', '-p', `${facts.user!.home}/.local/bin`]);
		assert.ok(plan.unfixable.some((item) => item.id === 'kvm-device'));
	});
});

describe('packages', () => {
	test('upstream\'s forgotten packages are in the lists', () => {
		const arm = packagesFor('qemu-arm-virt');
		const x86 = packagesFor('x86_64');
		for (const name of ['cpio', 'fakeroot', 'rsync', 'libarchive-dev', 'device-tree-compiler', 'haskell-stack']) {
			assert.ok(arm.includes(name) && x86.includes(name), name);
		}
		assert.ok(!x86.includes('linux-libc-dev:i386') && packagesFor('x86_64', 'x86_64', {recommended: true}).includes('linux-libc-dev:i386'));
		assert.ok(!packagesFor('qemu-arm-virt', 'x86_64', {recommended: true}).includes('linux-libc-dev:i386'));
		assert.ok(arm.includes('gcc-aarch64-linux-gnu') && !packagesFor('qemu-arm-virt', 'aarch64').includes('gcc-aarch64-linux-gnu'));
		assert.ok(!x86.includes('xorriso') && packagesFor('x86_64', 'x86_64', {usb: true}).includes('xorriso'));
		assert.ok(!arm.includes('qemu-kvm') && !arm.includes('ncurses-dev'), 'virtual package names are never checked');
	});
	test('version comparison', () => {
		assert.ok(compareVersions('7.2.22', '3.1') > 0);
		assert.ok(compareVersions('3.0.1', '3.1') < 0);
		assert.equal(compareVersions('3.1.0', '3.1'), 0);
	});
});
