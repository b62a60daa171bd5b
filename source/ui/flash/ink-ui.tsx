// The Ink version of the flash conversation (loaded only on an interactive terminal).
import {render} from 'ink';
import {formatProgress, type FlashUi} from '../../flash/interaction.js';
import type {Phase, Progress} from '../../flash/writer.js';
import {FlashApp} from './flash-app.js';
import {createStore} from './store.js';

export async function inkUi(io: {stderr: NodeJS.WriteStream; stdin: NodeJS.ReadStream}, options: {colour: boolean}): Promise<FlashUi> {
	const store = createStore(() => process.kill(process.pid, 'SIGINT'));
	const canReadKeys = Boolean(io.stdin.isTTY && typeof io.stdin.setRawMode === 'function');
	const instance = render(<FlashApp store={store} canReadKeys={canReadKeys} colour={options.colour} />, {
		stdout: io.stderr,
		stdin: io.stdin,
		patchConsole: false,
		exitOnCtrlC: false,
	});
	let pending: Partial<Record<Phase, Progress>> = {};
	let timer: NodeJS.Timeout | undefined;
	const flush = () => {
		timer = undefined;
		store.set({phases: {...store.get().phases, ...pending}});
		pending = {};
	};
	return {
		pick: (verdicts) =>
			new Promise((resolve) => {
				store.set({screen: {kind: 'pick', verdicts, resolve: (verdict) => (store.set({screen: {kind: 'idle'}}), resolve(verdict))}});
			}),
		confirm: (verdict, imageSize, notes) =>
			new Promise((resolve) => {
				store.set({screen: {kind: 'confirm', verdict, imageSize, notes, resolve: (ok) => (store.set({screen: {kind: 'idle'}}), resolve(ok))}});
			}),
		progress(progress) {
			if (store.get().screen.kind !== 'progress') store.set({screen: {kind: 'progress'}});
			pending[progress.phase] = progress;
			// At most about 10 frames per second; the end of a phase is shown at once.
			if (progress.done >= progress.total) {
				if (timer) clearTimeout(timer);
				flush();
			} else timer ??= setTimeout(flush, 100);
		},
		summary(summary) {
			if (timer) clearTimeout(timer);
			timer = undefined;
			pending = {};
			store.set({screen: {kind: 'done', summary}});
		},
		message(line) {
			store.set({messages: [...store.get().messages, line === '' ? ' ' : line]});
		},
		async close() {
			if (timer) clearTimeout(timer);
			flush();
			// The final screen stays as it is. Without one (a failure, a stop), the last progress rows stay as plain
			// lines, above the error that follows.
			if (store.get().screen.kind !== 'done') {
				const phases = store.get().phases;
				const rows = (['write', 'sync', 'verify'] as const).flatMap((phase) => (phases[phase] ? [formatProgress(phases[phase])] : []));
				store.set({screen: {kind: 'idle'}, messages: [...store.get().messages, ...rows]});
			}
			await new Promise((resolve) => setTimeout(resolve, 20));
			instance.unmount();
			await instance.waitUntilExit();
		},
	};
}
