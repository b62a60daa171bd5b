// Every shape an lsblk document comes in reaches the policy as the same disks: the tree (children), list mode
// (-l, a flat list tied together by PKNAME), full paths (-p, names like /dev/sda) and both at once; md, dm and MTD
// devices are refused with their reason.
import assert from 'node:assert/strict';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {parseLsblk} from '../../source/flash/lsblk.js';
import {judge} from '../../source/flash/policy.js';
import {cleanup, runCli, scratch} from './helpers.js';
import {jsonOutput} from '../support/cli.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'lsblk');
const fixture = (name: string) => join(fixtures, name);
const load = (name: string) => parseLsblk(readFileSync(fixture(name), 'utf8'), name);
const dir = scratch('lsblk-shapes');
after(() => cleanup(dir));

/** Each disk's verdict with --allow-non-removable: the removable rule out of the way, only the others decide. */
function verdicts(name: string, imageSize = 80e6) {
	return Object.fromEntries(
		judge(load(name), {imageSize, allowNonRemovable: true}).map((verdict) => [
			verdict.disk.path,
			{offered: verdict.offered, refusals: verdict.refusals.map((each) => each.code), mounted: verdict.mounted.map((each) => each.path)},
		]),
	);
}

test('list mode (lsblk -l): partitions, LUKS and LVM are tied to their disk by PKNAME; the OS disk is never offered', () => {
	assert.deepEqual(verdicts('list-mode-laptop-luks.json'), {
		'/dev/sda': {offered: true, refusals: [], mounted: []},
		'/dev/nvme0n1': {offered: false, refusals: ['system', 'swap'], mounted: []},
	});
	const laptop = load('list-mode-laptop-luks.json').find((disk) => disk.path === '/dev/nvme0n1')!;
	assert.deepEqual(
		laptop.partitions.map((each) => each.path),
		['/dev/nvme0n1p1', '/dev/nvme0n1p2', '/dev/nvme0n1p3', '/dev/mapper/nvme0n1p3_crypt', '/dev/mapper/vgubuntu-root', '/dev/mapper/vgubuntu-swap_1'],
	);
	const [verdict] = judge([laptop], {allowNonRemovable: true});
	assert.equal(verdict!.refusals[0]!.message, 'holds the running system (/boot/efi on /dev/nvme0n1p1, /boot on /dev/nvme0n1p2, / on /dev/mapper/vgubuntu-root)');
});

test('full paths (lsblk -p): names become kernel names, zram devices are virtual, a mounted stick is offered for unmounting', () => {
	assert.deepEqual(verdicts('full-paths-zram.json'), {
		'/dev/zram0': {offered: false, refusals: ['virtual', 'swap'], mounted: []},
		'/dev/zram1': {offered: false, refusals: ['virtual'], mounted: []},
		'/dev/sda': {offered: false, refusals: ['system'], mounted: []},
		'/dev/sdb': {offered: true, refusals: [], mounted: ['/dev/sdb1']},
	});
	const disks = load('full-paths-zram.json');
	assert.deepEqual(disks.map((disk) => disk.name), ['zram0', 'zram1', 'sda', 'sdb']);
	assert.deepEqual(disks[3]!.partitions.map((each) => [each.name, each.path]), [['sdb1', '/dev/sdb1']]);
});

test('list mode with full paths (lsblk -l -p): software RAID 1 over two disks makes both system disks', () => {
	assert.deepEqual(verdicts('list-full-paths-raid.json'), {
		'/dev/sda': {offered: false, refusals: ['system', 'swap'], mounted: []},
		'/dev/sdb': {offered: false, refusals: ['system', 'swap'], mounted: []},
		'/dev/sdc': {offered: true, refusals: [], mounted: []},
	});
	const [sda] = judge(load('list-full-paths-raid.json'), {allowNonRemovable: true});
	assert.deepEqual(sda!.refusals.map((each) => each.message), ['holds the running system (/ on /dev/md0)', 'holds active swap (/dev/md1)']);
});

test('MTD flash and device-mapper targets are refused with their reason, whatever TYPE says', () => {
	assert.deepEqual(verdicts('board-mtd-dm.json', 8e6), {
		'/dev/mtdblock0': {offered: false, refusals: ['not-a-disk'], mounted: []},
		'/dev/mtdblock1': {offered: false, refusals: ['not-a-disk'], mounted: []},
		'/dev/mapper/zero': {offered: false, refusals: ['virtual'], mounted: []},
		'/dev/mmcblk0': {offered: false, refusals: ['system'], mounted: []},
		'/dev/mmcblk1': {offered: true, refusals: [], mounted: []},
	});
	const messages = Object.fromEntries(judge(load('board-mtd-dm.json'), {allowNonRemovable: true}).map((verdict) => [verdict.disk.path, verdict.refusals[0]?.message]));
	assert.equal(messages['/dev/mtdblock0'], 'is raw flash memory (MTD) of the board, not a disk');
	assert.equal(messages['/dev/mapper/zero'], 'is a device-mapper (dm) device, built on other devices, not a stick');
	// md arrays and mappings listed on their own (lsblk given their names) are refused the same way.
	const alone = parseLsblk(
		JSON.stringify({
			blockdevices: [
				{name: 'md127', kname: 'md127', 'maj:min': '9:127', rm: false, ro: false, size: 4e9, type: 'raid1', pkname: null, mountpoints: [null]},
				{name: 'md126', kname: 'md126', 'maj:min': '9:126', rm: false, ro: false, size: 4e9, type: 'disk', mountpoints: [null]},
				{name: '/dev/mapper/luks-1', kname: '/dev/dm-3', 'maj:min': '252:3', rm: false, ro: false, size: 4e9, type: 'crypt', mountpoints: [null]},
				{name: 'vg-data', kname: 'dm-4', 'maj:min': '252:4', rm: false, ro: false, size: 4e9, type: 'lvm', mountpoints: [null]},
				{name: 'mtd0', kname: 'mtd0', 'maj:min': '90:0', rm: false, ro: false, size: 4e6, type: 'mtd', mountpoints: [null]},
			],
		}),
	);
	assert.deepEqual(
		judge(alone, {allowNonRemovable: true}).map((verdict) => [verdict.disk.path, verdict.refusals.map((each) => `${each.code}: ${each.message}`)]),
		[
			['/dev/md127', ['virtual: is a software RAID (md) device, built on other disks, not a stick']],
			['/dev/md126', ['virtual: is a software RAID (md) device, built on other disks, not a stick']],
			['/dev/mapper/luks-1', ['virtual: is a device-mapper (crypt) device, built on other devices, not a stick']],
			['/dev/vg-data', ['virtual: is a device-mapper (lvm) device, built on other devices, not a stick']],
			['/dev/mtd0', ['not-a-disk: is raw flash memory (MTD) of the board, not a disk']],
		],
	);
});

test('a list without PKNAME cannot tie partitions to disks: the document is refused', () => {
	const flat = JSON.stringify({
		blockdevices: [
			{name: 'sda', type: 'disk', size: 5e11, rm: false, mountpoints: [null]},
			{name: 'sda1', type: 'part', size: 5e11, rm: false, mountpoints: ['/']},
			{name: 'sdb', type: 'disk', size: 3e10, rm: true, tran: 'usb', mountpoints: [null]},
		],
	});
	assert.throws(() => parseLsblk(flat, 'flat.json'), /flat\.json lists partitions or mappings without their disk \(sda1\): it has no PKNAME field/);
});

test('the CLI over list mode with --allow-non-removable: the OS disk is not offered, and writing it is refused', () => {
	const image = join(dir, 'small.img');
	writeFileSync(image, Buffer.alloc(1 << 20, 7));
	const listed = runCli(['flash', '--list', '--json', '--allow-non-removable', '--lsblk-json', fixture('list-mode-laptop-luks.json')]);
	assert.equal(listed.status, 0, listed.stderr);
	const disks = jsonOutput(listed.stdout).result.disks as Array<{path: string; offered: boolean}>;
	assert.deepEqual(disks.map((disk) => [disk.path, disk.offered]), [['/dev/sda', true], ['/dev/nvme0n1', false]]);
	const refused = runCli(['flash', image, '--device', '/dev/nvme0n1', '--yes', '--allow-non-removable', '--lsblk-json', fixture('list-mode-laptop-luks.json')]);
	assert.equal(refused.status, 4, refused.stderr);
	assert.match(refused.stderr, /refusing to write \/dev\/nvme0n1 .*holds the running system \(\/boot\/efi on \/dev\/nvme0n1p1, \/boot on \/dev\/nvme0n1p2, \/ on \/dev\/mapper\/vgubuntu-root\)/);
	const partition = runCli(['flash', image, '--device', '/dev/nvme0n1p2', '--yes', '--allow-non-removable', '--lsblk-json', fixture('list-mode-laptop-luks.json')]);
	assert.equal(partition.status, 4);
	assert.match(partition.stderr, /\/dev\/nvme0n1p2 is a partition of \/dev\/nvme0n1: flash writes whole disks/);
	const dry = runCli(['flash', image, '--device', '/dev/sdb', '--yes', '--lsblk-json', fixture('full-paths-zram.json')]);
	assert.equal(dry.status, 0, dry.stderr);
	assert.match(dry.stderr, /dry run \(--lsblk-json never writes\): \/dev\/sdb 15\.5 GB Kingston DataTraveler 3\.0 \(usb\) would be written/);
});
