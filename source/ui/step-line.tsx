import type {StepState, StepStatus} from '../engine/reducer.js';
import {formatDuration} from '../system/duration.js';
import {wrap, type Line, type Tone} from '../system/wrap.js';
import {ReportLines} from './doctor/report-lines.js';
import {marks} from './theme.js';
import {useWindowSize} from './window.js';

const tones: Record<StepStatus, Tone> = {pending: 'skip', running: 'command', done: 'pass', skipped: 'skip', failed: 'fail', interrupted: 'warn'};

/**
 * One finished (or skipped) step at `columns`: mark, id, title, and duration or reason, wrapped under the id (a
 * skip reason is read, never cut).
 */
export function stepLines(step: StepState, columns: number): Line[] {
	const detail = step.status === 'skipped' ? step.reason : step.durationMs !== undefined ? formatDuration(step.durationMs) : '';
	const mark = `${marks[step.status]} `;
	return wrap(
		[
			{text: mark, tone: tones[step.status]},
			{text: step.id, tone: step.status === 'skipped' ? 'dim' : 'heading'},
			{text: `  ${step.title}${detail ? ` · ${detail}` : ''}`, tone: 'dim'},
		],
		Math.max(1, columns),
		0,
		Math.min(mark.length + 2, Math.max(0, columns - 1)),
	);
}

export function StepLine({step}: {step: StepState}) {
	const {columns} = useWindowSize();
	return <ReportLines lines={stepLines(step, columns)} columns={columns} colour />;
}
