// Plain-text and JSON renderings of a timeline and its verdict (the Ink view has its own components).
import type {CommandSpec, TroubleshootEntry} from '../engine/schema.js';
import {wrapText} from '../system/wrap.js';
import {formatSeconds, stallAdvice, stageIds, stageTitle} from './stages.js';
import {haltFailed, stallFatal, type BootVerdict, type StallRecord, type Timeline, type WatchEvent} from './watcher.js';
import type {JsonEvent} from '../reporters/stream.js';

function describeCommand(command: CommandSpec): string {
	if (typeof command === 'string') return command;
	if (Array.isArray(command)) return command.join(' ');
	if ('argv' in command) return `${command.sudo ? 'sudo ' : ''}${command.argv.join(' ')}`;
	return `${command.sudo ? 'sudo ' : ''}sh -c ${JSON.stringify(command.sh)}`;
}

function commands(list: string | CommandSpec[] | undefined): string[] {
	if (list === undefined) return [];
	return (typeof list === 'string' ? [list] : list).map(describeCommand);
}

/** The width plain reports wrap their prose at. */
const proseWidth = 100;

/** A stall's mark: ✗ when the boot never got past it, ! when it went on afterwards (or may still). */
export function stallMark(timeline: Pick<Timeline, 'stages' | 'halt'>, stall: StallRecord, finished: boolean): '✗' | '!' {
	return finished && !timeline.halt && stallFatal(timeline, stall) ? '✗' : '!';
}

/** A halt's mark: ✗, or ■ for a power-off once the service was ready (the end of a session). */
export function haltMark(timeline: Pick<Timeline, 'stages' | 'halt'>): '✗' | '■' {
	return haltFailed(timeline) ? '✗' : '■';
}

export function formatTimeline(timeline: Timeline): string[] {
	const lines: string[] = [];
	const reached = new Map(timeline.stages.map((record) => [record.stage, record]));
	const furthest = timeline.current ? stageIds.indexOf(timeline.current) : -1;
	stageIds.forEach((stage, index) => {
		const record = reached.get(stage);
		const title = stageTitle(stage).padEnd(20);
		if (record) lines.push(`  ✓ ${formatSeconds(record.t)}  ${title} ${truncate(record.line.trim(), 90)}`);
		else if (index < furthest) lines.push(`  · ${formatSeconds(undefined)}  ${title} (no marker seen)`);
		else lines.push(`  - ${formatSeconds(undefined)}  ${title} not reached`);
	});
	if (timeline.halt) lines.push(`  ${haltMark(timeline)} ${formatSeconds(timeline.halt.t)}  ${'halt'.padEnd(20)} ${timeline.halt.description}: ${truncate(timeline.halt.line.trim(), 70)}`);
	if (timeline.serviceLeft && !timeline.halt) {
		lines.push(`  ! ${formatSeconds(timeline.serviceLeft.t)}  ${'service stopped'.padEnd(20)} the inference service no longer reads the console: ${truncate(timeline.serviceLeft.line.trim(), 60)}`);
	}
	for (const stall of timeline.stalls) {
		lines.push(`  ${stallMark(timeline, stall, true)} ${formatSeconds(stall.t)}  ${'stall'.padEnd(20)} no output for ${stall.idleSeconds} s at ${stall.stage}`);
		lines.push(...wrapText(`what to do: ${stallAdvice[stall.stage]}`, proseWidth, 12, 14));
	}
	return lines;
}

export function formatEntry(entry: TroubleshootEntry, indent = '    '): string[] {
	const lines = [`${indent}cause: ${entry.cause}`];
	if (entry.explanation) lines.push(`${indent}why: ${entry.explanation.trim()}`);
	if (entry.fix) {
		lines.push(`${indent}fix: ${entry.fix.description.trim()}`);
		for (const command of commands(entry.fix.run)) lines.push(`${indent}  $ ${command}`);
		if (entry.fix.capabilities?.length) lines.push(`${indent}  (needs: ${entry.fix.capabilities.join(', ')}; shown here, run only with your consent)`);
	}
	const recheck = commands(entry.recheck?.run);
	if (recheck.length > 0) lines.push(`${indent}re-check: ${recheck.join(' && ')}`);
	else if (entry.recheck?.step !== false) lines.push(`${indent}re-check: launch again`);
	return lines;
}

export function formatVerdict(verdict: BootVerdict): string[] {
	const lines = [`Result: ${verdict.failed ? '✗ ' : ''}${verdict.summary}`];
	for (const cause of verdict.causes) {
		lines.push(`  ✗ ${cause.title}${cause.count > 1 ? ` (${cause.count} times)` : ''} [${cause.id}, confidence ${cause.diagnosis.confidence}]`);
		lines.push(`    line: ${truncate(cause.line.trim(), 100)}`);
		lines.push(...formatEntry(cause.diagnosis.entry));
	}
	if (verdict.generic.length > 0) lines.push(`  also matched, generic: ${verdict.generic.map((cause) => `${cause.title} [${cause.id}]`).join('; ')}`);
	for (const note of verdict.notes) lines.push(`  note: ${truncate(note, 140)}`);
	return lines;
}

export function timelineJson(timeline: Timeline, verdict: BootVerdict): unknown {
	return {
		stages: timeline.stages.map((record) => ({stage: record.stage, seconds: record.t === undefined ? null : record.t / 1000, line: record.line})),
		current: timeline.current ?? null,
		halt: timeline.halt ? {kind: timeline.halt.kind, description: timeline.halt.description, seconds: timeline.halt.t === undefined ? null : timeline.halt.t / 1000, line: timeline.halt.line} : null,
		stalls: timeline.stalls.map((stall) => ({stage: stall.stage, idleSeconds: stall.idleSeconds, seconds: stall.t / 1000, lastLine: stall.lastLine ?? null})),
		expectationsMet: timeline.expectationsMet,
		serviceLeft: timeline.serviceLeft ? {seconds: timeline.serviceLeft.t === undefined ? null : timeline.serviceLeft.t / 1000, line: timeline.serviceLeft.line} : null,
		summary: verdict.summary,
		failed: verdict.failed,
		causes: verdict.causes.map((cause) => ({
			id: cause.id,
			title: cause.title,
			line: cause.line,
			count: cause.count,
			seconds: cause.t === undefined ? null : cause.t / 1000,
			cause: cause.diagnosis.cause,
			fix: cause.diagnosis.entry.fix ?? null,
			recheck: cause.diagnosis.entry.recheck ?? null,
		})),
		generic: verdict.generic.map((cause) => ({id: cause.id, title: cause.title, line: cause.line})),
		notes: verdict.notes,
	};
}

function truncate(text: string, width: number): string {
	return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** A boot watcher event as an event of `launch --json` (times in seconds since QEMU started). */
export function watchEventJson(event: WatchEvent): JsonEvent {
	switch (event.type) {
		case 'line':
			return {type: 'line', seconds: secondsOf(event.t), source: event.source, text: event.text};
		case 'stage':
			return {type: 'stage', seconds: secondsOf(event.t), stage: event.stage, line: event.line};
		case 'signature':
			return {type: 'signature', seconds: secondsOf(event.t), id: event.record.id, title: event.record.title, benign: event.record.benign, line: event.record.line};
		case 'halt':
			return {type: 'halt', seconds: secondsOf(event.t), kind: event.record.kind, description: event.record.description, line: event.record.line};
		case 'stall':
			return {type: 'stall', seconds: secondsOf(event.t), stage: event.record.stage, idleSeconds: event.record.idleSeconds};
		case 'expected':
			return {type: 'expected', seconds: secondsOf(event.t), expectation: event.expectation.text, line: event.line};
		default: {
			const never: never = event;
			return never;
		}
	}
}

function secondsOf(t: number | undefined): number | null {
	return t === undefined ? null : t / 1000;
}
