// --json: one JSON object per event (NDJSON) on stdout.
import type {RunEvent} from '../engine/runner.js';
import type {Reporter} from './reporter.js';

export function eventJson(event: RunEvent): string {
	return JSON.stringify(event, (key, value: unknown) => (key === 'entry' ? undefined : value));
}

export function createJsonReporter(stdout: NodeJS.WritableStream): Reporter {
	return {
		handle(event) {
			stdout.write(`${eventJson(event)}\n`);
		},
		async finish() {},
	};
}
