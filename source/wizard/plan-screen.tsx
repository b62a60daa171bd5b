// The plan: every step, whether it runs and why, what it needs; disk and time against what the host has.
import {Box, Text, useInput} from 'ink';
import {useState} from 'react';
import {formatBytes} from '../reporters/format.js';
import type {Segment} from '../system/wrap.js';
import {ReportLines} from '../ui/doctor/report-lines.js';
import {useWindowSize} from '../ui/window.js';
import {block, fitBlocks, height, textBlock, type Block} from './fit.js';
import {Footer, footerBlock, type Keys} from './footer.js';
import {unreachableLines, type Reach} from './network.js';

export type PlanSummary = {
	steps: Array<{
		id: string;
		title: string;
		action: 'run' | 'skip';
		reason: string;
		capabilities: string[];
		minutes?: number;
		diskMb?: number;
		/** done: finished earlier and up to date; stopped: an earlier run failed or was stopped in it; unneeded: its condition skips it. */
		state?: 'done' | 'stopped' | 'unneeded';
	}>;
	freeDiskBytes?: number;
	/** Whether the hosts the network steps need can be reached (checked before the plan is shown). */
	network?: Reach[];
};

export function planTotals(plan: PlanSummary): {minutes: number; diskMb: number; capabilities: string[]} {
	const running = plan.steps.filter((step) => step.action === 'run');
	return {
		minutes: running.reduce((sum, step) => sum + (step.minutes ?? 0), 0),
		diskMb: running.reduce((sum, step) => sum + (step.diskMb ?? 0), 0),
		capabilities: [...new Set(running.flatMap((step) => step.capabilities))],
	};
}

/** Where the work stands before it starts: nothing yet, some steps done, or resuming where a run stopped. */
export function progressLine(plan: PlanSummary): string {
	const needed = plan.steps.filter((step) => step.state !== 'unneeded');
	const done = needed.filter((step) => step.state === 'done').length;
	const stopped = needed.find((step) => step.state === 'stopped');
	if (stopped) return `Resuming at ${stopped.id}: ${done} of ${needed.length} steps done.`;
	if (done > 0) return `${done} of ${needed.length} steps are done already.`;
	return 'Nothing has run yet.';
}

const estimate = (minutes: number) => (minutes < 60 ? `${Math.ceil(minutes)} min` : `${(minutes / 60).toFixed(1)} h`);

/** The plan's lines at `columns`: one block per step (its skip reason wrapped, never cut), then the totals. */
export function planBlocks(plan: PlanSummary, columns: number): {steps: Block[]; totals: Block[]; short: boolean} {
	const totals = planTotals(plan);
	const short = plan.freeDiskBytes !== undefined && totals.diskMb * 2 ** 20 > plan.freeDiskBytes;
	const idWidth = Math.min(Math.max(0, ...plan.steps.map((step) => step.id.length)), Math.max(8, columns - 40));
	const steps = plan.steps.map((step) => {
		const runs = step.action === 'run';
		const segments: Segment[] = [
			runs ? {text: 'run  ', tone: 'command'} : {text: 'skip ', tone: 'skip'},
			{text: step.id, ...(runs ? {tone: 'heading' as const} : {})},
			{text: ' '.repeat(Math.max(1, idWidth + 1 - step.id.length))},
			{text: `${step.title}${step.capabilities.length > 0 ? ` [${step.capabilities.join(', ')}]` : ''}${runs ? '' : ` · ${step.reason}`}`, ...(runs ? {} : {tone: 'dim' as const})},
		];
		return block(segments, columns, 8 + idWidth, 2);
	});
	const running = plan.steps.filter((step) => step.action === 'run').length;
	const disk = `${formatBytes(totals.diskMb * 2 ** 20)} of disk${plan.freeDiskBytes !== undefined ? ` (${formatBytes(plan.freeDiskBytes)} free${short ? ': not enough' : ''})` : ''}`;
	return {
		steps,
		totals: [
			textBlock(`${running} of ${plan.steps.length} steps will run${totals.capabilities.length > 0 ? `; they need: ${totals.capabilities.join(', ')}` : ''}.`, columns),
			textBlock(`Estimate: about ${estimate(totals.minutes)} and ${disk}.`, columns, short ? 'fail' : undefined),
			textBlock(progressLine(plan), columns, 'dim'),
			...unreachableLines(plan.network ?? []).map((line) => textBlock(`✗ ${line}: the steps that download will fail.`, columns, 'fail', 2)),
		],
		short,
	};
}

export function PlanScreen({plan, onAccept, onBack, onQuit, active = true}: {plan: PlanSummary; onAccept: () => void; onBack: () => void; onQuit: () => void; active?: boolean}) {
	const {rows, columns} = useWindowSize();
	const [focus, setFocus] = useState(0);
	const {steps, totals} = planBlocks(plan, columns);
	const baseKeys: Keys = [['enter', 'start'], ['esc', 'change choices'], ['q', 'quit']];
	// Rows: the title, the steps, a blank line, the totals, the keys; one row is left free so Ink never scrolls.
	const around = (keys: Keys) => 1 + 1 + height(totals) + footerBlock(keys, columns).length + 1;
	const fitted = fitBlocks(steps, rows - around(baseKeys), focus, 'more steps');
	const keys: Keys = fitted.cut ? [['↑/↓', 'scroll'], ...baseKeys] : baseKeys;
	const shown = fitted.cut ? fitBlocks(steps, rows - around(keys), focus, 'more steps') : fitted;
	useInput(
		(input, key) => {
			if (key.return) onAccept();
			else if (key.escape) onBack();
			else if (input === 'q') onQuit();
			// A scroll key brings in the step just out of view (a page key, the one a page away).
			else if (key.upArrow || key.pageUp) setFocus(Math.max(0, shown.first - (key.pageUp ? shown.last - shown.first + 1 : 1)));
			else if (key.downArrow || key.pageDown) setFocus(Math.min(steps.length - 1, shown.last + (key.pageDown ? shown.last - shown.first + 1 : 1)));
		},
		{isActive: active},
	);
	return (
		<Box flexDirection="column">
			<Text bold>The plan</Text>
			<ReportLines lines={shown.lines} columns={columns} colour />
			<Box marginTop={1} flexDirection="column">
				<ReportLines lines={totals.flat()} columns={columns} colour />
			</Box>
			<Footer keys={keys} columns={columns} />
		</Box>
	);
}
