// Ctrl-C, SIGTERM and SIGKILL in the middle of a step: the child tree stops, the journal stays truthful,
// and the next run resumes.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {cli, cliSpawn, fixtures, tempDir, waitFor, jsonOutput} from '../support/cli.js';

const basic = join(fixtures, 'recipes', 'basic');

function journal(workspace: string) {
	return JSON.parse(readFileSync(join(workspace, '.sel4-llm', 'journal.json'), 'utf8')) as {steps: Record<string, {state: string; pid?: number}>};
}

function sleepers(seconds: string): number {
	try {
		return execFileSync('pgrep', ['-f', `sleep ${seconds}`], {encoding: 'utf8'}).trim().split('\n').filter(Boolean).length;
	} catch {
		return 0;
	}
}

function startSlow(workspace: string, seconds: string) {
	return cliSpawn(['run', 'slow', '--recipes-only', '--recipes', basic, '--workspace', workspace, '--set', 'mode=slow', '--set', `sleep_seconds=${seconds}`]);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	test(`${signal} stops the running step's process tree and records it as interrupted`, async () => {
		const workspace = tempDir();
		const seconds = signal === 'SIGINT' ? '41.5' : '42.5';
		const run = startSlow(workspace, seconds);
		await waitFor(() => run.output().stderr.includes('demo.slow | sleeping') && sleepers(seconds) === 1, 20_000, 'the step to start');
		run.child.kill(signal);
		const exit = await run.exited;
		assert.equal(exit.code, signal === 'SIGINT' ? 130 : 143, run.output().stderr);
		assert.equal(journal(workspace).steps['demo.slow']!.state, 'interrupted');
		assert.match(run.output().stderr, /■ stopped demo\.slow/);
		assert.match(run.output().stderr, /sel4-llm: interrupted at demo\.slow; \d+ of \d+ steps done; re-run the same command to resume/);
		await waitFor(() => sleepers(seconds) === 0, 5000, 'the child to stop');
		const status = cli(['status', '--recipes-only', '--recipes', basic, '--workspace', workspace, '--set', 'mode=slow', '--json']);
		const row = (jsonOutput(status.stdout).result.steps as Array<{id: string; status: string}>).find((each) => each.id === 'demo.slow');
		assert.equal(row!.status, 'interrupted');
	});
}

test('SIGKILL mid-step: the journal never claims the step is done, and the next run redoes it', async () => {
	const workspace = tempDir();
	const seconds = '43.5';
	const first = startSlow(workspace, seconds);
	await waitFor(() => first.output().stderr.includes('demo.slow | sleeping'), 20_000, 'the step to start');
	await waitFor(() => journal(workspace).steps['demo.slow']?.pid !== undefined, 5000, 'the pid to be recorded');
	first.child.kill('SIGKILL');
	await first.exited;
	const record = journal(workspace).steps['demo.slow']!;
	assert.equal(record.state, 'running');
	assert.equal(sleepers(seconds), 1, 'the orphaned step is still running');
	const plan = cli(['plan', 'slow', '--recipes-only', '--recipes', basic, '--workspace', workspace, '--set', 'mode=slow', '--set', `sleep_seconds=${seconds}`]);
	assert.match(plan.stdout, /run   demo\.slow: .*\n +last run did not finish \(sel4-llm was stopped\)/);
	// A fast re-run of the same step: the leftover is stopped first, then the step runs and completes.
	const again = cli(['run', 'slow', '--recipes-only', '--recipes', basic, '--workspace', workspace, '--set', 'mode=slow', '--set', 'sleep_seconds=0.1']);
	assert.equal(again.code, 0, again.stderr);
	assert.match(again.stderr, /> run  demo\.slow: .*\(last run did not finish \(sel4-llm was stopped\)\)/);
	assert.equal(journal(workspace).steps['demo.slow']!.state, 'done');
	await waitFor(() => sleepers(seconds) === 0, 5000, 'the leftover to be stopped');
	assert.ok(existsSync(join(workspace, '.sel4-llm', 'logs', 'demo.slow.log')));
});
