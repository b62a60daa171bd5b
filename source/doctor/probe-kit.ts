// What every probe is built from: the draft check it returns, the needs it serves, and the common shapes of a
// check that could not run and of an apt fix.
import type {HostFacts} from '../system/facts.js';
import {platformIds as allPlatforms, type Platform} from '../platforms.js';
import type {CheckResult, Fix, Need, ProbeOptions, Stage} from './types.js';

export type Draft = Omit<CheckResult, 'required'>;
export type Probe = (facts: HostFacts, options: ProbeOptions) => Draft | Draft[];

export const both: Platform[] = [...allPlatforms];
export const needs = (platforms: readonly Platform[], stages: readonly Stage[]): Need[] =>
	platforms.flatMap((platform) => stages.map((stage) => `${platform}:${stage}` as Need));
export const buildBoth = needs(both, ['build']);
export const armRun: Need = 'qemu-arm-virt:run';
export const x86Run: Need = 'x86_64:run';

export function unknown(id: string, group: CheckResult['group'], title: string, section: string, facts: HostFacts, checkNeeds: Need[]): Draft {
	const record = facts.gather[section];
	return {
		id,
		group,
		title,
		status: 'fail',
		summary: `could not check: ${section} ${record ? `${record.status}${record.detail ? ` (${record.detail})` : ''}` : 'not gathered'}`,
		hint: 'run `sel4-llm doctor` again; if it keeps failing, look at the command shown above by hand',
		needs: checkNeeds,
	};
}

export const apt = (packages: string[], description: string): Fix => ({
	commands: [['apt-get', 'install', '-y', '--no-install-recommends', ...packages]],
	sudo: true,
	description,
	packages,
	affects: ['packages', 'tools', 'python'],
});

export function mib(value: number): string {
	return value >= 1024 ? `${(value / 1024).toFixed(1)} GiB` : `${value} MiB`;
}
