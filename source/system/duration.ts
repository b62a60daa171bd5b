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
