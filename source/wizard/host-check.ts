// The host check behind the wizard's welcome screen: the doctor's facts and verdicts, summarised.
import {evaluate} from '../doctor/evaluate.js';
import type {CapabilityVerdict, DoctorReport} from '../doctor/types.js';
import {gatherFacts} from '../system/gather.js';
import type {HostFacts} from '../system/facts.js';
import type {Platform} from '../platforms.js';
import type {HostSummary, HostVerdict} from './host.js';

function verdict(capability: CapabilityVerdict): HostVerdict {
	return {ok: capability.status === 'yes' || capability.status === 'emulated', note: capability.status === 'emulated' ? 'under emulation (slow)' : capability.status === 'yes' ? '' : capability.summary};
}

export function summariseReport(report: DoctorReport, facts: HostFacts): HostSummary {
	const platforms = {} as HostSummary['platforms'];
	for (const each of report.verdicts) {
		platforms[each.platform as Platform] = {build: verdict(each.build), run: verdict(each.run), usb: verdict(each.usb)};
	}
	const problems = report.checks
		.filter((check) => check.status === 'fail' || (check.status === 'warn' && check.group === 'virtualization'))
		.map((check) => `${check.title}: ${check.summary}${check.fix ? ' (the setup steps or `sel4-llm doctor --fix` can fix this)' : ''}`);
	return {
		platforms,
		recommended: report.recommendation.platform as Platform,
		problems,
		...(facts.disk ? {freeDiskBytes: facts.disk.freeMiB * 2 ** 20} : {}),
	};
}

export async function hostSummary(workspace: string): Promise<HostSummary> {
	const facts = await gatherFacts({workspace});
	return summariseReport(evaluate(facts), facts);
}
