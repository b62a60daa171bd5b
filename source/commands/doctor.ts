// sel4-llm doctor: gather host facts once, run pure probes over them, print checks, verdicts and fixes.
import {ExitCode, UserError} from '../errors.js';
import {evaluate} from '../doctor/evaluate.js';
import {readFactsFile} from '../doctor/facts-file.js';
import {buildFixPlan, reportChanges, type FixPlan} from '../doctor/fix-plan.js';
import {formatCommand} from '../system/quote.js';
import {confirm} from '../ui/prompt.js';
import {formatPlan, formatReport, summaryLine} from '../doctor/format.js';
import {platformIds as allPlatforms, type Platform} from '../platforms.js';
import type {DoctorReport, DoctorTarget} from '../doctor/types.js';
import type {FactSection, HostFacts} from '../system/facts.js';
import {gatherFacts} from '../system/gather.js';
import {runLive, type StepOutcome} from '../system/run-fix.js';
import type {CommandContext} from './context.js';
import {numberOption} from './options.js';

type Options = {platforms: Platform[]; target: DoctorTarget; factsFile?: string; fix: boolean; yes: boolean; timeoutMs: number};

function parseOptions(context: CommandContext): Options {
	const option = context.options;
	const platform = typeof option.platform === 'string' ? option.platform : 'all';
	const target = typeof option.target === 'string' ? option.target : 'any';
	const timeoutMs = Math.round(numberOption(context, 'timeout')! * 1000);
	const fix = Boolean(option.fix);
	if (fix && typeof option.facts === 'string') {
		throw new UserError('--fix cannot be combined with --facts', {hint: '--facts evaluates a recorded document; fixes run on this host only'});
	}
	return {
		platforms: platform === 'all' ? [...allPlatforms] : [platform as Platform],
		target: target as DoctorTarget,
		...(typeof option.facts === 'string' ? {factsFile: option.facts} : {}),
		fix,
		yes: Boolean(option.yes),
		timeoutMs,
	};
}

/** The result of `doctor --json`: the report, the fix (with --fix) and the facts it was judged on. */
function resultFields(report: DoctorReport, facts: HostFacts, extra: Record<string, unknown> = {}): Record<string, unknown> {
	return {...report, ...extra, facts};
}

async function runPlan(context: CommandContext, plan: FixPlan): Promise<{outcomes: StepOutcome[]; affects: Set<FactSection>}> {
	const write = (line: string) => context.io.stderr.write(`${line}\n`);
	const outcomes: StepOutcome[] = [];
	const affects = new Set<FactSection>();
	for (const step of plan.steps) {
		write(`==> ${step.description}`);
		step.affects.forEach((section) => affects.add(section));
		for (const argv of step.commands) {
			write(`$ ${formatCommand(argv)}`);
			const outcome = await runLive(argv, (line) => write(`  ${line}`), context.env);
			outcomes.push(outcome);
			if (outcome.code !== 0) {
				write(`  failed: ${outcome.error ?? `exit code ${outcome.code}`}; skipping the rest of this step`);
				break;
			}
		}
	}
	return {outcomes, affects};
}

async function fixFlow(context: CommandContext, options: Options, facts: HostFacts, report: DoctorReport): Promise<number> {
	const write = (text: string) => context.io.stderr.write(`${text}\n`);
	const plan = buildFixPlan(report, facts);
	if (!context.json) write(formatReport(report, {root: facts.privileges?.root ?? false}));
	write('');
	if (plan.steps.length === 0 && plan.manual.length === 0) {
		write(plan.unfixable.length > 0 ? formatPlan(plan) : 'Nothing to fix.');
		context.events.result(resultFields(report, facts, {fix: {plan, outcomes: [], changes: []}}));
		return report.ok ? ExitCode.ok : ExitCode.failed;
	}
	write(formatPlan(plan));
	let outcomes: StepOutcome[] = [];
	let after = report;
	let afterFacts = facts;
	if (plan.steps.length > 0) {
		if (!options.yes) {
			if (!context.interactive || context.json) {
				throw new UserError('doctor --fix needs --yes when it cannot ask (no terminal, or --json)', {
					hint: 'read the commands above, then run: sel4-llm doctor --fix --yes',
				});
			}
			const count = plan.steps.reduce((sum, step) => sum + step.commands.length, 0);
			if (!(await confirm(context.io, `Run these ${count} command${count === 1 ? '' : 's'}?`))) {
				write('Nothing was changed.');
				return ExitCode.failed;
			}
		}
		const result = await runPlan(context, plan);
		outcomes = result.outcomes;
		write('');
		write(`Checking again: ${[...result.affects].join(', ')}`);
		afterFacts = await gatherFacts({workspace: context.workspace, timeoutMs: options.timeoutMs, env: context.env, only: [...result.affects], previous: facts});
		after = evaluate(afterFacts, {platforms: options.platforms, target: options.target});
	}
	const changes = reportChanges(report, after);
	write(changes.length === 0 ? 'No check changed.' : 'Changed:');
	for (const change of changes) write(`  ${change.title}: ${change.from} -> ${change.to} (${change.summary})`);
	if (plan.manual.length > 0) write(`Still to run yourself (as root): ${plan.manual.flatMap((step) => step.commands.map(formatCommand)).join('; ')}`);
	write(summaryLine(after));
	context.events.result(resultFields(after, afterFacts, {fix: {plan, outcomes, changes}}));
	return after.ok ? ExitCode.ok : ExitCode.failed;
}

export async function run(context: CommandContext): Promise<number> {
	const options = parseOptions(context);
	const gathering = options.factsFile
		? Promise.resolve(readFactsFile(options.factsFile))
		: gatherFacts({workspace: context.workspace, timeoutMs: options.timeoutMs, env: context.env});
	if (context.mode === 'ink' && !options.fix) {
		const {renderDoctor} = await import('../ui/doctor/render.js');
		return renderDoctor(context, gathering, (facts) => evaluate(facts, {platforms: options.platforms, target: options.target}));
	}
	const facts = await gathering;
	const report = evaluate(facts, {platforms: options.platforms, target: options.target});
	if (options.fix) return fixFlow(context, options, facts, report);
	context.events.result(resultFields(report, facts));
	if (!context.json) context.io.stderr.write(`${formatReport(report, {root: facts.privileges?.root ?? false})}\n`);
	return report.ok ? ExitCode.ok : ExitCode.failed;
}
