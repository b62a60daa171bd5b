// Help text, built from the registry alone (no heavy imports).
import {commands} from './registry.js';
import {globalOptions, recipeOptionNames, type CliCommand, type OptionSpec} from './spec.js';

function optionLine(name: string, spec: OptionSpec): [string, string] {
	const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.valueName ?? (spec.values ? spec.values.join('|') : 'VALUE')}` : ''}`;
	const notes = [
		...(spec.values && spec.valueName ? [spec.values.join(', ')] : []),
		...(spec.number ? [`${spec.number.min}-${spec.number.max}`] : []),
		...(spec.default !== undefined && spec.default !== false ? [`default ${String(spec.default)}`] : []),
	];
	return [flag, spec.description + (notes.length > 0 ? ` (${notes.join(', ')})` : '')];
}

function table(rows: Array<[string, string]>): string {
	const width = Math.min(34, Math.max(...rows.map(([left]) => left.length)) + 2);
	// A flag longer than the column gets its description on the next line.
	return rows.map(([left, right]) => (left.length + 2 > width ? `  ${left}\n  ${''.padEnd(width)}${right}` : `  ${left.padEnd(width)}${right}`)).join('\n');
}

export function mainHelp(version: string): string {
	return [
		`sel4-llm ${version}: from a bare Linux machine to an seL4 CAmkES VM whose Linux guest serves llama.cpp`,
		'',
		'Usage: sel4-llm <command> [options]',
		'',
		'Commands:',
		table(commands.map((command) => [command.name, command.summary])),
		'',
		'Global options:',
		table([
			...Object.entries(globalOptions).map(([name, spec]) => optionLine(name, spec)),
			['    --version', 'Print the version'],
		]),
		'',
		'Run `sel4-llm <command> --help` for a command\'s options.',
		'Exit codes: 0 ok, 1 work failed, 2 usage error, 3 invalid input file, 4 refused, 70 bug, 130 interrupted.',
	].join('\n');
}

export function commandHelp(command: CliCommand): string {
	const own = Object.entries(command.options).map(([name, spec]) => optionLine(name, spec));
	const global = Object.entries(globalOptions)
		.filter(([name]) => command.usesRecipes || !recipeOptionNames.includes(name))
		.map(([name, spec]) => optionLine(name, spec));
	const parts = [`Usage: ${command.usage}`, '', command.summary + '.'];
	if (command.description) parts.push('', command.description);
	if (own.length > 0) parts.push('', 'Options:', table(own));
	parts.push('', 'Global options:', table(global));
	if (command.examples?.length) parts.push('', 'Examples:', ...command.examples.map((example) => `  ${example}`));
	return parts.join('\n');
}
