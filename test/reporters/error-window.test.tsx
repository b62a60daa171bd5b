// The error window shows each log line once, and the first error line whole, however long.
import assert from 'node:assert/strict';
import test from 'node:test';
import {render} from 'ink-testing-library';
import type {ErrorWindow} from '../../source/engine/output.js';
import type {RunState} from '../../source/engine/reducer.js';
import {failureLines, tailAfterFirst} from '../../source/reporters/format.js';
import {FailureWindow} from '../../source/ui/failure-window.js';

const log = Array.from({length: 9}, (_, index) => `line ${index + 1}`);

function windowOf(lines: string[], firstAt: number): ErrorWindow {
	const index = firstAt - 1;
	return {
		first: {line: firstAt, text: lines[index]!, before: lines.slice(Math.max(0, index - 3), index), after: lines.slice(index + 1, index + 4)},
		tail: lines.slice(-200),
		logPath: '/ws/.sel4-llm/logs/step.log',
		totalLines: lines.length,
	};
}

function failure(window: ErrorWindow): NonNullable<RunState['failure']> {
	return {id: 'sources.sync', error: 'exit code 128', window, diagnoses: [], interrupted: false};
}

test('a short log: the tail starts after the first error\'s context, so no line is shown twice', () => {
	const window = windowOf(log, 5);
	assert.deepEqual(tailAfterFirst(window, 12), ['line 9']);
	const lines = failureLines(failure(window));
	assert.deepEqual(lines.slice(0, 11), [
		'Error: exit code 128',
		'First error at line 5 of the log:',
		'    line 2',
		'    line 3',
		'    line 4',
		'  > line 5',
		'    line 6',
		'    line 7',
		'    line 8',
		'Then, the last 1 line:',
		'    line 9',
	]);
	assert.equal(lines.filter((line) => line.trim() === 'line 7').length, 1);
});

test('when the first error\'s context reaches the end of the log there is no tail section; a long log shows its last lines', () => {
	assert.deepEqual(tailAfterFirst(windowOf(log, 7), 12), []);
	assert.ok(!failureLines(failure(windowOf(log, 7))).some((line) => /last/i.test(line)));
	const long = Array.from({length: 100}, (_, index) => `line ${index + 1}`);
	assert.deepEqual(tailAfterFirst(windowOf(long, 5), 3), ['line 98', 'line 99', 'line 100']);
	const {first, ...noFirst} = windowOf(log, 5);
	assert.ok(first);
	assert.deepEqual(tailAfterFirst(noFirst, 2), ['line 8', 'line 9']);
});

test('the Ink window at 80 columns wraps the first error line instead of cutting its cause', () => {
	const lines = ['Cloning into projects/seL4...', "fatal: unable to access 'https://github.com/seL4/seL4.git/' after 3 attempts over 2 minutes: Could not resolve host: github.com", 'done'];
	const element = <FailureWindow failure={failure(windowOf(lines, 2))} />;
	const view = render(element);
	Object.defineProperty(view.stdout, 'columns', {get: () => 80});
	view.rerender(element);
	const frame = view.lastFrame() ?? '';
	view.unmount();
	assert.ok(frame.split('\n').every((line) => line.length <= 80), frame);
	assert.match(frame.replace(/\s+/g, ' '), /Could not resolve host: github\.com/);
	assert.equal(frame.split('\n').filter((line) => line.includes('Cloning into')).length, 1, 'the line before the error is shown once');
	assert.equal(frame.split('\n').filter((line) => line.trim() === 'done').length, 1, 'the line after it too');
	assert.doesNotMatch(frame, /last lines/);
});
