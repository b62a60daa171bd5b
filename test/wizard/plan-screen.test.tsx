/** @jsxRuntime automatic */
// The plan screen fitted to the window: exact frames at 80x24 and 120x36, scrolling, skip reasons wrapped whole.
import assert from 'node:assert/strict';
import {afterEach, test} from 'node:test';
import {cleanup} from 'ink-testing-library';
import {PlanScreen, type PlanSummary} from '../../source/wizard/plan-screen.js';
import {keys, press} from '../support/keys.js';
import {fits, mountAt} from '../support/window.js';

afterEach(cleanup);

type Step = PlanSummary['steps'][number];
const run = (id: string, title: string, capabilities: string[] = [], minutes = 2, diskMb = 300): Step => ({id, title, action: 'run', reason: 'never run', capabilities, minutes, diskMb});
const skip = (id: string, title: string, reason: string, capabilities: string[] = []): Step => ({id, title, action: 'skip', reason, capabilities, state: 'unneeded'});

/** The plan of a first qemu-arm-virt setup: 27 steps, as the recipes make it. */
const fullPlan: PlanSummary = {
	steps: [
		run('host.apt', 'Install the host packages (apt, only the missing ones)', ['sudo', 'network']),
		run('sources.sync', 'Sync the sources (built-in git sync)', ['network']),
		skip('host.repo-launcher', 'Install the repo launcher (only for sync=repo)', 'not needed: sync is "builtin" (runs only for repo)', ['network']),
		skip('sources.sync-repo', 'Sync the sources with repo', 'not needed: sync is "builtin" (runs only for repo)', ['network']),
		{...skip('host.cross-compiler', 'Install the AArch64 cross compiler', 'up to date (status check holds)', ['sudo', 'network']), state: 'done'},
		run('host.python-deps', 'Install the Python dependencies (sel4-deps, camkes-deps)', ['network']),
		run('host.stack', 'Install Haskell stack (builds the capDL tool)', ['sudo', 'network']),
		run('build.check', 'Check that the app builds for the platform'),
		skip('buildroot.fetch', 'Download and unpack the pinned Buildroot release', 'not needed: guest_build is "upstream" (runs only for buildroot)', ['network']),
		skip('buildroot.configure', "Merge our fragments onto the platform's defconfig", 'not needed: guest_build is "upstream" (runs only for buildroot)'),
		skip('buildroot.build', 'Build the guest userland (long; downloads sources)', 'not needed: guest_build is "upstream" (runs only for buildroot)', ['long', 'network']),
		run('guest.images', "Locate upstream's guest kernel and rootfs in the synced tree"),
		run('payload.fetch', 'Fetch the pinned llama.cpp source', ['network']),
		run('payload.demo-model', 'Write the demo model (random weights)'),
		run('payload.check-model', 'Check the model against the guest RAM'),
		run('payload.build', 'Build the static inference program for the guest', ['long']),
		run('guest.rootfs', 'Add our guest files, the payload and the model to the initramfs'),
		run('guest.app', 'Check the memory layout and write the llm_vm app into the tree'),
		skip('guest.model-disk', 'Build the ext4 model disk (partition 1 of an MBR image)', 'not needed: model_layout is "initrd" (runs only for disk)'),
		skip('guest.app-sata', 'Check the memory layout and write llm_vm with the SATA disk', 'not needed: model_layout is "initrd" (runs only for disk)'),
		run('build.configure-arm', 'Configure for qemu-arm-virt (init-build.sh)'),
		run('build.ninja-arm', 'Build the qemu-arm-virt image (ninja)', ['long', 'network'], 25, 4000),
		skip('build.configure-x86-qemu', 'Configure for x86_64, to run under QEMU/KVM (init-build.sh)', 'not needed: platform is "qemu-arm-virt" (runs only for x86_64)'),
		skip('build.configure-x86-usb', 'Configure for x86_64, to boot a PC from USB (init-build.sh)', 'not needed: platform is "qemu-arm-virt" (runs only for x86_64)'),
		skip('build.ninja-x86', 'Build the x86_64 kernel and root task images (ninja)', 'not needed: platform is "qemu-arm-virt" (runs only for x86_64)', ['long']),
		run('boot.ask', 'Boot in QEMU and answer a first prompt', ['long']),
		skip('usb.image', 'Build the USB stick image and boot-test it in QEMU', 'not needed: target is "qemu" (runs only for usb)', ['sudo']),
	],
	freeDiskBytes: 76 * 2 ** 30,
};

const screen = () => <PlanScreen plan={fullPlan} onAccept={() => undefined} onBack={() => undefined} onQuit={() => undefined} />;

function assertFits(frame: string, columns: number, rows: number) {
	assert.equal(fits(frame, columns, rows), undefined);
}

test('the plan screen at 80x24 lost its title and first steps: it keeps both, and says how many more steps are below', async () => {
	const view = await mountAt(screen(), 80, 24);
	const frame = view.lastFrame()!;
	assert.equal(frame, PLAN_80);
	assertFits(frame, 80, 24);
	// Down brings in the steps below; the title and the totals stay.
	await press(view.stdin, keys.down);
	assert.equal(view.lastFrame(), PLAN_80_DOWN);
	assertFits(view.lastFrame()!, 80, 24);
	for (let index = 0; index < 30; index++) await press(view.stdin, keys.down);
	assert.match(view.lastFrame()!, /^The plan\n {2}… \d+ more steps above\n[\s\S]* {2}skip usb\.image/);
	assert.doesNotMatch(view.lastFrame()!, /more steps below/);
	for (let index = 0; index < 30; index++) await press(view.stdin, keys.up);
	assert.equal(view.lastFrame(), PLAN_80);
});

test('the plan screen at 120x36: skip reasons wrapped whole under the title column, never cut with "…"', async () => {
	const view = await mountAt(screen(), 120, 36);
	assert.equal(view.lastFrame(), PLAN_120);
	assertFits(view.lastFrame()!, 120, 36);
	assert.doesNotMatch(view.lastFrame()!.replace(/… \d+ more steps (above|below)/g, ''), /…/);
});

test('the plan screen fits again when the window is resized', async () => {
	const view = await mountAt(screen(), 120, 36);
	assert.match(view.lastFrame()!, /… 6 more steps below/);
	await view.resize(80, 24);
	assert.equal(view.lastFrame(), PLAN_80);
	// Tall enough for every step: no scroll key, no "more" lines.
	await view.resize(80, 80);
	assert.doesNotMatch(view.lastFrame()!, /more steps|scroll/);
	assert.match(view.lastFrame()!, /^The plan\n {2}run {2}host\.apt[\s\S]* {2}skip usb\.image[\s\S]*enter start/);
});

const PLAN_80 = [
	'The plan',
	'  run  host.apt                 Install the host packages (apt, only the missing',
	'                                ones) [sudo, network]',
	'  run  sources.sync             Sync the sources (built-in git sync) [network]',
	'  skip host.repo-launcher       Install the repo launcher (only for sync=repo)',
	'                                [network] · not needed: sync is "builtin" (runs',
	'                                only for repo)',
	'  skip sources.sync-repo        Sync the sources with repo [network] · not',
	'                                needed: sync is "builtin" (runs only for repo)',
	'  skip host.cross-compiler      Install the AArch64 cross compiler [sudo,',
	'                                network] · up to date (status check holds)',
	'  run  host.python-deps         Install the Python dependencies (sel4-deps,',
	'                                camkes-deps) [network]',
	'  run  host.stack               Install Haskell stack (builds the capDL tool)',
	'                                [sudo, network]',
	'  run  build.check              Check that the app builds for the platform',
	'  … 19 more steps below',
	'',
	'15 of 27 steps will run; they need: sudo, network, long.',
	'Estimate: about 53 min and 8.0 GiB of disk (76 GiB free).',
	'1 of 16 steps are done already.',
	'↑/↓ scroll  ·  enter start  ·  esc change choices  ·  q quit',
].join('\n');

const PLAN_80_DOWN = [
	'The plan',
	'  … 5 more steps above',
	'  run  host.python-deps         Install the Python dependencies (sel4-deps,',
	'                                camkes-deps) [network]',
	'  run  host.stack               Install Haskell stack (builds the capDL tool)',
	'                                [sudo, network]',
	'  run  build.check              Check that the app builds for the platform',
	'  skip buildroot.fetch          Download and unpack the pinned Buildroot release',
	'                                [network] · not needed: guest_build is',
	'                                "upstream" (runs only for buildroot)',
	'  skip buildroot.configure      Merge our fragments onto the platform\'s',
	'                                defconfig · not needed: guest_build is',
	'                                "upstream" (runs only for buildroot)',
	'  … 17 more steps below',
	'',
	'15 of 27 steps will run; they need: sudo, network, long.',
	'Estimate: about 53 min and 8.0 GiB of disk (76 GiB free).',
	'1 of 16 steps are done already.',
	'↑/↓ scroll  ·  enter start  ·  esc change choices  ·  q quit',
].join('\n');

const PLAN_120 = [
	'The plan',
	'  run  host.apt                 Install the host packages (apt, only the missing ones) [sudo, network]',
	'  run  sources.sync             Sync the sources (built-in git sync) [network]',
	'  skip host.repo-launcher       Install the repo launcher (only for sync=repo) [network] · not needed: sync is "builtin"',
	'                                (runs only for repo)',
	'  skip sources.sync-repo        Sync the sources with repo [network] · not needed: sync is "builtin" (runs only for',
	'                                repo)',
	'  skip host.cross-compiler      Install the AArch64 cross compiler [sudo, network] · up to date (status check holds)',
	'  run  host.python-deps         Install the Python dependencies (sel4-deps, camkes-deps) [network]',
	'  run  host.stack               Install Haskell stack (builds the capDL tool) [sudo, network]',
	'  run  build.check              Check that the app builds for the platform',
	'  skip buildroot.fetch          Download and unpack the pinned Buildroot release [network] · not needed: guest_build is',
	'                                "upstream" (runs only for buildroot)',
	'  skip buildroot.configure      Merge our fragments onto the platform\'s defconfig · not needed: guest_build is',
	'                                "upstream" (runs only for buildroot)',
	'  skip buildroot.build          Build the guest userland (long; downloads sources) [long, network] · not needed:',
	'                                guest_build is "upstream" (runs only for buildroot)',
	'  run  guest.images             Locate upstream\'s guest kernel and rootfs in the synced tree',
	'  run  payload.fetch            Fetch the pinned llama.cpp source [network]',
	'  run  payload.demo-model       Write the demo model (random weights)',
	'  run  payload.check-model      Check the model against the guest RAM',
	'  run  payload.build            Build the static inference program for the guest [long]',
	'  run  guest.rootfs             Add our guest files, the payload and the model to the initramfs',
	'  run  guest.app                Check the memory layout and write the llm_vm app into the tree',
	'  skip guest.model-disk         Build the ext4 model disk (partition 1 of an MBR image) · not needed: model_layout is',
	'                                "initrd" (runs only for disk)',
	'  skip guest.app-sata           Check the memory layout and write llm_vm with the SATA disk · not needed: model_layout',
	'                                is "initrd" (runs only for disk)',
	'  run  build.configure-arm      Configure for qemu-arm-virt (init-build.sh)',
	'  … 6 more steps below',
	'',
	'15 of 27 steps will run; they need: sudo, network, long.',
	'Estimate: about 53 min and 8.0 GiB of disk (76 GiB free).',
	'1 of 16 steps are done already.',
	'↑/↓ scroll  ·  enter start  ·  esc change choices  ·  q quit',
].join('\n');
