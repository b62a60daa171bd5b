// The static build options checked against the pinned llama.cpp source's own CMake files, the cache key, and the
// ELF check of built binaries.
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {buildKey, buildOptions, checkOptionNames, readElfInfo, x86Options} from '../../source/guest/llama/build.js';
import {defaultLlamaSource} from '../../source/guest/llama/pins.js';
import {fileIntegrity} from '../../source/guest/llama/source.js';
import {llamaSource, payloadCache, programDir} from '../support/test-model.js';
import {fixtureUnavailable} from '../support/cache.js';

describe('the pinned llama.cpp source', {timeout: 300_000, skip: fixtureUnavailable('llama-source')}, () => {
	it('comes from the node-llama-cpp tarball with the registry integrity and the pinned bundle commit', async () => {
		const source = await llamaSource();
		assert.equal(source.commit, defaultLlamaSource.commit);
		assert.equal(await fileIntegrity(join(payloadCache, 'npm', `node-llama-cpp-${defaultLlamaSource.version}.tgz`)), defaultLlamaSource.integrity);
	});

	it('declares every option the aarch64 and x86_64 builds set (record of the check)', async () => {
		const source = await llamaSource();
		for (const arch of ['aarch64', 'x86_64'] as const) {
			const names = Object.keys(buildOptions(arch));
			const {declared, missing} = checkOptionNames(source.dir, names);
			assert.deepEqual(missing, [], `${arch}: options not in the source's CMake files`);
			for (const name of ['GGML_NATIVE', 'GGML_STATIC', 'GGML_OPENMP', 'LLAMA_BUILD_TESTS', 'LLAMA_BUILD_SERVER']) assert.ok(declared.includes(name), name);
			if (arch === 'x86_64') for (const name of Object.keys(x86Options)) assert.ok(declared.includes(name), name);
			else assert.ok(declared.includes('GGML_CPU_ARM_ARCH'));
		}
		assert.deepEqual(x86Options, {GGML_SSE42: 'OFF', GGML_AVX: 'OFF', GGML_AVX2: 'OFF', GGML_BMI2: 'OFF', GGML_FMA: 'OFF', GGML_F16C: 'OFF'});
		assert.equal(buildOptions('x86_64').CMAKE_EXE_LINKER_FLAGS, '-static');
		assert.equal(buildOptions('aarch64').GGML_CPU_ARM_ARCH, 'armv8-a');
	});

	it('finds made-up and deprecated names missing', async () => {
		const source = await llamaSource();
		const {missing} = checkOptionNames(source.dir, ['GGML_NO_SUCH_OPTION', 'LLAMA_CURL', 'LLAMA_NATIVE']);
		assert.deepEqual(missing, ['GGML_NO_SUCH_OPTION', 'LLAMA_CURL', 'LLAMA_NATIVE']);
	});

	it('keys builds by source, architecture and flags', async () => {
		const source = await llamaSource();
		const arm = buildKey({arch: 'aarch64', source, programDir});
		assert.equal(buildKey({arch: 'aarch64', source, programDir}), arm, 'stable');
		assert.notEqual(buildKey({arch: 'x86_64', source, programDir}), arm);
		assert.notEqual(buildKey({arch: 'aarch64', source: {...source, key: 'other'}, programDir}), arm);
	});
});

describe('readElfInfo', () => {
	it('tells the machine and static linking apart', () => {
		const node = readElfInfo(process.execPath);
		assert.equal(node.machine, 'x86_64');
		assert.equal(node.static, false, 'node is dynamically linked');
		const dir = mkdtempSync(join(tmpdir(), 'sel4llm-elf-'));
		try {
			writeFileSync(join(dir, 'x'), '#!/bin/sh\n');
			assert.throws(() => readElfInfo(join(dir, 'x')), /not an ELF file/);
		} finally {
			rmSync(dir, {recursive: true, force: true});
		}
	});
});

describe('withLock', () => {
	it('runs one holder at a time and takes over the lock of a dead owner', async () => {
		const {withLock} = await import('../../source/guest/llama/lock.js');
		const dir = mkdtempSync(join(tmpdir(), 'sel4llm-lock-'));
		try {
			const lock = join(dir, 'locks', 'x');
			const order: string[] = [];
			const hold = (name: string) =>
				withLock(lock, async () => {
					order.push(`${name}+`);
					await new Promise((resolve) => setTimeout(resolve, 100));
					order.push(`${name}-`);
				});
			await Promise.all([hold('a'), hold('b')]);
			assert.deepEqual(order, ['a+', 'a-', 'b+', 'b-']);
			writeFileSync(lock, '999999999\n');
			assert.equal(await withLock(lock, async () => 'taken over', {timeoutMs: 2000}), 'taken over');
		} finally {
			rmSync(dir, {recursive: true, force: true});
		}
	});
});
