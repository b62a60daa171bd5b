import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {gunzipSync} from 'node:zlib';
import {buildInitramfs, initramfsBytes, moduleLoadOrder, readModuleIndex} from '../support/initramfs.js';
import {debianBusybox, debianKernel} from '../support/debian-kernel.js';
import {fixtureUnavailable} from '../support/cache.js';

const work = mkdtempSync(join(tmpdir(), 'initramfs-'));

function list(archive: string): string[] {
	return execFileSync('sh', ['-c', 'gzip -dc "$1" | cpio -t --quiet', 'sh', archive], {encoding: 'utf8'}).trim().split('\n');
}

describe('buildInitramfs', {skip: fixtureUnavailable('busybox-amd64')}, () => {
	it('writes a deterministic gzip cpio (newc) that cpio reads, with overlays and files', async () => {
		const busybox = await debianBusybox('amd64');
		const overlay = join(work, 'overlay');
		mkdirSync(join(overlay, 'etc', 'init.d'), {recursive: true});
		writeFileSync(join(overlay, 'etc', 'init.d', 'S40model'), '#!/bin/sh\necho model\n', {mode: 0o755});
		symlinkSync('S40model', join(overlay, 'etc', 'init.d', 'S41link'));
		const options = {
			arch: 'amd64' as const,
			busybox,
			overlays: [overlay],
			files: [{path: '/etc/motd', content: 'hello\n'}],
		};
		const first = join(work, 'a.cpio.gz');
		const second = join(work, 'b.cpio.gz');
		await buildInitramfs({...options, out: first});
		await new Promise((resolve) => setTimeout(resolve, 1100)); // a different second must not change the bytes
		await buildInitramfs({...options, out: second});
		assert.deepEqual(readFileSync(first), readFileSync(second));
		const names = list(first);
		for (const name of ['init', 'bin/busybox', 'bin/sh', 'dev/console', 'etc/init.d/S40model', 'etc/init.d/S41link', 'etc/motd']) {
			assert.ok(names.includes(name), `${name} missing from ${names.join(' ')}`);
		}
		const verbose = execFileSync('sh', ['-c', 'gzip -dc "$1" | cpio -tv --quiet', 'sh', first], {encoding: 'utf8'});
		assert.match(verbose, /^-rwxr-xr-x .* root\s+root .* init$/m);
		assert.match(verbose, /^crw------- .* dev\/console$/m);
		assert.match(verbose, /^lrwxrwxrwx .* etc\/init\.d\/S41link -> S40model$/m);
		const init = gunzipSync(readFileSync(first)).toString('latin1');
		assert.match(init, /for script in \/etc\/init\.d\/S\?\?\*; do/);
		assert.match(init, /"\$script" start/);
	});

	it('puts the console shell on the named device', () => {
		const bytes = initramfsBytes({out: '', arch: 'arm64', busybox: '/bin/busybox', console: 'hvc0', gzip: false});
		assert.match(bytes.toString('latin1'), /exec sh -i <\/dev\/hvc0 >\/dev\/hvc0/);
	});

	it('rejects a file with both source and content', () => {
		assert.throws(
			() => initramfsBytes({out: '', arch: 'amd64', busybox: '/bin/busybox', files: [{path: 'x', content: 'a', source: '/bin/sh'}]}),
			/exactly one of "source" or "content"/,
		);
	});
});

describe('kernel modules', {skip: fixtureUnavailable('kernel-amd64')}, () => {
	it('orders the ext4 and virtio modules of the Debian kernel dependencies first, crc32c included', async () => {
		const kernel = await debianKernel('amd64');
		const index = readModuleIndex(kernel.modulesDir, kernel.version);
		const order = moduleLoadOrder(index, ['virtio_blk', 'ext4']).map((path) => path.split('/').pop()!.replace(/\.ko.*$/, ''));
		for (const name of ['virtio_blk', 'ext4', 'jbd2', 'mbcache', 'crc16', 'crc32c_generic', 'virtio', 'virtio_ring']) {
			assert.ok(order.includes(name), `${name} not in ${order.join(' ')}`);
		}
		const before = (a: string, b: string) => assert.ok(order.indexOf(a) < order.indexOf(b), `${a} must load before ${b}: ${order.join(' ')}`);
		before('crc32c_generic', 'ext4');
		before('jbd2', 'ext4');
		before('mbcache', 'ext4');
		before('crc16', 'ext4');
		before('virtio_ring', 'virtio_blk');
		before('virtio', 'virtio_blk');
		assert.throws(() => moduleLoadOrder(index, ['no_such_module']), /"no_such_module" is not in modules.dep/);
	});

	it('reads modules.dep from a synthetic tree and skips built-ins', () => {
		const dir = join(work, 'mods', 'lib', 'modules', '9.9.9');
		mkdirSync(dir, {recursive: true});
		writeFileSync(join(dir, 'modules.dep'), 'kernel/c.ko: kernel/b.ko kernel/a.ko\nkernel/b.ko: kernel/a.ko\nkernel/a.ko:\n');
		writeFileSync(join(dir, 'modules.builtin'), 'kernel/builtin-x.ko\n');
		const index = readModuleIndex(join(work, 'mods'), '9.9.9');
		assert.deepEqual(moduleLoadOrder(index, ['c', 'builtin_x']), ['kernel/a.ko', 'kernel/b.ko', 'kernel/c.ko']);
	});
});
