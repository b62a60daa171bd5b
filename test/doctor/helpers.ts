import {readdirSync, readFileSync} from 'node:fs';
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
