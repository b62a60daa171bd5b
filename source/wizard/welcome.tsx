// Welcome: what sel4-llm will do, the host's verdicts with the checks behind each ✗, and where an earlier run
// stopped; fitted to the window (the list of checks scrolls when it is longer than the rows left for it).
import {Box, Text, useInput} from 'ink';
import {useState} from 'react';
import type {Segment} from '../system/wrap.js';
import {ReportLines} from '../ui/doctor/report-lines.js';
import {useWindowSize} from '../ui/window.js';
import {block, fitBlocks, height, textBlock, type Block} from './fit.js';
import {Footer, footerBlock, type Keys} from './footer.js';
import type {HostProblem, HostSummary, HostVerdict} from './host.js';
import {Spinner} from './spinner.js';

export type ResumeInfo = {done: number; total: number; stale: string[]; failed?: string};

const intro =
	'This sets up seL4 with a CAmkES virtual machine whose Linux guest runs llama.cpp, then boots it in QEMU or writes a USB stick for a PC. Every step is shown before it runs, and a second run continues where this one stops.';

const mark = (verdict: HostVerdict): Segment => (verdict.ok ? {text: '✓', tone: 'pass'} : {text: '✗', tone: 'fail'});

/** The lines above the checks: the verdict per platform and the recommendation. */
export function verdictBlocks(host: HostSummary, columns: number): Block[] {
	const rows = Object.entries(host.platforms).map(([platform, verdict]) =>
		block(
			[
				{text: `${platform.padEnd(14)} build `},
				mark(verdict.build),
				{text: ' · QEMU '},
				mark(verdict.run),
				{text: ' · USB stick '},
				mark(verdict.usb),
				...(verdict.run.ok ? [] : [{text: ` ${verdict.run.note}`, tone: 'dim' as const}]),
			],
			columns,
			17,
			2,
		),
	);
	return [...rows, block([{text: 'Recommended: '}, {text: host.recommended, tone: 'command'}], columns, 4, 2)];
}

function problemBlock(problem: HostProblem, tone: 'fail' | 'warn', columns: number): Block {
	return [
		...block([{text: tone === 'fail' ? '✗ ' : '! ', tone}, {text: `${problem.title}: `, tone: 'heading'}, {text: problem.summary}], columns, 4, 2),
		...(problem.fix ? block([{text: `fix: ${problem.fix}`, tone: 'dim'}], columns, 9, 4) : problem.hint ? block([{text: `hint: ${problem.hint}`, tone: 'dim'}], columns, 10, 4) : []),
	];
}

/** The checks behind the ✗ marks: first the failures that make "build ✗" (with their fix), then the warnings. */
export function problemBlocks(host: HostSummary, columns: number): Block[] {
	const required = host.required.map((problem) => problemBlock(problem, 'fail', columns));
	const header =
		host.required.length > 0
			? [block([{text: `Build ✗ until ${host.required.length === 1 ? 'this required check passes' : `these ${host.required.length} required checks pass`}:`}], columns, 4, 2)]
			: [];
	return [...header, ...required, ...host.problems.map((problem) => problemBlock(problem, 'warn', columns))];
}

function resumeBlocks(resume: ResumeInfo | undefined, columns: number): Block[] {
	if (!resume || resume.done === 0) return [];
	return [
		[[]],
		textBlock(`Resuming: ${resume.done} of ${resume.total} steps done.`, columns, 'pass'),
		...(resume.stale.length > 0 ? [textBlock(`Changed since the last run: ${resume.stale.join(', ')}`, columns, 'dim', 2)] : []),
		...(resume.failed ? [textBlock(`Last run stopped at ${resume.failed}.`, columns, 'warn')] : []),
	];
}

export function Welcome({
	host,
	resume,
	checking = false,
	active = true,
	clock,
}: {
	host: HostSummary | undefined;
	resume: ResumeInfo | undefined;
	checking?: boolean;
	active?: boolean;
	clock?: () => number;
}) {
	const {rows, columns} = useWindowSize();
	const [focus, setFocus] = useState(0);
	const introLines = textBlock(intro, columns);
	const verdicts = host ? [[[]], textBlock('This machine', columns, 'heading'), ...verdictBlocks(host, columns)] : [];
	const checks = host ? problemBlocks(host, columns) : [];
	const after = resumeBlocks(resume, columns);
	const baseKeys: Keys = [['enter', 'continue'], ['q', 'quit']];
	// Rows: the title, the intro, the verdicts, the checks, the resume lines, the spinner, the keys, and a free last row.
	const around = (keys: Keys, withIntro: boolean) =>
		1 + (withIntro ? introLines.length : 0) + height(verdicts) + height(after) + (checking ? 1 : 0) + footerBlock(keys, columns).length + 1;
	// On a short window the intro goes first, so that the verdicts and at least a few checks stay.
	const withIntro = checks.length === 0 || rows - around(baseKeys, true) >= Math.min(height(checks), 6);
	const fitted = fitBlocks(checks, rows - around(baseKeys, withIntro), focus, 'more checks');
	const keys: Keys = fitted.cut ? [['↑/↓', 'scroll'], ...baseKeys] : baseKeys;
	const shown = fitted.cut ? fitBlocks(checks, rows - around(keys, withIntro), focus, 'more checks') : fitted;
	useInput(
		(_input, key) => {
			if (!fitted.cut) return;
			if (key.upArrow) setFocus(Math.max(0, shown.first - 1));
			else if (key.downArrow) setFocus(Math.min(checks.length - 1, shown.last + 1));
		},
		{isActive: active},
	);
	return (
		<Box flexDirection="column">
			<Text bold>sel4-llm setup</Text>
			<ReportLines lines={[...(withIntro ? introLines : []), ...verdicts.flat(), ...(checks.length > 0 ? shown.lines : []), ...after.flat()]} columns={columns} colour />
			{checking ? <Spinner label="Checking this machine…" {...(clock ? {clock} : {})} /> : null}
			<Footer keys={keys} columns={columns} />
		</Box>
	);
}
