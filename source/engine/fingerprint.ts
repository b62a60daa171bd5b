// File globbing and content fingerprints for `sources` and `generates`.
import {createHash} from 'node:crypto';
import {closeSync, openSync, readdirSync, readSync, statSync, type Stats} from 'node:fs';
import {isAbsolute, join, resolve, sep} from 'node:path';

function expandBraces(pattern: string): string[] {
	const match = /\{([^{}]*)\}/.exec(pattern);
	if (!match) return [pattern];
	const before = pattern.slice(0, match.index);
	const after = pattern.slice(match.index + match[0].length);
	return match[1]!.split(',').flatMap((option) => expandBraces(before + option + after));
}

function segmentRegex(segment: string): RegExp {
	let source = '';
	for (let index = 0; index < segment.length; index++) {
		const char = segment[index]!;
		if (char === '*') source += '[^/]*';
		else if (char === '?') source += '[^/]';
		else if (char === '[') {
			const end = segment.indexOf(']', index + 1);
			if (end === -1) source += '\\[';
			else {
				source += `[${segment.slice(index + 1, end).replace(/^!/, '^').replaceAll('\\', '\\\\')}]`;
				index = end;
			}
		} else source += char.replace(/[.+^${}()|\\]/g, '\\$&');
	}
	return new RegExp(`^${source}$`);
}

const hasMagic = (segment: string) => /[*?[]/.test(segment);

/** Files (not directories) matching a glob, sorted; `**` matches any depth. Hidden names need an explicit dot. */
export function glob(pattern: string, cwd: string): string[] {
	const results = new Set<string>();
	for (const expanded of expandBraces(pattern)) {
		const absolute = isAbsolute(expanded) ? expanded : resolve(cwd, expanded);
		const segments = absolute.split(sep).filter((part, index) => part !== '' || index === 0);
		let fixed = segments[0] === '' ? sep : '';
		let index = segments[0] === '' ? 1 : 0;
		while (index < segments.length && !hasMagic(segments[index]!) && segments[index] !== '**') {
			fixed = join(fixed, segments[index]!);
			index++;
		}
		walk(fixed, segments.slice(index), results);
	}
	return [...results].sort();
}

function statOrUndefined(path: string): Stats | undefined {
	try {
		return statSync(path);
	} catch {
		return undefined;
	}
}

function walk(base: string, rest: string[], results: Set<string>): void {
	const stat = statOrUndefined(base);
	if (!stat) return;
	if (rest.length === 0) {
		if (stat.isFile()) results.add(base);
		return;
	}
	if (!stat.isDirectory()) return;
	const [head, ...tail] = rest;
	let names: string[];
	try {
		names = readdirSync(base);
	} catch {
		return;
	}
	if (head === '**') {
		walk(base, tail, results);
		for (const name of names) {
			if (name.startsWith('.')) continue;
			const child = join(base, name);
			if (statOrUndefined(child)?.isDirectory()) walk(child, rest, results);
		}
		return;
	}
	const regex = segmentRegex(head!);
	for (const name of names) {
		if (name.startsWith('.') && !head!.startsWith('.')) continue;
		if (regex.test(name)) walk(join(base, name), tail, results);
	}
}

const fullHashLimit = 64 * 1024 * 1024;

/** A digest of one file: its contents when moderate, else size, mtime and its first and last MiB. */
export function fileDigest(path: string): string {
	const stat = statSync(path);
	const hash = createHash('sha256');
	const fd = openSync(path, 'r');
	try {
		const buffer = Buffer.allocUnsafe(1024 * 1024);
		if (stat.size <= fullHashLimit) {
			let read: number;
			while ((read = readSync(fd, buffer, 0, buffer.length, null)) > 0) hash.update(buffer.subarray(0, read));
		} else {
			hash.update(`${stat.size}:${stat.mtimeMs}`);
			hash.update(buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)));
			hash.update(buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, stat.size - buffer.length)));
		}
	} finally {
		closeSync(fd);
	}
	return hash.digest('hex');
}

/** Digest of every file matched by the globs (names and contents). */
export function globsDigest(patterns: string[], cwd: string): {digest: string; files: number} {
	const hash = createHash('sha256');
	let files = 0;
	for (const pattern of patterns) {
		hash.update(`pattern:${pattern}\n`);
		for (const file of glob(pattern, cwd)) {
			hash.update(`${file}\n${fileDigest(file)}\n`);
			files++;
		}
	}
	return {digest: hash.digest('hex'), files};
}

export function digestOf(value: unknown): string {
	return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}
