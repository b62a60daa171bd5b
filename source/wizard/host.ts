// What the wizard shows of the host: a verdict per platform, a recommendation, and the checks behind the ✗ marks.
import type {Platform} from '../platforms.js';

/** A failed (or warning) host check: its title, what was found, and its fix (what runs) or else its hint (what to do). */
export type HostProblem = {title: string; summary: string; fix?: string; hint?: string};

export type HostVerdict = {
	ok: boolean;
	note: string;
	/** Every check that blocks it has a fix (the plan's host steps or `doctor --fix`): a ✗ that setup can turn into ✓. */
	fixable: boolean;
	/** The titles of the failed checks that block it. */
	blockers: string[];
};

export type HostSummary = {
	platforms: Record<Platform, {build: HostVerdict; run: HostVerdict; usb: HostVerdict}>;
	recommended: Platform;
	/** The failed checks that block a build (what makes "build ✗"), by title, with their fix. */
	required: HostProblem[];
	/** The other failed checks and the virtualization warnings worth a line on the welcome screen. */
	problems: HostProblem[];
	freeDiskBytes?: number;
};
