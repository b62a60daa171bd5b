/** @jsxRuntime automatic */
// The Ink view of a report: exact lines for the parts people read first.
import assert from 'node:assert/strict';
import {afterEach, test} from 'node:test';
import {cleanup, render} from 'ink-testing-library';
import {evaluate} from '../../source/doctor/evaluate.js';
import {DoctorView} from '../../source/ui/doctor/doctor-view.js';
import {fixture} from './helpers.js';

// A failed assertion must not leave a mounted view keeping the test process alive.
afterEach(cleanup);

const strip = (text: string) => text.replace(/\u001B\[[0-9;]*m/g, '');

test('the view groups checks, shows hints and fixes of failures, verdicts and the summary', () => {
	const report = evaluate(fixture('intel-kvm-not-accessible'), {platforms: ['x86_64'], target: 'qemu'});
	const {lastFrame, unmount} = render(<DoctorView report={report} root={false} />);
	const lines = strip(lastFrame() ?? '').split('\n');
	unmount();
	const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
	assert.ok(at(/^System$/) < at(/^Virtualization/), 'groups in order');
	const access = at(/✗ KVM access for this user/);
	assert.ok(access > 0);
	// The summary wraps inside its own column (the test terminal is 100 columns wide).
	const column = lines[access]!.indexOf('/dev/kvm');
	assert.match(lines[access]!, /^  ✗ KVM access for this user +\/dev\/kvm is not readable and writable by ada/);
	assert.match(lines[access + 1]!, new RegExp(`^ {${column}}\\S`), 'continuation aligned with the summary');
	assert.equal(lines[access + 2], '      hint: add yourself to the kvm group, then log out and in again');
	assert.equal(lines[access + 3], '      fix: sudo usermod -aG kvm ada');
	assert.match(lines.find((line) => line.includes('✓ Nested virtualization'))!, /enabled/);
	assert.ok(lines.includes('  x86_64         build: yes; run in QEMU: no (kvm-access); USB stick: yes'), lines.join('\n'));
	assert.equal(lines.at(-1), '23 passed, 1 warning, 1 failed (1 required), 3 skipped: not ready for x86_64 (qemu)');
});
