// Holds the run state for the Ink view: events are reduced as they come, the view is told at most
// ~15 times a second, and finished steps are kept in the order they finished (for <Static>).
import {initialState, reduce, type RunState} from '../engine/reducer.js';
import type {RunEvent} from '../engine/runner.js';

export type RunSnapshot = {state: RunState; finished: string[]; version: number};

export class RunStore {
	private state: RunState = initialState;
	private finished: string[] = [];
	private snapshot: RunSnapshot = {state: initialState, finished: [], version: 0};
	private listeners = new Set<() => void>();
	private timer: NodeJS.Timeout | undefined;

	constructor(private readonly intervalMs = 66) {}

	dispatch(event: RunEvent): void {
		this.state = reduce(this.state, event);
		if (event.type === 'step-skip' || event.type === 'step-done' || event.type === 'step-fail') this.finished = [...this.finished, event.id];
		// Structural events show at once; output is batched.
		if (event.type === 'step-output') this.schedule();
		else this.flush();
	}

	private schedule(): void {
		this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
	}

	flush(): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = undefined;
		this.snapshot = {state: this.state, finished: this.finished, version: this.snapshot.version + 1};
		for (const listener of this.listeners) listener();
	}

	subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	getSnapshot = (): RunSnapshot => this.snapshot;
}
