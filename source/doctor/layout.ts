// The lines of a doctor report, laid out once for a terminal width: the plain output paints them with ANSI codes
// (or not), the Ink view with <Text> colours, so both read the same. Pure: a report in, styled lines out.
//
// Marks: [✓] passed, [✗] failed and required (it decides the exit code), [!] a warning or an optional check that
// failed, [-] not needed for the chosen platforms. By default a group whose checks all passed folds to one line;
// `verbose` shows every check. Prose wraps at the width with a hanging indent; a command is never broken: each
// fix command has a line of its own, whatever its length, so it copies and pastes whole.
import {formatCommand} from '../system/quote.js';
import {checkTitles} from './evaluate.js';
import {wrap, type Line, type Segment, type Tone} from '../system/wrap.js';
import type {CapabilityVerdict, CheckResult, DoctorReport} from './types.js';


export type LayoutOptions = {
	/** Terminal columns to wrap prose at. */
	width: number;
	/** Every check, instead of folding the groups whose checks all passed. */
	verbose: boolean;
	/** Running as root: fixes are shown without sudo. */
	root: boolean;
};

export const groupTitles: Record<CheckResult['group'], string> = {
	system: 'System',
	virtualization: 'Virtualization',
	packages: 'Packages',
	python: 'Python',
	tools: 'Tools',
	privileges: 'Privileges',
};

/** Said after a group's title when its checks are shown. */
const groupNotes: Partial<Record<CheckResult['group'], string>> = {
	virtualization: 'x86_64 in QEMU needs Intel VT-x + KVM + nested',
};

const commandIndent = 10;

export function checkMark(check: CheckResult): Segment {
	switch (check.status) {
		case 'pass':
			return {text: '[✓]', tone: 'pass'};
		case 'warn':
			return {text: '[!]', tone: 'warn'};
		case 'fail':
			return check.required ? {text: '[✗]', tone: 'fail'} : {text: '[!]', tone: 'warn'};
		case 'skip':
			return {text: '[-]', tone: 'skip'};
	}
}

/** A group's mark: its worst check (a required failure, then a warning or optional failure, then a pass). */
function groupMark(checks: readonly CheckResult[]): Segment {
	const marks = checks.map(checkMark);
	for (const tone of ['fail', 'warn', 'pass'] as const) {
		const found = marks.find((mark) => mark.tone === tone);
		if (found) return found;
	}
	return {text: '[-]', tone: 'skip'};
}

/** Shell commands that fix a check, as a person types them (sudo in front unless root). */
export function fixText(check: CheckResult, root: boolean): string[] {
	if (!check.fix) return [];
	return check.fix.commands.map((argv) => `${check.fix!.sudo && !root ? 'sudo ' : ''}${formatCommand(argv)}`);
}

function checkLines(check: CheckResult, options: LayoutOptions): Line[] {
	const optional = check.status === 'fail' && !check.required;
	const lines = wrap(
		[
			checkMark(check),
			{text: ` ${check.title}: `},
			{text: check.summary, ...(check.status === 'skip' ? {tone: 'dim' as const} : {})},
			...(optional ? [{text: ' (optional)', tone: 'dim' as const}] : []),
		],
		options.width,
		4,
		8,
	);
	if (check.status !== 'fail' && check.status !== 'warn') return lines;
	if (check.hint) lines.push(...wrap([{text: 'hint: ', tone: 'dim'}, {text: check.hint}], options.width, 8, 14));
	if (check.fix) {
		lines.push(...wrap([{text: 'fix: ', tone: 'dim'}, {text: check.fix.description}], options.width, 8, 13));
		for (const command of fixText(check, options.root)) lines.push([{text: ' '.repeat(commandIndent)}, {text: command, tone: 'command'}]);
	}
	return lines;
}

function foldedCount(checks: readonly CheckResult[]): string {
	const passed = checks.filter((check) => check.status === 'pass').length;
	const skipped = checks.length - passed;
	if (skipped === 0) return `(${passed})`;
	return passed === 0 ? `(${skipped} not needed)` : `(${passed}, ${skipped} not needed)`;
}

const verdictTone: Record<CapabilityVerdict['status'], Tone> = {yes: 'pass', emulated: 'warn', no: 'fail', 'n/a': 'skip'};

function verdictLines(report: DoctorReport, width: number): Line[] {
	const part = (name: string, verdict: CapabilityVerdict, names: string[]): Segment[] => [
		{text: `${name}: `},
		{text: verdict.status, tone: verdictTone[verdict.status]},
		...(names.length > 0 ? [{text: ` (${names.join(', ')})`, tone: 'dim' as const}] : []),
	];
	return report.verdicts.flatMap(({platform, build, run, usb}) => {
		const titles = (ids: readonly string[]) => checkTitles(report.checks, ids);
		// A USB stick needs the build: its blockers beyond the build's are named, the build's once, above.
		const usbOwn = usb.blockers.filter((id) => !build.blockers.includes(id));
		const usbNames = [...(usb.blockers.length > usbOwn.length ? ['the build'] : []), ...titles(usbOwn)];
		return wrap(
			[
				{text: `${platform.padEnd(14)} `},
				...part('build', build, titles(build.blockers)),
				{text: '; '},
				...part('run in QEMU', run, titles(run.blockers)),
				{text: '; '},
				...part('USB stick', usb, usbNames),
			],
			width,
			2,
			17,
		);
	});
}

export function summaryLine(report: DoctorReport): string {
	const {pass, warn, fail, skip, requiredFailed} = report.summary;
	const failed = fail > 0 ? `${fail} failed (${requiredFailed.length} required)` : '0 failed';
	return `${pass} passed, ${warn} warning${warn === 1 ? '' : 's'}, ${failed}, ${skip} skipped: ${report.ok ? 'ready' : 'not ready'} for ${report.platforms.join(' and ')}${report.target === 'any' ? '' : ` (${report.target})`}`;
}

export function reportLines(report: DoctorReport, options: LayoutOptions): Line[] {
	const width = Math.max(40, options.width);
	const layout = {...options, width};
	const lines: Line[] = [];
	if (!options.verbose) lines.push(...wrap([{text: 'Doctor summary (every check: sel4-llm doctor -v)', tone: 'heading'}], width, 0));
	for (const group of Object.keys(groupTitles) as Array<CheckResult['group']>) {
		const checks = report.checks.filter((check) => check.group === group);
		if (checks.length === 0) continue;
		if (options.verbose && lines.length > 0) lines.push([]);
		const mark = groupMark(checks);
		if (!options.verbose && checks.every((check) => check.status === 'pass' || check.status === 'skip')) {
			lines.push(...wrap([mark, {text: ` ${groupTitles[group]} `}, {text: foldedCount(checks), tone: 'dim'}], width, 0, 4));
			continue;
		}
		const note = groupNotes[group];
		lines.push(...wrap([mark, {text: ` ${groupTitles[group]}`, tone: 'heading'}, ...(note ? [{text: ` (${note})`, tone: 'dim' as const}] : [])], width, 0, 4));
		for (const check of checks) {
			if (options.verbose || check.status === 'fail' || check.status === 'warn') lines.push(...checkLines(check, layout));
		}
	}
	lines.push([], [{text: 'Verdicts', tone: 'heading'}], ...verdictLines(report, width));
	lines.push(...wrap([{text: 'recommended platform: '}, {text: report.recommendation.platform, tone: 'heading'}, {text: ` (${report.recommendation.reason})`}], width, 2, 4));
	lines.push([], ...wrap([{text: summaryLine(report), tone: report.ok ? 'pass' : 'fail'}], width, 0));
	return lines;
}
