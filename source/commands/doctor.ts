// sel4-llm doctor: gather host facts once, run pure probes over them, print checks, verdicts and fixes.
import {ExitCode, UserError} from '../errors.js';
import {evaluate} from '../doctor/evaluate.js';
import {readFactsFile} from '../doctor/facts-file.js';
import {buildFixPlan, reportChanges, type FixPlan} from '../doctor/fix-plan.js';
import {formatCommand} from '../system/quote.js';
import {confirm} from '../ui/prompt.js';
import {formatPlan, formatReport, progressText, type FormatOptions} from '../doctor/format.js';
import {summaryLine} from '../doctor/layout.js';
import {platformIds as allPlatforms, type Platform} from '../platforms.js';
import type {DoctorReport, DoctorTarget} from '../doctor/types.js';
import type {FactSection, HostFacts} from '../system/facts.js';
import {colourWanted} from '../system/colour.js';
import {gatherFacts, type GatherOptions, type GatherProgress} from '../system/gather.js';
import {runLive, type StepOutcome} from '../system/run-fix.js';
import {isCi, type CommandContext} from './context.js';
import {numberOption} from './options.js';

type Options = {platforms: Platform[]; target: DoctorTarget; factsFile?: string; fix: boolean; yes: boolean; verbose: boolean; timeoutMs: number};

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
		verbose: Boolean(option.verbose),
		timeoutMs,
	};
}

/** The result of `doctor --json`: the report, the fix (with --fix) and the facts it was judged on. */
function resultFields(report: DoctorReport, facts: HostFacts, extra: Record<string, unknown> = {}): Record<string, unknown> {
	return {...report, ...extra, facts};
}

/** How the plain report looks on stderr: its width on a terminal (80 columns otherwise), colour as NO_COLOR/FORCE_COLOR say. */
function plainFormat(context: CommandContext, options: Options, facts: HostFacts): FormatOptions {
	const stderr = context.io.stderr;
	return {
		root: facts.privileges?.root ?? false,
		verbose: options.verbose,
		width: stderr.isTTY ? (stderr.columns ?? 80) : 80,
		colour: colourWanted(context.env, Boolean(stderr.isTTY)),
	};
}

/**
 * Gathers the facts with an ora spinner on stderr saying what it is at: only when stderr is a terminal (not in CI,
 * not with --json, which gets `gather` events instead), so logs and pipes get the report alone.
 */
async function gatherWithSpinner(context: CommandContext, options: GatherOptions): Promise<HostFacts> {
	const stderr = context.io.stderr;
	if (context.json) return gatherFacts({...options, onProgress: (progress) => context.events.emit({type: 'gather', ...progress})});
	if (!stderr.isTTY || isCi(context.env) || context.env.TERM === 'dumb') return gatherFacts(options);
	const {default: ora} = await import('ora');
	const colour = colourWanted(context.env, true);
	const spinner = ora({text: progressText(undefined), stream: stderr, discardStdin: false, isEnabled: true, ...(colour ? {} : {color: false as const})}).start();
	try {
		return await gatherFacts({...options, onProgress: (progress) => (spinner.text = progressText(progress))});
	} finally {
		spinner.stop();
	}
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
	if (!context.json) write(formatReport(report, plainFormat(context, options, facts)));
	write('');
	if (plan.steps.length === 0 && plan.manual.length === 0) {
		write(plan.unfixable.length > 0 ? formatPlan(plan, report, plainFormat(context, options, facts).width) : 'Nothing to fix.');
		context.events.result(resultFields(report, facts, {fix: {plan, outcomes: [], changes: []}}));
		return report.ok ? ExitCode.ok : ExitCode.failed;
	}
	write(formatPlan(plan, report, plainFormat(context, options, facts).width));
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
		afterFacts = await gatherWithSpinner(context, {workspace: context.workspace, timeoutMs: options.timeoutMs, env: context.env, only: [...result.affects], previous: facts});
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
	const gatherOptions: GatherOptions = {workspace: context.workspace, timeoutMs: options.timeoutMs, env: context.env};
	const evaluateFacts = (facts: HostFacts) => evaluate(facts, {platforms: options.platforms, target: options.target});
	if (context.mode === 'ink' && !options.fix) {
		// The Ink view shows its own progress, fed from here: the UI starts no process.
		let latest: GatherProgress | undefined;
		const listeners = new Set<() => void>();
		const progress = {get: () => latest, subscribe: (listener: () => void) => (listeners.add(listener), () => void listeners.delete(listener))};
		const gathering = options.factsFile
			? Promise.resolve(readFactsFile(options.factsFile))
			: gatherFacts({...gatherOptions, onProgress: (value) => ((latest = value), listeners.forEach((listener) => listener()))});
		const {renderDoctor} = await import('../ui/doctor/render.js');
		return renderDoctor(context, {gathering, evaluate: evaluateFacts, progress, verbose: options.verbose, colour: colourWanted(context.env, true)});
	}
	const facts = options.factsFile ? readFactsFile(options.factsFile) : await gatherWithSpinner(context, gatherOptions);
	const report = evaluateFacts(facts);
	if (options.fix) return fixFlow(context, options, facts, report);
	context.events.result(resultFields(report, facts));
	if (!context.json) context.io.stderr.write(`${formatReport(report, plainFormat(context, options, facts))}\n`);
	return report.ok ? ExitCode.ok : ExitCode.failed;
}
