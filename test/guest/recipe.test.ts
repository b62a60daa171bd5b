// The guest recipe for real through `sel4-llm run`: a stand-in synced tree with upstream-style images, then the
// rootfs, model and app steps; a second run skips what is up to date; a model that does not fit stops the app step.
import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {listCpio, writeCpio} from '../../source/images/cpio.js';
import {finalTree} from '../../source/images/cpio-overlay.js';
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
	const first = cli(['run', 'guest', '--workspace', ws, '--plain', '--yes', '--set', `model=${model}`, '--set', 'payload=prebuilt']);
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
	const second = cli(['run', 'guest', '--workspace', ws, '--plain', '--yes', '--set', `model=${model}`, '--set', 'payload=prebuilt']);
	assert.equal(second.code, 0, second.stdout + second.stderr);
	assert.match(second.stdout + second.stderr, /skip/i);
});

test('a model too big for the guest RAM stops the recipe at the app step with the fix', async () => {
	const {ws, tree} = workspace();
	await writeCpio(join(tree, 'projects/camkes-vm-images/qemu-arm-virt/rootfs.cpio.gz'), [], {gzip: true});
	const big = join(ws, 'big.gguf');
	writeGguf(big, 300 * MiB);
	const run = cli(['run', 'guest', '--workspace', ws, '--plain', '--yes', '--set', `model=${big}`, '--set', 'guest_ram_mb=512', '--set', 'payload=prebuilt']);
	assert.notEqual(run.code, 0);
	assert.match(run.stdout + run.stderr, /guest_ram_mb=|smaller/);
	assert.ok(!existsSync(join(tree, 'projects/vm-examples/apps/Arm/llm_vm')), 'nothing written');
});

test('x86_64 in a workspace that has only the Arm program: the rootfs step builds the x86 one first', async () => {
	const {ws, tree, model} = workspace();
	writeFileSync(join(tree, 'projects/vm-linux/images/kernel/64/default_bzimage_4.8.16'), 'bzImage stand-in\n');
	await writeCpio(join(tree, 'projects/vm-linux/images/rootfs/64/default_buildroot_rootfs-bare.cpio'), [], {gzip: false});
	const plan = cli(['plan', 'build', '--workspace', ws, '--plain', '--set', `model=${model}`, '--set', 'platform=x86_64']);
	assert.equal(plan.code, 0, plan.stdout + plan.stderr);
	const planned = (text: string) => [...text.matchAll(/^run +([a-z-]+\.[a-z0-9-]+):/gm)].map((match) => match[1]);
	const steps = planned(plan.stdout);
	assert.ok(steps.indexOf('payload.build') >= 0 && steps.indexOf('payload.build') < steps.indexOf('guest.rootfs'), steps.join(' '));
	assert.match(plan.stdout, /sel4-llm payload build --platform=x86_64 /);
	assert.ok(!steps.includes('payload.demo-model'), 'a given model needs no demo model');
	// With payload=prebuilt nothing is built and a missing program is named with both ways out.
	const prebuilt = cli(['plan', 'build', '--workspace', ws, '--plain', '--set', `model=${model}`, '--set', 'platform=x86_64', '--set', 'payload=prebuilt']);
	assert.ok(!planned(prebuilt.stdout).some((id) => id?.startsWith('payload.')), prebuilt.stdout);
	const run = cli(['run', 'guest.rootfs', '--workspace', ws, '--plain', '--yes', '--set', `model=${model}`, '--set', 'platform=x86_64', '--set', 'payload=prebuilt']);
	assert.notEqual(run.code, 0);
	assert.match(run.stdout + run.stderr, /the inference program for x86_64 is missing \(.*payload\/x86_64\/sel4llm-infer\): build it with sel4-llm run payload --set platform=x86_64, or drop --set payload=prebuilt/);
	assert.doesNotMatch(run.stdout + run.stderr, /\$\{platform\}/);
});
