// Reading a command's options: values arrive already checked against the registry (allowed values, numeric
// ranges), so a command only asks for a string or a number, and an option it was not given reads as its default.
import type {CommandContext} from './context.js';
import {findCommand} from './registry.js';
import {globalOptions, type OptionSpec} from './spec.js';

function specOf(context: CommandContext, name: string): OptionSpec | undefined {
	return findCommand(context.command)?.options[name] ?? globalOptions[name];
}

/** A string option's value; not given (or given empty, as recipes pass an unset variable) reads as its default. */
export function stringOption(context: CommandContext, name: string): string | undefined {
	const value = context.options[name];
	if (typeof value === 'string' && value !== '') return value;
	const fallback = specOf(context, name)?.default;
	return typeof fallback === 'string' ? fallback : undefined;
}

/** A numeric option's value (checked by the command line), else its default, else undefined. */
export function numberOption(context: CommandContext, name: string): number | undefined {
	const value = context.options[name];
	if (typeof value === 'string') return Number(value);
	const fallback = specOf(context, name)?.default;
	return typeof fallback === 'number' ? fallback : typeof fallback === 'string' && fallback !== '' ? Number(fallback) : undefined;
}
