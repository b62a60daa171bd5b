// The live console's rows, laid out for the window: the boot timeline and its notes on top, the guest's console in
// the rows left over, the prompt box and the status line at the bottom. Everything is wrapped to the width (nothing
// that must be read is cut at the right edge), and the whole screen is one row shorter than the window, so Ink
// redraws it in place instead of clearing the terminal on every frame.
import {formatSeconds, stallAdvice, stageIds, stageTitle} from '../../qemu/stages.js';
import {haltFailed, type Timeline} from '../../qemu/watcher.js';
import {wrap, wrapText, type Line, type Segment} from '../../system/wrap.js';
import {seg} from '../../system/paint.js';
import {fitList, type WindowSize} from '../window.js';

export type LaunchTimeline = Pick<Timeline, 'stages' | 'current' | 'halt' | 'stalls'> & Partial<Pick<Timeline, 'serviceLeft' | 'shellPrompt' | 'lastOutputAt'>>;

/**
 * Whether Ctrl-C belongs to the guest: only when a shell (or a login prompt) reads its console. The inference
 * service would be killed by it, and while the guest boots nothing reads it: then Ctrl-C stops launch.
 */
export function interruptGoesToGuest(timeline: Pick<LaunchTimeline, 'shellPrompt'>): boolean {
	return timeline.shellPrompt !== undefined;
}

export type LaunchScreenState = {
	timeline: LaunchTimeline;
	/** The console's last lines, oldest first (more than fit is fine: the pane keeps the last rows). */
	lines: string[];
	elapsedMs: number;
	leaveLabel: string;
	logFile: string;
	/** A message that replaces the key hint, e.g. "stopping QEMU...". */
	status?: string;
	/** The prompt box (Ctrl-P): the text being typed, or the last question with its answer so far. */
	prompt?: {editing: boolean; text: string; answer: string; note?: string};
	/** The key that opens the prompt box. */
	promptLabel?: string;
};

/** Spaces inside one timeline item do not break: the item wraps as a whole. */
const keep = (text: string) => text.replace(/ /g, '\u00A0');

function strip(timeline: LaunchTimeline, columns: number): Line[] {
	const reached = new Map(timeline.stages.map((record) => [record.stage, record]));
	const furthest = timeline.current ? stageIds.indexOf(timeline.current) : -1;
	const items: Segment[] = [];
	stageIds.forEach((stage, index) => {
		const record = reached.get(stage);
		if (index > 0) items.push(seg('  '));
		if (stage === 'ready' && record && timeline.serviceLeft) {
			items.push(seg(keep(`! inference stopped ${formatSeconds(timeline.serviceLeft.t ?? record.t).trim()}`), 'warn'));
		} else if (record) items.push(seg(keep(`✓ ${stageTitle(stage)} ${formatSeconds(record.t).trim()}`), 'pass'));
		else if (index < furthest) items.push(seg(keep(`· ${stageTitle(stage)}`), 'dim'));
		else items.push(seg(keep(`○ ${stageTitle(stage)}`), 'dim'));
	});
	return wrap(items, columns, 0).map((line) => line.map((segment) => ({...segment, text: segment.text.replace(/\u00A0/g, ' ')})));
}

/** A paragraph in one tone, wrapped with a hanging indent under its mark. */
function note(text: string, tone: Segment['tone'], columns: number, hanging = 2, indent = 0): Line[] {
	return wrapText(text, columns, indent, hanging).map((row) => [seg(row, tone)]);
}

/** The notes under the timeline: a halt, a stall still going on (with what to do), a service that left the console. */
function notes(state: LaunchScreenState, columns: number): Line[] {
	const {timeline} = state;
	const rows: Line[] = [];
	if (timeline.halt) {
		const failed = haltFailed(timeline);
		rows.push(...note(`${failed ? '✗' : '■'} ${timeline.halt.description}: ${timeline.halt.line.trim()}`, failed ? 'fail' : 'warn', columns));
		return rows;
	}
	const stall = timeline.stalls.at(-1);
	// A stall is news while the console stays quiet; once output came again the boot went on.
	if (stall && (timeline.lastOutputAt === undefined || timeline.lastOutputAt <= stall.t)) {
		rows.push(...note(`! no output for ${stall.idleSeconds} s at ${stall.stage === 'start' ? 'the start' : `stage ${stall.stage}`}`, 'warn', columns));
		rows.push(...note(`what to do: ${stallAdvice[stall.stage]} Enter reaches the guest; ${state.leaveLabel} leaves; the whole console is in ${state.logFile}`, 'dim', columns, 4, 2));
	}
	if (timeline.serviceLeft) {
		rows.push(
			...note(
				`! the inference service stopped reading the console ("${timeline.serviceLeft.line.trim()}"): keys go to what reads it now, and ${state.promptLabel ?? 'the prompt box'} sends nothing. In the guest, /etc/init.d/S90sel4llm start serves again.`,
				'warn',
				columns,
			),
		);
	}
	return rows;
}

function promptBox(prompt: NonNullable<LaunchScreenState['prompt']>, columns: number, room: number): Line[] {
	const rows: Line[] = wrap([seg('ask› ', 'command'), seg(prompt.text), ...(prompt.editing ? [seg('▏', 'command')] : [])], columns, 0, 5);
	const answer = prompt.answer.trim() === '' ? [] : wrapText(prompt.answer.trim(), columns).map((row) => [seg(row)]);
	// A long answer keeps its last rows, as it streams in.
	rows.push(...answer.slice(-Math.max(1, room)));
	if (prompt.note) rows.push(...note(prompt.note, 'dim', columns));
	return rows;
}

function statusLine(state: LaunchScreenState, columns: number): Line[] {
	const hint = state.status
		? seg(state.status, 'warn')
		: state.prompt?.editing
			? seg(`enter asks the model · esc closes · ${state.leaveLabel} leaves`)
			: interruptGoesToGuest(state.timeline)
				? seg(`keys go to the guest, Ctrl-C too${state.promptLabel ? ` · ${state.promptLabel} asks the model` : ''} · ${state.leaveLabel} leaves`)
				: seg(`keys go to the guest${state.promptLabel ? ` · ${state.promptLabel} asks the model` : ''} · ${state.leaveLabel} leaves · Ctrl-C stops`);
	return wrap([seg(formatSeconds(state.elapsedMs).trim(), 'command'), seg(' · '), hint, seg(` · log ${state.logFile}`, 'dim')], columns, 0, 2);
}

/** The console's lines as rows: each wrapped to the width, its leading spaces kept. */
function consoleRows(lines: readonly string[], columns: number): string[] {
	return lines.flatMap((line) => {
		const lead = line.length - line.trimStart().length;
		return line.trim() === '' ? [''] : wrapText(line.trimStart(), columns, Math.min(lead, columns - 1), Math.min(lead, columns - 1));
	});
}

/** Every row of the screen, exactly `rows - 1` of them when the window has room for the fixed parts. */
export function launchLayout(state: LaunchScreenState, size: WindowSize): Line[] {
	const columns = Math.max(20, size.columns);
	const height = Math.max(1, size.rows - 1);
	const rule: Line = [seg('─'.repeat(columns), 'dim')];
	const top = [...strip(state.timeline, columns), ...notes(state, columns), rule];
	const bottom = [rule, ...(state.prompt ? promptBox(state.prompt, columns, Math.max(1, Math.floor((height - top.length - 4) / 3))) : []), ...statusLine(state, columns)];
	const room = Math.max(1, height - top.length - bottom.length);
	const rows = consoleRows(state.lines, columns);
	const {shown, above} = fitList(rows, room, rows.length - 1);
	// An empty line is no segment at all: an empty Text would take no row in Ink.
	const pane: Line[] = shown.map((row) => (row === '' ? [] : [seg(row)]));
	if (above > 0) pane.unshift(...note(`… earlier output: ${state.logFile}`, 'dim', columns).slice(0, 1));
	while (pane.length < room) pane.push([]);
	return [...top, ...pane, ...bottom];
}
