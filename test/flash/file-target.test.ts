// flash to a regular file: never onto the image by another name, never over a file without consent, never over a
// file that is in use, never short of space, and an existing file survives any failure.
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {cleanup, loopsUnavailable, runCli, scratch} from './helpers.js';

const dir = scratch('file-target');
after(() => cleanup(dir));

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A small image of non-zero data (no usb-image record: flash says it was not boot-tested, and goes on). */
function image(name: string, size = 3 << 20): string {
	const path = join(dir, name);
	const data = Buffer.alloc(size);
	for (let index = 0; index < size; index++) data[index] = (index * 17 + 3) & 0xff;
	writeFileSync(path, data);
	return path;
}

test('a file target that is the image by another name (hard link, symlink, path with ..) is refused and the image is untouched', () => {
	const source = image('same.img');
	const before = sha(source);
	mkdirSync(join(dir, 'links'));
	const hard = join(dir, 'links', 'hard.img');
	linkSync(source, hard);
	const soft = join(dir, 'links', 'soft.img');
	symlinkSync(source, soft);
	const softToHard = join(dir, 'links', 'soft-to-hard.img');
	symlinkSync(hard, softToHard);
	for (const target of [hard, soft, softToHard, join(dir, 'links', '..', 'same.img')]) {
		const result = runCli(['flash', source, '--device', target, '--yes']);
		assert.equal(result.status, 4, `${target}: ${result.stderr}`);
		assert.match(result.stderr, /is the image itself/, target);
		assert.doesNotMatch(result.stderr, /verified/);
		assert.equal(sha(source), before, `the image is unchanged after --device ${target}`);
	}
});

test('a loop device over the image is the image too: refused as a target', {skip: loopsUnavailable()}, () => {
	const source = image('looped.img', 4 << 20);
	const before = sha(source);
	const device = execFileSync('losetup', ['-f', '--show', source], {encoding: 'utf8'}).trim();
	try {
		const result = runCli(['flash', source, '--device', device, '--yes', '--allow-non-removable', '--sparse']);
		assert.equal(result.status, 4, result.stderr);
		assert.match(result.stderr, new RegExp(`refusing to write ${device} .*is the image itself: a loop device over ${source}`));
		const listed = JSON.parse(runCli(['flash', source, '--list', '--json', '--allow-non-removable']).stdout) as {disks: Array<{path: string; refusals: Array<{code: string}>}>};
		assert.ok(listed.disks.find((disk) => disk.path === device)?.refusals.some((each) => each.code === 'image'));
	} finally {
		spawnSync('losetup', ['-d', device]);
	}
	assert.equal(sha(source), before);
});
