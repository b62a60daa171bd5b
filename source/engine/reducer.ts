// reduce(state, event): the only place that knows what is running, done, skipped or failed.
// Every reporter (Ink, plain, JSON consumers, the wizard) reads this state.
import type {RunEvent, StepSummary} from './runner.js';
import type {ErrorWindow} from './output.js';
import type {Diagnosis} from './troubleshoot.js';

export type StepStatus = 'pending' | 'running' | 'done' | 'skipped' | 'failed' | 'interrupted';

export type StepState = StepSummary & {
	status: StepStatus;
	startedAt?: number;
	durationMs?: number;
	logPath?: string;
	command?: string;
	lines: number;
	artifacts?: Record<string, string>;
};

export type RunState = {
	workspace: string;
	order: string[];
	steps: Record<string, StepState>;
	running?: string;
	/** The last lines of the running (or failed) step. */
	tail: string[];
	startedAt?: number;
	finished?: {ok: boolean; interrupted: boolean; durationMs: number; failed?: string};
	failure?: {id: string; error: string; exitCode?: number; window: ErrorWindow; diagnoses: Diagnosis[]; interrupted: boolean};
	/** The running step is stopped until disk space is freed. */
	paused?: {id: string; since: number; freeBytes: number; path: string; pauseBelow: number; resumeAbove: number};
};

export const tailSize = 200;

export const initialState: RunState = {workspace: '', order: [], steps: {}, tail: []};

function update(state: RunState, id: string, patch: Partial<StepState>): RunState {
	const current = state.steps[id];
	if (!current) return state;
	return {...state, steps: {...state.steps, [id]: {...current, ...patch}}};
}

export function reduce(state: RunState, event: RunEvent): RunState {
	switch (event.type) {
		case 'run-start': {
			const steps: Record<string, StepState> = {};
			for (const step of event.steps) steps[step.id] = {...step, status: 'pending', lines: 0};
			return {workspace: event.workspace, order: event.steps.map((step) => step.id), steps, tail: [], startedAt: event.at};
		}
		case 'step-skip':
			return update(state, event.id, {status: 'skipped', reason: event.reason});
		case 'step-start':
			return {...update(state, event.id, {status: 'running', startedAt: event.at, logPath: event.logPath, reason: event.reason}), running: event.id, tail: []};
		case 'step-command':
			return update(state, event.id, {command: event.command});
		case 'step-output': {
			const current = state.steps[event.id];
			const lines = event.lines.length >= tailSize ? event.lines.slice(-tailSize) : [...state.tail.slice(-(tailSize - event.lines.length)), ...event.lines];
			const next = {...state, tail: lines};
			if (!current) return next;
			return {...next, steps: {...state.steps, [event.id]: {...current, lines: current.lines + event.lines.length}}};
		}
		case 'step-quiet':
			return state;
		case 'step-paused':
			return {...state, paused: {id: event.id, since: event.at, freeBytes: event.freeBytes, path: event.path, pauseBelow: event.pauseBelow, resumeAbove: event.resumeAbove}};
		case 'step-resumed': {
			const {paused: _paused, ...rest} = state;
			return rest;
		}
		case 'step-done': {
			const next = update(state, event.id, {status: 'done', durationMs: event.durationMs, artifacts: event.artifacts});
			const {running: _running, paused: _paused, ...rest} = next;
			return rest;
		}
		case 'step-fail': {
			const next = update(state, event.id, {status: event.interrupted ? 'interrupted' : 'failed', durationMs: event.durationMs});
			const {running: _running, paused: _paused, ...rest} = next;
			return {
				...rest,
				failure: {
					id: event.id,
					error: event.error,
					...(event.exitCode !== undefined ? {exitCode: event.exitCode} : {}),
					window: event.window,
					diagnoses: event.diagnoses,
					interrupted: event.interrupted,
				},
			};
		}
		case 'run-done':
			return {
				...state,
				finished: {ok: event.ok, interrupted: event.interrupted, durationMs: event.durationMs, ...(event.failed ? {failed: event.failed} : {})},
			};
	}
}

export function counts(state: RunState): Record<StepStatus, number> {
	const result: Record<StepStatus, number> = {pending: 0, running: 0, done: 0, skipped: 0, failed: 0, interrupted: 0};
	for (const id of state.order) result[state.steps[id]!.status]++;
	return result;
}

/** How far a run got: steps done or up to date, of how many, and the step it stopped at (or would run next). */
export function progressOf(state: RunState): {done: number; total: number; at?: string} {
	const tally = counts(state);
	const at = state.finished?.failed ?? state.order.find((id) => !['done', 'skipped'].includes(state.steps[id]!.status));
	return {done: tally.done + tally.skipped, total: state.order.length, ...(at ? {at} : {})};
}
