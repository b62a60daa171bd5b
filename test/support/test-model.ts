// The pinned llama.cpp source, our static payload builds and the reproducible test model, cached under
// <test cache>/payload (see cache.ts; keyed by source hash + flags, and by seed + parameters). The setup phase of
// `npm test` (prepare.ts) makes them before the tests start; a test file run alone makes them on demand.
import {existsSync} from 'node:fs';
import {availableParallelism} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {buildPayload, type PayloadArch} from '../../source/guest/llama/build.js';
import {demoModelKey, tinyModel, writeDemoModel, type DemoModelParams} from '../../source/guest/llama/demo-model.js';
import {defaultLlamaSource} from '../../source/guest/llama/pins.js';
import {acquireLlamaSource, type AcquiredSource} from '../../source/guest/llama/source.js';
import {testCacheDir} from './cache.js';
import {once} from './once.js';

export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const payloadCache = join(testCacheDir(), 'payload');
export const programDir = join(repositoryRoot, 'overlays', 'payload');
export const rootfsOverlay = join(repositoryRoot, 'overlays', 'rootfs');


const quiet = () => {};

export function llamaSource(progress: (line: string) => void = quiet): Promise<AcquiredSource> {
	return once('source', () => acquireLlamaSource(defaultLlamaSource, payloadCache, progress));
}

/** The static sel4llm-infer for an architecture (built once with every core, then cached across runs). */
export function payloadBinary(arch: PayloadArch, progress: (line: string) => void = quiet): Promise<string> {
	return once(`bin-${arch}`, async () => {
		const source = await llamaSource();
		const built = await buildPayload({arch, source, programDir, cacheDir: payloadCache, jobs: availableParallelism(), progress});
		return built.binary;
	});
}

/** A tiny llama GGUF with random weights, deterministic by seed and parameters; cached by both. */
export function testModel(params: Partial<DemoModelParams> = {}): Promise<string> {
	const full: DemoModelParams = {...tinyModel, ...params};
	return once(`model-${JSON.stringify(full)}`, async () => {
		const source = await llamaSource();
		const file = join(payloadCache, 'models', `demo-${demoModelKey(full, source.key)}.gguf`);
		if (!existsSync(file)) await writeDemoModel(file, full, join(source.dir, 'gguf-py'));
		return file;
	});
}
