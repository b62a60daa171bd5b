// `sel4-llm payload` as users run it (the built CLI), against the tests' payload cache.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {readElfInfo} from '../../source/guest/llama/build.js';
import {payloadBinary, payloadCache, repositoryRoot} from '../support/test-model.js';
import {fixtureUnavailable} from '../support/cache.js';
import {jsonOutput} from '../support/cli.js';

const cli = join(repositoryRoot, 'dist', 'cli.js');
const workspace = mkdtempSync(join(tmpdir(), 'sel4llm-payload-cli-'));
after(() => rmSync(workspace, {recursive: true, force: true}));

function run(args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, [cli, 'payload', ...args, '--workspace', workspace, '--cache', payloadCache], {
			stdio: ['ignore', 'pipe', 'pipe'],
			env: {...process.env, CI: '1'},
		});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		child.on('close', (code) => resolve({code, stdout, stderr}));
	});
}

describe('sel4-llm payload', {timeout: 900_000, skip: fixtureUnavailable('llama-source')}, () => {
	before(async () => {
		// The builds themselves are tested (and cached) by the support module; the CLI must then find them.
		// One after the other: each build already uses both cores (-j2).
		await payloadBinary('aarch64');
		await payloadBinary('x86_64');
	});

	it('build --platform qemu-arm-virt uses the cached static aarch64 binary and writes the lock', async () => {
		const result = await run(['build', '--platform', 'qemu-arm-virt', '--json']);
		assert.equal(result.code, 0, result.stderr);
		const out = jsonOutput(result.stdout).result as {builds: {aarch64: {binary: string; cached: boolean}}; lock: string};
		assert.equal(out.builds.aarch64.cached, true, 'the CLI found the build in the cache and did not build again');
		assert.deepEqual(readElfInfo(out.builds.aarch64.binary), {machine: 'aarch64', static: true});
		const lock = JSON.parse(readFileSync(join(workspace, '.sel4-llm', 'payload.lock.json'), 'utf8')) as {llama: Record<string, string>};
		assert.equal(lock.llama.source, 'npm:node-llama-cpp@3.22.1');
		assert.match(lock.llama.commit!, /^[0-9a-f]{40}$/);
		assert.match(lock.llama.sha256!, /^[0-9a-f]{64}$/);
		assert.match(lock.llama.integrity!, /^sha512-/);
	});

	it('a payload lock that is not one is reported (exit 3) and kept aside; the next build records it afresh', async () => {
		const lock = join(workspace, '.sel4-llm', 'payload.lock.json');
		writeFileSync(lock, '{"llama": 7}');
		const bad = await run(['build', '--platform', 'qemu-arm-virt']);
		assert.equal(bad.code, 3, bad.stderr);
		assert.match(bad.stderr, /the payload lock .*payload\.lock\.json is not valid: llama: /);
		assert.match(bad.stderr, /run sel4-llm payload fetch \(and build\) again/);
		const again = await run(['build', '--platform', 'qemu-arm-virt']);
		assert.equal(again.code, 0, again.stderr);
		assert.equal((JSON.parse(readFileSync(lock, 'utf8')) as {version: number}).version, 1);
	});

	it('build --arch x86_64 is static and x86_64', async () => {
		const result = await run(['build', '--arch', 'x86_64', '--json']);
		assert.equal(result.code, 0, result.stderr);
		const out = jsonOutput(result.stdout).result as {builds: {x86_64: {binary: string}}};
		assert.deepEqual(readElfInfo(out.builds.x86_64.binary), {machine: 'x86_64', static: true});
	});

	it('demo-model writes a model that check-model accepts, and check-model refuses a small guest', async () => {
		const model = join(workspace, 'models', 'demo.gguf');
		const made = await run(['demo-model', '--out', model, '--seed', '3']);
		assert.equal(made.code, 0, made.stderr);
		assert.ok(existsSync(model));
		const ok = await run(['check-model', '', '--guest-ram-mb', '256']);
		assert.equal(ok.code, 0, ok.stderr);
		assert.match(ok.stdout, /GGUF v3, llama .*needs about \d+ MiB of guest RAM/s);
		const refused = await run(['check-model', model, '--guest-ram-mb', '64']);
		assert.equal(refused.code, 4);
		assert.match(refused.stderr, /needs about \d+ MiB of guest RAM/);
	});

	it('names the allowed actions and values', async () => {
		const unknown = await run(['compile']);
		assert.equal(unknown.code, 2);
		assert.match(unknown.stderr, /actions: fetch, build, demo-model, check-model/);
		const bad = await run(['build', '--arch', 'riscv64']);
		assert.equal(bad.code, 2);
		assert.match(bad.stderr, /aarch64, x86_64/);
	});
});
