// Durations as people read them, in every view: the plain and Ink run reporters, status, flash's progress lines.

/**
 * "480 ms", "4.8 s", "2 min 33 s", "1 h 05 min"; or, for a narrow progress column, compact: "8s", "2m33s".
 * An unknown duration (an ETA before the speed is known) is "--".
 */
export function formatDuration(ms: number | undefined, style: 'text' | 'compact' = 'text'): string {
	if (ms === undefined || !Number.isFinite(ms)) return '--';
	if (style === 'compact') {
		const whole = Math.max(0, Math.round(ms / 1000));
		return whole >= 60 ? `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
	}
	if (ms < 1000) return `${ms} ms`;
	const seconds = ms / 1000;
	if (seconds < 60) return `${seconds.toFixed(1)} s`;
	const minutes = Math.floor(seconds / 60);
	const rest = Math.round(seconds % 60);
	if (minutes < 60) return `${minutes} min ${String(rest).padStart(2, '0')} s`;
	return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/**
 * A moment as people read it, in the machine's local time with its zone: "2026-12-04 15:20:01 CET". Every view
 * that shows when something happened (status, the workspace lock's refusal) writes it this way.
 */
export function formatTimestamp(when: string | number | Date, timeZone?: string): string {
	const date = new Date(when);
	if (Number.isNaN(date.getTime())) return String(when);
	const parts = Object.fromEntries(
		new Intl.DateTimeFormat('en-GB', {timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short'})
			.formatToParts(date)
			.map((part) => [part.type, part.value]),
	);
	return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}
