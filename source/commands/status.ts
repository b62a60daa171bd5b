// `sel4-llm status`: the journal against the recipes: done, stale (inputs changed), failed or pending.
import {fingerprintOf, prepareStep} from '../engine/plan.js';
import {formatDuration, formatTimestamp} from '../system/duration.js';
import {colourWanted} from '../system/colour.js';
import {columnWidth, paintLines, seg} from '../system/paint.js';
import type {Line, Tone} from '../system/wrap.js';
import {loadForCommand, readJournal} from './recipe-context.js';
import type {CommandContext} from './context.js';

export type StepStatusRow = {id: string; title: string; status: 'done' | 'stale' | 'pending' | 'failed' | 'interrupted' | 'running'; finishedAt?: string; durationMs?: number; logPath?: string};

const statusTones: Record<StepStatusRow['status'], Tone | undefined> = {done: 'pass', stale: 'warn', pending: 'skip', failed: 'fail', interrupted: 'warn', running: 'command'};

export async function run(context: CommandContext): Promise<number> {
	const journal = readJournal(context.workspace);
	const {set, values} = loadForCommand(context);
	const rows: StepStatusRow[] = [];
	for (const id of set.order) {
		const step = set.steps.get(id)!;
		const record = journal.get(id);
		let status: StepStatusRow['status'] = 'pending';
		if (record) {
			if (record.state === 'done') status = fingerprintOf(prepareStep(step, values), journal, values) === record.fingerprint ? 'done' : 'stale';
			else if (record.state === 'running') status = 'interrupted';
			else status = record.state;
		}
		rows.push({
			id,
			title: step.spec.title,
			status,
			...(record?.finishedAt ? {finishedAt: record.finishedAt} : {}),
			...(record?.durationMs !== undefined ? {durationMs: record.durationMs} : {}),
			...(record?.logPath ? {logPath: record.logPath} : {}),
		});
	}
	if (context.json) {
		context.events.result({workspace: context.workspace, steps: rows});
		return 0;
	}
	const done = rows.filter((row) => row.status === 'done').length;
	const idWidth = columnWidth(rows.map((row) => row.id), 20);
	const lines: Line[] = [[seg(context.workspace, 'heading'), seg(`: ${done} of ${rows.length} steps done`)]];
	for (const row of rows) {
		const when = row.finishedAt ? `  ${formatTimestamp(row.finishedAt)}${row.durationMs !== undefined ? ` (${formatDuration(row.durationMs)})` : ''}` : '';
		lines.push([seg('  '), seg(row.status.padEnd(11), statusTones[row.status]), seg(' '), seg(row.id.padEnd(idWidth)), seg(` ${row.title}`), seg(when, 'dim')]);
	}
	context.io.stdout.write(`${paintLines(lines, colourWanted(context.env, Boolean(context.io.stdout.isTTY)))}\n`);
	return 0;
}
