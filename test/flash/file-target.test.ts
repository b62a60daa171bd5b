// flash to a regular file: never onto the image by another name, never over a file without consent, never over a
// file that is in use, never short of space, and an existing file survives any failure.
import assert from 'node:assert/strict';
import {execFileSync, spawn, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {chmodSync, linkSync, mkdirSync, readdirSync, readFileSync, statfsSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {cleanup, loopsUnavailable, runCli, runCliUntil, scratch} from './helpers.js';
import {jsonOutput} from '../support/cli.js';

const dir = scratch('file-target');
after(() => cleanup(dir));

/** The folder-space tests mount a small tmpfs. */
const noMount = process.getuid?.() === 0 ? false : 'mounting a tmpfs needs root';
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
		const listed = jsonOutput(runCli(['flash', source, '--list', '--json', '--allow-non-removable']).stdout).result as {disks: Array<{path: string; refusals: Array<{code: string}>}>};
		assert.ok(listed.disks.find((disk) => disk.path === device)?.refusals.some((each) => each.code === 'image'));
	} finally {
		spawnSync('losetup', ['-d', device]);
	}
	assert.equal(sha(source), before);
});

test('an existing file is replaced only with --overwrite; --yes alone refuses and names it', () => {
	const source = image('overwrite.img');
	const target = join(dir, 'existing.img');
	writeFileSync(target, 'precious data\n');
	chmodSync(target, 0o640);
	const refused = runCli(['flash', source, '--device', target, '--yes']);
	assert.equal(refused.status, 4, refused.stderr);
	assert.match(refused.stderr, new RegExp(`error: ${target} exists: flash replaces an existing file only with --overwrite`));
	assert.match(refused.stderr, new RegExp(`next: sel4-llm flash ${source} --device ${target} --overwrite --yes`));
	assert.equal(readFileSync(target, 'utf8'), 'precious data\n');
	const old = statSync(target);
	const written = runCli(['flash', source, '--device', target, '--yes', '--overwrite']);
	assert.equal(written.status, 0, written.stderr);
	assert.match(written.stderr, /^  verified +read back from /m);
	assert.equal(sha(target), sha(source));
	// The image went to a new file next to it, renamed over the old one at the end: a new inode, the old mode.
	const now = statSync(target);
	assert.notEqual(now.ino, old.ino);
	assert.equal(now.mode & 0o7777, 0o640);
	assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('.')), [], 'no temporary file is left');
	// A dangling symlink is no target: it would be replaced by a file, not followed.
	const dangling = join(dir, 'dangling.img');
	symlinkSync(join(dir, 'nowhere', 'x.img'), dangling);
	const symlinked = runCli(['flash', source, '--device', dangling, '--yes', '--overwrite']);
	assert.equal(symlinked.status, 4, symlinked.stderr);
	assert.match(symlinked.stderr, /is a symlink to .*nowhere\/x\.img, which does not exist/);
});

test('a file that is open in another process is refused, naming the process', () => {
	const source = image('busy-source.img');
	const target = join(dir, 'busy.img');
	writeFileSync(target, 'in use\n');
	const holder = spawn('sh', ['-c', `exec 3<'${target}'; exec sleep 120`], {stdio: 'ignore'});
	try {
		// Wait until the shell has the file open and has become sleep.
		for (let tries = 0; tries < 100 && !/sleep/.test(readFileSync(`/proc/${holder.pid}/comm`, 'utf8')); tries++) execFileSync('sleep', ['0.05']);
		const result = runCli(['flash', source, '--device', target, '--yes', '--overwrite']);
		assert.equal(result.status, 4, result.stderr);
		assert.match(result.stderr, new RegExp(`refusing to write ${target}: it is open in another process \\(pid ${holder.pid} sleep\\)`));
		assert.equal(readFileSync(target, 'utf8'), 'in use\n');
		// Another name for it (a hard link) is open just the same.
		const other = join(dir, 'busy-link.img');
		linkSync(target, other);
		const linked = runCli(['flash', source, '--device', other, '--yes', '--overwrite']);
		assert.equal(linked.status, 4, linked.stderr);
		assert.match(linked.stderr, /it is open in another process/);
	} finally {
		holder.kill();
	}
});

test('a file that backs a loop device is refused', {skip: loopsUnavailable()}, () => {
	const source = image('backs-source.img');
	const target = join(dir, 'backing.img');
	execFileSync('truncate', ['-s', String(8 << 20), target]);
	const device = execFileSync('losetup', ['-f', '--show', target], {encoding: 'utf8'}).trim();
	try {
		const result = runCli(['flash', source, '--device', target, '--yes', '--overwrite']);
		assert.equal(result.status, 4, result.stderr);
		assert.match(result.stderr, new RegExp(`refusing to write ${target}: it backs the loop device ${device}`));
		assert.match(result.stderr, new RegExp(`next: sudo losetup -d ${device}`));
	} finally {
		spawnSync('losetup', ['-d', device]);
	}
});

test('too little free space in the folder is refused before anything is written, with both sizes', {skip: noMount}, () => {
	const source = image('space.img', 12 << 20);
	const small = join(dir, 'small');
	mkdirSync(small);
	execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', small]);
	try {
		const result = runCli(['flash', source, '--device', join(small, 'copy.img')]);
		assert.equal(result.status, 4, result.stderr);
		assert.match(result.stderr, new RegExp(`not enough free space for ${small}/copy\\.img: the image needs 12\\.6 MB, ${small} has 8\\.4 MB free`));
		assert.doesNotMatch(result.stderr, /^write /m);
		assert.deepEqual(readdirSync(small), []);
	} finally {
		spawnSync('umount', [small]);
	}
});

test('ENOSPC in the middle of the write keeps the existing file and removes the partial copy', {skip: noMount}, async () => {
	const source = join(dir, 'dense.img');
	const block = Buffer.alloc(1 << 20);
	for (let index = 0; index < block.length; index++) block[index] = (index * 29 + 5) & 0xff;
	writeFileSync(source, Buffer.concat(Array.from({length: 400}, () => block)));
	const small = join(dir, 'small-enospc');
	mkdirSync(small);
	execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=440m', 'tmpfs', small]);
	try {
		const target = join(small, 'kept.img');
		writeFileSync(target, 'the old contents\n');
		// The free-space check passes; then something else fills the filesystem while flash writes.
		// flash is stopped while the filesystem fills, so that it cannot finish first on a loaded machine.
		const result = await runCliUntil(['flash', source, '--device', target, '--yes', '--overwrite'], /^write /m, (child) => {
			child.kill('SIGSTOP');
			const free = statfsSync(small);
			spawnSync('fallocate', ['-l', String(free.bavail * free.bsize - (8 << 20)), join(small, 'filler')]);
			child.kill('SIGCONT');
		});
		assert.equal(result.status, 1, result.stderr);
		assert.match(result.stderr, new RegExp(`no space left on ${target}: write failed at byte \\d+`));
		assert.match(result.stderr, new RegExp(`${target} is unchanged`));
		assert.equal(readFileSync(target, 'utf8'), 'the old contents\n');
		assert.deepEqual(readdirSync(small).sort(), ['filler', 'kept.img']);
	} finally {
		spawnSync('umount', [small]);
	}
});
