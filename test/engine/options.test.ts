// Typed options: every numeric option of every command is checked by the command line (exit 2 naming the range),
// its default lies inside the range, and --help shows both.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {commands} from '../../source/commands/registry.js';
import {globalOptions} from '../../source/commands/spec.js';
import {cli} from '../support/cli.js';

const numeric = commands.flatMap((command) =>
	Object.entries(command.options)
		.filter(([, spec]) => spec.number)
		.map(([name, spec]) => ({command: command.name, name, spec})),
);

test('the registry declares numeric options with sane ranges and defaults', () => {
	assert.ok(numeric.length >= 15, `numeric options: ${numeric.length}`);
	for (const {command, name, spec} of numeric) {
		const range = spec.number!;
		assert.ok(range.min <= range.max, `${command} --${name}`);
		if (spec.default !== undefined) {
			const value = Number(spec.default);
			assert.ok(value >= range.min && value <= range.max && (!range.integer || Number.isInteger(value)), `${command} --${name} default ${String(spec.default)}`);
		}
	}
	for (const [name, spec] of Object.entries(globalOptions)) assert.equal(spec.number, undefined, `global --${name}`);
});

test('a value outside the range, or not a number, is a usage error naming the range, for every numeric option', () => {
	for (const {command, name, spec} of numeric) {
		const range = spec.number!;
		for (const bad of ['many', String(range.max + 1), ...(range.integer ? [String(range.min + 0.5)] : [])]) {
			const result = cli([command, `--${name}`, bad, '--workspace', '/nonexistent/sel4-llm-options']);
			assert.equal(result.code, 2, `${command} --${name} ${bad}: ${result.stderr}`);
			assert.match(
				result.stderr,
				new RegExp(`--${name} must be a ${range.integer ? 'whole number' : 'number'} from ${range.min} to ${range.max} \\(got "${bad.replace('.', '\\.')}"\\)`),
				`${command} --${name} ${bad}`,
			);
		}
	}
});

test('--help shows the range and the default', () => {
	const help = cli(['ask', '--help']).stdout;
	assert.match(help, /--max-tokens N +Most tokens to generate \(1-100000, default 128\)/);
	assert.match(help, /--wait SECONDS +How long to wait for the guest to be ready \(1-3600, default 10\)/);
	assert.match(cli(['sync', '--help']).stdout, /--jobs N +Projects fetched at the same time \(1-256, default 4\)/);
});
