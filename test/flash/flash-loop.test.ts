// flash against real loop devices and files: write, verify, boot the written device, and every failure path.
import assert from 'node:assert/strict';
import {execFileSync, spawn, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {identityDifferences, openConfirmedDisk, readDisk, type Identity} from '../../source/flash/device.js';
import {formatSize} from '../../source/flash/lsblk.js';
import {dropCache} from '../../source/flash/verifier.js';
import {cleanup, loopDevice, loopsUnavailable, runCli, runCliUntil, scratch, stickImage, type Loop} from './helpers.js';
import {jsonOutput} from '../support/cli.js';

/** Loop devices need root and a free device: without them these tests skip, saying which. */
const noLoops = loopsUnavailable();

const dir = scratch('flash');
let image = '';
let big = '';
const loops: Loop[] = [];
const fixture = (name: string) => join(import.meta.dirname, '..', 'fixtures', 'lsblk', name);

function loop(name: string, size: number): Loop {
	const device = loopDevice(join(dir, name), size);
	loops.push(device);
	return device;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function residentPages(path: string): number {
	return Number(execFileSync('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'PAGES', path], {encoding: 'utf8'}).trim());
}

before(() => {
	image = stickImage(dir);
	// A larger dense image for the interruption tests: 320 MiB of a non-zero pattern.
	big = join(dir, 'big.img');
	const block = Buffer.alloc(1 << 20);
	for (let index = 0; index < block.length; index++) block[index] = (index * 31 + 7) & 0xff;
	writeFileSync(big, Buffer.concat(Array.from({length: 320}, () => block)));
});

after(() => {
	for (const device of loops) device.detach();
	cleanup(dir);
});

test('writes the image to a loop device, verifies it, and the written device boots in QEMU to GRUB and the kernel', {skip: noLoops}, () => {
	const device = loop('stick.loop', 64 << 20);
	// The image's record names the CPU its kernel was configured for: the boot test of the written stick uses it.
	const record = JSON.parse(readFileSync(`${image}.json`, 'utf8'));
	record.provenance.configuration.qemuCpu = 'Nehalem,+lm';
	writeFileSync(`${image}.json`, JSON.stringify(record));
	const result = runCli(['flash', image, '--device', device.path, '--yes', '--allow-non-removable', '--test-boot', '--json']);
	assert.equal(result.status, 0, result.stderr);
	const report = jsonOutput(result.stdout).result;
	assert.equal(report.ok, true);
	assert.equal(report.verified, true);
	assert.equal(report.cacheDropped, true);
	assert.match(report.cacheDropMethod, /BLKFLSBUF/);
	assert.equal(report.image.size, statSync(image).size);
	assert.equal(report.image.sha256, sha256(image));
	assert.equal(report.image.builtBySel4llm, true);
	assert.equal(report.bootTest.grubMenu, true);
	assert.equal(report.bootTest.cpu, 'Nehalem,+lm');
	assert.ok(report.bootTest.kernelLines.includes('testkernel: booted by multiboot2'), report.bootTest.kernelLines.join('\n'));
	assert.ok(report.bootTest.kernelLines.some((line: string) => line.startsWith('testkernel: module capdl-loader-image-x86_64-pc99 size=200000')));
	assert.equal(spawnSync('cmp', ['-n', String(statSync(image).size), image, device.path]).status, 0);
	// The written stick has the image's partitions (the hybrid ISO's MBR): a partition is not a valid target.
	spawnSync('partx', ['-u', device.path]);
	const partition = `${device.path}p1`;
	const refused = runCli(['flash', image, '--device', partition, '--yes', '--allow-non-removable']);
	assert.equal(refused.status, 4, refused.stderr);
	assert.match(refused.stderr, new RegExp(`is a partition of ${device.path}: flash writes whole disks`));
});

test('the final screen comes once, after the progress: image, device, bytes, sha256, read-back and next step; the checklist only for an image usb-image built', {skip: noLoops}, () => {
	const device = loop('final.loop', 64 << 20);
	const size = statSync(image).size;
	const built = runCli(['flash', image, '--device', device.path, '--yes', '--allow-non-removable']);
	assert.equal(built.status, 0, built.stderr);
	const lines = built.stderr.trimEnd().split('\n');
	const headline = lines.findIndex((line) => line.startsWith('✓ '));
	assert.ok(headline > 0, built.stderr);
	// Every progress row comes before the final screen, and none after it.
	assert.equal(lines.slice(headline).filter((line) => /^(write|sync|verify) /.test(line)).length, 0, built.stderr);
	assert.equal(lines.filter((line) => /^verify .* 100%/.test(line)).length, 1, built.stderr);
	// The time it took is the one part that differs from run to run.
	assert.deepEqual(lines.slice(headline).map((line) => line.replace(/ written in \S+$/, ' written in T')), [
		`✓ ${device.path} was written and verified`,
		`  image     ${image} (built by sel4-llm usb-image)`,
		`  device    ${device.path} 67.1 MB loop device`,
		`  bytes     ${formatSize(size)} (${size} bytes) written in T`,
		`  sha256    ${sha256(image)}`,
		`  verified  read back from ${device.path} after dropping cached pages (blockdev --flushbufs (BLKFLSBUF)): every block matches the image`,
		'  next      remove the stick (everything is synced) and boot the PC from it; first read /sel4-llm/PC-CHECKLIST.txt on the stick (firmware settings, the serial console)',
	]);
	assert.doesNotMatch(built.stderr, /Enable Intel VT-x/, 'the checklist is referred to, not printed');
	const checked = runCli(['flash', image, '--device', device.path, '--yes', '--allow-non-removable', '--verify-only']);
	assert.equal(checked.status, 0, checked.stderr);
	assert.match(checked.stderr, new RegExp(`^✓ ${device.path} matches the image\\n  image     ${image} \\(built by sel4-llm usb-image\\)$`, 'm'));
	assert.match(checked.stderr, new RegExp(`^  bytes     ${formatSize(size).replace('.', '\\.')} \\(${size} bytes\\) compared, none written \\(--verify-only\\)$`, 'm'));
	assert.match(checked.stderr, /^  next      the stick holds the image: boot the PC from it; first read \/sel4-llm\/PC-CHECKLIST\.txt on the stick/m);
	// An image sel4-llm did not build: no record beside it, so no checklist is claimed to be on the stick.
	const foreign = join(dir, 'foreign.img');
	execFileSync('cp', [image, foreign]);
	const other = runCli(['flash', foreign, '--device', device.path, '--yes', '--allow-non-removable']);
	assert.equal(other.status, 0, other.stderr);
	assert.match(other.stderr, new RegExp(`^  image     ${foreign}$`, 'm'));
	assert.match(other.stderr, /^  next      remove the stick \(everything is synced\) and boot from it$/m);
	assert.doesNotMatch(other.stderr, /CHECKLIST/);
	// A record that names other bytes than the image's does not make it sel4-llm's either.
	const record = JSON.parse(readFileSync(`${image}.json`, 'utf8'));
	writeFileSync(`${foreign}.json`, JSON.stringify({...record, image: {...record.image, path: foreign, sha256: '0'.repeat(64)}}));
	const changed = runCli(['flash', foreign, '--device', device.path, '--yes', '--allow-non-removable']);
	assert.equal(changed.status, 0, changed.stderr);
	assert.match(changed.stderr, new RegExp(`^  sha256    ${sha256(foreign)} \\(not the one in its usb-image record: the image changed since\\)$`, 'm'));
	assert.doesNotMatch(changed.stderr, /CHECKLIST/);
});

test('refuses loop devices (non-removable here) without --allow-non-removable, and without a terminal asks for --device and --yes without suggesting a concrete device', {skip: noLoops}, () => {
	const device = loop('refuse.loop', 64 << 20);
	const refused = runCli(['flash', image, '--device', device.path, '--yes']);
	assert.equal(refused.status, 4);
	assert.match(refused.stderr, /refusing to write .*not removable/);
	const noDevice = runCli(['flash', image, '--allow-non-removable']);
	assert.equal(noDevice.status, 2);
	assert.match(noDevice.stderr, /without a terminal, flash needs --device and --yes/);
	// Never a ready-made command with a real disk: how to list them, and the command's form with a placeholder.
	assert.doesNotMatch(noDevice.stderr, new RegExp(`--device ${device.path}`));
	assert.doesNotMatch(noDevice.stderr, /--device \/dev\/(?!DISK)/);
	assert.match(noDevice.stderr, /hint: flash never picks a disk for you: list the drives \(and why each is offered or not\), then name one\n {2}next: sel4-llm flash --list\n/);
	assert.match(noDevice.stderr, /next: sel4-llm flash \S+ --device \/dev\/DISK --yes {3}\(DISK: a drive the list offers\)/);
	const noYes = runCli(['flash', image, '--device', device.path, '--allow-non-removable']);
	assert.equal(noYes.status, 2);
	assert.match(noYes.stderr, /needs --yes to confirm/);
	const small = loop('small.loop', 1 << 20);
	const tooSmall = runCli(['flash', image, '--device', small.path, '--yes', '--allow-non-removable']);
	assert.equal(tooSmall.status, 4);
	assert.match(tooSmall.stderr, /is smaller \(1\.0 MB\) than the image/);
});

test('--list --json and --lsblk-json: verdicts for a recorded laptop, and a dry run that never writes', () => {
	const listed = runCli(['flash', '--list', '--json', '--lsblk-json', fixture('laptop-nvme-usb-stick.json')]);
	assert.equal(listed.status, 0, listed.stderr);
	const disks = jsonOutput(listed.stdout).result.disks as Array<{path: string; offered: boolean; refusals: Array<{code: string}>}>;
	assert.deepEqual(disks.map((disk) => [disk.path, disk.offered]), [['/dev/sda', true], ['/dev/nvme0n1', false]]);
	assert.ok(disks[1]!.refusals.some((each) => each.code === 'system'));
	const dry = runCli(['flash', image, '--device', '/dev/sda', '--yes', '--lsblk-json', fixture('laptop-nvme-usb-stick.json')]);
	assert.equal(dry.status, 0, dry.stderr);
	assert.match(dry.stderr, /dry run \(--lsblk-json never writes\): \/dev\/sda 30\.8 GB SanDisk Ultra \(usb\) would be written/);
	const system = runCli(['flash', image, '--device', '/dev/nvme0n1', '--yes', '--lsblk-json', fixture('laptop-nvme-usb-stick.json')]);
	assert.equal(system.status, 4);
	assert.match(system.stderr, /holds the running system \(\/boot\/efi on \/dev\/nvme0n1p1, \/ on \/dev\/nvme0n1p2\)/);
	const mounted = runCli(['flash', image, '--device', '/dev/sdb', '--lsblk-json', fixture('stick-mounted.json')]);
	assert.equal(mounted.status, 0);
	assert.match(mounted.stderr, /has mounted filesystems \(\/dev\/sdb1 on \/media\/alex\/Ubuntu 22\.04\.3 LTS amd64, \/dev\/sdb2 on \/media\/alex\/ESP\)/);
	const plain = runCli(['flash', '--list', '--lsblk-json', fixture('desktop-sata-sd-reader.json')]);
	assert.match(plain.stdout, /not offered +\/dev\/sdc 0 B Generic- SD\/MMC \(usb\) {2}\(it has no medium/);
	// Under each disk, what is on it: partitions with filesystem, label and mount points.
	assert.match(plain.stdout, /^not offered +\/dev\/sdb 4\.0 TB .*\n {15}sdb1  4\.0 TB  ext4  "data"  \/srv\/data$/m);
	assert.match(plain.stdout, /^offered +\/dev\/sdd 15\.9 GB Generic- Micro SD\/M2 \(usb\)\n {15}sdd1  15\.9 GB  vfat  "NO NAME"  not mounted$/m);
	// Without an offered disk, the flag is named for the internal disk it would offer, never for the system disk.
	const vm = runCli(['flash', '--list', '--lsblk-json', fixture('vm-loop-zram.json')]);
	assert.match(vm.stdout, /\/dev\/vda .*\(it holds the running system \(\/ on \/dev\/vda\); .*; it is not removable \(an internal disk\)\)$/m);
	assert.match(vm.stderr, /^no disk is offered: plug in a USB stick or SD card \(\/dev\/loop0 is an internal disk: --allow-non-removable offers it\)$/m);
});

test('a sparse image to a new file: zero blocks are skipped, the file stays sparse and matches', () => {
	const sparseImage = join(dir, 'sparse.img');
	execFileSync('truncate', ['-s', String(64 << 20), sparseImage]);
	execFileSync('dd', [`if=${image}`, `of=${sparseImage}`, 'bs=1M', 'seek=40', 'conv=notrunc', 'status=none']);
	const target = join(dir, 'out', 'copy.img');
	mkdirSync(join(dir, 'out'));
	const result = runCli(['flash', sparseImage, '--device', target, '--json']);
	assert.equal(result.status, 0, result.stderr);
	const report = jsonOutput(result.stdout).result;
	assert.equal(report.kind, 'file');
	assert.ok(report.skipped >= 40 << 20, `skipped ${report.skipped}`);
	assert.ok(report.written < 24 << 20);
	assert.equal(spawnSync('cmp', [sparseImage, target]).status, 0);
	assert.equal(statSync(target).size, 64 << 20);
	assert.ok(statSync(target).blocks * 512 < 30 << 20, 'the target file is sparse');
	// Overwriting an existing file needs --overwrite, and without a terminal --yes as well.
	const again = runCli(['flash', sparseImage, '--device', target]);
	assert.equal(again.status, 4);
	assert.match(again.stderr, /exists: flash replaces an existing file only with --overwrite/);
	const unconfirmed = runCli(['flash', sparseImage, '--device', target, '--overwrite']);
	assert.equal(unconfirmed.status, 2);
	assert.match(unconfirmed.stderr, /exists: without a terminal, overwriting it needs --yes/);
});

test('the verify of a file target reads the medium: its cached pages are dropped first', async () => {
	const file = join(dir, 'cached.bin');
	writeFileSync(file, Buffer.alloc(8 << 20, 1));
	execFileSync('sync', [file]);
	assert.ok(residentPages(file) > 0);
	const fileDrop = await dropCache(file, 'file');
	assert.equal(fileDrop.ok, true);
	assert.equal(residentPages(file), 0);
});

test("a verify error names the byte where the stick differs, and the verify does not read the device's stale cache", {skip: noLoops}, () => {
	const device = loop('corrupt.loop', 64 << 20);
	// Keep the device open meanwhile, as desktop services do: otherwise its cache is dropped at the last close.
	const holder = spawn('sh', ['-c', `exec 3<${device.path}; exec sleep 120`], {stdio: 'ignore'});
	try {
		checkCorruption(device);
	} finally {
		holder.kill();
	}
});

function checkCorruption(device: Loop): void {
	const written = runCli(['flash', image, '--device', device.path, '--yes', '--allow-non-removable', '--no-verify']);
	assert.equal(written.status, 0, written.stderr);
	assert.match(written.stderr, /NOT verified \(--no-verify\)/);
	// Change one byte behind the device's back (in its backing file), as a failing stick would.
	const original = readFileSync(image).subarray(5_000_123, 5_000_124)[0]!;
	writeFileSync(join(dir, 'byte'), Buffer.from([original ^ 0xff]));
	execFileSync('dd', [`if=${join(dir, 'byte')}`, `of=${device.backing}`, 'bs=1', 'seek=5000123', 'conv=notrunc', 'status=none']);
	// A plain read of the device still sees the old byte from the device's page cache...
	const cached = execFileSync('dd', [`if=${device.path}`, 'bs=1', 'skip=5000123', 'count=1', 'status=none']);
	assert.equal(cached[0], original);
	// ...the verify drops that cache (BLKFLSBUF) and sees the medium.
	const verify = runCli(['flash', image, '--device', device.path, '--yes', '--allow-non-removable', '--verify-only']);
	assert.equal(verify.status, 1, verify.stderr);
	assert.match(verify.stderr, /differs from the image at byte 5000123 \(0x4c4bbb\)/);
}

test('permission denied explains sudo and prints the exact command', {skip: noLoops}, () => {
	execFileSync('chmod', ['755', dir]);
	const device = loop('eacces.loop', 64 << 20);
	const result = spawnSync(
		'setpriv',
		['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(import.meta.dirname, '..', '..', 'dist', 'cli.js'), 'flash', image, '--device', device.path, '--yes', '--allow-non-removable'],
		{encoding: 'utf8', env: {...process.env, CI: '1', HOME: dir}},
	);
	assert.equal(result.status, 4, result.stderr);
	assert.match(result.stderr, new RegExp(`permission denied: cannot open ${device.path} for writing`));
	assert.match(result.stderr, /writing a whole disk needs root/);
	assert.match(result.stderr, new RegExp(`next: sudo ${process.execPath} \\S+/dist/cli\\.js flash ${image} --device ${device.path} --yes --allow-non-removable`));
});

test('a device whose backing store fills up: the write error names the byte range', {skip: noLoops}, () => {
	const small = join(dir, 'small2');
	mkdirSync(small);
	execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', small]);
	const device = loop(join('small2', 'backing.loop'), 64 << 20);
	try {
		const result = runCli(['flash', image, '--device', device.path, '--yes', '--allow-non-removable']);
		assert.equal(result.status, 1, result.stderr);
		assert.match(result.stderr, /(sync|write) failed (in bytes \d+-\d+|at byte \d+)/);
		assert.match(result.stderr, /the stick is now unusable/);
	} finally {
		device.detach();
		spawnSync('umount', [small]);
	}
});

test('the device vanishing mid-write (its medium gone) is reported, and the stick called unusable', {skip: noLoops}, async () => {
	const device = loop('vanish.loop', 330 << 20);
	const result = await runCliUntil(['flash', big, '--device', device.path, '--yes', '--allow-non-removable'], /^write /m, () => {
		execFileSync('truncate', ['-s', '0', device.backing]);
		execFileSync('losetup', ['-c', device.path]);
	});
	assert.equal(result.status, 1, result.stderr);
	assert.match(result.stderr, new RegExp(`${device.path} vanished during the (write|sync)`));
	assert.match(result.stderr, /the stick is now unusable/);
});

test('Ctrl-C stops cleanly and says the stick is unusable', {skip: noLoops}, async () => {
	const device = loop('interrupt.loop', 330 << 20);
	const result = await runCliUntil(['flash', big, '--device', device.path, '--yes', '--allow-non-removable'], /^write /m, (child) => child.kill('SIGINT'));
	assert.equal(result.status, 130, result.stderr);
	assert.match(result.stderr, /stopped during write at byte \d+ of 335544320: the stick is now unusable \(partly written\): flash it again before use/);
});

test('the identity is checked again right before writing', {skip: noLoops}, async () => {
	const device = loop('identity.loop', 64 << 20);
	const disk = (await readDisk(device.path))!;
	assert.equal(disk.size, 64 << 20);
	await assert.rejects(openConfirmedDisk({...disk, size: disk.size + 512}, [], []), /is not the disk that was confirmed: size was 67109376, now 67108864/);
	await assert.rejects(openConfirmedDisk({...disk, serial: 'ABC123'}, [], []), /serial was "ABC123", now null/);
	const handle = await openConfirmedDisk(disk, [], []);
	await handle.close();
});

test('two loop devices of the same size swapped between the choice and the write are told apart by their backing files', {skip: loopsUnavailable()}, async () => {
	const first = loop('swap-a.loop', 64 << 20);
	const second = loop('swap-b.loop', 64 << 20);
	const confirmed = (await readDisk(first.path))!;
	assert.equal(confirmed.backingFile, first.backing);
	// Same path, size, model (none), serial (none) and device number after the swap: only the file behind differs.
	execFileSync('losetup', ['-d', first.path]);
	execFileSync('losetup', ['-d', second.path]);
	execFileSync('losetup', [first.path, second.backing]);
	execFileSync('losetup', [second.path, first.backing]);
	const now = (await readDisk(first.path))!;
	assert.deepEqual([now.size, now.model, now.serial, now.majMin], [confirmed.size, confirmed.model, confirmed.serial, confirmed.majMin]);
	await assert.rejects(
		openConfirmedDisk(confirmed, [], []),
		new RegExp(`${first.path} is not the disk that was confirmed: backing file was "${first.backing}", now "${second.backing}"`),
	);
	// Put back as chosen, the same device passes again.
	execFileSync('losetup', ['-d', first.path]);
	execFileSync('losetup', ['-d', second.path]);
	execFileSync('losetup', [first.path, first.backing]);
	execFileSync('losetup', [second.path, second.backing]);
	const handle = await openConfirmedDisk(confirmed, [], []);
	await handle.close();
});

test('the identity compares the device number and the loop backing file', () => {
	const base: Identity = {path: '/dev/loop3', size: 64 << 20, model: null, serial: null, majMin: '7:3', backingFile: '/srv/a.img', backingId: '2049:12'};
	assert.deepEqual(identityDifferences(base, {...base}), []);
	assert.deepEqual(identityDifferences(base, {...base, majMin: '7:4'}), ['device number was "7:3", now "7:4"']);
	assert.deepEqual(identityDifferences(base, {...base, backingFile: '/srv/b.img', backingId: '2049:13'}), ['backing file was "/srv/a.img", now "/srv/b.img"']);
	// The same path with another file behind it (replaced, or renamed over).
	assert.deepEqual(identityDifferences(base, {...base, backingId: '2049:99'}), ['backing file /srv/a.img was inode 2049:12, now 2049:99']);
});

test('mounted filesystems are unmounted only with consent, and a mounted disk cannot be opened for writing', {skip: noLoops}, async () => {
	const device = loop('mounted.loop', 64 << 20);
	execFileSync('mke2fs', ['-q', '-t', 'ext4', device.path]);
	// Mounted elsewhere than /media/<name> or /run/media/<name>: a system disk, never unmounted by flash.
	const elsewhere = join(dir, 'mnt');
	mkdirSync(elsewhere);
	execFileSync('mount', [device.path, elsewhere]);
	try {
		const system = runCli(['flash', image, '--device', device.path, '--yes', '--allow-non-removable', '--unmount']);
		assert.equal(system.status, 4, system.stderr);
		assert.match(system.stderr, new RegExp(`refusing to write ${device.path} .*it holds the running system \\(${elsewhere} on ${device.path}\\)`));
	} finally {
		spawnSync('umount', [elsewhere]);
	}
	// Where a desktop mounts a stick: offered, and unmounted with consent.
	const mountpoint = join('/media', `sel4-llm-test-${process.pid}`);
	mkdirSync(mountpoint, {recursive: true});
	execFileSync('mount', [device.path, mountpoint]);
	try {
		await assert.rejects(openConfirmedDisk((await readDisk(device.path))!, [], []), new RegExp(`${device.path} is busy: a partition is mounted`));
		const refused = runCli(['flash', image, '--device', device.path, '--yes', '--allow-non-removable']);
		assert.equal(refused.status, 4, refused.stderr);
		assert.match(refused.stderr, new RegExp(`${device.path} has mounted partitions: ${device.path} on ${mountpoint}`));
		assert.match(refused.stderr, /next: add --unmount/);
		const written = runCli(['flash', image, '--device', device.path, '--yes', '--allow-non-removable', '--unmount']);
		assert.equal(written.status, 0, written.stderr);
		assert.match(written.stderr, new RegExp(`unmounting ${device.path}`));
		assert.doesNotMatch(readFileSync('/proc/mounts', 'utf8'), new RegExp(` ${mountpoint} `));
	} finally {
		spawnSync('umount', [mountpoint]);
		// Never recursive: if the unmount failed, the folder still holds the filesystem.
		spawnSync('rmdir', [mountpoint]);
	}
});

test('--sparse on a disk writes only the data blocks, keeps the old contents elsewhere and verifies the written ones', {skip: noLoops}, () => {
	const device = loop('sparse-disk.loop', 16 << 20);
	writeFileSync(device.backing, Buffer.alloc(16 << 20, 0xff));
	const sparseImage = join(dir, 'sparse-small.img');
	const data = Buffer.alloc(12 << 20);
	data.fill(0x42, 1 << 20, 2 << 20);
	data.fill(0x43, 9 << 20, (9 << 20) + 100);
	writeFileSync(sparseImage, data);
	const result = runCli(['flash', sparseImage, '--device', device.path, '--yes', '--allow-non-removable', '--sparse', '--json']);
	assert.equal(result.status, 0, result.stderr);
	const report = jsonOutput(result.stdout).result;
	assert.equal(report.verified, true);
	assert.equal(report.written, (1 << 20) + (64 << 10));
	const after = readFileSync(device.backing);
	assert.equal(after[(1 << 20) + 5], 0x42);
	assert.equal(after[(9 << 20) + 99], 0x43);
	assert.equal(after[0], 0xff, 'a skipped block keeps its old contents');
	assert.equal(after[(12 << 20) + 1], 0xff, 'bytes after the image are untouched');
});
