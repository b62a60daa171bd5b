// What `sel4-llm diagnose` prints: plain lines for a person, or NDJSON objects (each with a `type`) whose last one
// is the result. The builders are separate from the command so that they can feed a shared event stream.
import type {LogReport, RankedDiagnosis} from './log.js';

export type DiagnosisJson = {
	id: string;
	title: string;
	cause: string;
	explanation: string | null;
	confidence: RankedDiagnosis['confidence'];
	severity: RankedDiagnosis['severity'];
	stage: string | null;
	evidence: string | null;
	line: number;
	count: number;
	fix: {description: string; commands: string[]; capabilities: string[]} | null;
	recheck: {commands: string[]; step: boolean};
	source: string | null;
	from: string;
	note?: string;
};

export function diagnosisJson(diagnosis: RankedDiagnosis): DiagnosisJson {
	return {
		id: diagnosis.id,
		title: diagnosis.title,
		cause: diagnosis.cause,
		explanation: diagnosis.explanation?.trim() ?? null,
		confidence: diagnosis.confidence,
		severity: diagnosis.severity,
		stage: diagnosis.stage ?? null,
		evidence: diagnosis.evidence ?? null,
		line: diagnosis.line,
		count: diagnosis.count,
		fix: diagnosis.fix ? {description: diagnosis.fix.description.trim(), commands: diagnosis.fix.commands, capabilities: diagnosis.fix.capabilities} : null,
		recheck: diagnosis.recheck ?? {commands: [], step: true},
		source: diagnosis.source ?? null,
		from: diagnosis.origin,
		...(diagnosis.note ? {note: diagnosis.note} : {}),
	};
}

/** The last NDJSON object of `diagnose --json`. */
export function diagnoseResult(report: LogReport, exit: number) {
	return {
		type: 'result' as const,
		command: 'diagnose' as const,
		ok: exit === 0,
		exit,
		file: report.source,
		lines: report.lines,
		stage: report.stage,
		stageFrom: report.stageFrom,
		step: report.step ?? null,
		diagnoses: report.diagnoses.map(diagnosisJson),
		notes: report.notes.map(diagnosisJson),
		firstErrorLine: report.diagnoses.length === 0 ? (report.firstError ?? null) : null,
		ask: report.diagnoses.length === 0 ? report.ask : null,
	};
}

/** Every NDJSON object of `diagnose --json`, in order: the stage, each cause and note, then the result. */
export function diagnoseEvents(report: LogReport, exit: number): object[] {
	return [
		{type: 'stage', stage: report.stage, from: report.stageFrom, file: report.source, lines: report.lines},
		...report.diagnoses.map((diagnosis, index) => ({type: 'diagnosis', rank: index + 1, ...diagnosisJson(diagnosis)})),
		...report.notes.map((diagnosis) => ({type: 'note', ...diagnosisJson(diagnosis)})),
		diagnoseResult(report, exit),
	];
}

const stageFromText: Record<LogReport['stageFrom'], string> = {
	lines: 'from its lines',
	diagnosis: 'from the matched cause',
	'file name': 'from the log file name',
	none: 'no stage marker found',
};

function indented(text: string, indent: string): string {
	return text.trim().replace(/\s*\n\s*/g, ' ').replace(/^/, indent);
}

/** One cause as plain lines. */
export function diagnosisLines(diagnosis: RankedDiagnosis, rank: number): string[] {
	const lines = [
		`${rank}. ${diagnosis.title}  [${diagnosis.id}, ${diagnosis.confidence} confidence${diagnosis.severity === 'warning' ? ', warning' : ''}; ${diagnosis.origin}]`,
		`   line ${diagnosis.line}: ${truncate(diagnosis.evidence?.trim() ?? '', 140)}${diagnosis.count > 1 ? `  (${diagnosis.count} lines match)` : ''}`,
		indented(`cause: ${diagnosis.cause}`, '   '),
	];
	if (diagnosis.explanation) lines.push(indented(`why: ${diagnosis.explanation}`, '   '));
	if (diagnosis.fix) {
		lines.push(indented(`fix: ${diagnosis.fix.description}`, '   '));
		for (const command of diagnosis.fix.commands) lines.push(`     $ ${command}`);
		if (diagnosis.fix.commands.length > 0) {
			const needs = diagnosis.fix.capabilities.length > 0 ? `needs: ${diagnosis.fix.capabilities.join(', ')}; ` : '';
			lines.push(`     (${needs}shown here, diagnose runs nothing)`);
		}
	}
	const recheck = diagnosis.recheck?.commands ?? [];
	if (recheck.length > 0) lines.push(`   re-check: ${recheck.join(' && ')}`);
	if (diagnosis.recheck?.step !== false) lines.push('   then run the failed command again');
	if (diagnosis.source) lines.push(`   reported: ${diagnosis.source}`);
	return lines;
}

/** The whole report as plain lines. */
export function reportLines(report: LogReport): string[] {
	const where = report.source === '-' ? 'stdin' : report.source;
	const lines = [`Diagnosis of ${where}: ${report.lines} line${report.lines === 1 ? '' : 's'}, stage ${report.stage} (${stageFromText[report.stageFrom]})${report.step ? `, step ${report.step}` : ''}`];
	if (report.diagnoses.length > 0) {
		lines.push(`${report.diagnoses.length} known cause${report.diagnoses.length === 1 ? '' : 's'}, most likely first:`);
		report.diagnoses.forEach((diagnosis, index) => lines.push(...diagnosisLines(diagnosis, index + 1)));
	} else {
		lines.push('No known cause matched.');
		lines.push(report.firstError ? `First error-looking line (line ${report.firstError.line}): ${truncate(report.firstError.text.trim(), 160)}` : 'No line looks like an error.');
		lines.push(`Ask with the log attached: the seL4 discourse ${report.ask.discourse}, or the issue tracker of ${report.ask.repository}: ${report.ask.tracker}`);
	}
	for (const note of report.notes) {
		const why = note.note === 'harmless' ? 'seen in healthy runs too' : 'follows the guest power-off';
		lines.push(`note (${why}): ${note.title}, line ${note.line}: ${truncate(note.evidence?.trim() ?? '', 100)}`);
	}
	return lines;
}

function truncate(text: string, width: number): string {
	return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
