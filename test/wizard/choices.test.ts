import assert from 'node:assert/strict';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {evaluate} from '../../source/doctor/evaluate.js';
import {allowedValues, checkModel, defaultChoices, impossibleChoice, validateChoices} from '../../source/wizard/choices.js';
import {summariseReport} from '../../source/wizard/host-check.js';
import {fixtures, tempDir} from '../support/cli.js';
import {fakeGguf} from '../support/gguf.js';

test('defaults are valid and run without KVM: qemu-arm-virt, the demo model', () => {
	const choices = defaultChoices('qemu-arm-virt', '/tmp/ws');
	assert.deepEqual(validateChoices(choices), {});
	assert.equal(choices.model, '');
	assert.equal(choices.target, 'qemu');
});

test('model checks: missing, not GGUF, unsupported version, too big for the guest RAM', () => {
	const dir = tempDir();
	const text = join(dir, 'notes.txt');
	writeFileSync(text, 'hello, not a model');
	const base = defaultChoices('x86_64', dir);
	assert.match(validateChoices({...base, model: join(dir, 'missing.gguf')}).model!, /does not exist/);
	assert.match(validateChoices({...base, model: text}).model!, /is not a GGUF model/);
	assert.match(validateChoices({...base, model: fakeGguf(join(dir, 'v1.gguf'), 4096, 1)}).model!, /GGUF version 1/);
	const small = fakeGguf(join(dir, 'small.gguf'), 64 * 2 ** 20);
	assert.deepEqual(validateChoices({...base, model: small, guestRamMb: 1024}), {});
	const big = fakeGguf(join(dir, 'big.gguf'), 3 * 2 ** 30);
	assert.match(validateChoices({...base, model: big, guestRamMb: 3072}).model!, /needs about \d+ MiB of guest RAM in the initrd layout; the guest has 3072 MiB \(x86_64 allows at most 3072 MiB\)/);
	const mid = fakeGguf(join(dir, 'mid.gguf'), 300 * 2 ** 20);
	assert.match(validateChoices({...base, model: mid, guestRamMb: 512}).model!, /needs about \d+ MiB of guest RAM in the initrd layout; the guest has 512 MiB$/);
	assert.deepEqual(validateChoices({...base, model: mid, guestRamMb: 1024}), {});
	assert.equal(checkModel(small).ok, true);
});

test('guest RAM and target are bounded by the platform', () => {
	const arm = defaultChoices('qemu-arm-virt', '/tmp/ws');
	assert.equal(validateChoices({...arm, guestRamMb: 1024}).guestRamMb, undefined, 'the app generator builds 1024 MiB on qemu-arm-virt, so the wizard accepts it');
	assert.match(validateChoices({...arm, guestRamMb: 2048}).guestRamMb!, /between 128 and 1024 MiB in steps of 64 MiB on qemu-arm-virt/);
	assert.match(validateChoices({...arm, guestRamMb: 600}).guestRamMb!, /in steps of 64 MiB/);
	assert.match(validateChoices({...arm, target: 'usb'}).target!, /choose platform x86_64/);
	const x86 = defaultChoices('x86_64', '/tmp/ws');
	assert.match(validateChoices({...x86, guestRamMb: 8192}).guestRamMb!, /between 128 and 3072 MiB in steps of 16 MiB on x86_64/);
	assert.deepEqual(validateChoices({...x86, target: 'usb'}), {});
});

test('x86_64 booted in QEMU on a host judged "QEMU ✗" is refused, with the USB stick and qemu-arm-virt offered', () => {
	const facts = JSON.parse(readFileSync(join(fixtures, 'facts', 'cloud-vm-no-kvm.json'), 'utf8'));
	const noKvm = summariseReport(evaluate(facts), facts);
	const x86 = {...defaultChoices('x86_64', '/tmp/ws'), target: 'qemu' as const};
	const problem = impossibleChoice(x86, noKvm);
	assert.match(problem ?? '', /^x86_64 cannot run in QEMU on this machine \(.+ failed\): choose target "USB stick for a PC" .*, or platform qemu-arm-virt/);
	assert.equal(validateChoices(x86, noKvm).target, problem);
	// The ways out are accepted; without a host check nothing is refused.
	assert.equal(impossibleChoice({...x86, target: 'usb'}, noKvm), undefined);
	assert.equal(impossibleChoice(defaultChoices('qemu-arm-virt', '/tmp/ws'), noKvm), undefined);
	assert.equal(impossibleChoice(x86, undefined), undefined);
	const nestedFacts = JSON.parse(readFileSync(join(fixtures, 'facts', 'intel-desktop-nested.json'), 'utf8'));
	assert.equal(impossibleChoice(x86, summariseReport(evaluate(nestedFacts), nestedFacts)), undefined);
	assert.match(allowedValues('target', x86, noKvm), /a USB stick for a PC/);
	assert.match(allowedValues('guestRamMb', x86), /^128-3072 MiB in steps of 16 on x86_64$/);
});
