import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {evaluate} from '../../source/doctor/evaluate.js';
import {summariseReport} from '../../source/wizard/host-check.js';
import {fixtures} from '../support/cli.js';

function summary(name: string) {
	const facts = JSON.parse(readFileSync(join(fixtures, 'facts', `${name}.json`), 'utf8'));
	return summariseReport(evaluate(facts), facts);
}

test('a cloud VM without /dev/kvm: qemu-arm-virt recommended, x86_64 cannot run in QEMU', () => {
	const host = summary('cloud-vm-no-kvm');
	assert.equal(host.recommended, 'qemu-arm-virt');
	assert.equal(host.platforms['qemu-arm-virt'].run.ok, true);
	assert.equal(host.platforms['qemu-arm-virt'].run.note, 'under emulation (slow)');
	assert.equal(host.platforms.x86_64.run.ok, false);
	assert.ok(host.freeDiskBytes! > 0);
});

test('an Intel desktop with nested KVM: x86_64 runs in QEMU', () => {
	const host = summary('intel-desktop-nested');
	assert.equal(host.platforms.x86_64.run.ok, true);
});

test('the wizard hid why "build ✗": the required failures that block the build are listed by title with their fix', () => {
	const host = summary('half-packages');
	assert.equal(host.platforms['qemu-arm-virt'].build.ok, false);
	const titles = host.required.map((problem) => problem.title);
	assert.ok(titles.length > 0, 'build ✗ has its reasons');
	// Exactly the checks that block a build of either platform.
	const blockers = new Set([...host.platforms['qemu-arm-virt'].build.blockers, ...host.platforms.x86_64.build.blockers]);
	assert.deepEqual(new Set(titles), blockers);
	for (const problem of host.required) assert.ok(problem.fix ?? problem.hint, `${problem.title} says how to fix it`);
	assert.ok(host.required.some((problem) => problem.title === 'Required apt packages' && /install \d+ packages?/.test(problem.fix ?? '')));
	// The checks behind "build ✗" are not repeated among the other problems.
	assert.equal(host.problems.filter((problem) => titles.includes(problem.title)).length, 0);
});

test('x86_64 in QEMU without VT-x is a ✗ no setup step fixes; a missing package is one the setup fixes', () => {
	const host = summary('cloud-vm-no-kvm');
	assert.equal(host.platforms.x86_64.run.ok, false);
	assert.equal(host.platforms.x86_64.run.fixable, false);
	assert.ok(host.platforms.x86_64.run.blockers.length > 0);
	const half = summary('half-packages');
	assert.equal(half.platforms['qemu-arm-virt'].build.fixable, true);
});
