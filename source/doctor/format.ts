// Plain text rendering of a doctor report (no colors, one check per line, stable for logs and CI).
import type {FixPlan} from './fix-plan.js';
import {formatCommand} from '../system/quote.js';
import type {CheckResult, DoctorReport} from './types.js';

export const marks: Record<CheckResult['status'], string> = {pass: '✓', warn: '!', fail: '✗', skip: '-'};

export const groupTitles: Record<CheckResult['group'], string> = {
	system: 'System',
	virtualization: 'Virtualization (x86_64 in QEMU needs Intel VT-x + KVM + nested)',
	packages: 'Packages',
	python: 'Python',
	tools: 'Tools',
	privileges: 'Privileges',
};

export function fixText(check: CheckResult, root: boolean): string[] {
	if (!check.fix) return [];
	return check.fix.commands.map((argv) => `${check.fix!.sudo && !root ? 'sudo ' : ''}${formatCommand(argv)}`);
}

export function summaryLine(report: DoctorReport): string {
	const {pass, warn, fail, skip, requiredFailed} = report.summary;
	const failed = fail > 0 ? `${fail} failed (${requiredFailed.length} required)` : '0 failed';
	return `${pass} passed, ${warn} warning${warn === 1 ? '' : 's'}, ${failed}, ${skip} skipped: ${report.ok ? 'ready' : 'not ready'} for ${report.platforms.join(' and ')}${report.target === 'any' ? '' : ` (${report.target})`}`;
}

export function verdictLines(report: DoctorReport): string[] {
	return report.verdicts.map((verdict) => {
		const part = (name: string, value: typeof verdict.build) => `${name}: ${value.status}${value.blockers.length > 0 ? ` (${value.blockers.join(', ')})` : ''}`;
		return `${verdict.platform.padEnd(14)} ${part('build', verdict.build)}; ${part('run in QEMU', verdict.run)}; ${part('USB stick', verdict.usb)}`;
	});
}

export function formatReport(report: DoctorReport, options: {root?: boolean} = {}): string {
	const lines: string[] = [];
	const width = Math.max(...report.checks.map((check) => check.title.length)) + 2;
	for (const group of Object.keys(groupTitles) as Array<CheckResult['group']>) {
		const checks = report.checks.filter((check) => check.group === group);
		if (checks.length === 0) continue;
		lines.push(groupTitles[group]);
		for (const check of checks) {
			const required = check.status === 'fail' && !check.required ? ' (optional)' : '';
			lines.push(`  ${marks[check.status]} ${check.title.padEnd(width)}${check.summary}${required}`);
			if (check.status === 'fail' || check.status === 'warn') {
				if (check.hint) lines.push(`      hint: ${check.hint}`);
				for (const command of fixText(check, options.root ?? false)) lines.push(`      fix: ${command}`);
			}
		}
		lines.push('');
	}
	lines.push('Verdicts');
	for (const line of verdictLines(report)) lines.push(`  ${line}`);
	lines.push(`  recommended platform: ${report.recommendation.platform} (${report.recommendation.reason})`);
	lines.push('');
	lines.push(summaryLine(report));
	return lines.join('\n');
}

export function formatPlan(plan: FixPlan): string {
	const lines: string[] = [];
	if (plan.steps.length > 0) {
		lines.push('doctor --fix will run:');
		for (const step of plan.steps) {
			lines.push(`  # ${step.description} (${step.checks.join(', ')})`);
			for (const argv of step.commands) lines.push(`  ${formatCommand(argv)}`);
		}
	}
	if (plan.manual.length > 0) {
		lines.push('These need root and sudo cannot run without a password here; run them yourself:');
		for (const step of plan.manual) {
			lines.push(`  # ${step.description} (${step.checks.join(', ')})`);
			for (const argv of step.commands) lines.push(`  ${formatCommand(argv)}`);
		}
	}
	if (plan.unfixable.length > 0) {
		lines.push('No automatic fix for:');
		for (const item of plan.unfixable) lines.push(`  ${item.id}: ${item.summary}${item.hint ? ` (${item.hint})` : ''}`);
	}
	return lines.join('\n');
}
