// Shows a watched boot (started by the command) in a terminal: Ink draws the timeline and console on stderr, the raw keyboard goes to the
// guest, the leave key ends it, and the terminal is restored whatever happens.
import {PassThrough} from 'node:stream';
import {requestStop, stopSignal} from '../../system/interrupt.js';
import {render} from 'ink';
import type {Io} from '../../commands/context.js';
import type {BootResult, BootSession} from '../../qemu/boot.js';
import {serviceState, type ServiceState, type WatchEvent} from '../../qemu/watcher.js';
import {windowOf} from '../window.js';
import {ConsoleBuffer} from './console-buffer.js';
import {interruptGoesToGuest} from './launch-layout.js';
import {LaunchScreen} from './launch-view.js';

export type InteractiveOptions = {
	/** The boot, started by the command with its output and events routed to `feed`. */
	session: BootSession;
	feed: BootFeed;
	logFile: string;
	io: Io;
	leaveKey: {byte: number; label: string};
	/** The console shared with `sel4-llm ask` while the view runs. */
	share?: {socketPath: string};
};

/** Where a started boot's console bytes and watch events go; the view fills these in when it mounts. */
export type BootFeed = {output?: (chunk: Buffer) => void; event?: (event: WatchEvent) => void};

const frameMs = 80; // at most ~12 frames per second

/** Ctrl-C: to a shell in the guest when one reads the console, else it stops launch like any command (exit 130). */
export const interruptKey = {byte: 0x03, label: 'Ctrl-C'} as const;

/** Ctrl-P opens the prompt box: the question goes to the model through the shared console, like `sel4-llm ask`. */
export const promptKey = {byte: 0x10, label: 'Ctrl-P'} as const;

type PromptState = {editing: boolean; text: string; answer: string; note?: string};

/** Why a prompt cannot go to the guest now, or undefined when the inference service is the one reading its console. */
export function notSentBecause(state: ServiceState): string | undefined {
	switch (state.kind) {
		case 'ready':
			return undefined;
		case 'booting':
			return 'waiting for the inference service (its SEL4LLM-READY line)…';
		case 'shell':
			return `waiting: a shell has the guest's console ("${state.line.trim()}") and the inference service has not printed SEL4LLM-READY; the prompt goes out once it does, never into the shell (in the guest, /etc/init.d/S90sel4llm start starts it)…`;
		case 'left':
			return `not sent: the inference service stopped reading the console ("${state.line.trim()}"), so the prompt would be typed into what reads it now. In the guest, /etc/init.d/S90sel4llm start serves again.`;
		case 'halted':
			return `not sent: ${state.description}`;
		default: {
			const never: never = state;
			return String(never);
		}
	}
}

/**
 * Asks the guest's model through the shared console; the answer streams into the prompt box. The prompt goes out
 * only while the timeline shows the service reading the console: no ping is ever typed into a shell or a login
 * prompt. While the guest boots (or a shell has its console before the service started), it waits for the ready line.
 */
async function askInView(socketPath: string, prompt: PromptState, service: () => ServiceState, wanted: () => boolean, changed: () => void): Promise<void> {
	for (;;) {
		const state = service();
		const why = notSentBecause(state);
		if (why === undefined) break;
		prompt.note = why;
		changed();
		if ((state.kind !== 'booting' && state.kind !== 'shell') || !wanted()) return;
		await new Promise((resolve) => setTimeout(resolve, 250));
		// Closed (esc), replaced by a new question, or QEMU stopped while waiting: nothing goes out.
		if (!wanted()) return;
	}
	const {GuestConsole, ConsoleError} = await import('../../console/client.js');
	let guest;
	try {
		guest = await GuestConsole.connect(socketPath);
		// The watcher saw the ready line and nothing since that says the service left: no ping needed.
		guest.ready = {via: 'ready', waitedMs: 0};
		prompt.note = 'thinking…';
		changed();
		const result = await guest.ask(prompt.text, {maxTokens: 256, flags: ['chat'], idleTimeoutMs: 300_000, onText: (text) => {
			prompt.answer += text;
			changed();
		}});
		prompt.note = `${result.stats.tokens} tokens, ${result.stats.tokensPerSecond.toFixed(1)} tokens/s · Ctrl-P asks again`;
	} catch (error) {
		prompt.note = error instanceof ConsoleError ? `no answer: ${error.message}` : `no answer: ${String(error)}`;
	} finally {
		guest?.close();
		changed();
	}
}

export async function runInteractive(options: InteractiveOptions): Promise<BootResult> {
	const {io} = options;
	const stdin = io.stdin;
	const buffer = new ConsoleBuffer();
	const started = Date.now();
	let status: string | undefined;
	let prompt: PromptState | undefined;
	let promptVersion = 0;
	const session = options.session;
	options.feed.output = (chunk) => buffer.push(chunk.toString('utf8'));
	options.feed.event = (event) => {
		if (event.type === 'halt') status = `${event.record.description}; stopping QEMU`;
	};
	// Ink must not touch the real stdin (we read it raw and pass it on), so it gets an idle stream.
	const inkInput = new PassThrough() as unknown as NodeJS.ReadStream;
	let ended = false;
	const view = () => {
		const timeline = session.watcher.timeline;
		// Each console line takes at least one row: a window's height of them is always enough to fill the pane.
		const lines = buffer.tail(windowOf(io.stderr).rows * 2);
		return (
			<LaunchScreen
				timeline={{...timeline, stages: [...timeline.stages], stalls: [...timeline.stalls]}}
				lines={lines}
				elapsedMs={Date.now() - started}
				leaveLabel={options.leaveKey.label}
				logFile={options.logFile}
				{...(status ? {status} : {})}
				{...(prompt ? {prompt: {...prompt}} : {})}
				{...(options.share ? {promptLabel: promptKey.label} : {})}
			/>
		);
	};
	const instance = render(view(), {stdout: io.stderr, stdin: inkInput, patchConsole: false, exitOnCtrlC: false});
	const restore = () => {
		if (stdin.isTTY && typeof stdin.setRawMode === 'function') stdin.setRawMode(false);
		io.stderr.write('\x1b[?25h');
	};
	process.once('exit', restore);
	const onPromptKeys = (data: Buffer) => {
		const current = prompt!;
		for (const char of data.toString('utf8')) {
			if (char === '\r' || char === '\n') {
				if (current.text.trim() === '') continue;
				current.editing = false;
				current.answer = '';
				void askInView(options.share!.socketPath, current, () => serviceState(session.watcher.timeline), () => !ended && prompt === current, () => promptVersion++);
				break;
			}
			if (char === '\u001B' || char === '\u0003') {
				prompt = undefined;
				break;
			}
			if (char === '\u007F' || char === '\b') current.text = current.text.slice(0, -1);
			else if (char >= ' ') current.text += char;
		}
		promptVersion++;
	};
	const onKeys = (data: Buffer) => {
		const opens = options.share ? data.indexOf(promptKey.byte) : -1;
		if (opens >= 0) {
			// Keys typed in the same read go where they belong: those before Ctrl-P to the guest (unless the box is
			// already open), those after it into the box.
			if (opens > 0 && !prompt?.editing) session.write(data.subarray(0, opens));
			if (!prompt || !prompt.editing) prompt = {editing: true, text: '', answer: ''};
			promptVersion++;
			if (opens + 1 < data.length) onPromptKeys(data.subarray(opens + 1));
			return;
		}
		if (prompt?.editing && !data.includes(options.leaveKey.byte)) return onPromptKeys(data);
		if (data.includes(interruptKey.byte) && !interruptGoesToGuest(session.watcher.timeline)) {
			status = 'interrupted; stopping QEMU';
			requestStop('SIGINT');
			return;
		}
		const leave = data.indexOf(options.leaveKey.byte);
		if (leave >= 0) {
			if (leave > 0) session.write(data.subarray(0, leave));
			status = 'leaving; stopping QEMU';
			session.stop();
			return;
		}
		session.write(data);
	};
	const onSignal = () => session.stop();
	const stop = stopSignal();
	if (stop.aborted) onSignal();
	stop.addEventListener('abort', onSignal, {once: true});
	let timer: NodeJS.Timeout | undefined;
	try {
		if (stdin.isTTY && typeof stdin.setRawMode === 'function') stdin.setRawMode(true);
		stdin.on('data', onKeys);
		stdin.resume();
		let lastVersion = -1;
		let lastSecond = -1;
		timer = setInterval(() => {
			const second = Math.floor((Date.now() - started) / 1000);
			if (buffer.changes + promptVersion !== lastVersion || second !== lastSecond) {
				lastVersion = buffer.changes + promptVersion;
				lastSecond = second;
				instance.rerender(view());
			}
		}, frameMs);
		const result = await session.done;
		ended = true;
		status = 'QEMU stopped';
		instance.rerender(view());
		return result;
	} finally {
		if (timer) clearInterval(timer);
		stdin.removeListener('data', onKeys);
		stdin.pause();
		stop.removeEventListener('abort', onSignal);
		instance.unmount();
		restore();
		process.removeListener('exit', restore);
	}
}
