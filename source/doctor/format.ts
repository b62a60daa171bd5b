// Plain text of doctor: the report's lines painted with ANSI codes when colour is wanted (never in a pipe unless
// FORCE_COLOR), the --fix plan, and the line that says what gathering is at.
import type {FixPlan} from './fix-plan.js';
import type {FactSection} from '../system/facts.js';
import type {GatherProgress} from '../system/gather.js';
import {formatCommand} from '../system/quote.js';
import {reportLines, type LayoutOptions, type Line, type Tone} from './layout.js';
import type {DoctorReport} from './types.js';

/** SGR codes that start and end each tone (the ones chalk, and so Ink, writes). */
const sgr: Record<Tone, [number, number]> = {pass: [32, 39], warn: [33, 39], fail: [31, 39], skip: [90, 39], heading: [1, 22], dim: [2, 22], command: [36, 39]};

export function paintLines(lines: readonly Line[], colour: boolean): string {
	return lines
		.map((line) =>
			line
				.map(({text, tone}) => (colour && tone && text.trim() !== '' ? `\u001B[${sgr[tone][0]}m${text}\u001B[${sgr[tone][1]}m` : text))
				.join('')
				.trimEnd(),
		)
		.join('\n');
}

export type FormatOptions = Partial<LayoutOptions> & {colour?: boolean};

/** The report as text for a terminal or a log: 80 columns, brief and without colour unless told otherwise. */
export function formatReport(report: DoctorReport, options: FormatOptions = {}): string {
	const lines = reportLines(report, {width: options.width ?? 80, verbose: options.verbose ?? false, root: options.root ?? false});
	return paintLines(lines, options.colour ?? false);
}

const sectionLabels: Record<FactSection, string> = {
	host: 'host',
	cpu: 'CPU',
	memory: 'memory',
	kvm: 'KVM',
	user: 'user',
	environment: 'VM or container',
	iommu: 'IOMMU',
	disk: 'disk',
	os: 'OS',
	packages: 'apt packages',
	python: 'Python',
	tools: 'tools',
	privileges: 'sudo',
};

/** What gathering is at: the sections still running and how many are done. */
export function progressText(progress: GatherProgress | undefined): string {
	if (!progress) return 'checking the host …';
	const running = progress.running.map((section) => sectionLabels[section]).join(', ');
	return `checking the host … ${running ? `${running} ` : ''}(${progress.done.length}/${progress.total})`;
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
