// The recipe values remembered per workspace (the `--set name=value` given for it, the setup wizard's choices),
// kept with conf in the user's config folder: $XDG_CONFIG_HOME/sel4-llm/config.json (~/.config/sel4-llm/ when
// XDG_CONFIG_HOME is unset), keyed by the workspace's absolute path. Only strings are kept here; what they mean,
// and whether they are still allowed, is checked by the recipes each time they are used.
import {homedir} from 'node:os';
import {join} from 'node:path';
import Conf from 'conf';
import {z} from 'zod';
import {InputError} from '../errors.js';

const rememberedValueSchema = z.object({
	value: z.string(),
	/** Given with --set, or chosen in the setup wizard. */
	from: z.enum(['set', 'setup']),
	/** When it was given (ISO time). */
	at: z.string(),
});

export type RememberedValue = z.infer<typeof rememberedValueSchema>;
export type Remembered = Record<string, RememberedValue>;

const storeSchema = z.object({
	version: z.literal(1).default(1),
	workspaces: z.record(z.string(), z.record(z.string(), rememberedValueSchema)).default({}),
});

type Store = z.infer<typeof storeSchema>;

const fix = 'fix or remove it: it holds only the values remembered for workspaces (--set, the setup wizard)';

function open(): Conf<Store> {
	try {
		// No dot notation: workspace paths have dots. conf writes atomically (a temporary file, then a rename).
		return new Conf<Store>({projectName: 'sel4-llm', projectSuffix: '', accessPropertiesByDotNotation: false});
	} catch (error) {
		throw new InputError(`the remembered values file ${configFile()} cannot be read: ${(error as Error).message}`, {hint: fix});
	}
}

/** Where the remembered values are kept (where conf puts them: env-paths' config folder). */
export function configFile(): string {
	return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'sel4-llm', 'config.json');
}

function read(store: Conf<Store>): Store {
	const parsed = storeSchema.safeParse(store.store);
	if (!parsed.success) {
		const issue = parsed.error.issues[0]!;
		throw new InputError(`the remembered values file ${store.path} is not valid: ${issue.path.join('.')}: ${issue.message}`, {hint: fix});
	}
	return parsed.data;
}

/** What is remembered for a workspace; undefined when nothing ever was (not even an empty set after --forget-all). */
export function rememberedFor(workspace: string): Remembered | undefined {
	return read(open()).workspaces[workspace];
}

/** Replaces what is remembered for a workspace. */
export function setRemembered(workspace: string, values: Remembered): void {
	const store = open();
	const data = read(store);
	store.store = {...data, version: 1, workspaces: {...data.workspaces, [workspace]: values}};
}
