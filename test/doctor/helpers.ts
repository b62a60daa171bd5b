import {mkdirSync, readdirSync, readFileSync, symlinkSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import type {HostFacts} from '../../source/system/facts.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const factsDir = join(repoRoot, 'test', 'fixtures', 'facts');
export const fakeBin = join(repoRoot, 'test', 'fixtures', 'bin');
export const cli = join(repoRoot, 'dist', 'cli.js');

export function fixture(name: string): HostFacts {
	return JSON.parse(readFileSync(join(factsDir, `${name}.json`), 'utf8')) as HostFacts;
}

export function fixtureNames(): string[] {
	return readdirSync(factsDir)
		.filter((name) => name.endsWith('.json'))
		.map((name) => name.replace(/\.json$/, ''))
		.sort();
}

// What the --fix tests take away from the host, whatever it has installed: the package doctor installs for the
// tools (haskell-stack) and the programs whose absence the fixes repair (stack, repo).
export const fixHidden = {packages: ['haskell-stack'], programs: ['stack', 'repo']};

// A folder standing in for /usr/local/bin, /usr/bin and /bin, with a link to every program found there except the
// hidden ones (the first folder that has a name wins, as on PATH).
export function systemBinWithout(dir: string, hidden: readonly string[]): string {
	mkdirSync(dir, {recursive: true});
	const seen = new Set(hidden);
	for (const folder of ['/usr/local/bin', '/usr/bin', '/bin']) {
		let names: string[];
		try {
			names = readdirSync(folder);
		} catch {
			continue;
		}
		for (const name of names) {
			if (seen.has(name)) continue;
			seen.add(name);
			symlinkSync(join(folder, name), join(dir, name));
		}
	}
	return dir;
}

// The environment of a --fix test: the fakes first, then what the fixes install, then the host without the hidden.
export function fixEnv(root: string): {state: string; home: string; env: Record<string, string>} {
	const state = join(root, 'state');
	const home = join(root, 'home');
	mkdirSync(state, {recursive: true});
	mkdirSync(home, {recursive: true});
	const system = systemBinWithout(join(root, 'system-bin'), fixHidden.programs);
	return {
		state,
		home,
		env: {
			FAKE_STATE: state,
			FAKE_HIDE_PACKAGES: fixHidden.packages.join(' '),
			HOME: home,
			PATH: `${join(fakeBin, 'fix')}:${join(state, 'bin')}:${join(home, '.local', 'bin')}:${system}`,
		},
	};
}
