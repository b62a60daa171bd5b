import type {CommandContext} from './context.js';

export async function run(context: CommandContext): Promise<number> {
	context.io.stderr.write('status: not yet\n');
	return 1;
}
