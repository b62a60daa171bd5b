// `sel4-llm plan`: the dry run. Every step in order, run or skip and why, exact commands, capabilities.
import {planSteps, resolveTargets, type PlannedStep} from '../engine/plan.js';
import {loadForCommand, readJournal, valueSources} from './recipe-context.js';
import type {CommandContext} from './context.js';

export function planJson(plan: PlannedStep[]) {
	return plan.map((step) => ({
		id: step.id,
		title: step.title,
		action: step.decision.action,
		reason: step.decision.reason,
		cwd: step.cwd,
		commands: step.commands.map((command) => command.display),
		capabilities: step.capabilities,
		...(step.estimate ? {estimate: step.estimate} : {}),
	}));
}

export function planLines(plan: PlannedStep[]): string[] {
	const lines: string[] = [];
	for (const step of plan) {
		const caps = step.capabilities.length > 0 ? `  [needs: ${step.capabilities.join(', ')}]` : '';
		lines.push(`${step.decision.action === 'run' ? 'run ' : 'skip'}  ${step.id}: ${step.title}${caps}`);
		lines.push(`      ${step.decision.reason}`);
		if (step.decision.action === 'run') {
			lines.push(`      in ${step.cwd}`);
			for (const command of step.commands) lines.push(`      $ ${command.display}`);
		}
	}
	const running = plan.filter((step) => step.decision.action === 'run');
	const caps = [...new Set(running.flatMap((step) => step.capabilities))];
	lines.push('');
	lines.push(`${running.length} of ${plan.length} steps would run${caps.length > 0 ? `; they need: ${caps.join(', ')}` : ''}.`);
	return lines;
}

/** The values that are not defaults, with where each came from (an empty list when all are defaults). */
export function valueLines(sources: ReturnType<typeof valueSources>): string[] {
	if (sources.length === 0) return [];
	return ['Values for this workspace:', ...sources.map((each) => `  ${each.name}=${each.value} (${each.note})`), ''];
}

export async function run(context: CommandContext): Promise<number> {
	const journal = readJournal(context.workspace);
	const loaded = loadForCommand(context);
	const {set, values} = loaded;
	const targets = resolveTargets(set, context.positionals);
	// Status checks can take a moment: a spinner on the terminal while they run.
	const spinner = context.mode === 'ink' ? (await import('ora')).default({text: 'Checking which steps are up to date', stream: context.io.stderr}).start() : undefined;
	let plan;
	try {
		plan = await planSteps(set, targets, {journal, values, force: Boolean(context.options.force), only: Boolean(context.options.only)});
	} finally {
		spinner?.stop();
	}
	const sources = valueSources(loaded);
	if (context.json) context.events.result({workspace: context.workspace, values: sources, steps: planJson(plan)});
	else context.io.stdout.write(`${[...valueLines(sources), ...planLines(plan)].join('\n')}\n`);
	return 0;
}
