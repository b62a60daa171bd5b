// What probes return and what doctor reports. Pure data, shared by the plain, JSON and Ink views.
import type {FactSection} from '../system/facts.js';
import type {Platform, Target} from '../platforms.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export type Stage = 'build' | 'run' | 'usb';
/** A capability a check is needed for, e.g. "x86_64:run". */
export type Need = `${Platform}:${Stage}`;
/** A boot target, or any: which of the KVM (qemu) and USB tool (usb) checks are required. */
export type DoctorTarget = Target | 'any';

export type Fix = {
	/** Exact commands (argv lists, no shell unless argv[0] is sh). */
	commands: string[][];
	/** The commands need root (run through `sudo -n` unless already root). */
	sudo: boolean;
	description: string;
	/** apt packages this fix installs: merged into one `apt-get install` when several checks need packages. */
	packages?: string[];
	/** Fact sections to gather again after the fix ran. */
	affects: FactSection[];
};

export type CheckResult = {
	id: string;
	group: 'system' | 'virtualization' | 'packages' | 'python' | 'tools' | 'privileges';
	title: string;
	status: CheckStatus;
	summary: string;
	hint?: string;
	fix?: Fix;
	/** A failure of this check makes doctor exit 1 for the chosen platforms and target. */
	required: boolean;
	/** The capabilities this check is needed for. */
	needs: Need[];
};

export type ProbeOptions = {platforms: Platform[]; target: DoctorTarget};

export type CapabilityVerdict = {
	status: 'yes' | 'emulated' | 'no' | 'n/a';
	summary: string;
	/** Ids of failed checks that block it. */
	blockers: string[];
};

export type PlatformVerdict = {
	platform: Platform;
	build: CapabilityVerdict;
	run: CapabilityVerdict;
	usb: CapabilityVerdict;
};

export type DoctorReport = {
	reportVersion: 1;
	platforms: Platform[];
	target: DoctorTarget;
	ok: boolean;
	summary: {pass: number; warn: number; fail: number; skip: number; requiredFailed: string[]};
	checks: CheckResult[];
	verdicts: PlatformVerdict[];
	recommendation: {platform: Platform; reason: string};
};
