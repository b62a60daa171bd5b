// Per-workspace record of every step: the fingerprint of its inputs, its outputs, times and result.
// Stored with conf (atomic writes), so killing sel4-llm at any moment never leaves a record that claims an
// unfinished step is done: a step is marked "running" before it starts and "done" only after it finished.
import {mkdirSync, readFileSync, writeFileSync, renameSync} from 'node:fs';
import {join} from 'node:path';
import Conf from 'conf';

export type StepRecord = {
	state: 'running' | 'done' | 'failed' | 'interrupted';
	fingerprint: string;
	/** Digest of what the step produced; downstream fingerprints include it. */
	outputs?: string;
	startedAt: string;
	finishedAt?: string;
	durationMs?: number;
	exitCode?: number;
	error?: string;
	logPath?: string;
	artifacts?: Record<string, string>;
	/** While running: the process group of the command, to stop it if sel4-llm itself was killed. */
	pid?: number;
};

type JournalData = {
	steps: Record<string, StepRecord>;
	choices: Record<string, string>;
};

export type Journal = {
	readonly path: string;
	get(stepId: string): StepRecord | undefined;
	all(): Record<string, StepRecord>;
	set(stepId: string, record: StepRecord): void;
	delete(stepId: string): void;
	choices(): Record<string, string>;
	setChoices(choices: Record<string, string>): void;
};

export function stateDir(workspace: string): string {
	return join(workspace, '.sel4-llm');
}

/** Opens (creating when asked) the journal of a workspace. Without `create`, a missing journal reads as empty. */
export function openJournal(workspace: string, options: {create: boolean} = {create: true}): Journal {
	const dir = stateDir(workspace);
	const path = join(dir, 'journal.json');
	if (!options.create) {
		let data: JournalData = {steps: {}, choices: {}};
		try {
			data = {steps: {}, choices: {}, ...(JSON.parse(readFileSync(path, 'utf8')) as Partial<JournalData>)};
		} catch {
			// no journal yet (or unreadable): everything is pending
		}
		return {
			path,
			get: (id) => data.steps[id],
			all: () => data.steps,
			set: () => {
				throw new Error('journal opened read-only');
			},
			delete: () => {
				throw new Error('journal opened read-only');
			},
			choices: () => data.choices,
			setChoices: () => {
				throw new Error('journal opened read-only');
			},
		};
	}
	mkdirSync(dir, {recursive: true});
	const store = new Conf<JournalData>({
		cwd: dir,
		configName: 'journal',
		accessPropertiesByDotNotation: false,
		clearInvalidConfig: false,
		defaults: {steps: {}, choices: {}},
	});
	return {
		path,
		get: (id) => store.get('steps')[id],
		all: () => store.get('steps'),
		set(id, record) {
			store.set('steps', {...store.get('steps'), [id]: record});
			writeArtifacts(dir, store.get('steps'));
		},
		delete(id) {
			const steps = {...store.get('steps')};
			delete steps[id];
			store.set('steps', steps);
		},
		choices: () => store.get('choices'),
		setChoices(choices) {
			store.set('choices', choices);
		},
	};
}

/** `<state>/artifacts.json`: the named outputs of every finished step, for launch, flash and scripts. */
function writeArtifacts(dir: string, steps: Record<string, StepRecord>): void {
	const artifacts: Record<string, Record<string, string>> = {};
	for (const [id, record] of Object.entries(steps)) {
		if (record.state === 'done' && record.artifacts && Object.keys(record.artifacts).length > 0) artifacts[id] = record.artifacts;
	}
	const file = join(dir, 'artifacts.json');
	writeFileSync(`${file}.tmp`, `${JSON.stringify(artifacts, null, 2)}\n`);
	renameSync(`${file}.tmp`, file);
}
