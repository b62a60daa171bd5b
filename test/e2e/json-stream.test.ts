// Every `--json` output is one NDJSON stream whose last line is the result event, with the exit code of the process,
// whether the command succeeded, failed, was refused, or could not even parse its command line.
import assert from 'node:assert/strict';
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from 'node:test';
import {cli, fixtures, jsonOutput, tempDir} from '../support/cli.js';

const workspace = join(tempDir(), 'ws');
mkdirSync(workspace, {recursive: true});
const empty = join(workspace, 'empty.img');
writeFileSync(empty, '');

const cases: Array<{args: string[]; exit: number; command: string; check?: (result: Record<string, any>) => void}> = [
	{args: ['recipes'], exit: 0, command: 'recipes', check: (result) => assert.ok(result.vars.platform)},
	{args: ['plan', 'sources'], exit: 0, command: 'plan', check: (result) => assert.ok(result.steps.length > 0)},
	{args: ['status'], exit: 0, command: 'status', check: (result) => assert.equal(result.workspace, workspace)},
	{args: ['plan', 'ninja'], exit: 2, command: 'plan', check: (result) => assert.deepEqual([result.error.kind, result.error.hint], ['usage', 'did you mean "build.ninja-arm" or "build.ninja-x86"?'])},
	{args: ['sync', '--check-build', '--platform', 'x86_64'], exit: 0, command: 'sync', check: (result) => assert.equal(result.buildDir, 'build-x86_64-llm_vm')},
	{args: ['sync', '--check-build', '--platform', 'x86_64', '--app', 'vm_minimal'], exit: 4, command: 'sync', check: (result) => assert.equal(result.error.kind, 'refused')},
	{args: ['doctor', '--facts', join(fixtures, 'facts', 'intel-desktop-nested.json')], exit: 0, command: 'doctor', check: (result) => assert.equal(result.facts.host.arch, 'x86_64')},
	{args: ['launch', '--dry-run'], exit: 0, command: 'launch', check: (result) => assert.equal(result.argv[0], 'qemu-system-aarch64')},
	{args: ['launch', '--replay', join(fixtures, 'serial', 'arm-virt-ready.log')], exit: 0, command: 'launch', check: (result) => assert.match(result.replay, /arm-virt-ready\.log$/)},
	{args: ['launch', '--replay', join(workspace, 'nope.log')], exit: 3, command: 'launch', check: (result) => assert.match(result.error.message, /cannot read the log/)},
	{args: ['flash', empty], exit: 3, command: 'flash', check: (result) => assert.match(result.error.message, /is empty/)},
	{args: ['flash', '--list', '--lsblk-json', join(fixtures, 'lsblk', 'laptop-nvme-usb-stick.json')], exit: 0, command: 'flash', check: (result) => assert.ok(result.disks.length > 0)},
	{args: ['diagnose', join(fixtures, 'serial', 'arm-virt-guest-oom.log')], exit: 0, command: 'diagnose', check: (result) => assert.ok(result.diagnoses.length > 0)},
	{args: ['diagnose', join(workspace, 'nope.log')], exit: 3, command: 'diagnose', check: (result) => assert.equal(result.error.kind, 'input')},
	{args: ['no-such-command'], exit: 2, command: 'no-such-command', check: (result) => assert.equal(result.error.kind, 'usage')},
	{args: ['doctor', '--timeout', 'soon'], exit: 2, command: 'doctor', check: (result) => assert.match(result.error.message, /--timeout/)},
];

for (const each of cases) {
	test(`sel4-llm ${each.args.join(' ').replaceAll(fixtures, 'test/fixtures').replaceAll(workspace, 'WS')} --json ends with its result (exit ${each.exit})`, () => {
		const run = cli([...each.args, '--json', '--workspace', workspace]);
		assert.equal(run.code, each.exit, run.stderr);
		const {result} = jsonOutput(run.stdout);
		assert.deepEqual([result.type, result.command, result.ok, result.exit], ['result', each.command, each.exit === 0, each.exit]);
		each.check?.(result);
		if (each.exit !== 0) assert.match(run.stderr, /error: /, 'people still read the error on stderr');
	});
}

test('--help and --version are for people, even with --json', () => {
	assert.doesNotMatch(cli(['plan', '--help', '--json']).stdout, /"type":"result"/);
	assert.doesNotMatch(cli(['--version', '--json']).stdout, /"type":"result"/);
});

test('doctor --json: gather events while the facts are gathered, and the whole stream reads back with --facts', () => {
	const run = cli(['doctor', '--json', '--workspace', workspace]);
	const {events, result} = jsonOutput(run.stdout);
	assert.equal(result.exit, run.code);
	const gathered = events.filter((event) => event.type === 'gather');
	assert.ok(gathered.length > 1);
	assert.equal(gathered.at(-1)!.done.length, gathered.at(-1)!.total);
	const file = join(workspace, 'facts.ndjson');
	writeFileSync(file, run.stdout);
	const again = cli(['doctor', '--facts', file, '--json', '--workspace', workspace]);
	assert.deepEqual(jsonOutput(again.stdout).result.facts.host, result.facts.host);
});
