// `sel4-llm status`: the journal against the recipes: done, stale (inputs changed), failed or pending.
import {fingerprintOf, prepareStep} from '../engine/plan.js';
import {formatDuration} from '../system/duration.js';
import {loadForCommand, readJournal} from './recipe-context.js';
import type {CommandContext} from './context.js';

export type StepStatusRow = {id: string; title: string; status: 'done' | 'stale' | 'pending' | 'failed' | 'interrupted' | 'running'; finishedAt?: string; durationMs?: number; logPath?: string};

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
	const lines = [`${context.workspace}: ${done} of ${rows.length} steps done`];
	for (const row of rows) {
		const when = row.finishedAt ? `  ${row.finishedAt.replace('T', ' ').slice(0, 19)}${row.durationMs !== undefined ? ` (${formatDuration(row.durationMs)})` : ''}` : '';
		lines.push(`  ${row.status.padEnd(11)} ${row.id.padEnd(28)} ${row.title}${when}`);
	}
	context.io.stdout.write(`${lines.join('\n')}\n`);
	return 0;
}
