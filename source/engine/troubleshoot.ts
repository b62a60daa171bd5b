// Matches a failure (its output, exit code, step or failed check) against the troubleshooting entries.
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
	/** The entry itself, to run its fix and re-check. */
	entry: TroubleshootEntry;
};

export type Failure = {stepId?: string; stepName?: string; lines: readonly string[]; exitCode?: number; failedChecks?: readonly string[]};

const compiled = new WeakMap<TroubleshootEntry, RegExp>();

function regexOf(entry: TroubleshootEntry): RegExp | undefined {
	if (entry.match.output === undefined) return undefined;
	let regex = compiled.get(entry);
	if (!regex) {
		regex = new RegExp(entry.match.output, 'i');
		compiled.set(entry, regex);
	}
	return regex;
}

export function matchEntry(entry: TroubleshootEntry, failure: Failure): {matched: boolean; evidence?: string} {
	const match = entry.match;
	if (match.step !== undefined && match.step !== failure.stepId && match.step !== failure.stepName) return {matched: false};
	if (match.exitCode !== undefined && match.exitCode !== failure.exitCode) return {matched: false};
	if (match.check !== undefined && !(failure.failedChecks ?? []).includes(match.check)) return {matched: false};
	const regex = regexOf(entry);
	if (regex) {
		const evidence = failure.lines.find((line) => regex.test(line));
		if (evidence === undefined) return {matched: false};
		return {matched: true, evidence};
	}
	return {matched: true};
}

/** Entries that match, step-specific ones first, each once; display commands resolved with the values. */
export function diagnose(entries: readonly TroubleshootEntry[], failure: Failure, values: ReadonlyMap<string, string> = new Map()): Diagnosis[] {
	const seen = new Set<string>();
	const diagnoses: Diagnosis[] = [];
	for (const entry of entries) {
		if (seen.has(entry.id) || entry.severity === 'info') continue;
		const {matched, evidence} = matchEntry(entry, failure);
		if (!matched) continue;
		seen.add(entry.id);
		const display = (list: string | CommandSpec[] | undefined) =>
			commandList(list).map((command) => {
				try {
					return resolveCommand(command, values).display;
				} catch {
					return typeof command === 'string' ? command : JSON.stringify(command);
				}
			});
		diagnoses.push({
			id: entry.id,
			title: entry.title,
			cause: entry.cause,
			...(entry.explanation ? {explanation: entry.explanation} : {}),
			confidence: entry.confidence,
			...(evidence !== undefined ? {evidence} : {}),
			...(entry.fix
				? {fix: {description: entry.fix.description, commands: display(entry.fix.run), capabilities: entry.fix.capabilities ?? []}}
				: {}),
			recheck: {commands: display(entry.recheck?.run), step: entry.recheck?.step ?? entry.recheck?.run === undefined},
			entry,
		});
	}
	const rank = {high: 0, medium: 1, low: 2} as const;
	return diagnoses.sort((a, b) => rank[a.confidence] - rank[b.confidence]);
}
