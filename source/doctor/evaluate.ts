// Facts -> report: every check, a verdict per platform (build / run in QEMU / USB stick) and a recommendation.
import type {HostFacts} from '../system/facts.js';
import {platformIds as allPlatforms, type Platform} from '../platforms.js';
import {runProbes} from './probes.js';
import type {CapabilityVerdict, CheckResult, DoctorReport, Need, PlatformVerdict, ProbeOptions, DoctorTarget} from './types.js';

function verdictFor(checks: CheckResult[], need: Need): string[] {
	return checks.filter((check) => check.needs.includes(need) && check.status === 'fail').map((check) => check.id);
}

function capability(blockers: string[], yes: CapabilityVerdict['status'], yesSummary: string, noSummary: string): CapabilityVerdict {
	return blockers.length === 0 ? {status: yes, summary: yesSummary, blockers} : {status: 'no', summary: `${noSummary}: ${blockers.join(', ')}`, blockers};
}

export function platformVerdicts(facts: HostFacts): PlatformVerdict[] {
	// Verdicts look at both platforms whatever was chosen, so a user always sees what this host can do.
	const checks = runProbes(facts, {platforms: [...allPlatforms], target: 'any'});
	return allPlatforms.map((platform) => {
		const build = capability(verdictFor(checks, `${platform}:build`), 'yes', 'this host can build it', 'fix first');
		if (platform === 'qemu-arm-virt') {
			const kvmArm = facts.host.arch === 'aarch64';
			return {
				platform,
				build,
				run: capability(
					verdictFor(checks, 'qemu-arm-virt:run'),
					'emulated',
					`runs in QEMU under full emulation${kvmArm ? '' : ' (TCG)'}: works anywhere, slowly`,
					'cannot run it in QEMU',
				),
				usb: {status: 'n/a', summary: 'qemu-arm-virt is a QEMU-only platform', blockers: []},
			};
		}
		const runBlockers = verdictFor(checks, 'x86_64:run');
		return {
			platform,
			build,
			run: capability(runBlockers, 'yes', 'runs in QEMU with KVM and nested VT-x', 'cannot run it in QEMU (needs Intel VT-x + KVM + nested)'),
			usb: capability(
				[...new Set([...build.blockers, ...verdictFor(checks, 'x86_64:usb')])],
				'yes',
				'can build a bootable USB stick for an Intel PC with VT-x',
				'cannot prepare a USB stick yet',
			),
		};
	});
}

export function recommend(verdicts: PlatformVerdict[]): DoctorReport['recommendation'] {
	const x86 = verdicts.find((verdict) => verdict.platform === 'x86_64')!;
	const arm = verdicts.find((verdict) => verdict.platform === 'qemu-arm-virt')!;
	if (x86.run.status === 'yes' && x86.build.status === 'yes')
		return {platform: 'x86_64', reason: 'this host runs the x86_64 VM in QEMU with KVM at near-native speed'};
	if (arm.build.status === 'yes') return {platform: 'qemu-arm-virt', reason: 'it builds here and runs under QEMU emulation on any host (slower than KVM)'};
	return {platform: 'qemu-arm-virt', reason: 'it needs the least from the host: fix the failed checks, then build it'};
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
