import assert from 'node:assert/strict';
import {join} from 'node:path';
import {writeFileSync} from 'node:fs';
import {afterEach, test} from 'node:test';
import {cleanup, render} from 'ink-testing-library';
import {defaultChoices, type Choices} from '../../source/wizard/choices.js';
import type {HostSummary} from '../../source/wizard/host.js';
import {SetupApp, type SetupOutcome} from '../../source/wizard/setup-app.js';
import {progressLine} from '../../source/wizard/plan-screen.js';
import {ChoiceForm} from '../../source/wizard/choice-form.js';
import {splitKeys} from '../../source/ui/raw-keys.js';
import {RunApp, type RunAction} from '../../source/wizard/run-app.js';
import {RunStore} from '../../source/ui/run-store.js';
import {keys, press, tick} from '../support/keys.js';
import {tempDir, waitFor} from '../support/cli.js';
import {fakeGguf} from '../support/gguf.js';

// A failed assertion must not leave a mounted view keeping the test process alive.
afterEach(cleanup);

const noKvmHost: HostSummary = {
	platforms: {
		'qemu-arm-virt': {build: {ok: true, note: '', fixable: true, blockers: []}, run: {ok: true, note: 'under emulation (slow)', fixable: true, blockers: []}, usb: {ok: false, note: 'simulation only', fixable: false, blockers: []}},
		x86_64: {
			build: {ok: true, note: '', fixable: true, blockers: []},
			run: {ok: false, note: 'no /dev/kvm: QEMU cannot provide VT-x', fixable: false, blockers: ['KVM (/dev/kvm)']},
			usb: {ok: true, note: '', fixable: true, blockers: []},
		},
	},
	recommended: 'qemu-arm-virt',
	required: [],
	problems: [{title: 'KVM (/dev/kvm)', summary: '/dev/kvm is missing: x86_64 cannot run in QEMU here'}],
	freeDiskBytes: 50 * 2 ** 30,
};

const plan = {
	steps: [
		{id: 'host.packages', title: 'Install packages', action: 'run' as const, reason: 'status check failed', capabilities: ['sudo', 'network'], minutes: 3, diskMb: 800},
		{id: 'build.ninja', title: 'Build', action: 'run' as const, reason: 'never run', capabilities: ['long'], minutes: 20, diskMb: 6000},
		{id: 'usb.image', title: 'USB image', action: 'skip' as const, reason: 'not needed: target is "qemu"', capabilities: []},
	],
	freeDiskBytes: 50 * 2 ** 30,
};

test('welcome shows the host verdicts and the recommendation, then the choices validate as you type', async () => {
	const dir = tempDir();
	const outcomes: SetupOutcome[] = [];
	const view = render(
		<SetupApp initial={defaultChoices('qemu-arm-virt', dir)} checkHost={async () => noKvmHost} makePlan={async () => plan} onDone={(outcome) => outcomes.push(outcome)} />,
	);
	// The host check resolves asynchronously: wait for its verdicts, however busy the machine is.
	await waitFor(() => /Recommended:/.test(view.lastFrame() ?? ''), 5000, 'the host verdicts');
	let frame = view.lastFrame()!;
	assert.match(frame, /qemu-arm-virt +build ✓ · QEMU ✓ · USB stick ✗/);
	assert.match(frame, /x86_64 +build ✓ · QEMU ✗ · USB stick ✓ no \/dev\/kvm/);
	assert.match(frame, /Recommended: qemu-arm-virt/);
	assert.match(frame, /enter continue/);
	await press(view.stdin, keys.enter);
	// On a busy machine the next screen can take longer than one key's tick to draw.
	await waitFor(() => /› Platform/.test(view.lastFrame() ?? ''), 5000, 'the choices screen');
	frame = view.lastFrame()!;
	assert.match(frame, /› Platform +‹ qemu-arm-virt ›/);
	assert.match(frame, /runs under QEMU emulation on any host/);
	// model: a text file is refused, with the reason on the line below
	const text = join(dir, 'notes.txt');
	writeFileSync(text, 'not a model');
	await press(view.stdin, keys.down);
	await press(view.stdin, keys.down);
	await press(view.stdin, text);
	frame = view.lastFrame()!;
	assert.match(frame, /✗ .*notes\.txt is not a GGUF model/);
	await press(view.stdin, keys.enter);
	assert.match(view.lastFrame()!, /› Model/, 'enter with a problem stays on the field');
	for (let index = 0; index < text.length; index++) await press(view.stdin, keys.backspace);
	const model = fakeGguf(join(dir, 'm.gguf'), 2 * 2 ** 20);
	await press(view.stdin, model);
	assert.match(view.lastFrame()!, /m\.gguf  2\.0 MiB/);
	// guest RAM on qemu-arm-virt is bounded by the platform table
	await press(view.stdin, keys.down);
	await press(view.stdin, '0');
	assert.match(view.lastFrame()!, /✗ between 128 and 1024 MiB in steps of 64 MiB on qemu-arm-virt/);
	await press(view.stdin, keys.backspace);
	// a USB stick needs x86_64
	await press(view.stdin, keys.down);
	await press(view.stdin, '\u001B[C');
	assert.match(view.lastFrame()!, /✗ a USB stick boots a PC/);
	await press(view.stdin, '\u001B[C');
	await press(view.stdin, keys.enter);
	await waitFor(() => /The plan/.test(view.lastFrame() ?? ''), 5000, 'the plan');
	frame = view.lastFrame()!;
	assert.match(frame, /run +host\.packages +Install packages \[sudo, network\]/);
	assert.match(frame, /skip usb\.image +USB image · not needed: target is "qemu"/);
	assert.match(frame, /2 of 3 steps will run; they need: sudo, network, long\./);
	assert.match(frame, /Estimate: about 23 min and 6\.6 GiB of disk \(50 GiB free\)\./);
	assert.match(frame, /Nothing has run yet\./);
	assert.equal(outcomes.length, 0, 'nothing is accepted before enter on the plan');
	await press(view.stdin, keys.enter);
	assert.equal(outcomes.length, 1);
	const accepted = outcomes[0]!;
	assert.equal(accepted.action, 'run');
	assert.equal((accepted as {choices: Choices}).choices.model, model);
	view.unmount();
});

test('the plan says where the work stands: nothing yet, some steps done, or resuming where a run stopped', () => {
	const step = (id: string, action: 'run' | 'skip', state?: 'done' | 'stopped' | 'unneeded') => ({id, title: id, action, reason: '', capabilities: [], ...(state ? {state} : {})});
	assert.equal(progressLine({steps: [step('a', 'run'), step('b', 'run')]}), 'Nothing has run yet.');
	assert.equal(progressLine({steps: [step('a', 'skip', 'done'), step('b', 'run'), step('c', 'skip', 'unneeded')]}), '1 of 2 steps are done already.');
	assert.equal(progressLine({steps: [step('a', 'skip', 'done'), step('b', 'run', 'stopped'), step('c', 'run')]}), 'Resuming at b: 1 of 3 steps done.');
});

test('keys that arrive together are all applied in order: a pasted path with its Enter submits what was pasted', async () => {
	const dir = tempDir();
	const model = fakeGguf(join(dir, 'pasted.gguf'), 2 * 2 ** 20);
	const submitted: Choices[] = [];
	const view = render(<ChoiceForm initial={defaultChoices('qemu-arm-virt', dir)} onSubmit={(choices) => submitted.push(choices)} onBack={() => undefined} />);
	await tick(20);
	// Down twice to the model field, a path, a slip and three backspaces, the rest of the path and Enter: one chunk.
	view.stdin.write(`\u001B[B\u001B[B${model.slice(0, -5)}xyz\u007F\u007F\u007F.gguf\r`);
	await waitFor(() => submitted.length > 0, 5000, 'the form to submit');
	assert.equal(submitted[0]!.model, model);
	view.unmount();
	assert.deepEqual(splitKeys('a\u007F\u007Fbc\u001B[A\u001B[Z\t \u001B\r\u0003'), [
		{kind: 'text', text: 'a'},
		{kind: 'backspace'},
		{kind: 'backspace'},
		{kind: 'text', text: 'bc'},
		{kind: 'up'},
		{kind: 'backtab'},
		{kind: 'tab'},
		{kind: 'text', text: ' '},
		{kind: 'escape'},
		{kind: 'return'},
		{kind: 'ctrl-c'},
	]);
});

test('the plan warns when the disk is too small, and q quits without running', async () => {
	const outcomes: SetupOutcome[] = [];
	const view = render(
		<SetupApp
			initial={defaultChoices('qemu-arm-virt', tempDir())}
			checkHost={async () => undefined}
			makePlan={async () => ({...plan, freeDiskBytes: 2 * 2 ** 30})}
			onDone={(outcome) => outcomes.push(outcome)}
		/>,
	);
	await waitFor(() => !/Checking this machine/.test(view.lastFrame() ?? ''), 5000, 'the host check');
	await press(view.stdin, keys.enter);
	await waitFor(() => /› Platform/.test(view.lastFrame() ?? ''), 5000, 'the choices screen');
	await press(view.stdin, keys.enter);
	await waitFor(() => /The plan/.test(view.lastFrame() ?? ''), 5000, 'the plan');
	assert.match(view.lastFrame()!, /\(2\.0 GiB free: not enough\)/);
	await press(view.stdin, 'q');
	assert.deepEqual(outcomes, [{action: 'quit'}]);
	view.unmount();
});

test('after a failure with a known fix, f chooses to apply it; Ctrl-C while running asks first', async () => {
	const store = new RunStore();
	const actions: RunAction[] = [];
	let stopped = 0;
	const view = render(<RunApp store={store} target="qemu" onStop={() => stopped++} onAction={(action) => actions.push(action)} />);
	store.dispatch({type: 'run-start', at: 0, steps: [{id: 's.a', title: 'A', action: 'run', reason: 'r', capabilities: [], commands: []}], workspace: '/w'});
	store.dispatch({type: 'step-start', at: 0, id: 's.a', title: 'A', logPath: '/w/a.log', reason: 'r'});
	await tick(50);
	await press(view.stdin, keys.ctrlC);
	assert.match(view.lastFrame()!, /Stop the running step\?/);
	await press(view.stdin, 'n');
	assert.equal(stopped, 0);
	await press(view.stdin, keys.ctrlC);
	await press(view.stdin, 'y');
	assert.equal(stopped, 1);
	store.dispatch({
		type: 'step-fail',
		at: 10,
		id: 's.a',
		durationMs: 10,
		error: 'failed: exit code 127',
		exitCode: 127,
		interrupted: false,
		window: {tail: ['error: tool: command not found'], logPath: '/w/a.log', totalLines: 1},
		diagnoses: [
			{
				id: 'tool',
				title: 'A tool is missing',
				cause: 'It is not installed.',
				confidence: 'high',
				fix: {description: 'Install it', commands: ['apt-get install tool'], capabilities: ['sudo']},
				recheck: {commands: [], step: true},
				entry: {id: 'tool', title: 'A tool is missing', match: {output: 'x'}, cause: 'It is not installed.', confidence: 'high', severity: 'error'},
			},
		],
	});
	store.dispatch({type: 'run-done', at: 10, ok: false, interrupted: false, failed: 's.a', durationMs: 10});
	await tick(50);
	assert.match(view.lastFrame()!, /f apply the fix and retry {2}· {2}r retry {2}· {2}l open the log {2}· {2}q quit/);
	await press(view.stdin, 'f');
	assert.deepEqual(actions, ['fix']);
	view.unmount();
});

test('"Working out the plan…" turns the theme\'s spinner while the plan is made', async () => {
	const view = render(<SetupApp initial={defaultChoices('qemu-arm-virt', tempDir())} checkHost={async () => undefined} makePlan={() => new Promise<never>(() => {})} onDone={() => undefined} />);
	await waitFor(() => !/Checking this machine/.test(view.lastFrame() ?? ''), 5000, 'the host check');
	await press(view.stdin, keys.enter);
	await waitFor(() => /› Platform/.test(view.lastFrame() ?? ''), 5000, 'the choices screen');
	await press(view.stdin, keys.enter);
	await waitFor(() => /Working out the plan…/.test(view.lastFrame() ?? ''), 5000, 'the planning screen');
	const frames = new Set<string>();
	for (let index = 0; index < 6; index++) {
		frames.add(/^(\S) Working out the plan…$/m.exec(view.lastFrame() ?? '')?.[1] ?? 'none');
		await tick(90);
	}
	assert.ok(!frames.has('none'), 'a spinner frame before the text');
	assert.ok(frames.size > 1, `the spinner turns: ${[...frames].join(' ')}`);
	view.unmount();
});

test('the run screen counted skipped steps in its counter: "step 2 of 3" counts only the steps that run', async () => {
	const store = new RunStore();
	const view = render(<RunApp store={store} target="qemu" onStop={() => undefined} onAction={() => undefined} />);
	const step = (id: string, action: 'run' | 'skip') => ({id, title: id, action, reason: 'r', capabilities: [], commands: []});
	store.dispatch({type: 'run-start', at: 0, steps: [step('s.a', 'skip'), step('s.b', 'run'), step('s.c', 'skip'), step('s.d', 'run'), step('s.e', 'run')], workspace: '/w'});
	store.dispatch({type: 'step-skip', at: 0, id: 's.a', reason: 'up to date'});
	store.dispatch({type: 'step-start', at: 0, id: 's.b', title: 's.b', logPath: '/w/b.log', reason: 'r'});
	store.flush();
	await tick(50);
	assert.match(view.lastFrame()!, /step 1 of 3 · 0 ran · 1 skipped/);
	store.dispatch({type: 'step-done', at: 5, id: 's.b', durationMs: 5, artifacts: {}});
	store.dispatch({type: 'step-skip', at: 5, id: 's.c', reason: 'up to date'});
	store.dispatch({type: 'step-start', at: 5, id: 's.d', title: 's.d', logPath: '/w/d.log', reason: 'r'});
	store.flush();
	await tick(50);
	assert.match(view.lastFrame()!, /step 2 of 3 · 1 ran · 2 skipped/);
	store.dispatch({type: 'step-done', at: 9, id: 's.d', durationMs: 4, artifacts: {}});
	store.dispatch({type: 'step-start', at: 9, id: 's.e', title: 's.e', logPath: '/w/e.log', reason: 'r'});
	store.dispatch({type: 'step-done', at: 10, id: 's.e', durationMs: 1, artifacts: {}});
	store.dispatch({type: 'run-done', at: 10, ok: true, interrupted: false, durationMs: 10});
	store.flush();
	await tick(50);
	assert.match(view.lastFrame()!, /step 3 of 3 · 3 ran · 2 skipped · .* · finished/);
	view.unmount();
});
