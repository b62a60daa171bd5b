import assert from 'node:assert/strict';
import {afterEach, describe, it} from 'node:test';
import {cleanup, render} from 'ink-testing-library';
import {ConsoleBuffer} from '../../source/ui/launch/console-buffer.js';
import {LaunchView} from '../../source/ui/launch/launch-view.js';

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

describe('LaunchView', () => {
	it('shows the timeline, the console, the leave key and the log', () => {
		const {lastFrame} = render(
			<LaunchView
				timeline={{
					stages: [
						{stage: 'elfloader', t: 210, line: 'ELF-loader started'},
						{stage: 'linux', t: 6800, line: 'Booting Linux'},
					],
					current: 'linux',
					halt: undefined,
					stalls: [],
				}}
				lines={['[    0.000000] Booting Linux on physical CPU 0x0', '/ # ']}
				elapsedMs={7300}
				leaveLabel="Ctrl-]"
				logFile="/tmp/x.log"
				columns={160}
			/>,
		);
		const frame = lastFrame() ?? '';
		assert.match(frame, /✓ ELF loader 0\.2s/);
		assert.match(frame, /· seL4 kernel/);
		assert.match(frame, /✓ Linux 6\.8s/);
		assert.match(frame, /○ init/);
		assert.match(frame, /○ inference ready/);
		assert.match(frame, /Booting Linux on physical CPU/);
		assert.match(frame, /7\.3s · keys go to the guest · Ctrl-\] leaves · log \/tmp\/x\.log/);
	});

	it('shows a halt and a stall', () => {
		const {lastFrame, rerender} = render(
			<LaunchView
				timeline={{stages: [], current: undefined, halt: undefined, stalls: [{stage: 'start', since: 0, t: 60_000, idleSeconds: 60, lastLine: undefined}]}}
				lines={[]}
				elapsedMs={60_000}
				leaveLabel="Ctrl-]"
				logFile="/tmp/x.log"
				columns={100}
			/>,
		);
		assert.match(lastFrame() ?? '', /! no output for 60 s at start/);
		rerender(
			<LaunchView
				timeline={{stages: [], current: 'kernel', halt: {kind: 'sel4-halt', description: 'the seL4 kernel halted', t: 7800, line: 'halting...'}, stalls: []}}
				lines={['vt-x: not supported', 'halting...']}
				elapsedMs={8000}
				leaveLabel="Ctrl-]"
				logFile="/tmp/x.log"
				columns={100}
				status="the seL4 kernel halted; stopping QEMU"
			/>,
		);
		const frame = lastFrame() ?? '';
		assert.match(frame, /✗ the seL4 kernel halted: halting\.\.\./);
		assert.match(frame, /the seL4 kernel halted; stopping QEMU/);
		assert.doesNotMatch(frame, /keys go to the guest/);
	});
	it('shows the prompt box while typing, then the answer and its stats', () => {
		const timeline = {stages: [], current: undefined, halt: undefined, stalls: []};
		const base = {timeline, lines: ['SEL4LLM-READY model=demo.gguf threads=1'], elapsedMs: 9000, leaveLabel: 'Ctrl-]', logFile: '/tmp/l.log', columns: 100, promptLabel: 'Ctrl-P'};
		const {lastFrame, rerender} = render(<LaunchView {...base} />);
		assert.match(lastFrame()!, /keys go to the guest · Ctrl-P asks the model · Ctrl-\] leaves/);
		rerender(<LaunchView {...base} prompt={{editing: true, text: 'What is seL4?', answer: ''}} />);
		assert.match(lastFrame()!, /ask› What is seL4\?▏/);
		assert.match(lastFrame()!, /enter asks the model · esc closes/);
		rerender(<LaunchView {...base} prompt={{editing: false, text: 'What is seL4?', answer: 'A microkernel.', note: '5 tokens, 6.1 tokens/s · Ctrl-P asks again'}} />);
		assert.match(lastFrame()!, /ask› What is seL4\?\n/);
		assert.match(lastFrame()!, /A microkernel\./);
		assert.match(lastFrame()!, /5 tokens, 6\.1 tokens\/s/);
	});
});
