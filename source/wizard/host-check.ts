// The host check behind the wizard's welcome screen: the doctor's facts and verdicts, summarised.
import {checkTitles, evaluate} from '../doctor/evaluate.js';
import type {CapabilityVerdict, CheckResult, DoctorReport} from '../doctor/types.js';
import {gatherFacts} from '../system/gather.js';
import type {HostFacts} from '../system/facts.js';
import type {Platform} from '../platforms.js';
import type {HostProblem, HostSummary, HostVerdict} from './host.js';

function verdict(capability: CapabilityVerdict, checks: readonly CheckResult[]): HostVerdict {
	const ok = capability.status === 'yes' || capability.status === 'emulated';
	return {
		ok,
		note: capability.status === 'emulated' ? 'under emulation (slow)' : capability.status === 'yes' ? '' : capability.summary,
		fixable: ok || capability.blockers.every((id) => checks.some((check) => check.id === id && check.fix)),
		blockers: checkTitles(checks, capability.blockers),
	};
}

function problem(check: CheckResult): HostProblem {
	if (check.fix) return {title: check.title, summary: check.summary, fix: check.fix.description};
	return {title: check.title, summary: check.summary, ...(check.hint ? {hint: check.hint} : {})};
}

export function summariseReport(report: DoctorReport, facts: HostFacts): HostSummary {
	const platforms = {} as HostSummary['platforms'];
	for (const each of report.verdicts) {
		platforms[each.platform as Platform] = {build: verdict(each.build, report.checks), run: verdict(each.run, report.checks), usb: verdict(each.usb, report.checks)};
	}
	// What makes "build ✗": the failed checks a build of any platform needs, in the doctor's order.
	const blocking = new Set(report.verdicts.flatMap((each) => each.build.blockers));
	const required = report.checks.filter((check) => blocking.has(check.id)).map(problem);
	const problems = report.checks
		.filter((check) => !blocking.has(check.id) && check.needs.length > 0 && (check.status === 'fail' || (check.status === 'warn' && check.group === 'virtualization')))
		.map(problem);
	return {
		platforms,
		recommended: report.recommendation.platform as Platform,
		required,
		problems,
		...(facts.disk ? {freeDiskBytes: facts.disk.freeMiB * 2 ** 20} : {}),
	};
}

export async function hostSummary(workspace: string): Promise<HostSummary> {
	const facts = await gatherFacts({workspace});
	return summariseReport(evaluate(facts), facts);
}
