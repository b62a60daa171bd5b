import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {parseLsblk} from '../../source/flash/lsblk.js';
import {judge, mountpointHolding, onlyNonRemovable, reasons, type PolicyFacts} from '../../source/flash/policy.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'lsblk');
const load = (name: string) => parseLsblk(readFileSync(join(fixtures, name), 'utf8'), name);
const verdicts = (name: string, facts: PolicyFacts = {}) =>
	Object.fromEntries(
		judge(load(name), facts).map((verdict) => [
			verdict.disk.path,
			{
				offered: verdict.offered,
				refusals: verdict.refusals.map((each) => each.code),
				warnings: verdict.warnings.map((each) => each.code),
				mounted: verdict.mounted.map((each) => each.path),
			},
		]),
	);
const image = {imageSize: 80_000_000, imagePath: '/home/alex/sel4-llm/usb/stick.img', workspace: '/home/alex/sel4-llm'};

const table: Array<{fixture: string; facts: PolicyFacts; expect: Record<string, {offered: boolean; refusals: string[]; warnings: string[]; mounted: string[]}>}> = [
	{
		fixture: 'laptop-nvme-usb-stick.json',
		facts: image,
		expect: {
			'/dev/sda': {offered: true, refusals: [], warnings: [], mounted: []},
			'/dev/nvme0n1': {offered: false, refusals: ['system', 'swap', 'image', 'workspace', 'non-removable'], warnings: ['large'], mounted: []},
		},
	},
	{
		fixture: 'desktop-sata-sd-reader.json',
		facts: {...image, imagePath: '/srv/data/images/stick.img', workspace: '/srv/data/sel4-llm'},
		expect: {
			'/dev/sda': {offered: false, refusals: ['system', 'non-removable'], warnings: ['large'], mounted: []},
			'/dev/sdb': {offered: false, refusals: ['system', 'image', 'workspace', 'non-removable'], warnings: ['large'], mounted: []},
			'/dev/sdc': {offered: false, refusals: ['no-medium'], warnings: [], mounted: []},
			'/dev/sdd': {offered: true, refusals: [], warnings: [], mounted: []},
			'/dev/sr0': {offered: false, refusals: ['not-a-disk'], warnings: [], mounted: []},
		},
	},
	{
		fixture: 'usb-ssd-non-removable.json',
		facts: image,
		expect: {
			'/dev/sda': {offered: true, refusals: [], warnings: ['usb-non-removable', 'large'], mounted: []},
			'/dev/nvme0n1': {offered: false, refusals: ['system', 'swap', 'image', 'workspace', 'non-removable'], warnings: ['large'], mounted: []},
		},
	},
	{
		fixture: 'stick-mounted.json',
		facts: image,
		expect: {
			'/dev/sda': {offered: false, refusals: ['system', 'image', 'workspace', 'non-removable'], warnings: ['large'], mounted: []},
			'/dev/sdb': {offered: true, refusals: [], warnings: ['mounted'], mounted: ['/dev/sdb1', '/dev/sdb2']},
		},
	},
	{
		fixture: 'stick-mounted.json',
		facts: {...image, imagePath: '/media/alex/ESP/stick.img'},
		expect: {
			'/dev/sda': {offered: false, refusals: ['system', 'workspace', 'non-removable'], warnings: ['large'], mounted: []},
			'/dev/sdb': {offered: false, refusals: ['image'], warnings: [], mounted: []},
		},
	},
	{
		fixture: 'booted-from-usb.json',
		facts: {...image, imageSize: 20e9},
		expect: {
			'/dev/sda': {offered: false, refusals: ['system', 'image', 'workspace'], warnings: [], mounted: []},
			'/dev/sdb': {offered: true, refusals: [], warnings: [], mounted: []},
			'/dev/nvme0n1': {offered: false, refusals: ['non-removable'], warnings: ['large'], mounted: []},
		},
	},
	{
		fixture: 'booted-from-usb.json',
		facts: {...image, imageSize: 40e9, allowNonRemovable: true},
		expect: {
			'/dev/sda': {offered: false, refusals: ['system', 'image', 'workspace'], warnings: [], mounted: []},
			'/dev/sdb': {offered: false, refusals: ['too-small'], warnings: [], mounted: []},
			'/dev/nvme0n1': {offered: true, refusals: [], warnings: ['non-removable-allowed', 'large'], mounted: []},
		},
	},
	{
		fixture: 'vm-loop-zram.json',
		facts: {imageSize: 1_000_000, imagePath: '/tmp/x.img', workspace: '/root/sel4-llm'},
		expect: {
			'/dev/loop0': {offered: false, refusals: ['non-removable'], warnings: [], mounted: []},
			'/dev/zram0': {offered: false, refusals: ['virtual', 'no-medium', 'non-removable'], warnings: [], mounted: []},
			'/dev/vda': {offered: false, refusals: ['system', 'image', 'workspace', 'non-removable'], warnings: ['large'], mounted: []},
		},
	},
	{
		fixture: 'vm-loop-zram.json',
		facts: {imageSize: 1_000_000, imagePath: '/tmp/x.img', workspace: '/root/sel4-llm', allowNonRemovable: true},
		expect: {
			'/dev/loop0': {offered: true, refusals: [], warnings: ['non-removable-allowed'], mounted: []},
			'/dev/zram0': {offered: false, refusals: ['virtual', 'no-medium'], warnings: ['non-removable-allowed'], mounted: []},
			'/dev/vda': {offered: false, refusals: ['system', 'image', 'workspace'], warnings: ['non-removable-allowed', 'large'], mounted: []},
		},
	},
	{
		fixture: 'vm-loop-zram.json',
		facts: {imageSize: 100_000_000, allowNonRemovable: true, swapDevices: ['/dev/loop0']},
		expect: {
			'/dev/loop0': {offered: false, refusals: ['swap', 'too-small'], warnings: ['non-removable-allowed'], mounted: []},
			'/dev/zram0': {offered: false, refusals: ['virtual', 'no-medium'], warnings: ['non-removable-allowed'], mounted: []},
			'/dev/vda': {offered: false, refusals: ['system'], warnings: ['non-removable-allowed', 'large'], mounted: []},
		},
	},
];

for (const [index, row] of table.entries()) {
	test(`safety table ${index + 1}: ${row.fixture}`, () => {
		assert.deepEqual(verdicts(row.fixture, row.facts), row.expect);
	});
}

test('every fixture parses into disks with sizes, paths and mount points', () => {
	const stick = load('stick-mounted.json').find((disk) => disk.path === '/dev/sdb')!;
	assert.equal(stick.vendor, 'Kingston');
	assert.equal(stick.size, 15502147584);
	assert.equal(stick.removable, true);
	assert.deepEqual(stick.partitions.map((each) => each.mountpoints[0]), ['/media/alex/Ubuntu 22.04.3 LTS amd64', '/media/alex/ESP']);
	const ssd = load('usb-ssd-non-removable.json')[0]!;
	assert.equal(ssd.vendor, 'Samsung');
	assert.equal(ssd.removable, false);
	assert.equal(ssd.hotplug, true);
});

test('older lsblk output (strings for numbers and flags, one mountpoint) parses the same way', () => {
	const [disk] = parseLsblk(
		JSON.stringify({blockdevices: [{name: 'sdb', 'maj:min': '8:16', rm: '1', ro: '0', size: '15502147584', type: 'disk', mountpoint: null, children: [{name: 'sdb1', rm: '1', ro: '0', size: '1000', type: 'part', mountpoint: '/media/x'}]}]}),
	);
	assert.equal(disk!.path, '/dev/sdb');
	assert.equal(disk!.removable, true);
	assert.equal(disk!.size, 15502147584);
	assert.deepEqual(disk!.partitions[0]!.mountpoints, ['/media/x']);
});

test('bad lsblk documents are user errors naming the file', () => {
	assert.throws(() => parseLsblk('{', 'x.json'), /x\.json is not JSON/);
	assert.throws(() => parseLsblk('{"devices": []}', 'y.json'), /y\.json has no "blockdevices"/);
});

test('mountpointHolding picks the longest prefix and respects path boundaries', () => {
	assert.equal(mountpointHolding('/srv/data/x', ['/', '/srv', '/srv/data']), '/srv/data');
	assert.equal(mountpointHolding('/srv/database', ['/', '/srv/data']), '/');
	assert.equal(mountpointHolding('/x', ['[SWAP]']), undefined);
});

test('the disk whose filesystem holds the image or the workspace is refused by device number, mounted or not', () => {
	// The image's stat says its filesystem is 8:18 (sdb2), though the mount table shows it under another path.
	const facts: PolicyFacts = {imageSize: 1e6, imagePath: '/srv/images/stick.img', imageDevice: '8:18', workspace: '/srv/ws', workspaceDevice: '8:17'};
	const stick = judge(load('stick-mounted.json'), facts).find((verdict) => verdict.disk.path === '/dev/sdb')!;
	assert.equal(stick.offered, false);
	assert.deepEqual(
		stick.refusals.map((each) => each.message),
		['holds the image file (/srv/images/stick.img is on /dev/sdb2)', 'holds the workspace (/srv/ws is on /dev/sdb1)'],
	);
	const [loop] = parseLsblk(readFileSync(join(fixtures, 'vm-loop-zram.json'), 'utf8')).map((disk) => ({...disk, backingFile: '/srv/images/stick.img', backingId: '2049:77'}));
	const verdict = judge([loop!], {imageSize: 1e6, imagePath: '/srv/images/stick.img', imageId: '2049:77', allowNonRemovable: true})[0]!;
	assert.deepEqual(verdict.refusals, [{code: 'image', message: 'is the image itself: a loop device over /srv/images/stick.img'}]);
});

/** The stick-mounted document with the stick's first partition mounted at `mountpoint` (or its field removed). */
function stickMountedAt(mountpoint: string | undefined): string {
	const document = JSON.parse(readFileSync(join(fixtures, 'stick-mounted.json'), 'utf8')) as {blockdevices: Array<Record<string, unknown> & {children: Array<Record<string, unknown>>}>};
	const part = document.blockdevices.find((disk) => disk.name === 'sdb')!.children[0]!;
	if (mountpoint === undefined) {
		delete part.mountpoint;
		delete part.mountpoints;
	} else {
		part.mountpoint = mountpoint;
		part.mountpoints = [mountpoint];
	}
	return JSON.stringify(document);
}

test('a mount outside /media/<name> and /run/media/<name> makes a disk a system disk, named with the mount point', () => {
	const stick = (mountpoint: string | undefined) => judge(parseLsblk(stickMountedAt(mountpoint)), {imageSize: 1e6}).find((verdict) => verdict.disk.path === '/dev/sdb')!;
	for (const mountpoint of ['/mnt/usb', '/srv/stick', '/media', '/run/media', '/media/', '/media/../srv', '/opt/media/alex/x']) {
		const verdict = stick(mountpoint);
		assert.equal(verdict.offered, false, mountpoint);
		assert.deepEqual(
			verdict.refusals.map((each) => each.code),
			['system'],
			mountpoint,
		);
		assert.equal(verdict.refusals[0]!.message, `holds the running system (${mountpoint} on /dev/sdb1)`);
		assert.deepEqual(verdict.mounted, [], 'a system disk is never offered for unmounting');
	}
	for (const mountpoint of ['/media/alex/STICK', '/run/media/alex/STICK', '/media/STICK']) {
		const verdict = stick(mountpoint);
		assert.equal(verdict.offered, true, mountpoint);
		assert.deepEqual(verdict.mounted.map((each) => each.mountpoint), [mountpoint, '/media/alex/ESP']);
	}
});

test('a device without a mount point field is refused loudly: its mounts could not be read', () => {
	const verdict = judge(parseLsblk(stickMountedAt(undefined)), {imageSize: 1e6}).find((each) => each.disk.path === '/dev/sdb')!;
	assert.equal(verdict.offered, false);
	assert.deepEqual(verdict.refusals, [
		{code: 'mounts-unknown', message: 'has mounts that could not be read (lsblk gave no mount point for /dev/sdb1): it may hold the running system'},
	]);
	// A document without the column at all: every disk is refused.
	const bare = JSON.stringify({
		blockdevices: [
			{name: 'sdb', 'maj:min': '8:16', rm: true, ro: false, size: 15502147584, type: 'disk', tran: 'usb', hotplug: true, children: [{name: 'sdb1', 'maj:min': '8:17', rm: true, ro: false, size: 15501099008, type: 'part'}]},
			{name: 'sdc', 'maj:min': '8:32', rm: true, ro: false, size: 15502147584, type: 'disk', tran: 'usb', hotplug: true},
		],
	});
	const verdicts = judge(parseLsblk(bare), {imageSize: 1e6});
	assert.deepEqual(
		verdicts.map((each) => [each.disk.path, each.offered, each.refusals.map((refusal) => refusal.code)]),
		[
			['/dev/sdb', false, ['mounts-unknown']],
			['/dev/sdc', false, ['mounts-unknown']],
		],
	);
});

test('the system disk is never told that --allow-non-removable offers it: the suggestion follows the reason', () => {
	const listed = judge(load('laptop-nvme-usb-stick.json'), image);
	const system = listed.find((verdict) => verdict.disk.path === '/dev/nvme0n1')!;
	assert.ok(system.refusals.some((each) => each.code === 'system'));
	assert.equal(onlyNonRemovable(system), false);
	assert.doesNotMatch(reasons(system), /--allow-non-removable/);
	// zram is ruled out as a device in memory: the flag would not offer it either.
	const vm = judge(load('vm-loop-zram.json'), {imageSize: 1_000_000});
	for (const path of ['/dev/zram0', '/dev/vda']) assert.doesNotMatch(reasons(vm.find((verdict) => verdict.disk.path === path)!), /--allow-non-removable/, path);
	// An internal disk refused for nothing else is told how to offer it.
	const loop = vm.find((verdict) => verdict.disk.path === '/dev/loop0')!;
	assert.equal(onlyNonRemovable(loop), true);
	assert.match(reasons(loop), /it is not removable \(an internal disk\); --allow-non-removable offers it$/);
});
