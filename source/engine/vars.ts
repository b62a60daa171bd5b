// ${var} templates and word splitting. A variable's value is inserted into one argv element and is never
// re-parsed: spaces, quotes, `$()` and `;` in a value reach the process literally.

const reference = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/** The variable names a template refers to (`$${x}` is an escaped literal and refers to nothing). */
export function referencedNames(template: string): string[] {
	const names: string[] = [];
	for (const match of template.matchAll(reference)) {
		if (match[1] === undefined && match[2] !== undefined) names.push(match[2]);
	}
	return names;
}

export class UnknownVariableError extends Error {
	constructor(readonly variable: string) {
		super(`unknown variable \${${variable}}`);
	}
}

/** Replaces every ${name} with its value; `$${name}` stays as the literal text `${name}`. */
export function expand(template: string, values: ReadonlyMap<string, string>): string {
	return template.replace(reference, (_whole, escaped: string | undefined, name: string) => {
		if (escaped !== undefined) return `\${${name}}`;
		const value = values.get(name);
		if (value === undefined) throw new UnknownVariableError(name);
		return value;
	});
}

export class WordSplitError extends Error {}

/**
 * Splits a command string into words the way a POSIX shell would, without any expansion:
 * single quotes, double quotes (with \" \\ \$ \` escapes) and backslashes; no globbing, no $(), no ; or |.
 * Operators that only a shell understands are rejected so a recipe cannot believe it has a pipeline.
 */
export function splitWords(command: string): string[] {
	const words: string[] = [];
	let current = '';
	let inWord = false;
	let index = 0;
	while (index < command.length) {
		const char = command[index]!;
		if (char === ' ' || char === '\t' || char === '\n') {
			if (inWord) words.push(current);
			current = '';
			inWord = false;
			index++;
			continue;
		}
		inWord = true;
		if (char === "'") {
			const end = command.indexOf("'", index + 1);
			if (end === -1) throw new WordSplitError('unterminated single quote');
			current += command.slice(index + 1, end);
			index = end + 1;
		} else if (char === '"') {
			index++;
			let closed = false;
			while (index < command.length) {
				const inner = command[index]!;
				if (inner === '"') {
					closed = true;
					index++;
					break;
				}
				if (inner === '\\' && index + 1 < command.length && '"\\$`'.includes(command[index + 1]!)) {
					current += command[index + 1];
					index += 2;
					continue;
				}
				current += inner;
				index++;
			}
			if (!closed) throw new WordSplitError('unterminated double quote');
		} else if (char === '\\') {
			if (index + 1 >= command.length) throw new WordSplitError('trailing backslash');
			current += command[index + 1];
			index += 2;
		} else if ('|&;<>`'.includes(char) || (char === '$' && command[index + 1] === '(')) {
			throw new WordSplitError(
				`"${char === '$' ? '$(' : char}" needs a shell; write the command as {sh: "..."} or as an argv list`,
			);
		} else {
			current += char;
			index++;
		}
	}
	if (inWord) words.push(current);
	if (words.length === 0) throw new WordSplitError('empty command');
	return words;
}

