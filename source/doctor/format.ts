// Plain text of doctor: the report's lines painted with ANSI codes when colour is wanted (never in a pipe unless
// FORCE_COLOR), the --fix plan, and the line that says what gathering is at.
import type {FixPlan} from './fix-plan.js';
import type {FactSection} from '../system/facts.js';
import type {GatherProgress} from '../system/gather.js';
import {formatCommand} from '../system/quote.js';
import {checkTitles} from './evaluate.js';
import {reportLines, type LayoutOptions} from './layout.js';
import {lineText, wrap, type Line} from '../system/wrap.js';
import {paintLines} from '../system/paint.js';
import type {DoctorReport} from './types.js';

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

/** The --fix plan: each step as a shell comment naming the checks it fixes by title, then its commands, one a line. */
export function formatPlan(plan: FixPlan, report: DoctorReport, width = 80): string {
	const lines: string[] = [];
	const steps = (title: string, list: FixPlan['steps']) => {
		if (list.length === 0) return;
		lines.push(title);
		for (const step of list) {
			lines.push(`  # ${step.description} (${checkTitles(report.checks, step.checks).join(', ')})`);
			for (const argv of step.commands) lines.push(`  ${formatCommand(argv)}`);
		}
	};
	steps('doctor --fix will run:', plan.steps);
	steps('These need root and sudo cannot run without a password here; run them yourself:', plan.manual);
	if (plan.unfixable.length > 0) {
		lines.push('No automatic fix for:');
		for (const item of plan.unfixable) {
			const text = `${checkTitles(report.checks, [item.id])[0]}: ${item.summary}${item.hint ? ` (${item.hint})` : ''}`;
			lines.push(...wrap([{text}], width, 2, 4).map(lineText));
		}
	}
	return lines.join('\n');
}
