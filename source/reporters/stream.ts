// The `--json` output of every command: NDJSON on stdout, one event per line, each with a `type`. A command emits
// the typed events of its work as they happen and sets the fields of its result; the CLI writes the last line, the
// result event, once, however the command ended (docs/json.md):
//   {"type":"result","command":"sync","ok":true,"exit":0, ...the command's fields}
// Without --json the stream is off: `emit` and `result` do nothing, and the command writes for people instead.

import type {ErrorDescription} from '../errors.js';

export type JsonEvent = {type: string; [field: string]: unknown};


export type EventStream = {
	/** True with --json: the command's events and result go to stdout as NDJSON. */
	readonly enabled: boolean;
	emit(event: JsonEvent): void;
	/** Fields of the final result event; later calls add to (and override) earlier ones. */
	result(fields: Record<string, unknown>): void;
};

export type FinishingStream = EventStream & {
	/** Writes the result event (once; later calls do nothing). */
	finish(exit: number, error?: ErrorDescription): void;
};

/** Objects that are kept for the program's own use (a troubleshooting entry inside a diagnosis) are not output. */
function replacer(key: string, value: unknown): unknown {
	return key === 'entry' ? undefined : value;
}

export function eventLine(event: JsonEvent): string {
	return `${JSON.stringify(event, replacer)}\n`;
}

export function createEventStream(out: NodeJS.WritableStream, command: string, enabled: boolean): FinishingStream {
	let fields: Record<string, unknown> = {};
	let finished = false;
	return {
		enabled,
		emit(event) {
			if (enabled && !finished) out.write(eventLine(event));
		},
		result(more) {
			fields = {...fields, ...more};
		},
		finish(exit, error) {
			if (!enabled || finished) return;
			finished = true;
			// The four fields every result has come first and cannot be overridden by the command's own.
			const event: JsonEvent = {type: 'result', command, ok: exit === 0, exit, ...fields, ...(error ? {error} : {})};
			Object.assign(event, {type: 'result', command, ok: exit === 0, exit});
			out.write(eventLine(event));
		},
	};
}
