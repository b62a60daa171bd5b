// `sel4-llm diagnose [LOG|-]`: reads a log (a file, or stdin) and wires it to the log diagnosis of diagnose/log.ts
// with every troubleshooting entry of the loaded recipe layers; exit 0 when a known cause matched, 1 when none did.
import {readFileSync} from 'node:fs';
import {ExitCode, UsageError} from '../errors.js';
import {collectEntries, diagnoseLog, stepOfLogName} from '../diagnose/log.js';
import {diagnoseEvents, reportLines} from '../diagnose/report.js';
import {inputFile, readStream} from '../system/input-file.js';
import type {CommandContext} from './context.js';
import type {JsonEvent} from '../reporters/stream.js';
import {loadForCommand} from './recipe-context.js';

/** A log is text of a few MB; a device or a directory given by mistake is refused, not read forever. */
const maxLogBytes = 512 * 1024 * 1024;

export async function run(context: CommandContext): Promise<number> {
	const argument = context.positionals[0];
	if (argument === undefined && context.io.stdin.isTTY) {
		throw new UsageError('"diagnose" needs a log: a file, or "-" to read it from stdin', {
			hint: 'sel4-llm diagnose build.log   or   ninja 2>&1 | sel4-llm diagnose -',
			nextSteps: ['sel4-llm diagnose --help'],
		});
	}
	const fromStdin = argument === undefined || argument === '-';
	const text = fromStdin ? await readStream(context.io.stdin) : readFileSync(inputFile(argument, 'the log', {maxBytes: maxLogBytes}), 'utf8');
	const {set, values} = loadForCommand(context);
	const step = fromStdin ? undefined : stepOfLogName(argument, new Set(set.steps.keys()));
	const report = diagnoseLog(text, {entries: collectEntries(set), values, source: fromStdin ? '-' : argument, ...(step ? {step} : {})});
	const exit = report.diagnoses.length > 0 ? ExitCode.ok : ExitCode.failed;
	if (context.json) {
		// The stream's own result event (written by the CLI) carries the fields of the report's result.
		for (const event of diagnoseEvents(report, exit) as JsonEvent[]) {
			if (event.type === 'result') context.events.result(event);
			else context.events.emit(event);
		}
	} else {
		context.io.stdout.write(`${reportLines(report).join('\n')}\n`);
	}
	return exit;
}
