// The Ink reporter: mounts the run view on the terminal (stderr) and feeds it through the store.
import {render} from 'ink';
import {RunStore} from '../ui/run-store.js';
import {RunView} from '../ui/run-view.js';
import type {Reporter} from './reporter.js';

export function createInkReporter(stream: NodeJS.WriteStream, stdin: NodeJS.ReadStream): Reporter {
	const store = new RunStore();
	const instance = render(<RunView store={store} />, {stdout: stream, stdin, patchConsole: false, exitOnCtrlC: false});
	return {
		handle(event) {
			store.dispatch(event);
		},
		async finish() {
			store.flush();
			await new Promise((resolve) => setTimeout(resolve, 20));
			instance.unmount();
			await instance.waitUntilExit();
		},
	};
}
