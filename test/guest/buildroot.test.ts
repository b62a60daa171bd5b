// The optional Buildroot path: fragments are valid Kconfig lines, and a finished build is never redone.
import assert from 'node:assert/strict';
import {mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {cli} from '../support/cli.js';
import {tempDir} from './helpers.js';

test('every Buildroot fragment line is a comment, an option setting or "is not set"', () => {
	const dir = 'overlays/buildroot';
	const files = readdirSync(dir).filter((name) => name.endsWith('.fragment'));
	assert.deepEqual(files.sort(), ['aarch64.fragment', 'common.fragment', 'x86_64-linux.fragment', 'x86_64.fragment']);
	for (const name of files) {
		const prefix = name.startsWith('x86_64-linux') ? 'CONFIG_' : 'BR2_';
		for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
			if (line === '' || (line.startsWith('# ') && !line.startsWith(`# ${prefix}`))) continue;
			assert.match(line, new RegExp(`^(${prefix}[A-Za-z0-9_]+=(y|m|"[^"]*"|[0-9]+)|# ${prefix}[A-Za-z0-9_]+ is not set)$`), `${name}: ${line}`);
		}
	}
	const common = readFileSync(join(dir, 'common.fragment'), 'utf8');
	assert.match(common, /^BR2_TARGET_ROOTFS_CPIO=y$/m);
	assert.match(common, /^BR2_TOOLCHAIN_BUILDROOT_CXX=y$/m);
	assert.match(common, /^BR2_TOOLCHAIN_BUILDROOT_WCHAR=y$/m);
	const kernel = readFileSync(join(dir, 'x86_64-linux.fragment'), 'utf8');
	assert.match(kernel, /^# CONFIG_SMP is not set$/m);
	assert.match(kernel, /^# CONFIG_PCI_MSI is not set$/m);
});

test('plan buildroot skips the download and the build once they are done, and keeps the download cache', () => {
	const ws = tempDir('buildroot');
	const source = join(ws, 'buildroot', 'buildroot-2024.02.9');
	mkdirSync(source, {recursive: true});
	writeFileSync(join(source, 'Makefile'), '# stand-in\n');
	const output = join(ws, 'buildroot', 'output-qemu-arm-virt');
	mkdirSync(join(output, 'images'), {recursive: true});
	writeFileSync(join(output, '.config'), 'BR2_TARGET_ROOTFS_CPIO=y\n');
	writeFileSync(join(output, 'images', 'rootfs.cpio.gz'), 'x');
	const old = new Date(Date.now() - 60_000);
	utimesSync(join(output, '.config'), old, old);
	const plan = cli(['plan', 'buildroot', '--workspace', ws, '--plain', '--set', 'guest_userland=buildroot']);
	assert.equal(plan.code, 0, plan.stderr);
	const text = plan.stdout + plan.stderr;
	assert.match(text, /skip\s+buildroot\.fetch/);
	assert.match(text, /skip\s+buildroot\.build/);
	assert.match(text, new RegExp(`BR2_DL_DIR=${join(ws, 'buildroot-dl')}`));
	assert.match(text, /merge_config\.sh -m -O .* configs\/qemu_aarch64_virt_defconfig .*common\.fragment .*aarch64\.fragment/);
	// A changed configuration makes the build due again.
	utimesSync(join(output, '.config'), new Date(), new Date(Date.now() + 60_000));
	const again = cli(['plan', 'buildroot', '--workspace', ws, '--plain', '--set', 'guest_userland=buildroot']);
	assert.match(again.stdout + again.stderr, /run\s+buildroot\.build/);
});
