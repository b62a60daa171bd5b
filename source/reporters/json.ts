// --json: each run event is an event of the command's NDJSON output stream (reporters/stream.ts).
import type {EventStream} from './stream.js';
import type {Reporter} from './reporter.js';

export function createJsonReporter(events: Pick<EventStream, 'emit'>): Reporter {
	return {
		handle(event) {
			events.emit(event);
		},
		async finish() {},
	};
}
