// Plain lines for pipes, CI and --plain: one line per significant event, and the output of each step
// prefixed with its id.
import type {RunEvent} from '../engine/runner.js';
import {formatDuration} from '../system/duration.js';
import {failureLines, formatBytes, interruptedSummary, pausedLines} from './format.js';
import type {Reporter} from './reporter.js';

export function createPlainReporter(stream: NodeJS.WritableStream, options: {showOutput?: boolean} = {}): Reporter {
	const showOutput = options.showOutput ?? true;
	const write = (text: string) => stream.write(`${text}\n`);
	return {
		handle(event: RunEvent) {
			switch (event.type) {
				case 'run-start': {
					const run = event.steps.filter((step) => step.action === 'run').length;
					write(`sel4-llm: ${event.steps.length} step${event.steps.length === 1 ? '' : 's'}, ${run} to run (workspace ${event.workspace})`);
					break;
				}
				case 'step-skip':
					write(`- skip ${event.id}: ${event.reason}`);
					break;
				case 'step-start':
					write(`> run  ${event.id}: ${event.title} (${event.reason}); log ${event.logPath}`);
					break;
				case 'step-command':
					write(`  $ ${event.command}`);
					break;
				case 'step-output':
					if (showOutput) {
						const prefix = `  ${event.id} | `;
						stream.write(`${prefix}${event.lines.join(`\n${prefix}`)}\n`);
					}
					break;
				case 'step-quiet':
					write(`… ${event.id} still running after ${formatDuration(event.elapsedMs)}, no output for ${formatDuration(event.quietMs)}${event.lastLine ? ` (last: ${event.lastLine.slice(0, 120)})` : ''}`);
					break;
				case 'step-paused':
					write(`‖ ${pausedLines(event).join('; ')}`);
					break;
				case 'step-resumed':
					write(`▶ continued ${event.id}: ${formatBytes(event.freeBytes)} free after ${formatDuration(event.pausedMs)} paused`);
					break;
				case 'step-done':
					write(`✓ done ${event.id} in ${formatDuration(event.durationMs)}`);
					break;
				case 'step-fail':
					write(`${event.interrupted ? '■ stopped' : '✗ failed'} ${event.id} after ${formatDuration(event.durationMs)}`);
					for (const line of failureLines({id: event.id, error: event.error, window: event.window, diagnoses: event.diagnoses, interrupted: event.interrupted})) write(`  ${line}`);
					break;
				case 'run-done':
					// An interrupted run is summed up by finish(), from the state: what was recorded and how to go on.
					if (event.ok) write(`sel4-llm: finished in ${formatDuration(event.durationMs)}`);
					else if (!event.interrupted) write(`sel4-llm: failed at ${event.failed ?? 'a step'} after ${formatDuration(event.durationMs)}`);
					break;
			}
		},
		async finish(state) {
			if (state.finished?.interrupted) write(`sel4-llm: ${interruptedSummary(state)} (stopped after ${formatDuration(state.finished.durationMs)})`);
		},
	};
}
