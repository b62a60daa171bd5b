// State of the Ink flash screen, changed by the command and read by the components.
import type {Verdict} from '../../flash/policy.js';
import type {FlashSummary} from '../../flash/summary.js';
import type {Phase, Progress} from '../../flash/writer.js';

export type Screen =
	| {kind: 'idle'}
	| {kind: 'pick'; verdicts: Verdict[]; resolve: (verdict: Verdict | undefined) => void}
	| {kind: 'confirm'; verdict: Verdict; imageSize: number; notes: string[]; resolve: (ok: boolean) => void}
	| {kind: 'progress'}
	| {kind: 'done'; summary: FlashSummary};

export type FlashState = {messages: string[]; screen: Screen; phases: Partial<Record<Phase, Progress>>};

export type FlashStore = {
	get: () => FlashState;
	subscribe: (listener: () => void) => () => void;
	set: (change: Partial<FlashState>) => void;
	interrupt: () => void;
};

export function createStore(onInterrupt: () => void): FlashStore {
	let state: FlashState = {messages: [], screen: {kind: 'idle'}, phases: {}};
	const listeners = new Set<() => void>();
	return {
		get: () => state,
		subscribe(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		set(change) {
			state = {...state, ...change};
			for (const listener of listeners) listener();
		},
		interrupt: onInterrupt,
	};
}
