import assert from 'node:assert/strict';
import {afterEach, describe, it} from 'node:test';
import {cleanup, render} from 'ink-testing-library';
import {ConsoleBuffer} from '../../source/ui/launch/console-buffer.js';
import {EventEmitter} from 'node:events';
import type React from 'react';
import {render as inkRender} from 'ink';
import {serviceGone, serviceState, SerialWatcher} from '../../source/qemu/watcher.js';
import {LaunchScreen, LaunchView} from '../../source/ui/launch/launch-view.js';
import {notSentBecause} from '../../source/ui/launch/run-interactive.js';
import {FRAME_80, FRAME_120} from './launch-view-frames.js';

// A failed assertion must not leave a mounted view keeping the test process alive.
afterEach(cleanup);

describe('console buffer', () => {
	it('folds output into lines like a terminal', () => {
		const buffer = new ConsoleBuffer(3);
		buffer.push('one\r\ntwo\r\n\x1b[1mthree\x1b[0m\r\n/ # ech');
		buffer.push('o hix\b\r\n');
		buffer.push('hi\r\n/ # ');
		assert.deepEqual(buffer.tail(10), ['three', '/ # echo hi', 'hi', '/ # ']);
		assert.deepEqual(buffer.tail(2), ['hi', '/ # ']);
	});

	it('the protocol flooding the pane and repeating the answer: its lines are left out, an error is shown readable', () => {
		const buffer = new ConsoleBuffer();
		buffer.push('sel4llm: starting with demo.gguf and 1 thread(s)\r\nSEL4LLM-READY model=demo.gguf threads=1\r\n');
		buffer.push('SEL4LLM-BEGIN q1 prompt_tokens=5\r\nSEL4LLM-TOK q1 A\r\nSEL4LLM-TOK q1 \\x20micro');
		// A token line still arriving is not shown half-way either.
		assert.deepEqual(buffer.tail(10), ['sel4llm: starting with demo.gguf and 1 thread(s)']);
		buffer.push('kernel.\r\nSEL4LLM-END q1 tokens=2 prompt_tokens=5 tps=6.1 ttft_ms=10 total_ms=20 stop=eog\r\nSEL4LLM-PONG p1\r\nSEL4LLM-PART 12\r\n');
		buffer.push('SEL4LLM-ERROR - no\\x20model\r\nSEL4LLM-STAGE init\r\n/ # echo SEL4LLM-READY\r\nSEL4LLM-TO');
		assert.deepEqual(buffer.tail(10), ['sel4llm: starting with demo.gguf and 1 thread(s)', 'SEL4LLM-ERROR - no model', 'SEL4LLM-STAGE init', '/ # echo SEL4LLM-READY']);
	});
});

const log = '/w/logs/launch-qemu-arm-virt-20261204-205500.log';
const booted = [
	{stage: 'elfloader' as const, t: 210, line: 'ELF-loader started'},
	{stage: 'kernel' as const, t: 560, line: 'Jumping to kernel-image entry point...'},
	{stage: 'rootserver' as const, t: 600, line: 'Booting all finished, dropped to user space'},
	{stage: 'vmm' as const, t: 4900, line: "Loading Kernel: 'linux'"},
	{stage: 'linux' as const, t: 6800, line: 'Booting Linux on physical CPU 0x0'},
];
/** Console lines of growing length: more than any window's pane, some wider than its width. */
const consoleLines = Array.from({length: 60}, (_, i) => `[    ${(i / 10).toFixed(6)}] line ${i}${' and more'.repeat(i % 16)}`);
const base = {lines: consoleLines, elapsedMs: 67_300, leaveLabel: 'Ctrl-]', logFile: log, promptLabel: 'Ctrl-P'};

function frameOf(element: React.ReactElement): string[] {
	const {lastFrame, unmount} = render(element);
	const frame = (lastFrame() ?? '').split('\n');
	unmount();
	return frame;
}

describe('LaunchView', () => {
	it('the screen one row longer than the window: at 80x24 the timeline, the stall with what to do, the console and the keys share 23 rows', () => {
		const frame = frameOf(
			<LaunchView
				{...base}
				timeline={{stages: booted, current: 'linux', halt: undefined, stalls: [{stage: 'linux', since: 7000, t: 67_000, idleSeconds: 60, lastLine: 'x'}], lastOutputAt: 7000}}
				size={{columns: 80, rows: 24}}
			/>,
		);
		assert.deepEqual(frame, FRAME_80);
	});

	it('at 120x36: a service that stopped reading the console is shown as such, with the prompt box and its answer in 35 rows', () => {
		const frame = frameOf(
			<LaunchView
				{...base}
				timeline={{stages: [...booted, {stage: 'init', t: 8700, line: 'Run /init as init process'}, {stage: 'ready', t: 11_000, line: 'SEL4LLM-READY model=demo.gguf threads=1'}], current: 'ready', halt: undefined, stalls: [], serviceLeft: {t: 11_200, line: '/ # '}, shellPrompt: {t: 11_200, line: '/ # '}}}
				prompt={{editing: false, text: 'What is seL4?', answer: 'seL4 is a formally verified microkernel. '.repeat(4), note: notSentBecause({kind: 'left', t: 11_200, line: '/ # '})!}}
				size={{columns: 120, rows: 36}}
			/>,
		);
		assert.deepEqual(frame, FRAME_120);
	});

	it('shows a halt with its line wrapped, not cut, and the status instead of the keys', () => {
		const frame = frameOf(
			<LaunchView
				{...base}
				lines={['vt-x: not supported', 'halting...']}
				timeline={{stages: [{stage: 'kernel', t: 6900, line: 'Boot config: debug_port = 0x3f8'}], current: 'kernel', halt: {kind: 'guest-panic', description: 'the guest Linux kernel panicked', t: 7800, line: 'Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) and the reason is at its end'}, stalls: []}}
				status="the guest Linux kernel panicked; stopping QEMU"
				size={{columns: 80, rows: 24}}
			/>,
		);
		assert.equal(frame.length, 23);
		const at = frame.findIndex((row) => row.startsWith('✗ '));
		assert.equal(frame[at], '✗ the guest Linux kernel panicked: Kernel panic - not syncing: VFS: Unable to');
		assert.equal(frame[at + 1], '  mount root fs on unknown-block(0,0) and the reason is at its end');
		assert.deepEqual(frame.slice(-2), ['67.3s · the guest Linux kernel panicked; stopping QEMU · log', `  ${log}`]);
		assert.ok(frame.every((row) => row.length <= 80));
	});

	it('a blank console line keeps its row: the screen is still one row shorter than the window', () => {
		const frame = frameOf(<LaunchView {...base} lines={[...consoleLines, '', 'BusyBox v1.35.0', '', '/ # ']} timeline={{stages: booted, current: 'linux', halt: undefined, stalls: []}} size={{columns: 80, rows: 24}} />);
		assert.equal(frame.length, 23);
		assert.deepEqual(frame.slice(-7, -3), ['', 'BusyBox v1.35.0', '', '/ #']);
	});

	it('shows the prompt box while typing, then the answer and its stats', () => {
		const timeline = {stages: [], current: undefined, halt: undefined, stalls: []};
		const props = {...base, timeline, lines: ['sel4llm: starting'], size: {columns: 100, rows: 24}};
		const {lastFrame, rerender} = render(<LaunchView {...props} />);
		assert.match(lastFrame()!, /keys go to the guest · Ctrl-P asks the model · Ctrl-\] leaves/);
		rerender(<LaunchView {...props} prompt={{editing: true, text: 'What is seL4?', answer: ''}} />);
		assert.match(lastFrame()!, /ask› What is seL4\?▏/);
		assert.match(lastFrame()!, /enter asks the model · esc closes/);
		rerender(<LaunchView {...props} prompt={{editing: false, text: 'What is seL4?', answer: 'A microkernel.', note: '5 tokens, 6.1 tokens/s · Ctrl-P asks again'}} />);
		assert.match(lastFrame()!, /ask› What is seL4\?\n/);
		assert.match(lastFrame()!, /A microkernel\./);
		assert.match(lastFrame()!, /5 tokens, 6\.1 tokens\/s/);
	});

	it('lays itself out again when the window is resized', async () => {
		const stdout = Object.assign(new EventEmitter(), {columns: 120, rows: 36, frames: [] as string[], write(frame: string) {
			this.frames.push(frame);
			return true;
		}});
		const stdin = Object.assign(new EventEmitter(), {isTTY: false, setRawMode() {}, setEncoding() {}, resume() {}, pause() {}, ref() {}, unref() {}, read: () => null});
		const instance = inkRender(<LaunchScreen {...base} timeline={{stages: booted, current: 'linux', halt: undefined, stalls: []}} />, {stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, debug: true, patchConsole: false});
		const rows = () => stdout.frames.at(-1)!.replace(/\n$/, '').split('\n');
		assert.equal(rows().length, 35);
		stdout.columns = 80;
		stdout.rows = 24;
		stdout.emit('resize');
		await new Promise((resolve) => setTimeout(resolve, 50));
		assert.equal(rows().length, 23);
		assert.ok(rows().every((row) => row.length <= 80), rows().join('\n'));
		instance.unmount();
	});
});

describe('the prompt key and who reads the console', () => {
	it('Ctrl-P typing "ping <id>" into a root shell: the service left the console once a shell prompt shows, and nothing is sent', () => {
		const watcher = new SerialWatcher();
		watcher.push('Run /init as init process\r\nSEL4LLM-READY model=demo.gguf threads=1\r\n', 1000);
		assert.equal(serviceState(watcher.timeline).kind, 'ready');
		assert.equal(notSentBecause(serviceState(watcher.timeline)), undefined);
		watcher.push('sel4llm: starting\r\n/ # ', 2000);
		const state = serviceState(watcher.timeline);
		assert.deepEqual(state, {kind: 'left', t: 2000, line: '/ # '});
		assert.match(notSentBecause(state)!, /^not sent: the inference service stopped reading the console \("\/ #"\)/);
		// The service started again: it reads the console once more.
		watcher.push('\r\nSEL4LLM-READY model=demo.gguf threads=1\r\n', 3000);
		assert.equal(serviceState(watcher.timeline).kind, 'ready');
	});

	it('before the ready line it waits, a shell on the console or not; a halted guest is not asked', () => {
		const watcher = new SerialWatcher();
		watcher.push('Booting Linux on physical CPU 0x0\r\n', 500);
		assert.equal(serviceState(watcher.timeline).kind, 'booting');
		assert.match(notSentBecause({kind: 'booting'})!, /^waiting for the inference service/);
		watcher.push('/ # ', 1000);
		assert.match(notSentBecause(serviceState(watcher.timeline))!, /^waiting: a shell has the guest's console \("\/ #"\) and the inference service has not printed SEL4LLM-READY; the prompt goes out once it does, never into the shell/);
		watcher.push('Kernel panic - not syncing: Fatal exception\r\n', 2000);
		assert.match(notSentBecause(serviceState(watcher.timeline))!, /^not sent: the guest Linux kernel panicked/);
	});

	for (const [line, gone] of [
		['/ # ', true],
		['~ # ', true],
		['# ', true],
		['root@buildroot:~# ', true],
		['[root@buildroot ~]# ', true],
		['buildroot login: ', true],
		['sel4llm: service stopped (exit 1)', true],
		['sel4llm: starting with demo.gguf and 1 thread(s)', false],
		['[    2.000000] Run /init as init process', false],
		['SEL4LLM-TOK q1 \\x23', false],
	] as const) {
		it(`${JSON.stringify(line)} ${gone ? 'shows' : 'does not show'} that the service left the console`, () => assert.equal(serviceGone(line), gone));
	}
});
