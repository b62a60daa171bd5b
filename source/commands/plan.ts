// `sel4-llm plan`: the dry run. Every step in order, run or skip and why, exact commands, capabilities.
import {planSteps, resolveTargets, type PlannedStep} from '../engine/plan.js';
import {loadForCommand, readJournal, valueSources} from './recipe-context.js';
import type {CommandContext} from './context.js';
import {colourWanted} from '../system/colour.js';
import {paintLines, seg} from '../system/paint.js';
import type {Line, Segment} from '../system/wrap.js';

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

/** Capabilities that change the machine or a drive: shown in the warning colour. */
const weighty = new Set(['sudo', 'device-write']);

export function planLines(plan: PlannedStep[]): Line[] {
	const lines: Line[] = [];
	for (const step of plan) {
		const runs = step.decision.action === 'run';
		const caps: Segment[] = step.capabilities.length > 0 ? [seg('  [needs: '), ...step.capabilities.flatMap((cap, index) => [...(index > 0 ? [seg(', ')] : []), seg(cap, weighty.has(cap) ? 'warn' : 'dim')]), seg(']')] : [];
		lines.push([seg(runs ? 'run ' : 'skip', runs ? 'command' : 'skip'), seg('  '), seg(step.id, runs ? 'heading' : undefined), seg(`: ${step.title}`), ...caps]);
		lines.push([seg(`      ${step.decision.reason}`, 'dim')]);
		if (runs) {
			lines.push([seg(`      in ${step.cwd}`, 'dim')]);
			for (const command of step.commands) lines.push([seg('      '), seg(`$ ${command.display}`, 'command')]);
		}
	}
	const running = plan.filter((step) => step.decision.action === 'run');
	const caps = [...new Set(running.flatMap((step) => step.capabilities))];
	lines.push([]);
	lines.push([seg(`${running.length} of ${plan.length} steps would run`, 'heading'), seg(caps.length > 0 ? `; they need: ${caps.join(', ')}.` : '.')]);
	return lines;
}

/** The values that are not defaults, with where each came from (an empty list when all are defaults). */
export function valueLines(sources: ReturnType<typeof valueSources>): Line[] {
	if (sources.length === 0) return [];
	return [[seg('Values for this workspace:', 'heading')], ...sources.map((each) => [seg(`  ${each.name}=${each.value}`), seg(` (${each.note})`, 'dim')]), []];
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
	else context.io.stdout.write(`${paintLines([...valueLines(sources), ...planLines(plan)], colourWanted(context.env, Boolean(context.io.stdout.isTTY)))}\n`);
	return 0;
}
