/** @jsxRuntime automatic */
// The Ink view of doctor: exact frames at 80x24 and 120x36, with colours and with NO_COLOR, and its progress line.
import assert from 'node:assert/strict';
import {afterEach, test} from 'node:test';
import type {ReactElement} from 'react';
import {evaluate} from '../../source/doctor/evaluate.js';
import {formatReport} from '../../source/doctor/format.js';
import {paintLines} from '../../source/system/paint.js';
import {reportLines} from '../../source/doctor/layout.js';
import type {DoctorReport} from '../../source/doctor/types.js';
import {colourWanted} from '../../source/system/colour.js';
import type {HostFacts} from '../../source/system/facts.js';
import type {GatherProgress} from '../../source/system/gather.js';
import {tick} from '../support/keys.js';
import {fixture} from './helpers.js';

// Ink colours through chalk, which decides once, when it loads, from FORCE_COLOR or whether stdout is a terminal
// (it is not under the test runner): force it before Ink loads, so the colour frames have colours to compare.
process.env.FORCE_COLOR = '1';
const {cleanup, render} = await import('ink-testing-library');
const {DoctorApp} = await import('../../source/ui/doctor/render.js');

// A failed assertion must not leave a mounted view keeping the test process alive.
afterEach(cleanup);

const ansi = /\u001B\[[0-9;]*m/g;
const idle = {get: () => undefined, subscribe: () => () => {}};

/** Renders in a terminal of this size (Ink lays out at the stdout's columns) and waits for the report. */
async function frameAt(tree: (columns: number) => ReactElement, columns: number, rows: number): Promise<string> {
	const view = render(tree(columns));
	Object.defineProperty(view.stdout, 'columns', {get: () => columns});
	Object.defineProperty(view.stdout, 'rows', {get: () => rows});
	// The report is there once its last line, the summary, is (a loaded machine may take a while).
	for (let waited = 0; !/ skipped: /.test(view.lastFrame() ?? '') && waited < 10_000; waited += 20) await tick(20);
	await tick(20);
	return view.lastFrame() ?? '';
}

function app(facts: HostFacts, options: {platforms?: Array<'qemu-arm-virt' | 'x86_64'>; target?: 'qemu' | 'usb'; verbose?: boolean; colour: boolean}) {
	return (columns: number) => (
		<DoctorApp
			gathering={new Promise((resolve) => setTimeout(() => resolve(facts), 5))}
			evaluate={(each) => evaluate(each, {...(options.platforms ? {platforms: options.platforms} : {}), ...(options.target ? {target: options.target} : {})})}
			progress={idle}
			columns={columns}
			verbose={options.verbose ?? false}
			colour={options.colour}
		/>
	);
}

const kvmAt80 = [
	'Doctor summary (every check: sel4-llm doctor -v)',
	'[✓] System (4)',
	'[✗] Virtualization (x86_64 in QEMU needs Intel VT-x + KVM + nested)',
	'    [✗] KVM access for this user: /dev/kvm is not readable and writable by ada',
	'        (group kvm, mode 0660)',
	'        hint: add yourself to the kvm group, then log out and in again',
	'        fix: add ada to the kvm group (takes effect at the next login)',
	'          sudo usermod -aG kvm ada',
	'[✓] Packages (4, 1 not needed)',
	'[✓] Python (3)',
	'[✓] Tools (7, 2 not needed)',
	'[!] Privileges',
	'    [!] Root for fixes (sudo -n): sudo needs a password: `doctor --fix` prints',
	'        root commands for you to run',
	'        hint: run `sudo -v` first to let `doctor --fix` run them',
	'',
	'Verdicts',
	'  x86_64         build: yes; run in QEMU: no (KVM access for this user); USB',
	'                 stick: yes',
	'  recommended platform: qemu-arm-virt (it builds here and runs under QEMU',
	'    emulation on any host (slower than KVM))',
	'',
	'23 passed, 1 warning, 1 failed (1 required), 3 skipped: not ready for x86_64',
	'(qemu)',
].join('\n');

const kvmAt120 = [
	'Doctor summary (every check: sel4-llm doctor -v)',
	'[✓] System (4)',
	'[✗] Virtualization (x86_64 in QEMU needs Intel VT-x + KVM + nested)',
	'    [✗] KVM access for this user: /dev/kvm is not readable and writable by ada (group kvm, mode 0660)',
	'        hint: add yourself to the kvm group, then log out and in again',
	'        fix: add ada to the kvm group (takes effect at the next login)',
	'          sudo usermod -aG kvm ada',
	'[✓] Packages (4, 1 not needed)',
	'[✓] Python (3)',
	'[✓] Tools (7, 2 not needed)',
	'[!] Privileges',
	'    [!] Root for fixes (sudo -n): sudo needs a password: `doctor --fix` prints root commands for you to run',
	'        hint: run `sudo -v` first to let `doctor --fix` run them',
	'',
	'Verdicts',
	'  x86_64         build: yes; run in QEMU: no (KVM access for this user); USB stick: yes',
	'  recommended platform: qemu-arm-virt (it builds here and runs under QEMU emulation on any host (slower than KVM))',
	'',
	'23 passed, 1 warning, 1 failed (1 required), 3 skipped: not ready for x86_64 (qemu)',
].join('\n');

const kvm = () => fixture('intel-kvm-not-accessible');
const kvmOptions = {platforms: ['x86_64' as const], target: 'qemu' as const};

test('80x24, NO_COLOR: folded groups, the failure with its hint and fix, verdicts by title, no escape codes', async () => {
	const colour = colourWanted({NO_COLOR: '1', TERM: 'xterm-256color'}, true);
	assert.equal(colour, false);
	assert.equal(await frameAt(app(kvm(), {...kvmOptions, colour}), 80, 24), kvmAt80);
});

test('120x36, NO_COLOR: the same report, wrapped at 120 columns', async () => {
	assert.equal(await frameAt(app(kvm(), {...kvmOptions, colour: false}), 120, 36), kvmAt120);
});

test('80x24 in colour: red [✗] for a required failure, yellow [!] for a warning, green [✓]; the same text', async () => {
	const frame = await frameAt(app(kvm(), {...kvmOptions, colour: true}), 80, 24);
	assert.equal(frame.replace(ansi, ''), kvmAt80);
	const lines = frame.split('\n');
	assert.equal(lines[1], '\u001B[32m[✓]\u001B[39m System \u001B[2m(4)\u001B[22m');
	assert.equal(lines[2], '\u001B[31m[✗]\u001B[39m\u001B[1m Virtualization\u001B[22m\u001B[2m (x86_64 in QEMU needs Intel VT-x + KVM + nested)\u001B[22m');
	assert.equal(lines[7], '          \u001B[36msudo usermod -aG kvm ada\u001B[39m');
	assert.equal(lines[11], '\u001B[33m[!]\u001B[39m\u001B[1m Privileges\u001B[22m');
	assert.equal(lines[17], '  x86_64         build: \u001B[32myes\u001B[39m; run in QEMU: \u001B[31mno\u001B[39m\u001B[2m (KVM access for this user)\u001B[22m; USB');
	// Ink writes the very codes the plain output writes.
	const report = evaluate(kvm(), kvmOptions);
	assert.equal(frame, paintLines(reportLines(report, {width: 80, verbose: false, root: false}), true));
});

test('120x36 in colour: the same text as without colour', async () => {
	const frame = await frameAt(app(kvm(), {...kvmOptions, colour: true}), 120, 36);
	assert.notEqual(frame, kvmAt120);
	assert.equal(frame.replace(ansi, ''), kvmAt120);
});

test('an optional failure is a yellow [!], not a red [✗]; --verbose lists every check', async () => {
	// Without --target qemu the KVM ladder is optional for x86_64.
	const frame = await frameAt(app(kvm(), {platforms: ['x86_64'], verbose: true, colour: true}), 80, 24);
	const line = frame.split('\n').find((each) => each.includes('KVM access for this user:'))!;
	assert.equal(line, '    \u001B[33m[!]\u001B[39m KVM access for this user: /dev/kvm is not readable and writable by ada');
	const plain = frame.replace(ansi, '');
	assert.match(plain, /^ {8}\(group kvm, mode 0660\) \(optional\)$/m);
	assert.match(plain, /^ {4}\[✓\] git: 2\.34\.1 \(\/usr\/bin\/git\)$/m);
	assert.match(plain, /^ {4}\[-\] AArch64 cross compiler: not needed for x86_64$/m);
	assert.doesNotMatch(plain, /Doctor summary/);
	assert.match(plain, /23 passed, 1 warning, 1 failed \(0 required\), 3 skipped: ready for x86_64$/);
});

test('a command longer than the terminal stays on one line', async () => {
	const facts = fixture('half-packages');
	const frame = await frameAt(app(facts, {colour: false}), 80, 24);
	const install = frame.split('\n').find((line) => line.includes('apt-get install') && line.includes('haskell-stack'))!;
	assert.ok(install.length > 80, install);
	assert.match(install, /^ {10}sudo apt-get install -y --no-install-recommends cmake .* libarchive-dev$/);
	// The plain output lays it out the same way.
	assert.equal(frame, formatReport(evaluate(facts), {width: 80}));
});

test('while gathering: a spinner and what gathering is at', async () => {
	const progress: GatherProgress = {total: 13, done: ['host', 'cpu', 'memory', 'kvm', 'user', 'environment', 'iommu', 'disk', 'os', 'tools', 'privileges'], running: ['packages', 'python']};
	const feed = {get: () => progress, subscribe: () => () => {}};
	const view = render(
		<DoctorApp gathering={new Promise<HostFacts>(() => {})} evaluate={() => ({}) as DoctorReport} progress={feed} columns={80} verbose={false} colour={false} clock={() => 0} />,
	);
	await tick(10);
	assert.equal(view.lastFrame(), '⠋ checking the host … apt packages, Python (11/13)');
});
