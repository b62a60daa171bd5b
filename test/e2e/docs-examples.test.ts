// The README and docs/*.md as a newcomer reads them: every `sel4-llm` example in a shell block names real
// commands, options and values (checked by running it with --help), the examples that change nothing (--help,
// --version, plan, doctor without --fix, --dry-run, recipes, status, sync --check-build) run as written after the
// set-up command, and every relative link points to a file (and heading) that exists.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {dirname, join, relative, resolve} from 'node:path';
import {describe, test} from 'node:test';
import {cliPath, root, tempDir, withoutCi} from '../support/cli.js';

const pages = ['README.md', 'CHANGELOG.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

type Example = {file: string; line: number; text: string};

/** The lines of the ```sh blocks of a page (comments kept; continuation lines joined). */
function shellLines(file: string): Example[] {
	const lines = readFileSync(join(root, file), 'utf8').split('\n');
	const out: Example[] = [];
	let inShell = false;
	let fence = false;
	for (let index = 0; index < lines.length; index++) {
		const line = lines[index]!;
		if (/^\s*```/.test(line)) {
			if (!fence) {
				fence = true;
				inShell = /^\s*```(sh|bash|shell)\s*$/.test(line);
			} else {
				fence = false;
				inShell = false;
			}
			continue;
		}
		if (!inShell || line.trim() === '') continue;
		let text = line;
		const start = index;
		while (text.endsWith('\\') && index + 1 < lines.length) text = `${text.slice(0, -1)} ${lines[++index]!.trim()}`;
		out.push({file, line: start + 1, text});
	}
	return out;
}

/** Splits a shell line into words and operators, quote-aware; drops the comment. */
function tokenize(text: string): string[] {
	const tokens: string[] = [];
	let word: string | undefined;
	let quote: string | undefined;
	for (let index = 0; index < text.length; index++) {
		const char = text[index]!;
		if (quote) {
			if (char === quote) quote = undefined;
			else word += char;
			continue;
		}
		if (char === '"' || char === "'") {
			quote = char;
			word ??= '';
			continue;
		}
		if (char === '#' && word === undefined) break;
		if (/\s/.test(char)) {
			if (word !== undefined) tokens.push(word);
			word = undefined;
			continue;
		}
		const operator = /^(&&|\|\||[|;]|\d?>>?|<)/.exec(text.slice(index))?.[0];
		if (operator && (word === undefined || /^\d$/.test(operator[0]!) === false)) {
			if (word !== undefined) tokens.push(word);
			word = undefined;
			tokens.push(operator);
			index += operator.length - 1;
			continue;
		}
		word = (word ?? '') + char;
	}
	assert.equal(quote, undefined, `unbalanced quote in: ${text}`);
	if (word !== undefined) tokens.push(word);
	return tokens;
}

type Invocation = {args: string[]; prefixed: boolean};

/** The sel4-llm invocations of a line (redirections left out), and whether the line is nothing but them. */
function invocations(text: string): {calls: Invocation[]; onlyCalls: boolean} {
	const tokens = tokenize(text);
	const segments: string[][] = [[]];
	for (const token of tokens) {
		if (['&&', '||', '|', ';'].includes(token)) segments.push([]);
		else segments.at(-1)!.push(token);
	}
	const calls: Invocation[] = [];
	let onlyCalls = true;
	for (const segment of segments) {
		const words: string[] = [];
		for (let index = 0; index < segment.length; index++) {
			if (/^\d?>>?$|^<$/.test(segment[index]!)) index++;
			else words.push(segment[index]!);
		}
		const at = words.indexOf('sel4-llm');
		if (at === 0) calls.push({args: words.slice(1), prefixed: false});
		else if (at > 0 && ['sudo', 'npx'].includes(words[at - 1]!)) calls.push({args: words.slice(at + 1), prefixed: true});
		if (at !== 0) onlyCalls = false;
	}
	return {calls, onlyCalls};
}

/** Changes nothing: help, version, a plan, doctor without --fix, a dry run, the recipe and journal listings. */
function isSafe(args: string[]): boolean {
	const command = args[0]?.startsWith('-') ? undefined : args[0];
	if (args.includes('--help') || args.includes('-h') || args.includes('--version')) return true;
	if (command === 'plan' || command === 'recipes' || command === 'status') return true;
	if (command === 'doctor') return !args.includes('--fix');
	if (command === 'sync') return args.includes('--check-build');
	if (command === 'launch') return args.includes('--dry-run');
	return false;
}

const home = tempDir('sel4-llm-docs-home-');
const bin = join(home, 'bin');
mkdirSync(bin);
writeFileSync(join(bin, 'sel4-llm'), `#!/bin/sh\nexec "${process.execPath}" "${cliPath}" "$@"\n`);
chmodSync(join(bin, 'sel4-llm'), 0o755);
const env: NodeJS.ProcessEnv = {...withoutCi(process.env), HOME: home, PATH: `${bin}:${process.env.PATH ?? ''}`, FORCE_COLOR: '0'};
delete env.SEL4LLM_WORKSPACE;

const examples = pages.flatMap(shellLines).map((example) => ({...example, ...invocations(example.text)})).filter((example) => example.calls.length > 0);

describe('shell examples in README.md and docs/', () => {
	test('there are examples to check, and enough of them run', () => {
		assert.ok(existsSync(cliPath), 'npm run build first');
		assert.ok(examples.length >= 40, `only ${examples.length} examples found`);
		assert.ok(examples.filter((example) => example.onlyCalls && example.calls.every((call) => !call.prefixed && isSafe(call.args))).length >= 20);
	});

	for (const example of examples) {
		const where = `${example.file}:${example.line}`;
		const runnable = example.onlyCalls && example.calls.every((call) => !call.prefixed && isSafe(call.args));
		if (runnable) {
			test(`${where} runs: ${example.text.replace(/\s+#.*$/, '')}`, {timeout: 180_000}, () => {
				// Lines of one page share a folder, so a file written by one example (facts.json) is there for the next.
				const cwd = join(home, 'pages', example.file.replace(/[/.]/g, '-'));
				mkdirSync(cwd, {recursive: true});
				const result = spawnSync('bash', ['-c', `set -o pipefail; ${example.text}`], {cwd, env, encoding: 'utf8', input: '', maxBuffer: 64 * 1024 * 1024});
				const doctor = example.calls.some((call) => call.args[0] === 'doctor' && !call.args.includes('--help'));
				// doctor exits 1 when a required check fails on this host: what it reports, not an error of the example.
				const allowed = doctor ? [0, 1] : [0];
				assert.ok(allowed.includes(result.status ?? -1), `${where}: exit ${result.status}\n${result.stderr.slice(-2000)}`);
				assert.ok(result.stdout.length + result.stderr.length > 0 || /> /.test(example.text), `${where}: no output`);
			});
		} else {
			test(`${where} names real commands and options: ${example.text.replace(/\s+#.*$/, '')}`, () => {
				for (const call of example.calls) {
					const args = call.args.map((arg) => arg.replace(/^~(?=\/|$)/, home));
					const dashes = args.indexOf('--');
					const withHelp = dashes === -1 ? [...args, '--help'] : [...args.slice(0, dashes), '--help', ...args.slice(dashes)];
					const result = spawnSync(process.execPath, [cliPath, ...withHelp], {cwd: home, env, encoding: 'utf8', input: ''});
					assert.equal(result.status, 0, `${where}: sel4-llm ${args.join(' ')}\n${result.stderr}`);
					assert.match(result.stdout, /Usage: sel4-llm/);
				}
			});
		}
	}
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(file: string): Set<string> {
	const seen = new Map<string, number>();
	const out = new Set<string>();
	let fence = false;
	for (const line of readFileSync(file, 'utf8').split('\n')) {
		if (/^\s*```/.test(line)) fence = !fence;
		const heading = fence ? undefined : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
		if (heading === undefined) continue;
		const base = heading
			.toLowerCase()
			.replace(/[^\p{L}\p{N}\s_-]/gu, '')
			.replace(/\s/g, '-');
		const count = seen.get(base) ?? 0;
		seen.set(base, count + 1);
		out.add(count === 0 ? base : `${base}-${count}`);
	}
	return out;
}

describe('relative links in README.md and docs/', () => {
	for (const page of pages) {
		test(`${page}: every relative link points to an existing file and heading`, () => {
			const file = join(root, page);
			const text = readFileSync(file, 'utf8')
				.replace(/^\s*```[\s\S]*?^\s*```/gm, '')
				.replace(/`[^`\n]*`/g, '');
			const links = [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!);
			for (const link of links) {
				if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
				const [path, anchor] = link.split('#') as [string, string | undefined];
				const target = path === '' ? file : resolve(dirname(file), path);
				assert.ok(existsSync(target), `${page}: ${link} -> ${relative(root, target)} does not exist`);
				if (anchor && target.endsWith('.md') && statSync(target).isFile()) {
					assert.ok(anchors(target).has(anchor), `${page}: ${link}: no heading "#${anchor}" in ${relative(root, target)}`);
				}
			}
		});
	}
});
