// The serial watcher: console bytes in, boot timeline out (stages with times, halts, stalls, signature matches).
// Pure apart from the clock, which callers pass in, so replays and tests drive it with recorded times.
import {StringDecoder} from 'node:string_decoder';
import {byConfidence, diagnosisOf, matchLine, type Catalogue, type Diagnosis} from '../engine/troubleshoot.js';
import {cleanLine, haltOf, isStageId, stageIndex, stageOf, stageTitle, type HaltKind, type StageId} from './stages.js';

export type LineSource = 'serial' | 'qemu';

export type Expectation = {kind: 'stage'; stage: StageId; text: string} | {kind: 'regex'; pattern: RegExp; text: string};

export function parseExpectation(text: string): Expectation {
	if (isStageId(text)) return {kind: 'stage', stage: text, text};
	try {
		return {kind: 'regex', pattern: new RegExp(text), text};
	} catch (error) {
		throw new SyntaxError(`"${text}" is neither a stage nor a valid regular expression: ${(error as Error).message}`);
	}
}

export type StageRecord = {stage: StageId; t: number | undefined; line: string};
export type SignatureRecord = {
	id: string;
	title: string;
	t: number | undefined;
	line: string;
	count: number;
	benign: boolean;
	/** Seen after a guest power-off: a consequence of it, not a cause. */
	afterPoweroff: boolean;
	/** What the catalogue entry says, with the first matching line as its evidence. */
	diagnosis: Diagnosis;
};
export type HaltRecord = {kind: HaltKind; description: string; t: number | undefined; line: string};
export type StallRecord = {stage: StageId | 'start'; since: number; t: number; idleSeconds: number; lastLine: string | undefined};

export type WatchEvent =
	| {type: 'line'; t: number | undefined; text: string; source: LineSource}
	| {type: 'stage'; t: number | undefined; stage: StageId; line: string}
	| {type: 'signature'; t: number | undefined; record: SignatureRecord}
	| {type: 'halt'; t: number | undefined; record: HaltRecord}
	| {type: 'stall'; t: number; record: StallRecord}
	| {type: 'expected'; t: number | undefined; expectation: Expectation; line: string};

export type Timeline = {
	stages: StageRecord[];
	/** The furthest stage reached. */
	current: StageId | undefined;
	signatures: SignatureRecord[];
	halt: HaltRecord | undefined;
	stalls: StallRecord[];
	expectationsMet: string[];
	lastOutputAt: number | undefined;
	lastLine: string | undefined;
	lines: number;
	/**
	 * Once the service was ready: the line that showed it no longer reads the console (a shell or login prompt, its
	 * "service stopped" line). Cleared by a new SEL4LLM-READY.
	 */
	serviceLeft: {t: number | undefined; line: string} | undefined;
	/** The last shell or login prompt seen since the last SEL4LLM-READY: a shell (or getty) reads the console. */
	shellPrompt: {t: number | undefined; line: string} | undefined;
};

export type WatcherOptions = {
	catalogue?: Catalogue;
	/** Seconds without output at one stage before a stall is reported (default 60). */
	stallSeconds?: number;
	expect?: Expectation[];
	onEvent?: (event: WatchEvent) => void;
};

export class SerialWatcher {
	private readonly decoders = new Map<LineSource, StringDecoder>();
	private readonly partial = new Map<LineSource, string>();
	private readonly stageSet = new Set<StageId>();
	private readonly state: Timeline = {
		stages: [],
		current: undefined,
		signatures: [],
		halt: undefined,
		stalls: [],
		expectationsMet: [],
		lastOutputAt: undefined,
		lastLine: undefined,
		lines: 0,
		serviceLeft: undefined,
		shellPrompt: undefined,
	};
	private readonly stallMs: number;
	private quietSince = 0;
	private stallReported = false;

	constructor(private readonly options: WatcherOptions = {}) {
		this.stallMs = (options.stallSeconds ?? 60) * 1000;
	}

	get timeline(): Timeline {
		return this.state;
	}

	get expectations(): Expectation[] {
		return this.options.expect ?? [];
	}

	/** True when every expectation has been met (false when there are none). */
	get expectationsDone(): boolean {
		const expect = this.options.expect ?? [];
		return expect.length > 0 && this.state.expectationsMet.length === expect.length;
	}

	/** Feeds console bytes (or text) received at time t (ms since start). */
	push(chunk: Buffer | string, t: number | undefined, source: LineSource = 'serial'): void {
		let decoder = this.decoders.get(source);
		if (!decoder) {
			decoder = new StringDecoder('utf8');
			this.decoders.set(source, decoder);
		}
		const text = (this.partial.get(source) ?? '') + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
		if (t !== undefined) {
			this.state.lastOutputAt = t;
			this.quietSince = t;
			this.stallReported = false;
		}
		const parts = text.split(/\r\n|\n|\r(?!$)/);
		const rest = parts.pop() ?? '';
		for (const part of parts) this.line(part, t, source);
		this.partial.set(source, rest);
		// A prompt waits without a newline ("buildroot login: "): look at the unfinished line for stages.
		const pending = cleanLine(rest);
		if (pending.trim() !== '') {
			this.stage(pending, t);
			this.service(pending, t);
		}
	}

	/** One complete line (e.g. from a recorded log). */
	line(raw: string, t: number | undefined, source: LineSource = 'serial'): void {
		const text = cleanLine(raw);
		this.state.lines++;
		if (text.trim() !== '') this.state.lastLine = text;
		this.emit({type: 'line', t, text, source});
		if (text.trim() === '') return;
		if (t !== undefined) {
			this.state.lastOutputAt = t;
			this.quietSince = t;
			this.stallReported = false;
		}
		this.stage(text, t);
		this.service(text, t);
		for (const {entry, benign} of this.options.catalogue ? matchLine(this.options.catalogue, text) : []) {
			const existing = this.state.signatures.find((record) => record.id === entry.id);
			if (existing) {
				existing.count++;
				continue;
			}
			const record: SignatureRecord = {
				id: entry.id,
				title: entry.title,
				t,
				line: text,
				count: 1,
				benign,
				afterPoweroff: this.state.halt?.kind === 'guest-poweroff',
				diagnosis: diagnosisOf(entry, text),
			};
			this.state.signatures.push(record);
			this.emit({type: 'signature', t, record});
		}
		const halt = haltOf(text);
		if (halt && !this.state.halt) {
			this.state.halt = {...halt, t, line: text};
			this.emit({type: 'halt', t, record: this.state.halt});
		}
		this.expectLine(text, t);
	}

	/** Flushes an unfinished last line (end of a log, or QEMU exited). */
	end(t?: number): void {
		for (const [source, rest] of this.partial) {
			if (rest !== '') this.line(rest, t, source);
			this.partial.set(source, '');
		}
	}

	/** Checks for a stall at time t; returns it when newly detected. */
	tick(t: number): StallRecord | undefined {
		if (this.stallReported || this.state.halt) return undefined;
		// At a login prompt or after the readiness marker the system waits for its user: quiet is not a stall,
		// unless something more is expected.
		const waiting = this.state.current === 'login' || this.state.current === 'ready';
		if (waiting && (this.expectations.length === 0 || this.expectationsDone)) return undefined;
		if (t - this.quietSince < this.stallMs) return undefined;
		this.stallReported = true;
		const record: StallRecord = {
			stage: this.state.current ?? 'start',
			since: this.quietSince,
			t,
			idleSeconds: Math.round((t - this.quietSince) / 1000),
			lastLine: this.state.lastLine,
		};
		this.state.stalls.push(record);
		this.emit({type: 'stall', t, record});
		return record;
	}

	/** Starts the stall clock (call when QEMU starts). */
	start(t: number): void {
		this.quietSince = t;
	}

	private service(text: string, t: number | undefined): void {
		if (stageOf(text) === 'ready') {
			this.state.serviceLeft = undefined;
			this.state.shellPrompt = undefined;
			return;
		}
		if (shellPrompt.test(text) || stageOf(text) === 'login') this.state.shellPrompt = {t, line: text};
		if (this.stageSet.has('ready') && !this.state.serviceLeft && serviceGone(text)) this.state.serviceLeft = {t, line: text};
	}

	private stage(text: string, t: number | undefined): void {
		const stage = stageOf(text);
		if (!stage || this.stageSet.has(stage)) return;
		this.stageSet.add(stage);
		this.state.stages.push({stage, t, line: text});
		if (this.state.current === undefined || stageIndex(stage) > stageIndex(this.state.current)) this.state.current = stage;
		this.emit({type: 'stage', t, stage, line: text});
		this.expectStages(t, text);
	}

	private expectStages(t: number | undefined, line: string): void {
		for (const expectation of this.options.expect ?? []) {
			if (expectation.kind !== 'stage' || this.state.expectationsMet.includes(expectation.text)) continue;
			if (this.state.current !== undefined && stageIndex(this.state.current) >= stageIndex(expectation.stage)) {
				this.state.expectationsMet.push(expectation.text);
				this.emit({type: 'expected', t, expectation, line});
			}
		}
	}

	private expectLine(text: string, t: number | undefined): void {
		for (const expectation of this.options.expect ?? []) {
			if (expectation.kind !== 'regex' || this.state.expectationsMet.includes(expectation.text)) continue;
			if (expectation.pattern.test(text)) {
				this.state.expectationsMet.push(expectation.text);
				this.emit({type: 'expected', t, expectation, line: text});
			}
		}
	}

	private emit(event: WatchEvent): void {
		this.options.onEvent?.(event);
	}
}

/** A shell's prompt: busybox's "/ # " and "~ # ", a bare "# " or "$ ", "root@host:~# ", "[root@host ~]# ". */
const shellPrompt = /^(?:[\w.-]+@[\w.-]+[:\s][^#$]*|\[[^\]]+\]|[~/][^\s#$]*)?\s?[#$] ?$/;

/** A console line showing that the inference service no longer reads the console. */
export function serviceGone(line: string): boolean {
	return shellPrompt.test(line) || stageOf(line) === 'login' || /^sel4llm: service stopped\b/.test(line);
}

/** Who reads the guest's console, as far as the timeline shows: what a request sent now would reach. */
export type ServiceState =
	| {kind: 'booting'}
	/** A shell or login prompt has the console and the service has not said it is ready. */
	| {kind: 'shell'; t: number | undefined; line: string}
	| {kind: 'ready'; t: number | undefined}
	| {kind: 'left'; t: number | undefined; line: string}
	| {kind: 'halted'; description: string};

export function serviceState(timeline: Pick<Timeline, 'stages' | 'halt' | 'serviceLeft' | 'shellPrompt'>): ServiceState {
	if (timeline.halt) return {kind: 'halted', description: timeline.halt.description};
	const ready = timeline.stages.find((record) => record.stage === 'ready');
	if (!ready) return timeline.shellPrompt ? {kind: 'shell', ...timeline.shellPrompt} : {kind: 'booting'};
	if (timeline.serviceLeft) return {kind: 'left', ...timeline.serviceLeft};
	return {kind: 'ready', t: ready.t};
}

export type BootVerdict = {
	/** One line: what happened, the failure first when there is one. */
	summary: string;
	/** Whether the boot failed: a halt other than a power-off once ready, a known problem, a stall it never got past. */
	failed: boolean;
	/** Catalogue matches that explain it, most relevant first. */
	causes: SignatureRecord[];
	/** Generic (low-confidence) matches left out of the causes because a specific one explains the failure. */
	generic: SignatureRecord[];
	notes: string[];
};

/** A power-off once the service was ready is the end of a session, not a failure. */
export function haltFailed(timeline: Pick<Timeline, 'halt' | 'stages'>): boolean {
	const halt = timeline.halt;
	if (!halt) return false;
	return halt.kind !== 'guest-poweroff' || !timeline.stages.some((record) => record.stage === 'ready');
}

/**
 * A stall the boot never got past: no stage was reached after it and the service never became ready. A stall
 * followed by more stages was slow, not stuck.
 */
export function stallFatal(timeline: Pick<Timeline, 'stages'>, stall: StallRecord): boolean {
	if (timeline.stages.some((record) => record.stage === 'ready')) return false;
	return !timeline.stages.some((record) => record.t !== undefined && record.t > stall.since && stageIndex(record.stage) > (stall.stage === 'start' ? -1 : stageIndex(stall.stage)));
}

/** What went wrong (or right), from a finished timeline. */
export function judgeBoot(timeline: Timeline, outcome: {kind: 'expected' | 'halted' | 'exited' | 'timeout' | 'stopped' | 'ended'; exitCode?: number | null; timeoutSeconds?: number}): BootVerdict {
	const matched = byConfidence(
		timeline.signatures.filter((record) => !record.benign && !record.afterPoweroff),
		(record) => record.diagnosis.confidence,
	);
	// A generic entry ("Kernel panic", "boot_sys failed") says less than a specific one that matched the same boot.
	const specific = matched.some((record) => record.diagnosis.confidence !== 'low');
	const problems = specific ? matched.filter((record) => record.diagnosis.confidence !== 'low') : matched;
	const generic = specific ? matched.filter((record) => record.diagnosis.confidence === 'low') : [];
	const notes = timeline.signatures
		.filter((record) => record.benign || record.afterPoweroff)
		.map((record) => `${record.benign ? 'seen and harmless' : 'follows the power-off'}: ${record.title} ("${record.line.trim()}")`);
	const where = timeline.current ? `after stage "${timeline.current}" (${stageTitle(timeline.current)})` : 'before the first boot stage';
	const ready = timeline.stages.some((record) => record.stage === 'ready');
	const halt = timeline.halt;
	const haltText = halt ? `${halt.description}${halt.kind === 'guest-poweroff' && !ready ? ' before inference was ready' : ''} ${where}: "${halt.line.trim()}"` : undefined;
	const stall = timeline.stalls.at(-1);
	const stuck = stall && !halt && stallFatal(timeline, stall) ? stall : undefined;
	const stallText = stuck ? `stalled ${where}: no output for ${stuck.idleSeconds} s${stuck.lastLine ? ` after "${stuck.lastLine.trim()}"` : ''}` : undefined;
	const causeText = problems[0] ? `${problems[0].title} ${where}` : undefined;
	let summary: string;
	let failed = haltFailed(timeline) || problems.length > 0 || stuck !== undefined;
	switch (outcome.kind) {
		case 'expected':
			summary = `reached ${timeline.expectationsMet.join(', ')}`;
			failed = false;
			break;
		case 'halted':
			summary = haltText ?? `the system halted ${where}`;
			break;
		case 'exited':
			summary = `QEMU exited${outcome.exitCode === undefined || outcome.exitCode === null ? '' : ` with code ${outcome.exitCode}`} ${where}`;
			if (haltText && failed) summary = `${haltText}; QEMU exited`;
			else if (causeText) summary = `${causeText}; QEMU exited`;
			break;
		case 'timeout':
			summary = stall
				? `stalled ${where}: no output for ${stall.idleSeconds} s${stall.lastLine ? ` after "${stall.lastLine.trim()}"` : ''}; gave up after ${outcome.timeoutSeconds ?? '?'} s`
				: `timed out after ${outcome.timeoutSeconds ?? '?'} s ${where}`;
			failed = true;
			break;
		case 'stopped':
			summary = haltText && haltFailed(timeline) ? `${haltText}; stopped` : stallText ? `${stallText}; stopped` : causeText ? `${causeText}; stopped` : `stopped ${where}`;
			break;
		case 'ended':
			summary = haltText ?? (stallText ? `${stallText}; the log ends there` : causeText ? `${causeText}; the log ends there` : `log ends ${where}`);
			break;
		default: {
			const never: never = outcome.kind;
			throw new Error(`unknown outcome ${String(never)}`);
		}
	}
	return {summary, failed, causes: problems, generic, notes};
}
