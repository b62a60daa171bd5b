// Facts -> report: every check, a verdict per platform (build / run in QEMU / USB stick) and a recommendation.
import type {HostFacts} from '../system/facts.js';
import {platformIds as allPlatforms, platformRecord, type Platform} from '../platforms.js';
import {runProbes} from './probes.js';
import type {CapabilityVerdict, CheckResult, DoctorReport, Need, PlatformVerdict, ProbeOptions, DoctorTarget} from './types.js';

function verdictFor(checks: CheckResult[], need: Need): string[] {
	return checks.filter((check) => check.needs.includes(need) && check.status === 'fail').map((check) => check.id);
}

/** The titles of checks, by id (what a person reads; ids are for programs). */
export function checkTitles(checks: readonly CheckResult[], ids: readonly string[]): string[] {
	return ids.map((id) => checks.find((check) => check.id === id)?.title ?? id);
}

function capability(checks: CheckResult[], blockers: string[], yes: CapabilityVerdict['status'], yesSummary: string, noSummary: string): CapabilityVerdict {
	return blockers.length === 0 ? {status: yes, summary: yesSummary, blockers} : {status: 'no', summary: `${noSummary}: ${checkTitles(checks, blockers).join(', ')}`, blockers};
}

export function platformVerdicts(facts: HostFacts): PlatformVerdict[] {
	// Verdicts look at both platforms whatever was chosen, so a user always sees what this host can do.
	const checks = runProbes(facts, {platforms: [...allPlatforms], target: 'any'});
	return allPlatforms.map((platform) => {
		const build = capability(checks, verdictFor(checks, `${platform}:build`), 'yes', 'this host can build it', 'fix first');
		const record = platformRecord(platform);
		const hostRunsIt = facts.host.arch === record.sel4Arch;
		const run = record.needsVtx
			? capability(checks, verdictFor(checks, `${platform}:run`), 'yes', 'runs in QEMU with KVM and nested VT-x', 'cannot run it in QEMU (needs Intel VT-x + KVM + nested)')
			: capability(checks, verdictFor(checks, `${platform}:run`), 'emulated', `runs in QEMU under full emulation${hostRunsIt ? '' : ' (TCG)'}: works anywhere, slowly`, 'cannot run it in QEMU');
		const usb: CapabilityVerdict = record.usb
			? capability(checks, [...new Set([...build.blockers, ...verdictFor(checks, `${platform}:usb`)])], 'yes', 'can build a bootable USB stick for an Intel PC with VT-x', 'cannot prepare a USB stick yet')
			: {status: 'n/a', summary: `${platform} is a QEMU-only platform`, blockers: []};
		return {platform, build, run, usb};
	});
}

export function recommend(verdicts: PlatformVerdict[]): DoctorReport['recommendation'] {
	// A platform this host runs with KVM first; else one that runs under emulation anywhere, built here if possible.
	const fast = verdicts.find((verdict) => platformRecord(verdict.platform).needsVtx && verdict.run.status === 'yes' && verdict.build.status === 'yes');
	if (fast) return {platform: fast.platform, reason: `this host runs the ${fast.platform} VM in QEMU with KVM at near-native speed`};
	const emulated = verdicts.filter((verdict) => !platformRecord(verdict.platform).needsVtx);
	const builds = emulated.find((verdict) => verdict.build.status === 'yes');
	if (builds) return {platform: builds.platform, reason: 'it builds here and runs under QEMU emulation on any host (slower than KVM)'};
	return {platform: emulated[0]?.platform ?? allPlatforms[0]!, reason: 'it needs the least from the host: fix the failed checks, then build it'};
}

export function evaluate(facts: HostFacts, options: {platforms?: Platform[]; target?: DoctorTarget} = {}): DoctorReport {
	const probeOptions: ProbeOptions = {platforms: options.platforms ?? [...allPlatforms], target: options.target ?? 'any'};
	const checks = runProbes(facts, probeOptions);
	const count = (status: CheckResult['status']) => checks.filter((check) => check.status === status).length;
	const requiredFailed = checks.filter((check) => check.required && check.status === 'fail').map((check) => check.id);
	const verdicts = platformVerdicts(facts).filter((verdict) => probeOptions.platforms.includes(verdict.platform));
	return {
		reportVersion: 1,
		platforms: probeOptions.platforms,
		target: probeOptions.target,
		ok: requiredFailed.length === 0,
		summary: {pass: count('pass'), warn: count('warn'), fail: count('fail'), skip: count('skip'), requiredFailed},
		checks,
		verdicts,
		recommendation: recommend(platformVerdicts(facts)),
	};
}
