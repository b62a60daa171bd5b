// The plan: every step, whether it runs and why, what it needs; disk and time against what the host has.
import {Box, Text, useInput} from 'ink';
import {formatBytes} from '../reporters/format.js';
import {Footer} from './footer.js';

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

export function PlanScreen({plan, onAccept, onBack, onQuit, active = true}: {plan: PlanSummary; onAccept: () => void; onBack: () => void; onQuit: () => void; active?: boolean}) {
	useInput(
		(input, key) => {
			if (key.return) onAccept();
			else if (key.escape) onBack();
			else if (input === 'q') onQuit();
		},
		{isActive: active},
	);
	const totals = planTotals(plan);
	const short = plan.freeDiskBytes !== undefined && totals.diskMb * 2 ** 20 > plan.freeDiskBytes;
	return (
		<Box flexDirection="column">
			<Text bold>The plan</Text>
			{plan.steps.map((step) => (
				<Text key={step.id} wrap="truncate-end">
					<Text color={step.action === 'run' ? 'cyan' : 'gray'}>{step.action === 'run' ? '  run  ' : '  skip '}</Text>
					<Text bold={step.action === 'run'}>{step.id.padEnd(24)}</Text>
					<Text dimColor={step.action === 'skip'}>
						{step.title}
						{step.capabilities.length > 0 ? ` [${step.capabilities.join(', ')}]` : ''}
						{step.action === 'skip' ? ` · ${step.reason}` : ''}
					</Text>
				</Text>
			))}
			<Box marginTop={1} flexDirection="column">
				<Text>
					{plan.steps.filter((step) => step.action === 'run').length} of {plan.steps.length} steps will run
					{totals.capabilities.length > 0 ? `; they need: ${totals.capabilities.join(', ')}` : ''}.
				</Text>
				<Text color={short ? 'red' : undefined}>
					Estimate: about {totals.minutes < 60 ? `${Math.ceil(totals.minutes)} min` : `${(totals.minutes / 60).toFixed(1)} h`} and{' '}
					{formatBytes(totals.diskMb * 2 ** 20)} of disk
					{plan.freeDiskBytes !== undefined ? ` (${formatBytes(plan.freeDiskBytes)} free${short ? ': not enough' : ''})` : ''}.
				</Text>
				<Text dimColor>{progressLine(plan)}</Text>
			</Box>
			<Footer keys={[['enter', 'start'], ['esc', 'change choices'], ['q', 'quit']]} />
		</Box>
	);
}
