import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {UserError} from '../../source/errors.js';
import {appendToCpio, listCpio, writeCpio} from '../../source/images/cpio.js';
import type {CpioEntry} from '../../source/images/cpio-newc.js';
import {entriesFromTree, finalTree, mergeOverlay} from '../../source/images/cpio-overlay.js';
import {buildRootfs} from '../../source/guest/rootfs.js';
import {tempDir, writeGguf} from './helpers.js';

const dir = (path: string, mode = 0o755): CpioEntry => ({path, type: 'dir', mode, uid: 0, gid: 0, mtime: 0, size: 0});
const file = (path: string, text: string, mode = 0o644): CpioEntry => ({path, type: 'file', mode, uid: 0, gid: 0, mtime: 0, size: Buffer.byteLength(text), data: Buffer.from(text)});
const link = (path: string, target: string): CpioEntry => ({path, type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 0, size: target.length, target});

/** A small Buildroot-like base rootfs. */
async function baseRootfs(path: string, gzip: boolean): Promise<void> {
	await writeCpio(
		path,
		[dir('bin'), file('bin/busybox', 'busybox', 0o4755), link('bin/sh', 'busybox'), dir('etc'), dir('etc/init.d'), file('etc/init.d/rcS', '#!/bin/sh\n', 0o755), file('etc/inittab', '::sysinit:/etc/init.d/rcS\n'), dir('lib'), file('lib/libc.so.6', 'libc'), link('lib64', 'lib'), file('init', '#!/bin/sh\n', 0o755), dir('usr'), dir('usr/bin'), file('etc/motd', 'hello\n')],
		{gzip},
	);
}

test('a written archive is read back by GNU cpio with the same names and modes', async () => {
	const work = tempDir('cpio');
	const archive = join(work, 'a.cpio');
	await baseRootfs(archive, false);
	const listing = execFileSync('cpio', ['-itv', '--quiet'], {input: readFileSync(archive)}).toString();
	assert.match(listing, /^-rwsr-xr-x .* bin\/busybox$/m);
	assert.match(listing, /^lrwxrwxrwx .* bin\/sh -> busybox$/m);
	assert.match(listing, /^drwxr-xr-x .* etc\/init.d$/m);
	const ours = await listCpio(archive);
	assert.equal(ours.find((entry) => entry.path === 'bin/busybox')?.mode, 0o4755);
	assert.equal(readFileSync(archive).length % 512, 0);
});

test('owners and times are read back from each entry\'s own header', async () => {
	const work = tempDir('cpio');
	const archive = join(work, 'owners.cpio');
	const owned = (path: string, uid: number, gid: number, mtime: number): CpioEntry => ({...file(path, path), uid, gid, mtime});
	await writeCpio(archive, [owned('a', 1000, 100, 1_700_000_000), owned('b', 0, 0, 0), owned('c', 7, 8, 9)]);
	const entries = await listCpio(archive);
	assert.deepEqual(
		entries.map(({path, uid, gid, mtime}) => ({path, uid, gid, mtime})),
		[
			{path: 'a', uid: 1000, gid: 100, mtime: 1_700_000_000},
			{path: 'b', uid: 0, gid: 0, mtime: 0},
			{path: 'c', uid: 7, gid: 8, mtime: 9},
		],
	);
});

test('a character device is written with its device number and read back as one', async () => {
	const work = tempDir('cpio');
	const archive = join(work, 'dev.cpio');
	await writeCpio(archive, [dir('dev'), {path: 'dev/console', type: 'char', mode: 0o600, uid: 0, gid: 0, mtime: 0, size: 0, rdev: {major: 5, minor: 1}}]);
	const listing = execFileSync('cpio', ['-itv', '--quiet'], {input: readFileSync(archive)}).toString();
	assert.match(listing, /^crw------- .* 5,\s+1 .* dev\/console$/m);
	const console = (await listCpio(archive)).find((entry) => entry.path === 'dev/console');
	assert.equal(console?.type, 'char');
	assert.deepEqual(console?.rdev, {major: 5, minor: 1});
});

for (const gzip of [true, false]) {
	test(`overlay appended to a ${gzip ? 'gzip' : 'raw'} initramfs is listed back with its modes, base untouched`, async () => {
		const work = tempDir('cpio');
		const base = join(work, gzip ? 'rootfs.cpio.gz' : 'rootfs.cpio');
		await baseRootfs(base, gzip);
		const before = readFileSync(base);
		const overlay = join(work, 'overlay');
		mkdirSync(join(overlay, 'etc', 'init.d'), {recursive: true});
		mkdirSync(join(overlay, 'usr', 'bin'), {recursive: true});
		writeFileSync(join(overlay, 'etc', 'init.d', 'S90sel4llm'), '#!/bin/sh\necho SEL4LLM-READY\n');
		chmodSync(join(overlay, 'etc', 'init.d', 'S90sel4llm'), 0o750);
		writeFileSync(join(overlay, 'usr', 'bin', 'llm-ask'), '#!/bin/sh\n');
		chmodSync(join(overlay, 'usr', 'bin', 'llm-ask'), 0o755);
		writeFileSync(join(overlay, 'etc', 'motd'), 'seL4 LLM guest\n');
		chmodSync(join(overlay, 'etc', 'motd'), 0o600);
		const model = join(work, 'tiny.gguf');
		writeGguf(model, 10_001);
		const output = join(work, gzip ? 'out.cpio.gz' : 'out.cpio');
		const result = await buildRootfs({base, output, overlays: [overlay], model});
		assert.deepEqual(readFileSync(base), before);
		assert.deepEqual(result.replaced, ['etc/motd']);
		const tree = finalTree(await listCpio(output));
		assert.equal(tree.get('etc/init.d/S90sel4llm')?.mode, 0o750);
		assert.equal(tree.get('etc/init.d/S90sel4llm')?.uid, 0);
		assert.equal(tree.get('usr/bin/llm-ask')?.mode, 0o755);
		assert.equal(tree.get('etc/motd')?.mode, 0o600);
		assert.equal(tree.get('models/tiny.gguf')?.size, 10_025);
		assert.equal(tree.get('models/tiny.gguf')?.mode, 0o644);
		// Base files survive; directories the base has are not re-created (that would reset their modes).
		assert.equal(tree.get('bin/busybox')?.mode, 0o4755);
		const entries = await listCpio(output);
		assert.equal(entries.filter((entry) => entry.path === 'etc/init.d').length, 1);
		assert.equal(entries.filter((entry) => entry.path === 'models').length, 1);
		// The appended part starts on a 4-byte boundary right after the base.
		const bytes = readFileSync(output);
		assert.deepEqual(bytes.subarray(0, before.length), before);
	});
}

test('overlays that would break the guest are refused before anything is written', async () => {
	const work = tempDir('cpio');
	const base = join(work, 'rootfs.cpio.gz');
	await baseRootfs(base, true);
	const baseEntries = await listCpio(base);
	const refuse = (overlay: CpioEntry[], pattern: RegExp): void => {
		assert.throws(() => mergeOverlay(baseEntries, overlay), (error: unknown) => error instanceof UserError && pattern.test(error.message) && /etc\/init.d\/S<NN>/.test(error.hint ?? ''));
	};
	refuse([file('init', 'x')], /init: the guest needs the base's version/);
	refuse([file('etc/inittab', 'x')], /etc\/inittab/);
	refuse([file('bin/busybox', 'x')], /bin\/busybox/);
	refuse([file('lib/libc.so.6', 'x')], /lib\/libc.so.6/);
	refuse([dir('etc/motd')], /etc\/motd: the base has a file there, the overlay a dir/);
	refuse([file('lib64/libfoo.so', 'x')], /lib64 -> lib \(a symlink\)/);
	const overlay = join(work, 'bad');
	mkdirSync(join(overlay, 'sbin'), {recursive: true});
	writeFileSync(join(overlay, 'init'), 'evil');
	await assert.rejects(buildRootfs({base, output: join(work, 'out.gz'), overlays: [overlay]}), /would break the guest/);
	await assert.rejects(buildRootfs({base, output: join(work, 'out.gz'), model: join(work, 'missing.gguf')}), /missing\.gguf: no such file/);
	writeFileSync(join(work, 'notgguf.bin'), Buffer.alloc(100, 1));
	await assert.rejects(buildRootfs({base, output: join(work, 'out.gz'), model: join(work, 'notgguf.bin')}), /not a GGUF file/);
	assert.throws(() => readFileSync(join(work, 'out.gz')), /ENOENT/);
});

test('symlinks and nested directories in an overlay tree keep their targets and modes', async () => {
	const work = tempDir('cpio');
	const overlay = join(work, 'tree');
	mkdirSync(join(overlay, 'opt', 'llm'), {recursive: true});
	chmodSync(join(overlay, 'opt', 'llm'), 0o700);
	symlinkSync('/opt/llm/run', join(overlay, 'opt', 'run'));
	const entries = await entriesFromTree(overlay);
	assert.deepEqual(
		entries.map((entry) => [entry.path, entry.type, entry.mode.toString(8), entry.target ?? '']),
		[
			['opt', 'dir', '755', ''],
			['opt/llm', 'dir', '700', ''],
			['opt/run', 'symlink', '777', '/opt/llm/run'],
		],
	);
	const base = join(work, 'base.cpio');
	await writeCpio(base, [dir('etc')]);
	const out = join(work, 'out.cpio');
	await appendToCpio({base, output: out, entries, compress: 'none'});
	assert.equal(finalTree(await listCpio(out)).get('opt/run')?.target, '/opt/llm/run');
});

test('with several overlays the later one wins for the same file', async () => {
	const work = tempDir('cpio');
	const base = join(work, 'base.cpio');
	await baseRootfs(base, false);
	const first = join(work, 'first');
	const second = join(work, 'second');
	for (const dir of [first, second]) mkdirSync(join(dir, 'usr', 'bin'), {recursive: true});
	writeFileSync(join(first, 'usr', 'bin', 'llm-ask'), 'first\n');
	writeFileSync(join(second, 'usr', 'bin', 'llm-ask'), 'second!\n');
	const output = join(work, 'out.cpio');
	await buildRootfs({base, output, overlays: [first, second]});
	const entries = (await listCpio(output)).filter((entry) => entry.path === 'usr/bin/llm-ask');
	assert.deepEqual(entries.map((entry) => entry.size), [8]);
});

test('sel4-llm rootfs --add places one host file at a guest path with its mode; bad specs are usage errors', async () => {
	const work = tempDir('cpio');
	const base = join(work, 'base.cpio');
	await baseRootfs(base, false);
	writeFileSync(join(work, 'prog'), '#!/bin/sh\n');
	chmodSync(join(work, 'prog'), 0o750);
	const out = join(work, 'out.cpio');
	const ok = spawnSync(process.execPath, ['dist/cli.js', 'rootfs', '--base', base, '--add', `${join(work, 'prog')}=usr/bin/sel4llm-infer`, '-o', out, '--json'], {encoding: 'utf8'});
	assert.equal(ok.status, 0, ok.stderr);
	assert.equal(finalTree(await listCpio(out)).get('usr/bin/sel4llm-infer')?.mode, 0o750);
	const bad = spawnSync(process.execPath, ['dist/cli.js', 'rootfs', '--base', base, '--add', 'no-equals-sign', '-o', out], {encoding: 'utf8'});
	assert.equal(bad.status, 2);
	assert.match(bad.stderr, /expected HOST=GUEST/);
	const evil = spawnSync(process.execPath, ['dist/cli.js', 'rootfs', '--base', base, '--add', `${join(work, 'prog')}=../etc/x`, '-o', out], {encoding: 'utf8'});
	assert.equal(evil.status, 3);
	assert.match(evil.stderr, /not a valid path inside the guest/);
});
