// The guest recipe for real through `sel4-llm run`: a stand-in synced tree with upstream-style images, then the
// rootfs, model and app steps; a second run skips what is up to date; a model that does not fit stops the app step.
import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {finalTree, listCpio, writeCpio} from '../../source/images/cpio.js';
import {cli} from '../support/cli.js';
import {fakeTree, tempDir, writeArm64Image, writeGguf} from './helpers.js';

const MiB = 1024 * 1024;

function workspace(): {ws: string; tree: string; model: string} {
	const ws = tempDir('recipe');
	const tree = fakeTree(ws);
	writeArm64Image(join(tree, 'projects/camkes-vm-images/qemu-arm-virt/linux'), 24 * MiB);
	// Stands in for `sel4-llm payload build` output (a static program in the real flow).
	const payload = join(ws, 'payload', 'aarch64');
	mkdirSync(payload, {recursive: true});
	writeFileSync(join(payload, 'sel4llm-infer'), '#!/bin/sh\n', {mode: 0o755});
	const model = join(ws, 'model.gguf');
	writeGguf(model, 3 * MiB);
	return {ws, tree, model};
}

test('sel4-llm run guest lays our files and the model into upstream\'s rootfs and writes llm_vm', async () => {
	const {ws, tree, model} = workspace();
	await writeCpio(join(tree, 'projects/camkes-vm-images/qemu-arm-virt/rootfs.cpio.gz'), [
		{path: 'init', type: 'file', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 3, data: Buffer.from('#!\n')},
		{path: 'etc', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0},
		{path: 'etc/init.d', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0},
	], {gzip: true});
	const first = cli(['run', 'guest', '--workspace', ws, '--plain', '--yes', '--set', `model=${model}`]);
	assert.equal(first.code, 0, first.stdout + first.stderr);
	const initrd = join(ws, '.sel4-llm', 'guest', 'llm-rootfs.cpio.gz');
	const tree2 = finalTree(await listCpio(initrd));
	assert.equal(tree2.get('models/model.gguf')?.size, 3 * MiB + 24);
	assert.equal(tree2.get('usr/bin/sel4llm-infer')?.mode, 0o755);
	assert.equal(tree2.get('etc/init.d/S90sel4llm')?.mode, 0o755);
	assert.ok([...tree2.keys()].some((path) => /^etc\/init\.d\/S\d\d/.test(path)), 'the guest init script is in the initramfs');
	const app = join(tree, 'projects/vm-examples/apps/Arm/llm_vm');
	assert.ok(existsSync(join(app, 'qemu-arm-virt', 'devices.camkes')));
	assert.match(readFileSync(join(app, 'CMakeLists.txt'), 'utf8'), new RegExp(`AddToFileServer\\("linux-initrd" "${initrd}"\\)`));
	const second = cli(['run', 'guest', '--workspace', ws, '--plain', '--yes', '--set', `model=${model}`]);
	assert.equal(second.code, 0, second.stdout + second.stderr);
	assert.match(second.stdout + second.stderr, /skip/i);
});

test('a model too big for the guest RAM stops the recipe at the app step with the fix', async () => {
	const {ws, tree} = workspace();
	await writeCpio(join(tree, 'projects/camkes-vm-images/qemu-arm-virt/rootfs.cpio.gz'), [], {gzip: true});
	const big = join(ws, 'big.gguf');
	writeGguf(big, 300 * MiB);
	const run = cli(['run', 'guest', '--workspace', ws, '--plain', '--yes', '--set', `model=${big}`, '--set', 'guest_ram_mb=512']);
	assert.notEqual(run.code, 0);
	assert.match(run.stdout + run.stderr, /guest_ram_mb=|smaller/);
	assert.ok(!existsSync(join(tree, 'projects/vm-examples/apps/Arm/llm_vm')), 'nothing written');
});

test('x86_64 in a workspace that has only the Arm program: the rootfs step names the command that builds the x86 one', async () => {
	const {ws, tree, model} = workspace();
	writeFileSync(join(tree, 'projects/vm-linux/images/kernel/64/default_bzimage_4.8.16'), 'bzImage stand-in\n');
	await writeCpio(join(tree, 'projects/vm-linux/images/rootfs/64/default_buildroot_rootfs-bare.cpio'), [], {gzip: false});
	const run = cli(['run', 'guest.rootfs', '--workspace', ws, '--plain', '--yes', '--set', `model=${model}`, '--set', 'platform=x86_64']);
	assert.notEqual(run.code, 0);
	assert.match(run.stdout + run.stderr, /the inference program for x86_64 is not built yet: sel4-llm run payload --set platform=x86_64/);
	assert.doesNotMatch(run.stdout + run.stderr, /\$\{platform\}/);
});
