// How sel4-llm is stopped: Ctrl-C (SIGINT, or the key in a raw-mode terminal view), SIGTERM, SIGHUP, or its own
// output closing (EPIPE, as with `| head`). One process-wide stop signal that every long operation listens to, and
// one rule for the exit code: 130 for Ctrl-C and SIGHUP, 143 for SIGTERM, 141 for a closed output. A second
// Ctrl-C does not wait: every child process group is killed and sel4-llm exits at once.
import {ExitCode, InterruptedError, type ExitCodeValue} from '../errors.js';
import {stopAllChildren} from './children.js';

export type StopReason = 'SIGINT' | 'SIGTERM' | 'EPIPE';

let controller = new AbortController();
let reason: StopReason | undefined;
let firstAt = 0;
let installed = false;

/**
 * A repeat that comes this soon after the first signal is the same stop, not a second Ctrl-C: libraries that clean
 * up on exit (conf's atomic writer) catch the first signal and send it to the process again at once.
 */
const repeatMs = 500;

/** Aborted when sel4-llm is asked to stop; pass it to every long operation. */
export function stopSignal(): AbortSignal {
	return controller.signal;
}

/** Why sel4-llm is stopping, once it is. */
export function stopReason(): StopReason | undefined {
	return reason;
}

export function exitCodeForStop(why: StopReason): ExitCodeValue {
	return why === 'SIGINT' ? ExitCode.interrupted : why === 'SIGTERM' ? ExitCode.terminated : ExitCode.brokenPipe;
}

/** The error for a stopped operation, with what the user should know (what was recorded, what to run next). */
export function stoppedError(message?: string, hint?: string): InterruptedError {
	return new InterruptedError(reason ?? 'SIGINT', message, hint ? {hint} : {});
}

/** Asks everything to stop (a signal handler, the Ctrl-C key of a raw-mode view, a closed output). */
export function requestStop(why: StopReason): void {
	if (reason !== undefined) {
		if (why === 'EPIPE' || Date.now() - firstAt < repeatMs) return;
		// Asked twice: do not wait for anything.
		stopAllChildren('SIGKILL');
		process.exit(exitCodeForStop(reason));
	}
	reason = why;
	firstAt = Date.now();
	controller.abort(new InterruptedError(why));
	if (why === 'EPIPE') stopAllChildren('SIGTERM');
}

/**
 * Installs the handlers once, at start-up: signals become a stop request instead of killing the process on the
 * spot, so the running step's process tree is stopped and the journal written before sel4-llm exits.
 */
export function installStopHandlers(streams: {stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream}): void {
	if (installed) return;
	installed = true;
	process.on('SIGINT', () => requestStop('SIGINT'));
	process.on('SIGTERM', () => requestStop('SIGTERM'));
	process.on('SIGHUP', () => requestStop('SIGINT'));
	for (const stream of [streams.stdout, streams.stderr]) {
		stream.on('error', (error: NodeJS.ErrnoException) => {
			if (error.code === 'EPIPE') requestStop('EPIPE');
			else throw error;
		});
	}
}

let accepted = false;

/**
 * Declares that being stopped is this command's normal end (a server such as `launch --serve`): the command's own
 * exit code then stands instead of 130 or 143.
 */
export function acceptStop(): void {
	accepted = true;
}

/** The exit code the program ends with, given the code its command returned. */
export function finalExitCode(code: number): number {
	if (reason === undefined || (accepted && reason !== 'EPIPE')) return code;
	return exitCodeForStop(reason);
}

/** For tests: a fresh stop signal. */
export function resetStop(): void {
	controller = new AbortController();
	reason = undefined;
	accepted = false;
}
