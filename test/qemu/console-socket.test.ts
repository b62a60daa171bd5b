// The console socket holds the machine until we connect: a kernel that prints at once loses nothing, however late
// the client connects (with wait=off the ELF loader's first lines of a real seL4 boot were missing from the log).
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {connect} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {buildQemuCommand} from '../../source/qemu/index.js';
import {testKernel} from '../flash/helpers.js';

test('a console client that connects 2 s late still sees the kernel\'s first line', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'sel4-llm-console-'));
	try {
		const socketPath = join(dir, 'console.sock');
		const module = join(dir, 'module.bin');
		writeFileSync(module, Buffer.alloc(4096, 1));
		const command = buildQemuCommand({platform: 'linux-test', arch: 'amd64', kernel: testKernel(), initrd: module, append: 'first', memoryMb: 256, serial: {socketPath}});
		assert.ok(command.args.join(' ').includes(`path=${socketPath},server=on,wait=on`));
		const qemu = spawn(command.program, command.args, {stdio: 'ignore'});
		try {
			await new Promise((resolve) => setTimeout(resolve, 2000));
			const text = await new Promise<string>((resolve, reject) => {
				let seen = '';
				const socket = connect(socketPath);
				const timer = setTimeout(() => {
					socket.destroy();
					resolve(seen);
				}, 20_000);
				socket.on('data', (chunk) => {
					seen += chunk.toString('latin1');
					if (seen.includes('testkernel: halt')) {
						clearTimeout(timer);
						socket.destroy();
						resolve(seen);
					}
				});
				socket.on('error', reject);
			});
			assert.match(text, /testkernel: booted by multiboot\r?\n/);
			assert.match(text, /testkernel: cmdline .*first/);
		} finally {
			qemu.kill('SIGKILL');
		}
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});
