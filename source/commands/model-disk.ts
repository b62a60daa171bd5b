// `sel4-llm model-disk`: an ext4 image with GGUF models for the guest (no root, no mount).
import {UserError} from '../errors.js';
import {buildModelDisk} from '../images/model-disk.js';
import {say, type CommandContext} from './context.js';

function mib(bytes: number): string {
	return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export async function run(context: CommandContext): Promise<number> {
	const output = context.options.output;
	if (typeof output !== 'string' || output === '') {
		throw new UserError('model-disk needs an output file', {hint: 'Add -o FILE, for example: sel4-llm model-disk model.gguf -o models.img'});
	}
	const marginText = context.options['margin-mb'];
	let marginMb: number | undefined;
	if (typeof marginText === 'string') {
		marginMb = Number(marginText);
		if (!/^\d+$/.test(marginText)) throw new UserError(`--margin-mb must be a whole number of MiB (got "${marginText}")`);
	}
	const label = typeof context.options.label === 'string' ? context.options.label : undefined;
	say(context, `model-disk: checking ${context.positionals.length} input(s)`);
	const result = await buildModelDisk({
		inputs: context.positionals,
		output,
		...(label ? {label} : {}),
		...(marginMb !== undefined ? {marginMb} : {}),
		force: Boolean(context.options.force),
		mbr: Boolean(context.options.mbr),
	});
	if (context.mode === 'json') {
		context.events.result(result);
		return 0;
	}
	for (const file of result.files) context.io.stderr.write(`  ${file.name}  ${mib(file.size)}  GGUF v${file.version}\n`);
	context.io.stderr.write(
		`model-disk: wrote ${result.output} (label ${result.label}): ${mib(result.sizeBytes)} image, ${mib(result.allocatedBytes)} allocated, ${mib(result.contentBytes)} of models\n`,
	);
	context.io.stdout.write(`${result.output}\n`);
	return 0;
}
