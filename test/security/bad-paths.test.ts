// Paths of the wrong kind given where a file is expected: a clear error at once, never a crash or a hang.
import assert from 'node:assert/strict';
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {cli, tempDir} from '../support/cli.js';

test('a directory, a device and a short text file given as a model or a console log are refused with what they are', () => {
	const dir = tempDir('bad-paths');
	const folder = join(dir, 'models');
	mkdirSync(folder);
	const text = join(dir, 'notes.gguf');
	writeFileSync(text, 'hello world\n');
	const directory = cli(['payload', 'check-model', '--workspace', dir, '--', folder]);
	assert.equal(directory.code, 3, directory.stderr);
	assert.match(directory.stderr, /the model \S+models is a directory, not a file/);
	const short = cli(['payload', 'check-model', '--workspace', dir, '--', text]);
	assert.notEqual(short.code, 0);
	assert.match(short.stderr, /notes\.gguf is not a GGUF file/);
	assert.doesNotMatch(short.stderr, /truncated/);
	const device = cli(['launch', '--replay', '/dev/zero', '--workspace', dir]);
	assert.equal(device.code, 3, device.stderr);
	assert.match(device.stderr, /the console log \/dev\/zero is a device, not a file/);
	const folderLog = cli(['launch', '--replay', folder, '--workspace', dir]);
	assert.notEqual(folderLog.code, 0);
	assert.match(folderLog.stderr, /is a directory/);
	for (const result of [directory, short, device, folderLog]) assert.doesNotMatch(result.stderr, /at \S+\.js:\d+/, 'no stack trace');
});
