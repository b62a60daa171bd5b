// sel4-llm payload fetch|build|demo-model|check-model: the guest's llama.cpp program and its model.
import {z} from 'zod';
import {readState, writeState} from '../system/state-file.js';
import {copyFileSync, mkdirSync, renameSync, existsSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {ExitCode, UserError} from '../errors.js';
import {checkModel, type ModelLayout} from '../guest/gguf.js';
import {archForPlatform, buildPayload, parseArch, payloadArches, binaryName} from '../guest/llama/build.js';
import {benchModel, tinyModel, writeDemoModel, type DemoModelParams} from '../guest/llama/demo-model.js';
import {defaultLlamaSource, upstreamGitUrl, type LlamaSource} from '../guest/llama/pins.js';
import {acquireLlamaSource, lockEntry, type AcquiredSource} from '../guest/llama/source.js';
import {packageDir, say, type CommandContext} from './context.js';
import {numberOption, stringOption} from './options.js';

export const payloadActions = ['fetch', 'build', 'demo-model', 'check-model'] as const;


function chosenSource(context: CommandContext): LlamaSource {
	const tag = stringOption(context, 'tag');
	if (tag) return {kind: 'git', url: stringOption(context, 'git-url') ?? upstreamGitUrl, tag};
	if (stringOption(context, 'git-url')) throw new UserError('--git-url needs --tag', {hint: 'for example --tag b6000'});
	return defaultLlamaSource;
}

function cacheDir(context: CommandContext): string {
	return resolve(stringOption(context, 'cache') ?? join(context.workspace, 'cache', 'payload'));
}

/** The payload lock: the llama.cpp source in use and each architecture's build, as `payload` records them. */
const lockSpec = {
	schema: z.object({
		version: z.literal(1).default(1),
		llama: z.record(z.string(), z.string()),
		builds: z.record(z.string(), z.unknown()).default({}),
	}),
	what: 'the payload lock',
	fix: 'run sel4-llm payload fetch (and build) again to record it afresh',
};

function writeLock(context: CommandContext, acquired: AcquiredSource, builds: Record<string, unknown> = {}): string {
	const file = join(context.workspace, '.sel4-llm', 'payload.lock.json');
	mkdirSync(dirname(file), {recursive: true});
	const previous = readState(file, lockSpec);
	writeState(file, {version: 1, llama: lockEntry(acquired), builds: {...(previous?.builds ?? {}), ...builds}}, lockSpec.what);
	return file;
}


export async function run(context: CommandContext): Promise<number> {
	const action = context.positionals[0];
	if (!action || !(payloadActions as readonly string[]).includes(action)) {
		throw new UserError(`unknown payload action "${action ?? ''}"`, {hint: `actions: ${payloadActions.join(', ')}`, nextSteps: ['sel4-llm payload --help']});
	}
	const json = context.mode === 'json';
	// Compile counters ([N/M] from ninja) are shown at most every 5 s, and always the last one, so a long build is
	// never silent without flooding the log.
	let counterShownAt = 0;
	const progress = (line: string) => {
		const counter = /^\[(\d+)\/(\d+)\]/.exec(line);
		if (counter) {
			const now = Date.now();
			if (now - counterShownAt < 5000 && counter[1] !== counter[2]) return;
			counterShownAt = now;
		}
		say(context, line);
	};

	if (action === 'check-model') {
		// An empty path (the recipe's default model) means the demo model of the workspace.
		const given = context.positionals[1];
		const file = given === '' ? join(context.workspace, 'models', 'demo.gguf') : given;
		if (!file) throw new UserError('check-model needs a .gguf file', {hint: 'sel4-llm payload check-model model.gguf --guest-ram-mb 512'});
		const layout = (stringOption(context, 'layout') ?? 'initrd') as ModelLayout;
		const guestRamMb = numberOption(context, 'guest-ram-mb')!;
		const initrdMax = stringOption(context, 'initrd-max-mb');
		const result = checkModel(file, {
			guestRamMb,
			layout,
			...(initrdMax ? {initrdMaxMb: numberOption(context, 'initrd-max-mb')!} : {}),
		});
		const header = result.header;
		context.events.result({file, architecture: header.architecture, name: header.name ?? null, version: header.version, tensors: header.tensorCount, bytes: header.fileSize, neededRamMb: result.neededRamMb, estimate: result.estimate});
		if (!json) {
			context.io.stdout.write(
				`${file}: GGUF v${header.version}, ${header.architecture}${header.name ? ` (${header.name})` : ''}, ${header.tensorCount} tensors, ${(header.fileSize / (1 << 20)).toFixed(1)} MiB\n` +
					`needs about ${result.neededRamMb} MiB of guest RAM (${layout}; ${result.estimate}); the guest has ${guestRamMb} MiB: ok\n`,
			);
		}
		return ExitCode.ok;
	}

	const acquired = await acquireLlamaSource(chosenSource(context), cacheDir(context), progress);

	if (action === 'fetch') {
		const lock = writeLock(context, acquired);
		context.events.result({source: acquired.id, commit: acquired.commit, sha256: acquired.sha256, dir: acquired.dir, lock});
		if (!json) context.io.stdout.write(`${acquired.id} at ${acquired.commit} in ${acquired.dir}\nlock: ${lock}\n`);
		return ExitCode.ok;
	}

	if (action === 'demo-model') {
		const out = stringOption(context, 'out');
		if (!out) throw new UserError('demo-model needs --out FILE', {hint: 'sel4-llm payload demo-model --out demo.gguf'});
		const size = stringOption(context, 'size') ?? 'tiny';
		const base: DemoModelParams = size === 'bench' ? benchModel : tinyModel;
		const params = {...base, seed: numberOption(context, 'seed') ?? base.seed};
		await writeDemoModel(resolve(out), params, join(acquired.dir, 'gguf-py'));
		context.events.result({out: resolve(out), params});
		if (!json) context.io.stdout.write(`${resolve(out)}: demo model (random weights, seed ${params.seed}, ${size})\n`);
		return ExitCode.ok;
	}

	// build
	const archOption = stringOption(context, 'arch');
	const platformOption = stringOption(context, 'platform');
	const arches = archOption ? [parseArch(archOption)] : platformOption ? [archForPlatform(platformOption)] : ['aarch64' as const];
	const outRoot = resolve(stringOption(context, 'out') ?? join(context.workspace, 'payload'));
	const jobs = numberOption(context, 'jobs')!;
	const results: Record<string, unknown> = {};
	for (const arch of arches) {
		if (!(payloadArches as readonly string[]).includes(arch)) throw new UserError(`unknown arch ${arch}`);
		const built = await buildPayload({arch, source: acquired, programDir: join(packageDir, 'overlays', 'payload'), cacheDir: cacheDir(context), jobs, progress});
		const target = join(outRoot, arch, binaryName);
		mkdirSync(dirname(target), {recursive: true});
		copyFileSync(built.binary, `${target}.partial`);
		renameSync(`${target}.partial`, target);
		results[arch] = {binary: target, key: built.key, cached: built.cached};
		say(context, `${arch}: ${target}${built.cached ? ' (cached)' : ''}`);
	}
	const lock = writeLock(context, acquired, results);
	context.events.result({source: acquired.id, commit: acquired.commit, builds: results, lock});
	if (!existsSync(lock)) return ExitCode.failed;
	return ExitCode.ok;
}
