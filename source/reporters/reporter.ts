import type {RunEvent} from '../engine/runner.js';
import type {RunState} from '../engine/reducer.js';

export type Reporter = {
	handle(event: RunEvent): void;
	/** Called once after the last event; resolves when everything is on screen. */
	finish(state: RunState): Promise<void>;
};
