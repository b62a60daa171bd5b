// What the wizard shows of the host: a verdict per platform and a recommendation.
import type {Platform} from '../platforms.js';

export type HostVerdict = {ok: boolean; note: string};

export type HostSummary = {
	platforms: Record<Platform, {build: HostVerdict; run: HostVerdict; usb: HostVerdict}>;
	recommended: Platform;
	/** Failed or warning checks worth a line on the welcome screen. */
	problems: string[];
	freeDiskBytes?: number;
};
