// Reading a recorded facts document (`doctor --facts FILE`): the facts alone, or a whole `doctor --json` output (an
// NDJSON stream whose result event carries the facts; older versions wrote one indented document).
import {readFileSync} from 'node:fs';
import {ExitCode, UserError} from '../errors.js';
import {factSections, FACTS_VERSION, type HostFacts} from '../system/facts.js';

/** One JSON document, or the result event (else the last line) of an NDJSON stream. */
function parseDocument(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch (error) {
		const lines = text.split('\n').filter((line) => line.trim() !== '');
		if (lines.length < 2) throw error;
		const events = lines.map((line) => JSON.parse(line) as unknown);
		return events.find((event) => (event as {type?: unknown}).type === 'result') ?? events.at(-1);
	}
}

export function parseFacts(text: string, source: string): HostFacts {
	let data: unknown;
	try {
		data = parseDocument(text);
	} catch (error) {
		throw new UserError(`${source} is not JSON: ${(error as Error).message}`, {
			exitCode: ExitCode.invalidInput,
			hint: 'record facts with `sel4-llm doctor --json > facts.json`',
		});
	}
	const object = data as Record<string, unknown> | null;
	const facts = (object && typeof object === 'object' && object.facts && typeof object.facts === 'object' ? object.facts : object) as Record<string, unknown> | null;
	if (!facts || typeof facts !== 'object' || Array.isArray(facts)) {
		throw new UserError(`${source} is not a facts document (expected a JSON object)`, {exitCode: ExitCode.invalidInput});
	}
	if (facts.factsVersion !== FACTS_VERSION) {
		throw new UserError(`${source}: unsupported factsVersion ${JSON.stringify(facts.factsVersion)} (this sel4-llm reads version ${FACTS_VERSION})`, {
			exitCode: ExitCode.invalidInput,
			hint: 'record the facts again with this version: sel4-llm doctor --json > facts.json',
		});
	}
	const host = facts.host as Record<string, unknown> | undefined;
	if (!host || typeof host.arch !== 'string') {
		throw new UserError(`${source}: "host.arch" is missing`, {exitCode: ExitCode.invalidInput});
	}
	const complete: Record<string, unknown> = {gather: {}, workspace: '', gatheredAt: '', venv: null, pythonIsPython3: null, ...facts};
	for (const section of factSections) if (!(section in complete)) complete[section] = null;
	return complete as HostFacts;
}

export function readFactsFile(path: string): HostFacts {
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch (error) {
		throw new UserError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
			exitCode: ExitCode.invalidInput,
		});
	}
	return parseFacts(text, path);
}
