// What the wizard shows of the host: a verdict per platform and a recommendation.
import type {Platform} from './choices.js';

export type Verdict = {ok: boolean; note: string};

export type HostSummary = {
	platforms: Record<Platform, {build: Verdict; run: Verdict; usb: Verdict}>;
	recommended: Platform;
	/** Failed or warning checks worth a line on the welcome screen. */
	problems: string[];
	freeDiskBytes?: number;
};
