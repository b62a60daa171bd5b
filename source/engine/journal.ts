// Per-workspace record of every step: the fingerprint of its inputs, its outputs, times and result. Written
// atomically on every change, so killing sel4-llm at any moment never leaves a record that claims an unfinished
// step is done: a step is marked "running" before it starts and "done" only after it finished. A journal that is
// not valid is moved aside and reported, never silently reset.
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {z} from 'zod';
import {readState, writeState} from '../system/state-file.js';

const stepRecordSchema = z.object({
	state: z.enum(['running', 'done', 'failed', 'interrupted']),
	fingerprint: z.string(),
	/** Digest of what the step produced; downstream fingerprints include it. */
	outputs: z.string().optional(),
	startedAt: z.string(),
	finishedAt: z.string().optional(),
	durationMs: z.number().nonnegative().optional(),
	exitCode: z.number().int().optional(),
	error: z.string().optional(),
	logPath: z.string().optional(),
	artifacts: z.record(z.string(), z.string()).optional(),
	/** While running: the process group of the command, to stop it if sel4-llm itself was killed. */
	pid: z.number().int().positive().optional(),
});

export type StepRecord = z.infer<typeof stepRecordSchema>;

const journalSchema = z.object({
	/** Journals written before the format had a version are version 1. */
	version: z.literal(1).default(1),
	steps: z.record(z.string(), stepRecordSchema).default({}),
	choices: z.record(z.string(), z.string()).default({}),
});

type JournalData = z.infer<typeof journalSchema>;

const artifactsSchema = z.record(z.string(), z.record(z.string(), z.string()));

export type Journal = {
	readonly path: string;
	get(stepId: string): StepRecord | undefined;
	all(): Record<string, StepRecord>;
	set(stepId: string, record: StepRecord): void;
	delete(stepId: string): void;
	/** The setup choices journals of earlier versions hold (values are now remembered in the user's config). */
	choices(): Record<string, string>;
};

export function stateDir(workspace: string): string {
	return join(workspace, '.sel4-llm');
}

const spec = {schema: journalSchema, what: 'the journal', fix: 'the next run starts a new journal (steps whose status checks hold are skipped again)'};

/** Opens (creating when asked) the journal of a workspace. Without `create`, a missing journal reads as empty. */
export function openJournal(workspace: string, options: {create: boolean} = {create: true}): Journal {
	const dir = stateDir(workspace);
	const path = join(dir, 'journal.json');
	let data: JournalData = readState(path, spec) ?? {version: 1, steps: {}, choices: {}};
	const readOnly = () => {
		throw new Error('journal opened read-only');
	};
	if (!options.create) {
		return {path, get: (id) => data.steps[id], all: () => data.steps, set: readOnly, delete: readOnly, choices: () => data.choices};
	}
	mkdirSync(dir, {recursive: true});
	const save = () => writeState(path, data, 'the journal');
	return {
		path,
		get: (id) => data.steps[id],
		all: () => data.steps,
		set(id, record) {
			data = {...data, steps: {...data.steps, [id]: record}};
			save();
			writeArtifacts(dir, data.steps);
		},
		delete(id) {
			const steps = {...data.steps};
			delete steps[id];
			data = {...data, steps};
			save();
		},
		choices: () => data.choices,
	};
}

/** `<state>/artifacts.json`: the named outputs of every finished step, for launch, flash and scripts. */
function writeArtifacts(dir: string, steps: Record<string, StepRecord>): void {
	const artifacts: Record<string, Record<string, string>> = {};
	for (const [id, record] of Object.entries(steps)) {
		if (record.state === 'done' && record.artifacts && Object.keys(record.artifacts).length > 0) artifacts[id] = record.artifacts;
	}
	writeState(join(dir, 'artifacts.json'), artifacts, 'the artifacts record');
}

/** Reads `<state>/artifacts.json` (undefined when there is none). */
export function readArtifacts(workspace: string): Record<string, Record<string, string>> | undefined {
	return readState(join(stateDir(workspace), 'artifacts.json'), {schema: artifactsSchema, what: 'the artifacts record', fix: 'the next run writes it again'});
}
