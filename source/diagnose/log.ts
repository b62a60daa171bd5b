// `sel4-llm diagnose`: any log (a build log made outside sel4-llm, a pasted serial console, a step log of ours)
// against every troubleshooting entry, through the one matcher of engine/troubleshoot.ts. It names the stage the
// log comes from (from the lines themselves), ranks the known causes that match, and when none does, shows the
// first error-looking line and where to ask.
import {basename} from 'node:path';
import type {RecipeSet} from '../engine/load.js';
import {looksLikeError} from '../engine/output.js';
import {journeyStages, type JourneyStage, type TroubleshootEntry} from '../engine/schema.js';
import {compileEntries, diagnosisOf, matchLine, type Diagnosis} from '../engine/troubleshoot.js';
import {launchScope} from '../qemu/catalogue.js';
import {cleanLine, haltOf, splitHostTime, stageOf, type StageId} from '../qemu/stages.js';

/** An entry to match, with where it comes from: the shared catalogue or the steps that declare it. */
export type CandidateEntry = {entry: TroubleshootEntry; stage?: JourneyStage; steps: string[]; origin: string};

export type RankedDiagnosis = Diagnosis & {
	/** 1-based line of the first evidence. */
	line: number;
	/** How many lines matched. */
	count: number;
	severity: TroubleshootEntry['severity'];
	/** The stage the entry belongs to, when known. */
	stage?: JourneyStage;
	/** troubleshoot.yaml (the catalogue of a recipe layer), or the step(s) that declare the entry. */
	origin: string;
	/** Why a match is only a note: harmless in healthy runs, or it follows a guest power-off. */
	note?: 'harmless' | 'after-poweroff';
};

export type LogReport = {
	/** The file name, or "-" for stdin. */
	source: string;
	lines: number;
	stage: JourneyStage | 'unknown';
	/** How the stage was found. */
	stageFrom: 'lines' | 'diagnosis' | 'file name' | 'none';
	/** The step the log belongs to, from a step log's file name (<recipe>.<step>.log). */
	step?: string;
	diagnoses: RankedDiagnosis[];
	notes: RankedDiagnosis[];
	firstError?: {line: number; text: string};
	ask: {discourse: string; repository: string; tracker: string};
};

export const discourseUrl = 'https://sel4.discourse.group';

/** The upstream repository whose issue tracker fits a failure at each stage. */
const repositoryOfStage: Record<JourneyStage | 'unknown', string> = {
	host: 'seL4/seL4-CAmkES-L4v-dockerfiles',
	sync: 'seL4/camkes-vm-examples-manifest',
	configure: 'seL4/camkes-vm-examples',
	build: 'seL4/camkes-vm',
	boot: 'seL4/seL4',
	guest: 'seL4/camkes-vm',
	unknown: 'seL4/camkes-vm-examples',
};

/** Where to ask about a failure at this stage. */
export function askWhere(stage: JourneyStage | 'unknown'): LogReport['ask'] {
	const repository = repositoryOfStage[stage];
	return {discourse: discourseUrl, repository, tracker: `https://github.com/${repository}/issues`};
}

/** The stage a recipe step belongs to (host.apt → host, build.configure-arm → configure, boot.ask → boot). */
export function stageOfStep(step: string): JourneyStage | undefined {
	if (launchScope(step)) return 'boot';
	const [recipe, name = ''] = step.split('.');
	switch (recipe) {
		case 'host':
			return 'host';
		case 'sources':
			return 'sync';
		case 'build':
			return name === 'check' || name.startsWith('configure') ? 'configure' : 'build';
		case 'payload':
		case 'guest':
		case 'buildroot':
		case 'usb':
			return 'build';
		case 'boot':
			return 'boot';
		default:
			return undefined;
	}
}

/** Every entry once: each step's own entries first (an entry shared by several steps names them all), then the catalogue. */
export function collectEntries(set: RecipeSet, catalogueName = 'troubleshoot.yaml'): CandidateEntry[] {
	const byId = new Map<string, CandidateEntry>();
	for (const id of set.order) {
		const step = set.steps.get(id)!;
		for (const entry of step.spec.troubleshoot ?? []) {
			const known = byId.get(entry.id);
			if (known) {
				known.steps.push(id);
				continue;
			}
			const stage = entry.stage ?? (entry.match.step ? stageOfStep(entry.match.step) : stageOfStep(id));
			byId.set(entry.id, {entry, steps: [id], origin: '', ...(stage ? {stage} : {})});
		}
	}
	for (const candidate of byId.values()) candidate.origin = `step ${candidate.steps.join(', ')}`;
	for (const entry of set.catalogue) {
		if (byId.has(entry.id)) continue;
		const stage = entry.stage ?? (entry.match.step ? stageOfStep(entry.match.step) : undefined);
		byId.set(entry.id, {entry, steps: [], origin: catalogueName, ...(stage ? {stage} : {})});
	}
	return [...byId.values()];
}

const consoleStage: Record<StageId, JourneyStage> = {
	elfloader: 'boot',
	kernel: 'boot',
	rootserver: 'boot',
	vmm: 'boot',
	linux: 'guest',
	init: 'guest',
	login: 'guest',
	ready: 'guest',
};

/** Lines that only a given stage prints (the console's boot markers come from qemu/stages.ts). */
const stageMarkers: ReadonlyArray<{stage: JourneyStage; pattern: RegExp}> = [
	{stage: 'host', pattern: /^(Reading package lists|Building dependency tree|Setting up \S+ \(|Unpacking \S+ \(|Get:\d+ https?:|E: Unable to locate package )/},
	{stage: 'host', pattern: /^(Collecting \S+|Requirement already satisfied: |Installing collected packages: |Successfully installed |\s*Building wheel for \S+ \(|error: externally-managed-environment)/},
	{stage: 'sync', pattern: /^(Downloading Repo source from |repo: |repo sync has finished|Fetching: \d|Syncing: \d|Checking out: \d|Cloning into '|Manifest \S+ from |project \S+ at [0-9a-f]{7})/},
	{stage: 'configure', pattern: /^(loading initial cache file |-- (The (C|CXX|ASM) compiler identification|Configuring (done|incomplete)|Generating done|Build files have been written to|Detecting cached version of: |Found GCC with prefix )|CMake (Error|Warning)( \(dev\))? at )/},
	// The built-in sync's progress ("[10/19] projects/seL4  cloned 736bfd6…") looks like ninja's counter: it comes first.
	{stage: 'sync', pattern: /^\[\s*\d+\/\d+\] \S+ +(fetch|clone|cloned|updated|unchanged|retry \d+ after|FAILED:) /},
	{stage: 'build', pattern: /^(\[\d+\/\d+\] |FAILED: |ninja: (build stopped|Entering directory|no work to do))/},
	{stage: 'boot', pattern: /^(qemu-system-\w+: |ELF-loading image |Enabling (hypervisor )?MMU and paging|Boot config: |Detected \d+ boot module|Parsing GRUB physical memory map|available phys memory regions: )/},
	{stage: 'guest', pattern: /^\[\s*\d+\.\d{6}\] /},
];

/** The stage a line shows, if any. */
export function markerStage(text: string): JourneyStage | undefined {
	const console = stageOf(text);
	if (console) return consoleStage[console];
	return stageMarkers.find((marker) => marker.pattern.test(text))?.stage;
}

/** "  build.ninja-arm | text": a line of a plain sel4-llm run, with the step it came from. */
const stepOutputPrefix = /^ {0,4}([a-z][a-z0-9_-]*\.[a-z][a-z0-9_-]*) \| ?/;

type Line = {number: number; text: string; step?: string};

function prepare(text: string): Line[] {
	const raw = text.split(/\r?\n/);
	if (raw.at(-1) === '') raw.pop();
	return raw.map((line, index) => {
		let clean = cleanLine(line);
		const prefix = stepOutputPrefix.exec(clean);
		const step = prefix?.[1];
		if (prefix) clean = clean.slice(prefix[0].length);
		// Logs of `sel4-llm launch` put the host's seconds in front of each console line.
		clean = splitHostTime(clean).text;
		return {number: index + 1, text: clean, ...(step ? {step} : {})};
	});
}

/** The step a log file of ours belongs to: <workspace>/.sel4-llm/logs/<recipe>.<step>.log. */
export function stepOfLogName(file: string, steps: ReadonlySet<string>): string | undefined {
	const match = /^([a-z][a-z0-9_-]*\.[a-z][a-z0-9_-]*)\.log$/.exec(basename(file));
	return match && steps.has(match[1]!) ? match[1] : undefined;
}

/** Failures at configure and build, or at boot and in the guest, show in the same logs: they fit each other. */
const family: Record<JourneyStage, number> = {host: 0, sync: 1, configure: 2, build: 2, boot: 3, guest: 3};

function fits(entryStage: JourneyStage | undefined, lineStage: JourneyStage | undefined): boolean {
	return entryStage === undefined || lineStage === undefined || family[entryStage] === family[lineStage];
}

const confidenceRank = {high: 0, medium: 1, low: 2} as const;
const severityRank = {error: 0, warning: 1, info: 2} as const;

type Hit = {candidate: CandidateEntry; first: Line; count: number; lineStage: JourneyStage | undefined; afterPoweroff: boolean; specificity: number};

/**
 * Ranks the matches: entries that fit the stage of their evidence first, then errors before warnings, then by
 * confidence, then the more specific signature (the longer text it matched), then the one with more evidence
 * lines, then the earlier one. Each evidence line keeps only its best cause (a generic "Kernel panic" gives way
 * to the specific panic on the same line).
 */
function rank(hits: Hit[]): Hit[] {
	const sorted = [...hits].sort(
		(a, b) =>
			Number(!fits(a.candidate.stage, a.lineStage)) - Number(!fits(b.candidate.stage, b.lineStage)) ||
			severityRank[a.candidate.entry.severity] - severityRank[b.candidate.entry.severity] ||
			confidenceRank[a.candidate.entry.confidence] - confidenceRank[b.candidate.entry.confidence] ||
			b.specificity - a.specificity ||
			b.count - a.count ||
			a.first.number - b.first.number,
	);
	const lines = new Set<number>();
	return sorted.filter((hit) => {
		if (lines.has(hit.first.number)) return false;
		lines.add(hit.first.number);
		return true;
	});
}

export type DiagnoseOptions = {
	entries: readonly CandidateEntry[];
	/** Recipe values, to show the fix commands as they would run. */
	values?: ReadonlyMap<string, string>;
	/** The file name (or "-"). */
	source: string;
	/** The step the log belongs to, when known (a step log's name). */
	step?: string;
};

/** Matches every line of a log against every entry (the step is unknown, so every entry applies) and ranks the causes. */
export function diagnoseLog(text: string, options: DiagnoseOptions): LogReport {
	const lines = prepare(text);
	const byEntry = new Map(options.entries.map((candidate) => [candidate.entry, candidate]));
	const catalogue = compileEntries(
		options.entries.map((candidate) => candidate.entry),
		() => true,
		options.source,
	);
	const hintStage = options.step ? stageOfStep(options.step) : undefined;
	const hits = new Map<TroubleshootEntry, Hit>();
	let furthest = -1;
	let poweredOff = false;
	let firstError: LogReport['firstError'];
	for (const line of lines) {
		if (line.text.trim() === '') continue;
		const marked = markerStage(line.text) ?? (line.step ? stageOfStep(line.step) : undefined);
		if (marked) furthest = Math.max(furthest, journeyStages.indexOf(marked));
		const lineStage = furthest >= 0 ? journeyStages[furthest] : hintStage;
		for (const {entry, pattern} of matchLine(catalogue, line.text)) {
			const known = hits.get(entry);
			if (known) {
				known.count++;
				continue;
			}
			hits.set(entry, {
				candidate: byEntry.get(entry)!,
				first: line,
				count: 1,
				lineStage,
				afterPoweroff: poweredOff,
				specificity: pattern.exec(line.text)?.[0].length ?? 0,
			});
		}
		if (haltOf(line.text)?.kind === 'guest-poweroff') poweredOff = true;
		if (!firstError && looksLikeError(line.text)) firstError = {line: line.number, text: line.text};
	}
	const ranked = rank([...hits.values()]).map((hit) => toRanked(hit, options.values));
	const diagnoses = ranked.filter((each) => each.note === undefined);
	const notes = ranked.filter((each) => each.note !== undefined);
	const furthestStage = furthest >= 0 ? journeyStages[furthest] : undefined;
	const top = diagnoses[0];
	const topHit = top ? [...hits.values()].find((hit) => hit.candidate.entry === top.entry) : undefined;
	let stage: LogReport['stage'] = 'unknown';
	let stageFrom: LogReport['stageFrom'] = 'none';
	// The stage the lines show where the most likely cause is; without a cause, the furthest stage the log reached.
	if (topHit && furthest >= 0 && topHit.lineStage) [stage, stageFrom] = [topHit.lineStage, 'lines'];
	else if (!topHit && furthestStage) [stage, stageFrom] = [furthestStage, 'lines'];
	else if (top?.stage) [stage, stageFrom] = [top.stage, 'diagnosis'];
	else if (hintStage) [stage, stageFrom] = [hintStage, 'file name'];
	else if (furthestStage) [stage, stageFrom] = [furthestStage, 'lines'];
	return {
		source: options.source,
		lines: lines.length,
		stage,
		stageFrom,
		...(options.step ? {step: options.step} : {}),
		diagnoses,
		notes,
		...(firstError ? {firstError} : {}),
		ask: askWhere(stage),
	};
}

function toRanked(hit: Hit, values: ReadonlyMap<string, string> | undefined): RankedDiagnosis {
	const {entry, stage, origin} = hit.candidate;
	const note = entry.severity === 'info' ? 'harmless' : hit.afterPoweroff ? 'after-poweroff' : undefined;
	return {
		...diagnosisOf(entry, hit.first.text, values),
		line: hit.first.number,
		count: hit.count,
		severity: entry.severity,
		...(stage ? {stage} : {}),
		origin,
		...(note ? {note} : {}),
	};
}
