// The fix plan: the fixes of failed checks, apt packages merged into one install, sudo only as `sudo -n`.
// Pure: the commands are run by system/run-fix.ts.
import type {FactSection, HostFacts} from '../system/facts.js';
import type {DoctorReport} from './types.js';

export type FixStep = {
	description: string;
	/** Final argv lists, with `sudo -n` in front where needed. */
	commands: string[][];
	sudo: boolean;
	/** Checks this step fixes. */
	checks: string[];
	affects: FactSection[];
};

export type FixPlan = {
	/** Steps doctor can run. */
	steps: FixStep[];
	/** Steps that need root when sudo cannot run without a password: printed for the user to run. */
	manual: FixStep[];
	/** Failed checks without an automatic fix. */
	unfixable: Array<{id: string; summary: string; hint?: string}>;
};

export function buildFixPlan(report: DoctorReport, facts: HostFacts): FixPlan {
	const failed = report.checks.filter((check) => check.status === 'fail');
	const withFix = failed.filter((check) => check.fix);
	const packages: string[] = [];
	const preCommands: string[][] = [];
	const aptChecks: string[] = [];
	const others: FixStep[] = [];
	for (const check of withFix) {
		const fix = check.fix!;
		if (fix.packages) {
			aptChecks.push(check.id);
			packages.push(...fix.packages);
			for (const command of fix.commands) {
				if (command[0] === 'apt-get') continue;
				if (!preCommands.some((existing) => existing.join('\0') === command.join('\0'))) preCommands.push(command);
			}
			continue;
		}
		const same = others.find((step) => step.description === fix.description);
		if (same) same.checks.push(check.id);
		else others.push({description: fix.description, commands: fix.commands, sudo: fix.sudo, checks: [check.id], affects: fix.affects});
	}
	const unique = [...new Set(packages)];
	const steps: FixStep[] = [];
	if (unique.length > 0) {
		steps.push({
			description: `install ${unique.length} apt package${unique.length === 1 ? '' : 's'}`,
			commands: [...preCommands, ['apt-get', 'update'], ['apt-get', 'install', '-y', '--no-install-recommends', ...unique]],
			sudo: true,
			checks: aptChecks,
			affects: ['packages', 'tools', 'python'],
		});
	}
	steps.push(...others);
	const root = facts.privileges?.root ?? false;
	const sudoOk = facts.privileges?.sudoNonInteractive ?? false;
	const runnable: FixStep[] = [];
	const manual: FixStep[] = [];
	for (const step of steps) {
		if (!step.sudo || root) runnable.push(step);
		else if (sudoOk) runnable.push({...step, commands: step.commands.map((argv) => ['sudo', '-n', ...argv])});
		else manual.push({...step, commands: step.commands.map((argv) => ['sudo', ...argv])});
	}
	return {
		steps: runnable,
		manual,
		unfixable: failed.filter((check) => !check.fix).map((check) => ({id: check.id, summary: check.summary, ...(check.hint ? {hint: check.hint} : {})})),
	};
}

/** What changed between two reports: checks whose status moved. */
export function reportChanges(before: DoctorReport, after: DoctorReport): Array<{id: string; title: string; from: string; to: string; summary: string}> {
	return after.checks
		.map((check) => {
			const old = before.checks.find((each) => each.id === check.id);
			return old && old.status !== check.status ? {id: check.id, title: check.title, from: old.status, to: check.status, summary: check.summary} : undefined;
		})
		.filter((change): change is NonNullable<typeof change> => change !== undefined);
}
