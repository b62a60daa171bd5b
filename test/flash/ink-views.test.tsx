/** @jsxRuntime automatic */
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {afterEach, test} from 'node:test';
import {cleanup, render} from 'ink-testing-library';
import type {ReactElement} from 'react';
import {formatSize, parseLsblk} from '../../source/flash/lsblk.js';
import {judge, type Verdict} from '../../source/flash/policy.js';
import {ConfirmDevice, typingStep} from '../../source/ui/flash/confirm-device.js';
import {splitKeys} from '../../source/ui/raw-keys.js';
import {DevicePicker} from '../../source/ui/flash/device-picker.js';
import {FlashProgress} from '../../source/ui/flash/flash-progress.js';
import {FlashDone} from '../../source/ui/flash/flash-done.js';
import type {FlashSummary} from '../../source/flash/summary.js';

// A failed assertion must not leave a mounted view keeping the test process alive.
afterEach(cleanup);

const tick = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));
async function press(stdin: {write: (data: string) => void}, ...keys: string[]) {
	for (const key of keys) {
		stdin.write(key);
		await tick();
	}
}

const verdicts = judge(parseLsblk(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'lsblk', 'booted-from-usb.json'), 'utf8')), {
	imageSize: 80e6,
	allowNonRemovable: false,
});

/** Renders in a terminal of this size: the views read it from their stdout (useWindowSize) and follow a resize. */
async function renderAt(tree: ReactElement, columns: number, rows: number) {
	const view = render(tree);
	Object.defineProperty(view.stdout, 'columns', {get: () => columns});
	Object.defineProperty(view.stdout, 'rows', {get: () => rows});
	// The view listens for resizes once its effects ran: the resize comes after them.
	await tick();
	view.stdout.emit('resize');
	await tick();
	return view;
}

test('the picker at 80x24 shows each disk with its partitions, labels and mount points, and why the others are not offered', async () => {
	let picked: Verdict | undefined | 'none' = 'none';
	const view = await renderAt(<DevicePicker verdicts={verdicts} onPick={(verdict) => (picked = verdict)} />, 80, 24);
	assert.equal(
		view.lastFrame(),
		[
			'Choose the disk to write (↑/↓, Enter; q to cancel)',
			'❯ /dev/sdb 30.8 GB SanDisk Ultra (usb)',
			'      sdb1  30.8 GB  vfat  "STICK"  not mounted',
			'  /dev/sda 64.2 GB Samsung Flash Drive FIT (usb)',
			'    not offered: it holds the running system (/boot/efi on /dev/sda1, / on',
			'      /dev/sda2)',
			'      sda1   537 MB  vfat  no label  /boot/efi',
			'      sda2  63.6 GB  ext4  no label  /',
			'  /dev/nvme0n1 256 GB WDC PC SN530 SDBPNPZ-256G-1014 (nvme)',
			'    not offered: it is not removable (an internal disk); --allow-non-removable',
			'      offers it',
			'      nvme0n1p1  273 MB  vfat  "SYSTEM"  not mounted',
			'      nvme0n1p2  256 GB  ntfs  no label  not mounted',
		].join('\n'),
	);
	await press(view.stdin, '\u001B[B', '\r');
	assert.notEqual(picked, 'none');
	assert.equal((picked as unknown as Verdict).disk.path, '/dev/sdb');
	view.unmount();
});

test('the picker at 120x36: the same rows, wrapped at 120 columns', async () => {
	const mounted = judge(parseLsblk(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'lsblk', 'stick-mounted.json'), 'utf8')), {imageSize: 80e6});
	const view = await renderAt(<DevicePicker verdicts={mounted} onPick={() => {}} />, 120, 36);
	assert.equal(
		view.lastFrame(),
		[
			'Choose the disk to write (↑/↓, Enter; q to cancel)',
			'❯ /dev/sdb 15.5 GB Kingston DataTraveler 3.0 (usb)',
			'    note: it has mounted filesystems (/dev/sdb1 on /media/alex/Ubuntu 22.04.3 LTS amd64, /dev/sdb2 on /media/alex/ESP)',
			'      that must be unmounted first',
			'      sdb1  4.8 GB  iso9660  "Ubuntu 22.04.3 LTS amd64"  /media/alex/Ubuntu 22.04.3 LTS amd64',
			'      sdb2  5.1 MB  vfat     "ESP"  /media/alex/ESP',
			'  /dev/sda 1.0 TB ATA Samsung SSD 860 EVO 1TB (sata)',
			'    not offered: it holds the running system (/boot/efi on /dev/sda1, /boot on /dev/sda2, / on /dev/sda3); it is not',
			'      removable (an internal disk)',
			'      sda1  1.1 GB  vfat  no label  /boot/efi',
			'      sda2  2.1 GB  ext4  no label  /boot',
			'      sda3  997 GB  ext4  no label  /',
		].join('\n'),
	);
	view.unmount();
});

/** An lsblk document of `count` USB sticks, each with one labelled partition. */
function sticks(count: number): Verdict[] {
	const blockdevices = Array.from({length: count}, (_, index) => {
		const name = `sd${String.fromCharCode(97 + index)}`;
		return {
			name, path: `/dev/${name}`, type: 'disk', size: 16e9, rm: true, hotplug: true, ro: false, tran: 'usb', vendor: 'Acme', model: `Stick ${index + 1}`, serial: `S${index}`, 'maj:min': `8:${16 * index}`, mountpoints: [null],
			children: [{name: `${name}1`, path: `/dev/${name}1`, type: 'part', size: 16e9, fstype: 'vfat', label: `KEY${index + 1}`, mountpoints: [null], 'maj:min': `8:${16 * index + 1}`}],
		};
	});
	return judge(parseLsblk(JSON.stringify({blockdevices})), {imageSize: 80e6});
}

test('a list longer than the window is cut around the selected disk, at 80x24, and says how much is left out', async () => {
	const view = await renderAt(<DevicePicker verdicts={sticks(14)} onPick={() => {}} />, 80, 24);
	const frame = view.lastFrame()!;
	assert.ok(frame.split('\n').length <= 22, frame);
	assert.equal(
		frame,
		[
			'Choose the disk to write (↑/↓, Enter; q to cancel)',
			'❯ /dev/sda 16.0 GB Acme Stick 1 (usb)',
			'      sda1  16.0 GB  vfat  "KEY1"  not mounted',
			...Array.from({length: 9}, (_, index) => [`  /dev/sd${String.fromCharCode(98 + index)} 16.0 GB Acme Stick ${index + 2} (usb)`, `      sd${String.fromCharCode(98 + index)}1  16.0 GB  vfat  "KEY${index + 2}"  not mounted`]).flat(),
			'  … 8 more lines below',
		].join('\n'),
	);
	// Down eleven times, all in one chunk: the selection follows and the cut moves with it.
	view.stdin.write('\u001B[B'.repeat(11));
	await tick(60);
	const moved = view.lastFrame()!;
	assert.match(moved, /^ {2}… \d+ more lines above$/m);
	assert.match(moved, /^❯ \/dev\/sdl 16\.0 GB Acme Stick 12 \(usb\)$/m);
	view.unmount();
});

test('keys that arrive together in the picker are all applied: down, down and Enter in one chunk pick the third disk', async () => {
	const picked: Array<Verdict | undefined> = [];
	const view = await renderAt(<DevicePicker verdicts={sticks(4)} onPick={(verdict) => picked.push(verdict)} />, 80, 24);
	view.stdin.write('\u001B[B\u001B[B\r');
	await tick(60);
	assert.deepEqual(picked.map((verdict) => verdict?.disk.path), ['/dev/sdc']);
	view.unmount();
});

test('the confirmation needs the exact device path typed', async () => {
	const results: boolean[] = [];
	const verdict = verdicts.find((each) => each.disk.path === '/dev/sdb')!;
	const view = render(<ConfirmDevice verdict={verdict} imageSize={80e6} notes={['these will be unmounted first: /dev/sdb1 (/media/x)']} onDone={(ok) => results.push(ok)} />);
	assert.match(view.lastFrame()!, /About to ERASE \/dev\/sdb 30\.8 GB SanDisk Ultra \(usb\) and write 80\.0 MB\./);
	assert.match(view.lastFrame()!, /serial 4C530001140518118271/);
	assert.match(view.lastFrame()!, /these will be unmounted first: \/dev\/sdb1 \(\/media\/x\)/);
	await press(view.stdin, '/dev/sda', '\r');
	assert.deepEqual(results, []);
	assert.match(view.lastFrame()!, /That is not \/dev\/sdb\. Type it exactly, or press Esc\./);
	await press(view.stdin, '\u007F', 'b', '\r');
	assert.deepEqual(results, [true]);
	view.unmount();
});

/** A chunk of raw input applied key by key, as the confirmation applies it, up to Enter or Esc. */
function applyTyping(typed: string, chunk: string): {typed: string; submit: boolean; cancel: boolean} {
	let text = typed;
	for (const key of splitKeys(chunk)) {
		const step = typingStep(text, key);
		text = step.typed;
		if (step.submit || step.cancel) return {typed: text, submit: Boolean(step.submit), cancel: Boolean(step.cancel)};
	}
	return {typed: text, submit: false, cancel: false};
}

test('keys that arrive together are all applied: a burst of backspaces erases every character it holds', async () => {
	const results: boolean[] = [];
	const verdict = verdicts.find((each) => each.disk.path === '/dev/sdb')!;
	const view = render(<ConfirmDevice verdict={verdict} imageSize={80e6} notes={[]} onDone={(ok) => results.push(ok)} />);
	await press(view.stdin, '/dev/wrong');
	await press(view.stdin, '\u007F'.repeat(10));
	assert.match(view.lastFrame()!, /\(Esc cancels\): *$/m);
	await press(view.stdin, 'abc\u007F\u007F\u007F/dev/sdb\r');
	assert.deepEqual(results, [true]);
	view.unmount();
	assert.deepEqual(applyTyping('', '/dev/sdx\u007Fb'), {typed: '/dev/sdb', submit: false, cancel: false});
	assert.deepEqual(applyTyping('/dev', '\u001B[D\u001B[3~/sdb\rmore'), {typed: '/dev/sdb', submit: true, cancel: false});
	assert.deepEqual(applyTyping('/dev', '\u001B'), {typed: '/dev', submit: false, cancel: true});
	assert.deepEqual(applyTyping('/dev', 'x\u0003'), {typed: '/devx', submit: false, cancel: true});
});

test('Esc cancels the confirmation', async () => {
	const results: boolean[] = [];
	const view = render(<ConfirmDevice verdict={verdicts[1]!} imageSize={1} notes={[]} onDone={(ok) => results.push(ok)} />);
	await press(view.stdin, '\u001B');
	await tick();
	assert.deepEqual(results, [false]);
	view.unmount();
});

test('progress shows a row per phase with bytes, speed and ETA, at 80x24 and 120x36', async () => {
	for (const [columns, rows] of [[80, 24], [120, 36]] as const) {
		const view = await renderAt(
			<FlashProgress
				phases={{
					write: {phase: 'write', done: 100e6, total: 100e6, bytesPerSecond: 50e6, etaSeconds: 0, elapsedSeconds: 2},
					sync: {phase: 'sync', done: 1, total: 1, bytesPerSecond: 0, etaSeconds: 0, elapsedSeconds: 0.4},
					verify: {phase: 'verify', done: 25e6, total: 100e6, bytesPerSecond: 100e6, etaSeconds: 0.75, elapsedSeconds: 0.25},
				}}
			/>,
			columns,
			rows,
		);
		assert.equal(
			view.lastFrame(),
			[
				'write   ████████████████████████ 100% 100 MB / 100 MB  50.0 MB/s  ETA 0s',
				'sync    ████████████████████████ 100% done in 0s',
				'verify  ██████░░░░░░░░░░░░░░░░░░  25% 25.0 MB / 100 MB  100 MB/s  ETA 1s',
				'Ctrl-C stops (a partly written stick is unusable until flashed again)',
			].join('\n'),
			`${columns}x${rows}`,
		);
		view.unmount();
	}
});

test('sizes are whole bytes below a kilobyte, and decimal units above', () => {
	assert.equal(formatSize(567.7656717519537), '568 B');
	assert.equal(formatSize(1500), '1.5 kB');
	assert.equal(formatSize(2_000_000_000), '2.0 GB');
	assert.equal(formatSize(275_000_000_000), '275 GB');
});

const summary: FlashSummary = {
	imagePath: '/home/ada/sel4-llm/usb/sel4-llm-x86_64-llm_vm.img',
	imageSize: 20_475_904,
	target: '/dev/sdb 30.8 GB SanDisk Ultra (usb)',
	targetPath: '/dev/sdb',
	kind: 'block',
	verifyOnly: false,
	written: 20_475_904,
	skipped: 0,
	seconds: 3.2,
	sha256: 'a73f9b54fe986c7cc192ec8dd17fa4ab2dddfb9cc712e9fd41a68992bd22c862',
	builtBySel4llm: true,
	recordDiffers: false,
	verify: {drop: {ok: true, method: 'blockdev --flushbufs (BLKFLSBUF)'}},
	bootTest: undefined,
};

test('the final screen at 80x24: what was written where, bytes, sha256, the read-back and the next step', async () => {
	const view = await renderAt(<FlashDone summary={summary} colour={false} />, 80, 24);
	assert.equal(
		view.lastFrame(),
		[
			'',
			'✓ /dev/sdb was written and verified',
			'  image     /home/ada/sel4-llm/usb/sel4-llm-x86_64-llm_vm.img (built by sel4-llm',
			'            usb-image)',
			'  device    /dev/sdb 30.8 GB SanDisk Ultra (usb)',
			'  bytes     20.5 MB (20475904 bytes) written in 3s',
			'  sha256    a73f9b54fe986c7cc192ec8dd17fa4ab2dddfb9cc712e9fd41a68992bd22c862',
			'  verified  read back from /dev/sdb after dropping cached pages (blockdev',
			'            --flushbufs (BLKFLSBUF)): every block matches the image',
			'  next      remove the stick (everything is synced) and boot the PC from it;',
			'            first read /sel4-llm/PC-CHECKLIST.txt on the stick (firmware',
			'            settings, the serial console)',
		].join('\n'),
	);
	view.unmount();
});

test('the final screen at 120x36 for an image sel4-llm did not build, written to a file without a verify: no checklist, a warning', async () => {
	const foreign = {...summary, builtBySel4llm: false, verify: undefined, target: '/tmp/copy.img', targetPath: '/tmp/copy.img', kind: 'file' as const, skipped: 12e6};
	const view = await renderAt(<FlashDone summary={foreign} colour={false} />, 120, 36);
	assert.equal(
		view.lastFrame(),
		[
			'',
			'! /tmp/copy.img was written, NOT verified (--no-verify)',
			'  image     /home/ada/sel4-llm/usb/sel4-llm-x86_64-llm_vm.img',
			'  file      /tmp/copy.img',
			'  bytes     20.5 MB (20475904 bytes) written in 3s; 12.0 MB of zero blocks left as holes',
			'  sha256    a73f9b54fe986c7cc192ec8dd17fa4ab2dddfb9cc712e9fd41a68992bd22c862',
			'  verified  no (--no-verify): nothing was read back',
			'  next      check it with sel4-llm flash /home/ada/sel4-llm/usb/sel4-llm-x86_64-llm_vm.img --device /tmp/copy.img',
			'            --verify-only',
		].join('\n'),
	);
	// The stick of an image sel4-llm did not build is not said to carry the checklist.
	const stick = await renderAt(<FlashDone summary={{...summary, builtBySel4llm: false}} colour={false} />, 120, 36);
	assert.match(stick.lastFrame()!, /^ {2}next {6}remove the stick \(everything is synced\) and boot from it$/m);
	assert.doesNotMatch(stick.lastFrame()!, /CHECKLIST/);
	view.unmount();
	stick.unmount();
});

test('the confirmation at 80x24 and 120x36', async () => {
	const expected = [
		'About to ERASE /dev/sda 64.2 GB Samsung Flash Drive FIT (usb) and write 80.0 MB.',
		'serial 0374821050006789',
		'on it now (all of it is erased):',
		'  sda1   537 MB  vfat  no label  /boot/efi',
		'  sda2  63.6 GB  ext4  no label  /',
		'these will be unmounted first: /dev/sdb1 (/media/x)',
		'Type /dev/sda and press Enter to confirm (Esc cancels):',
	].join('\n');
	for (const [columns, rows] of [[80, 24], [120, 36]] as const) {
		const view = await renderAt(<ConfirmDevice verdict={verdicts[0]!} imageSize={80e6} notes={['these will be unmounted first: /dev/sdb1 (/media/x)']} onDone={() => {}} />, columns, rows);
		assert.equal(view.lastFrame(), expected, `${columns}x${rows}`);
		view.unmount();
	}
});
