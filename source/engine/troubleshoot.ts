// The one matcher for troubleshooting entries (a step's `troubleshoot` list and recipes/troubleshoot.yaml): an
// entry's regular expression is compiled once; lines are matched one at a time (the serial watcher) or as a whole
// failure with its exit code and failed checks (a step); either way a match reads as a Diagnosis.
import type {Capability, CommandSpec, TroubleshootEntry} from './schema.js';
import {commandList} from './load.js';
import {resolveCommand} from './exec.js';

export type Diagnosis = {
	id: string;
	title: string;
	cause: string;
	explanation?: string;
	confidence: 'high' | 'medium' | 'low';
	/** The line that matched, when the match was on output. */
	evidence?: string;
	fix?: {description: string; commands: string[]; capabilities: Capability[]};
	recheck?: {commands: string[]; step: boolean};
	/** Where this failure was reported in public, when the entry names it. */
	source?: string;
	/** The entry itself, to run its fix and re-check. */
	entry: TroubleshootEntry;
};

/**
 * What is matched: any lines (a step's output, a log file), with what is known of where they came from. Without a
 * step, only the entries that name no step apply.
 */
export type Failure = {stepId?: string; stepName?: string; lines: readonly string[]; exitCode?: number; failedChecks?: readonly string[]};

/** Whether an entry's `match.step` names the step the lines came from. */
export type StepScope = (step: string) => boolean;

/** An entry with an output signature, its regular expression compiled. */
export type CompiledEntry = {entry: TroubleshootEntry; pattern: RegExp; benign: boolean};
/** The entries that apply to one stream of lines, ready to match line by line. */
export type Catalogue = {entries: CompiledEntry[]; file: string};

const compiled = new WeakMap<TroubleshootEntry, CompiledEntry>();

/** The entry with its regular expression, compiled on first use; undefined for an entry without `match.output`. */
export function compileEntry(entry: TroubleshootEntry): CompiledEntry | undefined {
	if (entry.match.output === undefined) return undefined;
	let result = compiled.get(entry);
	if (!result) {
		result = {entry, pattern: new RegExp(entry.match.output, 'i'), benign: entry.severity === 'info'};
		compiled.set(entry, result);
	}
	return result;
}

/** A failing step answers to its id ("usb.image") and its short name ("image"). */
export function stepScope(failure: Pick<Failure, 'stepId' | 'stepName'>): StepScope {
	return (step) => step === failure.stepId || step === failure.stepName;
}

function applies(entry: TroubleshootEntry, scope: StepScope): boolean {
	return entry.match.step === undefined || scope(entry.match.step);
}

/** The entries with an output signature that apply in the scope, for matching lines as they arrive. */
export function compileEntries(entries: readonly TroubleshootEntry[], scope: StepScope, file = '(inline)'): Catalogue {
	const result: CompiledEntry[] = [];
	for (const entry of entries) {
		const each = compileEntry(entry);
		if (each && applies(entry, scope)) result.push(each);
	}
	return {entries: result, file};
}

/** The entries whose signature is on this line. */
export function matchLine(catalogue: Catalogue, line: string): CompiledEntry[] {
	return catalogue.entries.filter((each) => each.pattern.test(line));
}

export function matchEntry(entry: TroubleshootEntry, failure: Failure): {matched: boolean; evidence?: string} {
	const match = entry.match;
	if (!applies(entry, stepScope(failure))) return {matched: false};
	if (match.exitCode !== undefined && match.exitCode !== failure.exitCode) return {matched: false};
	if (match.check !== undefined && !(failure.failedChecks ?? []).includes(match.check)) return {matched: false};
	const pattern = compileEntry(entry)?.pattern;
	if (pattern) {
		const evidence = failure.lines.find((line) => pattern.test(line));
		if (evidence === undefined) return {matched: false};
		return {matched: true, evidence};
	}
	return {matched: true};
}

/** What a matched entry says, with its evidence; commands are shown resolved with the values. */
export function diagnosisOf(entry: TroubleshootEntry, evidence: string | undefined, values: ReadonlyMap<string, string> = new Map()): Diagnosis {
	const display = (list: string | CommandSpec[] | undefined) =>
		commandList(list).map((command) => {
			try {
				return resolveCommand(command, values).display;
			} catch {
				return typeof command === 'string' ? command : JSON.stringify(command);
			}
		});
	return {
		id: entry.id,
		title: entry.title,
		cause: entry.cause,
		...(entry.explanation ? {explanation: entry.explanation} : {}),
		confidence: entry.confidence,
		...(evidence !== undefined ? {evidence} : {}),
		...(entry.fix ? {fix: {description: entry.fix.description, commands: display(entry.fix.run), capabilities: entry.fix.capabilities ?? []}} : {}),
		recheck: {commands: display(entry.recheck?.run), step: entry.recheck?.step ?? entry.recheck?.run === undefined},
		...(entry.source ? {source: entry.source} : {}),
		entry,
	};
}

const rank = {high: 0, medium: 1, low: 2} as const;

/** Most confident first; the sort is stable, so equal ones keep their order. */
export function byConfidence<T>(items: readonly T[], confidence: (item: T) => TroubleshootEntry['confidence']): T[] {
	return [...items].sort((a, b) => rank[confidence(a)] - rank[confidence(b)]);
}

/** Entries that match, step-specific ones first, each once; harmless ones (severity info) are never a cause. */
export function diagnose(entries: readonly TroubleshootEntry[], failure: Failure, values: ReadonlyMap<string, string> = new Map()): Diagnosis[] {
	const seen = new Set<string>();
	const diagnoses: Diagnosis[] = [];
	for (const entry of entries) {
		if (seen.has(entry.id) || entry.severity === 'info') continue;
		const {matched, evidence} = matchEntry(entry, failure);
		if (!matched) continue;
		seen.add(entry.id);
		diagnoses.push(diagnosisOf(entry, evidence, values));
	}
	return byConfidence(diagnoses, (diagnosis) => diagnosis.confidence);
}
