// Watches the free space of the workspace's filesystem while a step runs. When it falls below a floor, the step's
// whole process group is stopped (SIGSTOP) before the build can fail half-written with ENOSPC; once space has been
// freed past a higher mark it continues (SIGCONT) where it was. Nothing is lost and nothing needs re-running.
import {statfs} from 'node:fs/promises';
import {dirname} from 'node:path';

export type DiskGuardOptions = {
	/** A path on the filesystem to watch (the workspace). */
	path: string;
	/** Stop the step when fewer bytes than this are free. */
	pauseBelow: number;
	/** Continue it when at least this many bytes are free again. */
	resumeAbove: number;
	intervalMs: number;
};

const GiB = 1024 ** 3;

/** The default floor: builds write gigabytes, and a full disk corrupts the journal, logs and half-built trees. */
export const DEFAULT_MIN_FREE = GiB;

const units: Record<string, number> = {'': 1, k: 1024, m: 1024 ** 2, g: GiB, t: 1024 ** 4};

/** Parses "800M", "2G", "1.5GiB", "4096" (bytes); undefined when it is not a size. */
export function parseSize(text: string): number | undefined {
	const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
	if (!match) return undefined;
	const bytes = Number(match[1]) * units[match[2]!.toLowerCase()]!;
	return Number.isFinite(bytes) ? Math.round(bytes) : undefined;
}

/** The guard for a workspace: stop below `minFree`, continue at 1.5 times that (so it does not flap). */
export function diskGuardFor(workspace: string, minFree = DEFAULT_MIN_FREE, intervalMs = 500): DiskGuardOptions | undefined {
	if (minFree <= 0) return undefined;
	return {path: workspace, pauseBelow: minFree, resumeAbove: Math.ceil(minFree * 1.5), intervalMs};
}

/** Free bytes (for an unprivileged user) on the filesystem holding `path`, or its nearest existing parent. */
export async function freeBytes(path: string): Promise<number | undefined> {
	let current = path;
	for (;;) {
		try {
			const stats = await statfs(current);
			return stats.bavail * stats.bsize;
		} catch {
			const parent = dirname(current);
			if (parent === current) return undefined;
			current = parent;
		}
	}
}

export type GuardChange = {paused: true; freeBytes: number} | {paused: false; freeBytes: number; pausedMs: number};

/**
 * Checks now and then every `intervalMs` while a process runs, calling `pause`/`resume` on it and reporting each
 * change (`pause` returns false when the process cannot be stopped). `stop()` ends the watch.
 */
export function watchDisk(
	options: DiskGuardOptions,
	process: {pause(): boolean; resume(): void},
	onChange: (change: GuardChange) => void,
): {stop(): void} {
	let pausedSince: number | undefined;
	let stopped = false;
	let checking = false;
	const check = async () => {
		if (checking || stopped) return;
		checking = true;
		try {
			const free = await freeBytes(options.path);
			if (free === undefined || stopped) return;
			if (pausedSince === undefined && free < options.pauseBelow) {
				// What cannot be stopped is left to run (and to fail on a full disk as it would have).
				if (!process.pause()) return;
				pausedSince = Date.now();
				onChange({paused: true, freeBytes: free});
			} else if (pausedSince !== undefined && free >= options.resumeAbove) {
				process.resume();
				const pausedMs = Date.now() - pausedSince;
				pausedSince = undefined;
				onChange({paused: false, freeBytes: free, pausedMs});
			}
		} finally {
			checking = false;
		}
	};
	void check();
	const timer = setInterval(() => void check(), options.intervalMs);
	timer.unref();
	return {
		stop() {
			stopped = true;
			clearInterval(timer);
		},
	};
}
