// Payload benchmark: eval tokens/s of our static inference program on the host vs inside QEMU guests (the TCG
// cost), and the time from QEMU start to the first token. Same source, flags and model everywhere; the amd64 guest
// runs the very binary the host runs. Prints ratios against the host baseline measured in this run.
//
//   node bench/payload.mjs [--tokens N] [--skip-amd64]
import {spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {register} from 'tsx/esm/api';

register();
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const tokens = Number(args[args.indexOf('--tokens') + 1]) || 48;
const skipAmd64 = args.includes('--skip-amd64');

const {payloadBinary, testModel, rootfsOverlay} = await import(join(root, 'test/support/test-model.ts'));
const {debianKernel, debianBusybox} = await import(join(root, 'test/support/debian-kernel.ts'));
const {benchModel} = await import(join(root, 'source/guest/llama/demo-model.ts'));
const {buildInitramfs} = await import(join(root, 'test/support/initramfs.ts'));
const {buildQemuCommand, startQemu} = await import(join(root, 'source/qemu/index.ts'));
const {GuestConsole} = await import(join(root, 'source/console/client.ts'));

const log = (line) => process.stderr.write(`${line}\n`);
const prompt = 'The quick brown fox';

function parseEnd(text) {
	const line = text.split('\n').find((each) => each.startsWith('SEL4LLM-END'));
	if (!line) throw new Error(`no end line in:\n${text}`);
	const fields = Object.fromEntries(line.split(' ').filter((part) => part.includes('=')).map((part) => part.split('=')));
	return {tps: Number(fields.tps), ttftMs: Number(fields.ttft_ms), tokens: Number(fields.tokens)};
}

log('preparing: payload builds, bench model (~27M params), kernels (cached in the test cache, see test/support/cache.ts)');
const model = await testModel(benchModel);
const x86 = await payloadBinary('x86_64');
const arm = await payloadBinary('aarch64');

// Host baseline: best of three runs of the x86_64 binary, one thread.
let host;
for (let run = 0; run < 3; run++) {
	const result = spawnSync(x86, ['--model', model, '--threads', '1', '--max-tokens', String(tokens), '--flags', 'raw,noeos', '--prompt', prompt], {encoding: 'utf8'});
	if (result.status !== 0) throw new Error(`host run failed: ${result.stderr}`);
	const end = parseEnd(result.stderr);
	if (!host || end.tps > host.tps) host = end;
}
log(`host: ${host.tps.toFixed(1)} tokens/s`);

const scratch = mkdtempSync(join(tmpdir(), 'sel4llm-bench-'));
async function guest(arch, binary, consoleName) {
	const [kernel, busybox] = await Promise.all([debianKernel(arch), debianBusybox(arch)]);
	const initrd = join(scratch, `${arch}.gz`);
	await buildInitramfs({
		out: initrd,
		arch,
		busybox,
		overlays: [rootfsOverlay],
		files: [
			{path: 'usr/bin/sel4llm-infer', source: binary, mode: 0o755},
			{path: 'models/bench.gguf', source: model, mode: 0o644},
		],
		gzip: true,
	});
	const socketPath = join(scratch, `${arch}.sock`);
	const command = buildQemuCommand({platform: 'linux-test', arch, kernel: kernel.kernel, initrd, memoryMb: 1024, append: `console=${consoleName} panic=-1`, serial: {socketPath}});
	const started = performance.now();
	const qemu = startQemu(command);
	try {
		(await qemu.console)?.destroy();
		const console = await GuestConsole.connect(socketPath);
		const ready = await console.waitReady({timeoutMs: 300_000, quietMs: 60_000});
		const readyS = (performance.now() - started) / 1000;
		let firstTokenS;
		const answer = await console.ask(prompt, {maxTokens: tokens, flags: ['raw', 'noeos'], onText: () => (firstTokenS ??= (performance.now() - started) / 1000)});
		firstTokenS ??= (performance.now() - started) / 1000;
		console.close();
		log(`${arch} guest: ready after ${readyS.toFixed(1)} s (${ready.via}), first token ${firstTokenS.toFixed(1)} s after QEMU start, ${answer.stats.tokensPerSecond.toFixed(1)} tokens/s`);
		return {tps: answer.stats.tokensPerSecond, readyS, firstTokenS, guestTtftMs: answer.stats.ttftMs};
	} finally {
		await qemu.stop(2000);
	}
}

const results = {tokens, model: 'demo bench (27M params, Q8_0)', host};
try {
	results.arm64 = await guest('arm64', arm, 'ttyAMA0');
	if (!skipAmd64) results.amd64 = await guest('amd64', x86, 'ttyS0');
} finally {
	rmSync(scratch, {recursive: true, force: true});
}

const rows = [['arm64 guest (cortex-a53, TCG) / host eval tokens/s', results.arm64.tps / host.tps]];
if (results.amd64) rows.push(['amd64 guest (qemu64, TCG, same binary) / host eval tokens/s', results.amd64.tps / host.tps]);
rows.push(['arm64: QEMU start -> first token / QEMU start -> ready', results.arm64.firstTokenS / results.arm64.readyS]);
console.log(`payload benchmark (${tokens} tokens, 1 thread, baseline: host ${host.tps.toFixed(1)} tokens/s)`);
for (const [name, value] of rows) console.log(`  ${name.padEnd(62)} ${value.toFixed(3)}`);
console.log(`  arm64: QEMU start -> first token ${results.arm64.firstTokenS.toFixed(1)} s (ready at ${results.arm64.readyS.toFixed(1)} s)`);
mkdirSync(join(root, 'bench', 'results'), {recursive: true});
writeFileSync(join(root, 'bench', 'results', 'payload.json'), `${JSON.stringify({...results, ratios: Object.fromEntries(rows)}, null, '\t')}\n`);
