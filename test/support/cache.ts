// Where the tests keep their expensive fixtures (payload builds, test models, Debian kernels, the multiboot test
// kernel): $SEL4LLM_TEST_CACHE, else $XDG_CACHE_HOME/sel4-llm-tests, else ~/.cache/sel4-llm-tests. Never inside the
// clone, so that every worktree shares one copy and `git clean` does not throw minutes of builds away.
// scripts/test-prereqs.mjs resolves the same folder.
import {existsSync, readFileSync} from 'node:fs';
import {homedir} from 'node:os';
import {isAbsolute, join, resolve} from 'node:path';

export function testCacheDir(env: NodeJS.ProcessEnv = process.env): string {
	if (env.SEL4LLM_TEST_CACHE) return resolve(env.SEL4LLM_TEST_CACHE);
	const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
	return join(base, 'sel4-llm-tests');
}

/** What the setup phase (test/support/prepare.ts) wrote: each fixture, and why it could not be made if it failed. */
export type PrepareStatus = {fixtures: Record<string, {ok: true; ms: number} | {ok: false; reason: string}>};

export const statusFile = (): string => join(testCacheDir(), 'status.json');

/**
 * Why a fixture is not there, when the setup phase of this run tried and failed (no network, not Debian, ...),
 * or false. Without a setup phase (a test file run alone) it is false: the test makes the fixture on demand.
 */
export function fixtureUnavailable(...names: string[]): string | false {
	if (process.env.SEL4LLM_TEST_PREPARED !== '1' || !existsSync(statusFile())) return false;
	let status: PrepareStatus;
	try {
		status = JSON.parse(readFileSync(statusFile(), 'utf8')) as PrepareStatus;
	} catch {
		return false;
	}
	for (const name of names) {
		const entry = status.fixtures[name];
		if (entry && !entry.ok) return `${name} could not be prepared: ${entry.reason}`;
	}
	return false;
}
