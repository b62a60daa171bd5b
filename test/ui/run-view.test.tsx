import assert from 'node:assert/strict';
import {afterEach, test} from 'node:test';
import {cleanup, render} from 'ink-testing-library';
import {initialState, reduce} from '../../source/engine/reducer.js';
import type {RunEvent} from '../../source/engine/runner.js';
import {createPlainReporter} from '../../source/reporters/plain.js';
import {RunStore} from '../../source/ui/run-store.js';
import {RunView} from '../../source/ui/run-view.js';
import {tick} from '../support/keys.js';
import {fits, mountAt} from '../support/window.js';

// A failed assertion must not leave a mounted view keeping the test process alive.
afterEach(cleanup);

const steps = [
	{id: 'a.one', title: 'First', action: 'run' as const, reason: 'never run', capabilities: [], commands: ['echo one']},
	{id: 'a.two', title: 'Second', action: 'skip' as const, reason: 'unchanged', capabilities: [], commands: []},
	{id: 'a.three', title: 'Third', action: 'run' as const, reason: 'never run', capabilities: ['network' as const], commands: ['make']},
];

function feed(store: RunStore, events: RunEvent[]): void {
	for (const event of events) store.dispatch(event);
	store.flush();
}

test('the live region shows the running step and only its last lines; finished steps go to Static', async () => {
	const store = new RunStore();
	const clock = () => 10_000;
	const view = render(<RunView store={store} clock={clock} />);
	feed(store, [
		{type: 'run-start', at: 1000, steps, workspace: '/ws'},
		{type: 'step-start', at: 1000, id: 'a.one', title: 'First', logPath: '/ws/one.log', reason: 'never run'},
		{type: 'step-done', at: 3500, id: 'a.one', durationMs: 2500, artifacts: {}},
		{type: 'step-skip', at: 3500, id: 'a.two', reason: 'unchanged since yesterday'},
		{type: 'step-start', at: 4000, id: 'a.three', title: 'Third', logPath: '/ws/three.log', reason: 'never run'},
		{type: 'step-command', at: 4000, id: 'a.three', command: 'make -j2'},
		{type: 'step-output', at: 4100, id: 'a.three', lines: Array.from({length: 50}, (_, index) => `line ${index + 1}`)},
	]);
	await tick(50);
	const frame = view.lastFrame()!;
	assert.match(frame, /✓ a\.one  First · 2\.5 s/);
	assert.match(frame, /- a\.two  Second · unchanged since yesterday/);
	assert.match(frame, /a\.three  Third · 6\.0 s/);
	assert.match(frame, /\$ make -j2/);
	assert.match(frame, /│ line 50/);
	assert.match(frame, /│ line 45/);
	assert.doesNotMatch(frame, /│ line 44\b/);
	assert.match(frame, /2 of 3 steps · 1 ran · 1 skipped · 9\.0 s/);
	view.unmount();
});

test('output is batched: many output events cause few renders', async () => {
	const store = new RunStore(66);
	let renders = 0;
	store.subscribe(() => renders++);
	store.dispatch({type: 'run-start', at: 0, steps, workspace: '/ws'});
	store.dispatch({type: 'step-start', at: 0, id: 'a.one', title: 'First', logPath: '/x', reason: 'r'});
	const before = renders;
	for (let index = 0; index < 1000; index++) store.dispatch({type: 'step-output', at: 0, id: 'a.one', lines: [`l${index}`]});
	await tick(100);
	assert.ok(renders - before <= 2, `rendered ${renders - before} times for 1000 output events`);
	assert.equal(store.getSnapshot().state.tail.at(-1), 'l999');
});

test('a failure shows the error window, the log path and the matched cause with its fix', async () => {
	const store = new RunStore();
	const view = render(<RunView store={store} clock={() => 5000} />);
	feed(store, [
		{type: 'run-start', at: 0, steps, workspace: '/ws'},
		{type: 'step-start', at: 0, id: 'a.one', title: 'First', logPath: '/ws/one.log', reason: 'never run'},
		{
			type: 'step-fail',
			at: 1200,
			id: 'a.one',
			durationMs: 1200,
			error: 'ninja failed: exit code 1',
			exitCode: 1,
			interrupted: false,
			window: {first: {line: 3, text: 'FAILED: kernel.elf', before: ['[1/9] CC a.o'], after: ['ld: cannot find -lfoo']}, tail: ['ninja: build stopped'], logPath: '/ws/one.log', totalLines: 9},
			diagnoses: [
				{
					id: 'disk-full',
					title: 'The disk is full',
					cause: 'No free space in the workspace.',
					confidence: 'high',
					fix: {description: 'Free space', commands: ['df -h /ws'], capabilities: []},
					recheck: {commands: [], step: true},
					entry: {id: 'disk-full', title: 'The disk is full', match: {output: 'x'}, cause: 'No free space in the workspace.', confidence: 'high', severity: 'error'},
				},
			],
		},
		{type: 'run-done', at: 1200, ok: false, interrupted: false, failed: 'a.one', durationMs: 1200},
	]);
	await tick(50);
	const frame = view.lastFrame()!;
	assert.match(frame, /✗ a\.one: ninja failed: exit code 1/);
	assert.match(frame, /First error \(line 3\):/);
	assert.match(frame, /› FAILED: kernel\.elf/);
	assert.match(frame, /ninja: build stopped/);
	assert.match(frame, /Full log \(9 lines\): \/ws\/one\.log/);
	assert.match(frame, /Known cause: The disk is full/);
	assert.match(frame, /\$ df -h \/ws/);
	assert.match(frame, /stopped at the failure/);
	view.unmount();
});

test('a step paused for disk space says so in the live region, and the note goes when it continues', async () => {
	const store = new RunStore();
	const clock = () => 20_000;
	const view = render(<RunView store={store} clock={clock} />);
	const GiB = 1024 ** 3;
	feed(store, [
		{type: 'run-start', at: 1000, steps, workspace: '/ws'},
		{type: 'step-start', at: 1000, id: 'a.one', title: 'First', logPath: '/ws/one.log', reason: 'never run'},
		{type: 'step-output', at: 1100, id: 'a.one', lines: ['compiling']},
		{type: 'step-paused', at: 15_000, id: 'a.one', freeBytes: 0.8 * GiB, path: '/ws', pauseBelow: GiB, resumeAbove: 1.5 * GiB},
	]);
	await tick(50);
	assert.match(view.lastFrame()!, /‖ paused a\.one: only 819 MiB free on \/ws \(below 1\.0 GiB\) · 5\.0 s\n {4}free some space and it continues at 1\.5 GiB free/);
	assert.match(view.lastFrame()!, /│ compiling/);
	feed(store, [{type: 'step-resumed', at: 19_000, id: 'a.one', freeBytes: 2 * GiB, pausedMs: 4000}]);
	await tick(50);
	assert.doesNotMatch(view.lastFrame()!, /paused/);
	assert.match(view.lastFrame()!, /a\.one {2}First/);
	view.unmount();
});

test('an interrupted run says where it stopped and how far it got, with the same words in the view and in plain lines', async () => {
	const interruptedRun = (stoppedInStep: boolean): RunEvent[] => [
		{type: 'run-start', at: 0, steps, workspace: '/ws'},
		{type: 'step-start', at: 0, id: 'a.one', title: 'First', logPath: '/ws/one.log', reason: 'never run'},
		{type: 'step-done', at: 100, id: 'a.one', durationMs: 100, artifacts: {}},
		{type: 'step-skip', at: 100, id: 'a.two', reason: 'unchanged'},
		...(stoppedInStep
			? ([
					{type: 'step-start', at: 100, id: 'a.three', title: 'Third', logPath: '/ws/three.log', reason: 'never run'},
					{type: 'step-fail', at: 900, id: 'a.three', durationMs: 800, error: 'interrupted', interrupted: true, window: {tail: [], logPath: '/ws/three.log', totalLines: 0}, diagnoses: []},
					{type: 'run-done', at: 900, ok: false, interrupted: true, failed: 'a.three', durationMs: 900},
				] satisfies RunEvent[])
			: ([{type: 'run-done', at: 900, ok: false, interrupted: true, durationMs: 900}] satisfies RunEvent[])),
	];
	for (const stoppedInStep of [true, false]) {
		const expected = 'interrupted at a.three; 2 of 3 steps done; re-run the same command to resume';
		const store = new RunStore();
		const view = render(<RunView store={store} clock={() => 1000} />);
		feed(store, interruptedRun(stoppedInStep));
		await tick(50);
		assert.ok(view.lastFrame()!.includes(expected), view.lastFrame());
		view.unmount();
		let text = '';
		const reporter = createPlainReporter({write: (chunk: string) => ((text += chunk), true)} as unknown as NodeJS.WritableStream);
		let state = initialState;
		for (const event of interruptedRun(stoppedInStep)) {
			state = reduce(state, event);
			reporter.handle(event);
		}
		await reporter.finish(state);
		assert.ok(text.includes(`sel4-llm: ${expected} (stopped after 900 ms)`), text);
	}
});

test('a finished or skipped step wraps its reason at the window\'s width instead of cutting it (it ran past 80 columns)', async () => {
	const store = new RunStore();
	const reason = 'up to date (status check holds: every package the platform needs is installed)';
	const long = [{id: 'host.apt', title: 'Install the host packages (apt, only the missing ones)', action: 'skip' as const, reason, capabilities: [], commands: []}];
	const view = await mountAt(<RunView store={store} clock={() => 1000} />, 80, 24);
	feed(store, [
		{type: 'run-start', at: 1000, steps: long, workspace: '/ws'},
		{type: 'step-skip', at: 1000, id: 'host.apt', reason},
		{type: 'run-done', at: 1000, ok: true, interrupted: false, durationMs: 0},
	]);
	await tick(50);
	const frame = view.lastFrame()!;
	assert.equal(fits(frame, 80, 24), undefined, frame);
	assert.deepEqual(frame.split('\n').slice(0, 3), [
		'- host.apt  Install the host packages (apt, only the missing ones) · up to date',
		'    (status check holds: every package the platform needs is installed)',
		'1 of 1 steps · 0 ran · 1 skipped · 0 ms · finished',
	]);
	view.unmount();
});
