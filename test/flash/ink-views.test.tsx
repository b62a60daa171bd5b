/** @jsxRuntime automatic */
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {afterEach, test} from 'node:test';
import {cleanup, render} from 'ink-testing-library';
import {formatSize, parseLsblk} from '../../source/flash/lsblk.js';
import {judge, type Verdict} from '../../source/flash/policy.js';
import {ConfirmDevice, typingStep} from '../../source/ui/flash/confirm-device.js';
import {splitKeys} from '../../source/ui/raw-keys.js';
import {DevicePicker} from '../../source/ui/flash/device-picker.js';
import {FlashProgress} from '../../source/ui/flash/flash-progress.js';

// A failed assertion must not leave a mounted view keeping the test process alive.
afterEach(cleanup);

const tick = () => new Promise((resolve) => setTimeout(resolve, 30));
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

test('the picker offers only allowed disks and shows the others with the reason', async () => {
	let picked: Verdict | undefined | 'none' = 'none';
	const view = render(<DevicePicker verdicts={verdicts} onPick={(verdict) => (picked = verdict)} />);
	const frame = view.lastFrame()!;
	assert.equal(
		frame,
		[
			'Choose the disk to write (↑/↓, Enter; q to cancel)',
			'❯ /dev/sdb 30.8 GB SanDisk Ultra (usb)',
			'  /dev/sda 64.2 GB Samsung Flash Drive FIT (usb)',
			'    not offered: it holds the running system (/boot/efi on /dev/sda1, / on /dev/sda2)',
			'  /dev/nvme0n1 256 GB WDC PC SN530 SDBPNPZ-256G-1014 (nvme)',
			'    not offered: it is not removable (an internal disk); --allow-non-removable offers it',
		].join('\n'),
	);
	await press(view.stdin, '\u001B[B', '\r');
	assert.notEqual(picked, 'none');
	assert.equal((picked as unknown as Verdict).disk.path, '/dev/sdb');
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

test('progress shows a row per phase with bytes, speed and ETA', () => {
	const view = render(
		<FlashProgress
			phases={{
				write: {phase: 'write', done: 100e6, total: 100e6, bytesPerSecond: 50e6, etaSeconds: 0, elapsedSeconds: 2},
				sync: {phase: 'sync', done: 1, total: 1, bytesPerSecond: 0, etaSeconds: 0, elapsedSeconds: 0.4},
				verify: {phase: 'verify', done: 25e6, total: 100e6, bytesPerSecond: 100e6, etaSeconds: 0.75, elapsedSeconds: 0.25},
			}}
		/>,
	);
	assert.equal(
		view.lastFrame(),
		[
			'write   ████████████████████████ 100% 100 MB / 100 MB  50.0 MB/s  ETA 0s',
			'sync    ████████████████████████ 100% done in 0s',
			'verify  ██████░░░░░░░░░░░░░░░░░░  25% 25.0 MB / 100 MB  100 MB/s  ETA 1s',
			'Ctrl-C stops (a partly written stick is unusable until flashed again)',
		].join('\n'),
	);
	view.unmount();
});

test('sizes are whole bytes below a kilobyte, and decimal units above', () => {
	assert.equal(formatSize(567.7656717519537), '568 B');
	assert.equal(formatSize(1500), '1.5 kB');
	assert.equal(formatSize(2_000_000_000), '2.0 GB');
	assert.equal(formatSize(275_000_000_000), '275 GB');
});
