// Runs a watched boot in a terminal: Ink draws the timeline and console on stderr, the raw keyboard goes to the
// guest, the leave key ends it, and the terminal is restored whatever happens.
import {PassThrough} from 'node:stream';
import {stopSignal} from '../../system/interrupt.js';
import {render} from 'ink';
import type {Io} from '../../commands/context.js';
import {startBoot, type BootResult} from '../../qemu/boot.js';
import type {Catalogue} from '../../engine/troubleshoot.js';
import type {QemuCommand} from '../../qemu/command.js';
import type {Expectation} from '../../qemu/watcher.js';
import {ConsoleBuffer} from './console-buffer.js';
import {LaunchView} from './launch-view.js';

export type InteractiveOptions = {
	command: QemuCommand;
	logFile: string;
	catalogue: Catalogue;
	stallSeconds: number;
	timeoutSeconds?: number;
	expect: Expectation[];
	io: Io;
	leaveKey: {byte: number; label: string};
	/** The console shared with `sel4-llm ask` while the view runs. */
	share?: {socketPath: string; recordFile: string; platform: string};
};

const frameMs = 80; // at most ~12 frames per second

/** Ctrl-P opens the prompt box: the question goes to the model through the shared console, like `sel4-llm ask`. */
export const promptKey = {byte: 0x10, label: 'Ctrl-P'} as const;

type PromptState = {editing: boolean; text: string; answer: string; note?: string};

/** Asks the guest's model through the shared console; the answer streams into the prompt box. */
async function askInView(socketPath: string, prompt: PromptState, changed: () => void): Promise<void> {
	const {GuestConsole, ConsoleError} = await import('../../console/client.js');
	let guest;
	try {
		guest = await GuestConsole.connect(socketPath);
		prompt.note = 'waiting for the guest…';
		changed();
		await guest.waitReady({timeoutMs: 15_000});
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
	const session = startBoot({
		command: options.command,
		logFile: options.logFile,
		catalogue: options.catalogue,
		stallSeconds: options.stallSeconds,
		...(options.timeoutSeconds !== undefined ? {timeoutSeconds: options.timeoutSeconds} : {}),
		expect: options.expect,
		stopWhenExpected: false,
		...(options.share ? {share: options.share} : {}),
		onOutput: (chunk) => buffer.push(chunk.toString('utf8')),
		onEvent: (event) => {
			if (event.type === 'halt') status = `${event.record.description}; stopping QEMU`;
		},
	});
	// Ink must not touch the real stdin (we read it raw and pass it on), so it gets an idle stream.
	const inkInput = new PassThrough() as unknown as NodeJS.ReadStream;
	const view = () => {
		const rows = io.stderr.rows ?? 24;
		const columns = io.stderr.columns ?? 80;
		const timeline = session.watcher.timeline;
		const promptRows = prompt ? 2 + Math.ceil(prompt.answer.trim().length / Math.max(20, columns)) : 0;
		const fixed = 5 + promptRows + (timeline.halt ? 1 : 0) + (timeline.stalls.length ? 1 : 0) + (columns < 120 ? 1 : 0);
		return (
			<LaunchView
				timeline={{...timeline, stages: [...timeline.stages], stalls: [...timeline.stalls]}}
				lines={buffer.tail(Math.max(3, rows - fixed))}
				elapsedMs={Date.now() - started}
				leaveLabel={options.leaveKey.label}
				logFile={options.logFile}
				columns={columns}
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
				void askInView(options.share!.socketPath, current, () => promptVersion++);
				break;
			}
			if (char === '\u001B') {
				prompt = undefined;
				break;
			}
			if (char === '\u007F' || char === '\b') current.text = current.text.slice(0, -1);
			else if (char >= ' ') current.text += char;
		}
		promptVersion++;
	};
	const onKeys = (data: Buffer) => {
		if (options.share && data.includes(promptKey.byte)) {
			if (!prompt || !prompt.editing) prompt = {editing: true, text: '', answer: ''};
			promptVersion++;
			return;
		}
		if (prompt?.editing && !data.includes(options.leaveKey.byte)) return onPromptKeys(data);
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
