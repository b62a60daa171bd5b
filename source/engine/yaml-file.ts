// Reads one YAML file through a zod schema: every problem names file:line:col and the key path, and an unknown
// key lists the keys allowed there.
import {readFileSync} from 'node:fs';
import {isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node} from 'yaml';
import type {z} from 'zod';
import {ExitCode, UserError, UserErrors} from '../errors.js';

/** Where a key path of the file is, as file:line:col. */
export type Locator = (path: readonly (string | number)[]) => string;

export type Parsed<T> = {value: T; locate: Locator};

export function parseYamlFile<T>(file: string, schema: z.ZodType<T>, display: string): Parsed<T> {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		throw new UserError(`cannot read ${display}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
			exitCode: ExitCode.invalidInput,
		});
	}
	const lineCounter = new LineCounter();
	const document = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true});
	const at = (offset: number): string => {
		const pos = lineCounter.linePos(offset);
		return `${display}:${pos.line}:${pos.col}`;
	};
	if (document.errors.length > 0) {
		throw new UserErrors(
			document.errors.map(
				(error) =>
					new UserError(`malformed YAML: ${error.message.split('\n')[0]}`, {
						location: at(error.pos[0]),
						exitCode: ExitCode.invalidInput,
					}),
			),
		);
	}
	const locate: Locator = (path) => {
		const node = nodeAt(document, path);
		return at(node?.range?.[0] ?? 0);
	};
	const result = schema.safeParse(document.toJS());
	if (!result.success) {
		const errors = result.error.issues.map((issue) => {
			let path = issue.path.filter((part): part is string | number => typeof part !== 'symbol');
			let message = issue.message;
			if (issue.code === 'unrecognized_keys') {
				const key = issue.keys[0]!;
				path = [...path, key];
				const known = knownKeys(schema, issue.path);
				message = `unknown key "${issue.keys.join('", "')}" at ${formatPath(path)}${known ? ` (allowed: ${known})` : ''}`;
				return new UserError(message, {
					location: at(keyNodeAt(document, path)?.range?.[0] ?? 0),
					exitCode: ExitCode.invalidInput,
				});
			}
			if (issue.code === 'invalid_type') message = `wrong type: ${issue.message.replace(/^Invalid input: /, '')}`;
			if (issue.code === 'invalid_union') message = 'wrong type or shape for this value';
			return new UserError(`${message} at ${formatPath(path)}`, {location: locate(path), exitCode: ExitCode.invalidInput});
		});
		throw new UserErrors(errors);
	}
	return {value: result.data, locate};
}

function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string | undefined {
	// Walk the zod schema along the path to list the keys allowed where an unknown one appeared.
	let current: any = schema;
	for (const part of path) {
		current = unwrap(current);
		if (!current) return undefined;
		const def = current.def ?? current._def;
		if (def?.type === 'object') current = def.shape?.[part as string];
		else if (def?.type === 'record') current = def.valueType;
		else if (def?.type === 'array') current = def.element;
		else return undefined;
	}
	current = unwrap(current);
	const shape = current?.def?.shape;
	return shape ? Object.keys(shape).join(', ') : undefined;
}

function unwrap(schema: any): any {
	let current = schema;
	for (let depth = 0; depth < 10 && current; depth++) {
		const def = current.def ?? current._def;
		if (!def) return current;
		if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable') current = def.innerType;
		else if (def.type === 'pipe') current = def.in;
		else if (def.type === 'union') {
			current = def.options.find((option: any) => (option.def ?? option._def)?.type === 'object') ?? def.options[0];
		} else return current;
	}
	return current;
}

function formatPath(path: readonly (string | number)[]): string {
	if (path.length === 0) return 'the top level';
	return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
}

function nodeAt(document: Document, path: readonly (string | number)[]): Node | undefined {
	// The deepest node that exists along the path, so a missing key points at its parent.
	let node: unknown = document.contents;
	for (const part of path) {
		if (isMap(node)) {
			const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(part));
			if (!pair) break;
			node = pair.value ?? pair.key;
		} else if (isSeq(node) && typeof part === 'number') {
			const item = node.items[part];
			if (!item) break;
			node = item;
		} else break;
	}
	return node as Node | undefined;
}

function keyNodeAt(document: Document, path: readonly (string | number)[]): Node | undefined {
	const parent = nodeAt(document, path.slice(0, -1));
	const last = path.at(-1);
	if (isMap(parent)) {
		const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last));
		if (pair && isScalar(pair.key)) return pair.key;
	}
	return parent;
}
