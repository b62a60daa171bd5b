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
