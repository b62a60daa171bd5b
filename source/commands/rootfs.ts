// `sel4-llm rootfs`: our overlay (and a model) appended to the guest's initramfs.
import {existsSync} from 'node:fs';
import {join} from 'node:path';
import {UserError} from '../errors.js';
import {readGgufHeader} from '../guest/gguf.js';
import {buildRootfs} from '../guest/rootfs.js';
import type {CommandContext} from './context.js';

export async function run(context: CommandContext): Promise<number> {
	const {base, output, compress} = context.options;
	// An empty --model (the recipes' default) means the workspace's demo model, once the payload recipe wrote it.
	const demo = join(context.workspace, 'models', 'demo.gguf');
	const model = context.options.model === '' && existsSync(demo) ? demo : context.options.model;
	if (typeof base !== 'string') throw new UserError('rootfs needs --base FILE', {hint: 'The initramfs to start from, e.g. rootfs.cpio.gz.'});
	if (typeof output !== 'string') throw new UserError('rootfs needs -o FILE', {hint: 'The initramfs to write.'});
	const overlays = Array.isArray(context.options.overlay) ? context.options.overlay : typeof context.options.overlay === 'string' ? [context.options.overlay] : [];
	const modelIn = context.options['model-in'] ?? 'initrd';
	if (modelIn === 'disk' && typeof model === 'string' && model !== '') readGgufHeader(model);
	const adds = Array.isArray(context.options.add) ? context.options.add : typeof context.options.add === 'string' ? [context.options.add] : [];
	const files = adds.map((spec) => {
		const at = spec.lastIndexOf('=');
		if (at <= 0 || at === spec.length - 1) {
			throw new UserError(`--add ${spec}: expected HOST=GUEST`, {hint: 'For example --add build/sel4llm-infer=usr/bin/sel4llm-infer'});
		}
		return {host: spec.slice(0, at), guest: spec.slice(at + 1)};
	});
	const result = await buildRootfs({
		files,
		base,
		output,
		overlays,
		...(typeof model === 'string' && model !== '' && modelIn === 'initrd' ? {model} : {}),
		...(compress === 'gzip' || compress === 'none' || compress === 'auto' ? {compress} : {}),
	});
	if (context.mode === 'json') {
		context.events.result(result);
		return 0;
	}
	for (const path of result.replaced) context.io.stderr.write(`  replaced /${path}\n`);
	context.io.stderr.write(`rootfs: ${result.added.length} entries appended, ${(result.bytes / 1024 / 1024).toFixed(1)} MiB written\n`);
	context.io.stdout.write(`${result.output}\n`);
	return 0;
}
