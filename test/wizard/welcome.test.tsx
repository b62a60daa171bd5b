/** @jsxRuntime automatic */
// The welcome and choices screens fitted to the window (exact frames at 80x24 and 120x36), the checks behind
// "build ✗", the refusal of a platform and target this host cannot run, and Enter on an invalid form.
import assert from 'node:assert/strict';
import {afterEach, test} from 'node:test';
import {cleanup} from 'ink-testing-library';
import {ChoiceForm} from '../../source/wizard/choice-form.js';
import {defaultChoices, type Choices} from '../../source/wizard/choices.js';
import type {HostSummary} from '../../source/wizard/host.js';
import {Welcome} from '../../source/wizard/welcome.js';
import {keys, press} from '../support/keys.js';
import {fits, mountAt} from '../support/window.js';

afterEach(cleanup);

const verdict = (ok: boolean, note = '', blockers: string[] = [], fixable = ok) => ({ok, note, fixable, blockers});
const required = ['Required apt packages', 'Python modules (sel4-deps, camkes-deps)', 'Haskell stack (builds capDL-tool)'];

/** An AMD host without the build tools yet: the machine most first runs start on. */
const amdHost: HostSummary = {
	platforms: {
		'qemu-arm-virt': {build: verdict(false, 'fix first', required, true), run: verdict(true, 'under emulation (slow)'), usb: verdict(false, 'qemu-arm-virt is a QEMU-only platform')},
		x86_64: {
			build: verdict(false, 'fix first', required, true),
			run: verdict(false, 'cannot run it in QEMU (needs Intel VT-x + KVM + nested): CPU virtualization (VT-x), Nested virtualization (kvm_intel nested)', ['CPU virtualization (VT-x)', 'Nested virtualization (kvm_intel nested)'], false),
			usb: verdict(false, 'cannot prepare a USB stick yet', required, true),
		},
	},
	recommended: 'qemu-arm-virt',
	required: [
		{title: 'Required apt packages', summary: '11 missing: libxml2-utils u-boot-tools python-is-python3 protobuf-compiler python3-protobuf clang libclang-dev libcunit1-dev haskell-stack rsync libarchive-dev', fix: 'install 11 packages'},
		{title: 'Python modules (sel4-deps, camkes-deps)', summary: 'python3 cannot import: pyfdt, plyplus, aenum, ply, elftools, ordered_set', fix: 'install sel4-deps and camkes-deps with pip'},
		{title: 'Haskell stack (builds capDL-tool)', summary: 'not found on PATH', fix: 'install haskell-stack'},
	],
	problems: [
		{title: 'CPU virtualization (VT-x)', summary: "AMD CPU: seL4's x86 VMM supports Intel VT-x only", hint: 'use qemu-arm-virt here, or build x86_64 and boot it on an Intel PC from a USB stick'},
		{title: 'Nested virtualization (kvm_intel nested)', summary: 'kvm_intel is not loaded (KVM here comes from kvm_pvm): no nested VT-x', hint: 'needs VT-x first (see CPU virtualization)'},
	],
	freeDiskBytes: 76 * 2 ** 30,
};

const x86InQemu = (): Choices => ({...defaultChoices('x86_64', '/home/user/sel4-llm'), target: 'qemu'});

test('the wizard hid why "build ✗" at 80x24: the required failures come first, by title with their fix, and the rest scroll', async () => {
	const view = await mountAt(<Welcome host={amdHost} resume={undefined} />, 80, 24);
	assert.equal(view.lastFrame(), WELCOME_80);
	assert.equal(fits(view.lastFrame()!, 80, 24), undefined);
	await press(view.stdin, keys.down);
	assert.match(view.lastFrame()!, /… \d+ more checks above\n[\s\S]*! Nested virtualization \(kvm_intel nested\): kvm_intel is not loaded/);
	assert.equal(fits(view.lastFrame()!, 80, 24), undefined);
});

test('the welcome screen at 120x36: every check with its fix or hint, no scroll key', async () => {
	const view = await mountAt(<Welcome host={amdHost} resume={undefined} checking={false} />, 120, 36);
	assert.equal(view.lastFrame(), WELCOME_120);
});

test('the welcome screen while the host is checked: the theme\'s spinner frame turns', async () => {
	let now = 0;
	const view = await mountAt(<Welcome host={undefined} resume={undefined} checking clock={() => now} />, 80, 24);
	assert.match(view.lastFrame()!, /^⠋ Checking this machine…$/m);
	now = 160;
	await new Promise((resolve) => setTimeout(resolve, 120));
	assert.match(view.lastFrame()!, /^⠹ Checking this machine…$/m);
});

test('x86_64 in QEMU on a host judged "QEMU ✗" is refused in the choices: why, with the USB stick and qemu-arm-virt offered', async () => {
	const submitted: Choices[] = [];
	const view = await mountAt(<ChoiceForm initial={x86InQemu()} host={amdHost} onSubmit={(choices) => submitted.push(choices)} onBack={() => undefined} />, 80, 24);
	assert.equal(view.lastFrame(), CHOICES_80);
	// Enter on the invalid form says why: which field, and what it takes.
	await press(view.stdin, keys.enter);
	assert.equal(view.lastFrame(), CHOICES_80_REFUSED);
	assert.equal(submitted.length, 0);
	// The way out: the USB stick; the form goes on.
	await press(view.stdin, '\u001B[C');
	assert.doesNotMatch(view.lastFrame()!, /cannot run in QEMU|Cannot continue/);
	await press(view.stdin, keys.enter);
	assert.equal(submitted.length, 1);
	assert.equal(submitted[0]!.target, 'usb');
});

test('Enter on an invalid form says which field and what it takes, at 120x36', async () => {
	const view = await mountAt(<ChoiceForm initial={{...defaultChoices('qemu-arm-virt', '/home/user/sel4-llm'), guestRamMb: 4096}} onSubmit={() => undefined} onBack={() => undefined} />, 120, 36);
	await press(view.stdin, keys.enter);
	assert.equal(view.lastFrame(), CHOICES_120_RAM);
	// The next key clears the message; the problem itself stays on its field.
	await press(view.stdin, keys.backspace);
	assert.doesNotMatch(view.lastFrame()!, /Cannot continue/);
	assert.match(view.lastFrame()!, /✗ between 128 and 1024 MiB/);
});

const WELCOME_80 = [
	'sel4-llm setup',
	'This sets up seL4 with a CAmkES virtual machine whose Linux guest runs',
	'llama.cpp, then boots it in QEMU or writes a USB stick for a PC. Every step is',
	'shown before it runs, and a second run continues where this one stops.',
	'',
	'This machine',
	'  qemu-arm-virt  build ✗ · QEMU ✓ · USB stick ✗',
	'  x86_64         build ✗ · QEMU ✗ · USB stick ✗ cannot run it in QEMU (needs',
	'                 Intel VT-x + KVM + nested): CPU virtualization (VT-x), Nested',
	'                 virtualization (kvm_intel nested)',
	'  Recommended: qemu-arm-virt',
	'  Build ✗ until these 3 required checks pass:',
	'  ✗ Required apt packages: 11 missing: libxml2-utils u-boot-tools',
	'    python-is-python3 protobuf-compiler python3-protobuf clang libclang-dev',
	'    libcunit1-dev haskell-stack rsync libarchive-dev',
	'    fix: install 11 packages',
	'  ✗ Python modules (sel4-deps, camkes-deps): python3 cannot import: pyfdt,',
	'    plyplus, aenum, ply, elftools, ordered_set',
	'    fix: install sel4-deps and camkes-deps with pip',
	'  ✗ Haskell stack (builds capDL-tool): not found on PATH',
	'    fix: install haskell-stack',
	'  … 2 more checks below',
	'↑/↓ scroll  ·  enter continue  ·  q quit',
].join('\n');

const WELCOME_120 = [
	'sel4-llm setup',
	'This sets up seL4 with a CAmkES virtual machine whose Linux guest runs llama.cpp, then boots it in QEMU or writes a USB',
	'stick for a PC. Every step is shown before it runs, and a second run continues where this one stops.',
	'',
	'This machine',
	'  qemu-arm-virt  build ✗ · QEMU ✓ · USB stick ✗',
	'  x86_64         build ✗ · QEMU ✗ · USB stick ✗ cannot run it in QEMU (needs Intel VT-x + KVM + nested): CPU',
	'                 virtualization (VT-x), Nested virtualization (kvm_intel nested)',
	'  Recommended: qemu-arm-virt',
	'  Build ✗ until these 3 required checks pass:',
	'  ✗ Required apt packages: 11 missing: libxml2-utils u-boot-tools python-is-python3 protobuf-compiler python3-protobuf',
	'    clang libclang-dev libcunit1-dev haskell-stack rsync libarchive-dev',
	'    fix: install 11 packages',
	'  ✗ Python modules (sel4-deps, camkes-deps): python3 cannot import: pyfdt, plyplus, aenum, ply, elftools, ordered_set',
	'    fix: install sel4-deps and camkes-deps with pip',
	'  ✗ Haskell stack (builds capDL-tool): not found on PATH',
	'    fix: install haskell-stack',
	'  ! CPU virtualization (VT-x): AMD CPU: seL4\'s x86 VMM supports Intel VT-x only',
	'    hint: use qemu-arm-virt here, or build x86_64 and boot it on an Intel PC from a USB stick',
	'  ! Nested virtualization (kvm_intel nested): kvm_intel is not loaded (KVM here comes from kvm_pvm): no nested VT-x',
	'    hint: needs VT-x first (see CPU virtualization)',
	'enter continue  ·  q quit',
].join('\n');

const CHOICES_80 = [
	'Choices',
	'› Platform         ‹ x86_64 ›',
	'    qemu-arm-virt (AArch64) runs under QEMU emulation on any host; x86_64 boots',
	'    on a PC, or in QEMU only with KVM and nested VT-x.',
	'  Workspace        /home/user/sel4-llm',
	'  Model            (built-in demo model)',
	'  Guest RAM (MiB)  512',
	'  Target           ‹ QEMU on this machine ›',
	'    ✗ x86_64 cannot run in QEMU on this machine (CPU virtualization (VT-x),',
	'      Nested virtualization (kvm_intel nested) failed): choose target "USB stick',
	'      for a PC" (boot it on a PC with Intel VT-x), or platform qemu-arm-virt',
	'      (runs in QEMU here, under emulation (slow))',
	'↑/↓ field  ·  ←/→ change  ·  type edit  ·  enter continue  ·  esc back  ·',
	'ctrl-c quit',
].join('\n');

const CHOICES_80_REFUSED = [
	'Choices',
	'  Platform         ‹ x86_64 ›',
	'  Workspace        /home/user/sel4-llm',
	'  Model            (built-in demo model)',
	'  Guest RAM (MiB)  512',
	'› Target           ‹ QEMU on this machine ›',
	'    ✗ x86_64 cannot run in QEMU on this machine (CPU virtualization (VT-x),',
	'      Nested virtualization (kvm_intel nested) failed): choose target "USB stick',
	'      for a PC" (boot it on a PC with Intel VT-x), or platform qemu-arm-virt',
	'      (runs in QEMU here, under emulation (slow))',
	'Cannot continue: Target (the ✗ above) takes a USB stick for a PC (x86_64 cannot',
	'  boot in QEMU here), or QEMU with platform qemu-arm-virt. Change it, or esc to',
	'  go back.',
	'↑/↓ field  ·  ←/→ change  ·  type edit  ·  enter continue  ·  esc back  ·',
	'ctrl-c quit',
].join('\n');

const CHOICES_120_RAM = [
	'Choices',
	'  Platform         ‹ qemu-arm-virt ›',
	'  Workspace        /home/user/sel4-llm',
	'  Model            (built-in demo model)',
	'› Guest RAM (MiB)  4096▏',
	'    ✗ between 128 and 1024 MiB in steps of 64 MiB on qemu-arm-virt',
	'  Target           ‹ QEMU on this machine ›',
	'Cannot continue: Guest RAM (MiB) (the ✗ above) takes 128-1024 MiB in steps of 64 on qemu-arm-virt. Change it, or esc to',
	'  go back.',
	'↑/↓ field  ·  ←/→ change  ·  type edit  ·  enter continue  ·  esc back  ·  ctrl-c quit',
].join('\n');
