// The process groups of the children that still run, so that none outlives sel4-llm: they are killed when it
// exits for any reason (normal exit, process.exit(), an uncaught exception) and when it is asked to stop.
// Kept apart from the process layer so that the stop handlers load without execa.

const live = new Set<number>();
const exitHooks = new Set<() => void>();
let exitHookInstalled = false;

function installExitHook(): void {
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	// 'exit' listeners run synchronously: only a kill can be sent from here.
	process.on('exit', () => {
		for (const pid of live) killTree(pid, 'SIGKILL');
		live.clear();
		for (const hook of exitHooks) hook();
	});
}

/** Signals a process group (or the process alone); false when neither could be signalled (gone, or not ours). */
export function killTree(pid: number, signal: NodeJS.Signals): boolean {
	try {
		process.kill(-pid, signal);
		return true;
	} catch {
		try {
			process.kill(pid, signal);
			return true;
		} catch {
			return false;
		}
	}
}

export function trackChild(pid: number): void {
	installExitHook();
	live.add(pid);
}

export function untrackChild(pid: number): void {
	live.delete(pid);
}

/** Runs `hook` when the process exits (synchronously; for removing temporary files). */
export function onExit(hook: () => void): void {
	installExitHook();
	exitHooks.add(hook);
}

/** Signals every child process group that still runs (for a stop that cannot wait for each command). */
export function stopAllChildren(signal: NodeJS.Signals = 'SIGTERM'): void {
	for (const pid of live) killTree(pid, signal);
}
