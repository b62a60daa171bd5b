// The engine through the built CLI, with real processes: output, logs, failures, skips, resume.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {existsSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {cli, fixtures, tempDir, jsonOutput} from '../support/cli.js';

const basic = join(fixtures, 'recipes', 'basic');
const failing = join(fixtures, 'recipes', 'failing');

function journal(workspace: string) {
	return JSON.parse(readFileSync(join(workspace, '.sel4-llm', 'journal.json'), 'utf8')) as {steps: Record<string, {state: string}>};
}

test('a step printing 10,000 lines: plain output, and a log byte-identical to the child output', () => {
	const workspace = tempDir();
	const result = cli(['run', 'many-lines', '--recipes-only', '--recipes', basic, '--workspace', workspace]);
	assert.equal(result.code, 0, result.stderr);
	const log = readFileSync(join(workspace, '.sel4-llm', 'logs', 'demo.many-lines.log'));
	assert.deepEqual(log, execFileSync('seq', ['1', '10000']));
	assert.match(result.stderr, /  demo\.many-lines \| 10000\n/);
	assert.match(result.stderr, /✓ done demo\.many-lines in/);
	assert.equal(journal(workspace).steps['demo.many-lines']!.state, 'done');
});

test('variables reach a process as one literal argv element', () => {
	const workspace = tempDir();
	const marker = join(workspace, 'pwned');
	const value = `a b; $(touch ${marker}) "q" \`touch ${marker}\``;
	const result = cli(['run', 'echo-args', '--recipes-only', '--recipes', basic, '--workspace', workspace, '--set', `greeting=${value}`]);
	assert.equal(result.code, 0, result.stderr);
	assert.ok(result.stderr.includes(`demo.echo-args | [${value}]`), result.stderr);
	assert.ok(result.stderr.includes(`demo.echo-args | <${value}>`), result.stderr);
	assert.equal(readFileSync(join(workspace, 'out', 'greeting.txt'), 'utf8'), `${value}\n`);
	assert.equal(existsSync(marker), false);
});

test('a second run skips what is done, a changed input re-runs exactly the steps downstream of it', () => {
	const workspace = tempDir();
	assert.equal(cli(['run', 'demo', '--recipes-only', '--recipes', basic, '--workspace', workspace]).code, 0);
	const again = cli(['run', 'demo', '--recipes-only', '--recipes', basic, '--workspace', workspace]);
	assert.equal(again.code, 0);
	assert.match(again.stderr, /- skip demo\.prepare: unchanged since/);
	assert.match(again.stderr, /- skip demo\.many-lines: unchanged since/);
	assert.match(again.stderr, /- skip demo\.already-done: up to date \(status check holds\)/);
	assert.doesNotMatch(again.stderr, /> run/);
	const changed = cli(['run', 'demo', '--recipes-only', '--recipes', basic, '--workspace', workspace, '--set', 'greeting=changed']);
	assert.equal(changed.code, 0);
	const runs = changed.stderr.split('\n').filter((line) => line.startsWith('> run'));
	assert.equal(runs.length, 3, runs.join('\n'));
	assert.match(runs[0]!, /> run  demo\.prepare: .*\(inputs changed since the last run\)/);
	assert.match(runs[1]!, /> run  demo\.echo-args: .*\(needs demo\.prepare, which runs first\)/);
	assert.match(runs[2]!, /> run  demo\.many-lines: .*\(needs demo\.prepare, which runs first\)/);
	// The greeting is remembered for the workspace: status sees the steps as they ran. Forgotten, it is the default
	// again, which the steps that use it did not run with.
	const remembered = jsonOutput(cli(['status', '--recipes-only', '--recipes', basic, '--workspace', workspace, '--json']).stdout).result.steps as Array<{id: string; status: string}>;
	assert.equal(remembered.find((row) => row.id === 'demo.prepare')!.status, 'done');
	const status = cli(['status', '--recipes-only', '--recipes', basic, '--workspace', workspace, '--json', '--forget', 'greeting']);
	const rows = jsonOutput(status.stdout).result.steps as Array<{id: string; status: string}>;
	assert.deepEqual(Object.fromEntries(rows.map((row) => [row.id, row.status])), {
		'demo.prepare': 'stale',
		'demo.echo-args': 'stale',
		'demo.many-lines': 'done',
		'demo.already-done': 'done',
		'demo.slow': 'pending',
	});
});

test('a failing step: exit 1, the error window, matched troubleshooting, downstream not run', () => {
	const workspace = tempDir();
	const result = cli(['run', 'broken', '--recipes-only', '--recipes', failing, '--workspace', workspace]);
	assert.equal(result.code, 1);
	assert.match(result.stderr, /✗ failed broken\.fails after/);
	assert.match(result.stderr, /First error at line 7 of the log:\n(.*\n){3}  +> write error: No space left on device/);
	assert.match(result.stderr, /Known cause: Step-specific diagnosis/);
	assert.match(result.stderr, /Known cause: The disk is full/);
	assert.match(result.stderr, /\$ echo freeing/);
	assert.match(result.stderr, /Full log \(7 lines\): .*broken\.fails\.log/);
	assert.doesNotMatch(result.stderr, /unreachable/);
	assert.equal(journal(workspace).steps['broken.fails']!.state, 'failed');
	const json = cli(['run', 'broken', '--recipes-only', '--recipes', failing, '--workspace', workspace, '--json']);
	const {events, result: final} = jsonOutput(json.stdout);
	const failed = events.find((event) => event.type === 'step-fail')!;
	assert.deepEqual(failed.diagnoses.map((each: {id: string}) => each.id), ['fixture-step-specific', 'fixture-disk-full']);
	assert.equal(events.at(-1)!.type, 'run-done');
	assert.equal(events.at(-1)!.ok, false);
	// The result event ends the stream: the exit code, and the failed step with the same diagnoses.
	assert.deepEqual([final.command, final.ok, final.exit, json.code], ['run', false, 1, 1]);
	assert.equal(final.failed.id, 'broken.fails');
	assert.deepEqual(final.failed.diagnoses.map((each: {id: string}) => each.id), ['fixture-step-specific', 'fixture-disk-full']);
});

test('an unknown step or recipe gets suggestions, not the list of every step', () => {
	const workspace = join(tempDir(), 'ws');
	const near = cli(['plan', 'ninja', '--workspace', workspace]);
	assert.equal(near.code, 2);
	assert.match(near.stderr, /unknown step or recipe "ninja"\n {2}hint: did you mean "build\.ninja-arm" or "build\.ninja-x86"\?/);
	assert.match(cli(['plan', 'buidl', '--workspace', workspace]).stderr, /hint: did you mean "build"\?/);
	const far = cli(['run', 'nosuchstep', '--workspace', workspace]);
	assert.equal(far.code, 2);
	assert.match(far.stderr, /hint: recipes: boot, build, buildroot, guest, host, payload, sources, usb\n/);
	assert.doesNotMatch(far.stderr, /host\.apt/, 'no list of every step');
});

test('an input file that does not exist is exit 3 for every command that reads one', () => {
	const missing = join(tempDir(), 'missing');
	const cases: string[][] = [
		['flash', `${missing}.img`, '--device', `${missing}-copy.img`, '--yes'],
		['launch', '--replay', `${missing}.log`],
		['model-disk', '--output', `${missing}-disk.img`, '--', `${missing}.gguf`],
		['payload', 'check-model', `${missing}.gguf`],
	];
	for (const args of cases) {
		const result = cli(args);
		assert.equal(result.code, 3, `${args.join(' ')}: ${result.stderr}`);
		assert.match(result.stderr, /missing/, args.join(' '));
	}
});

test('bad input: a clear error, a documented exit code, and nothing written', () => {
	const workspace = join(tempDir(), 'ws');
	const cases: Array<[string[], number, RegExp]> = [
		[['run', 'demo', '--set', 'nosuch=1'], 2, /--set nosuch: no recipe declares a variable "nosuch"[\s\S]*variables: greeting, lines, mode/],
		[['run', 'demo', '--set', 'mode=medium'], 2, /"medium" is not allowed; allowed values: fast, slow/],
		[['run', 'demo', '--set', 'lines=many'], 2, /"many" is not a whole number/],
		[['run', 'demo', '--set', 'lines'], 2, /--set needs name=value/],
		[['run', 'nosuchstep'], 2, /unknown step or recipe "nosuchstep"/],
		[['run', 'demo', '--bogus'], 2, /unknown option --bogus/],
		[['plan', 'demo', '--recipes-only', '--recipes', join(fixtures, 'nonexistent')], 2, /recipe directory .* does not exist/],
	];
	for (const [args, code, pattern] of cases) {
		const result = cli([...args, ...(args.includes('--recipes') ? [] : ['--recipes-only', '--recipes', basic]), '--workspace', workspace]);
		assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
		assert.match(result.stderr, pattern);
		assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace for a user error');
		assert.equal(existsSync(workspace), false, `${args.join(' ')} must not create the workspace`);
	}
});

test('a workspace that is a file, or not writable, is refused before anything runs', () => {
	const dir = tempDir();
	const file = join(dir, 'file');
	writeFileSync(file, 'x');
	const asFile = cli(['run', 'demo', '--recipes-only', '--recipes', basic, '--workspace', file]);
	assert.equal(asFile.code, 4);
	assert.match(asFile.stderr, /is a file, not a directory/);
	const under = cli(['run', 'demo', '--recipes-only', '--recipes', basic, '--workspace', join(file, 'sub')]);
	assert.equal(under.code, 4);
	assert.match(under.stderr, /cannot be created/);
	if (process.getuid?.() === 0) {
		// root may write anywhere: check as an unprivileged user instead
		const result = execFileSync('sh', ['-c', `runuser -u nobody -- ${process.execPath} dist/cli.js run demo --recipes-only --recipes ${basic} --workspace ${dir}/ws 2>&1; echo "rc=$?"`], {encoding: 'utf8'});
		assert.match(result, /not writable/);
		assert.match(result, /rc=4/);
	}
	assert.deepEqual(readdirSync(dir), ['file']);
});

test('an invalid recipe fails validation with file:line:col and changes nothing', () => {
	const workspace = tempDir();
	assert.equal(cli(['run', 'demo', '--recipes-only', '--recipes', basic, '--workspace', workspace]).code, 0);
	const before = readFileSync(join(workspace, '.sel4-llm', 'journal.json'), 'utf8');
	const broken = tempDir();
	writeFileSync(join(broken, 'demo.yaml'), readFileSync(join(basic, 'demo.yaml'), 'utf8').replace('title: Print many lines', 'title: Print many lines\n    needz: [prepare]'));
	const result = cli(['run', 'demo', '--recipes-only', '--recipes', broken, '--workspace', workspace]);
	assert.equal(result.code, 3);
	assert.match(result.stderr, /demo\.yaml:\d+:\d+: unknown key "needz"/);
	assert.equal(readFileSync(join(workspace, '.sel4-llm', 'journal.json'), 'utf8'), before);
});

test('status checks run even before the workspace exists (in an empty directory, so nothing matches by accident)', () => {
	const workspace = join(tempDir(), 'not-yet');
	const plan = cli(['plan', 'demo', '--json', '--recipes-only', '--recipes', basic, '--workspace', workspace]);
	assert.equal(plan.code, 0, plan.stderr);
	const steps = jsonOutput(plan.stdout).result.steps as Array<{id: string; action: string; reason: string}>;
	assert.deepEqual(steps.find((step) => step.id === 'demo.already-done'), {...steps.find((step) => step.id === 'demo.already-done')!, action: 'skip', reason: 'up to date (status check holds)'});
	assert.equal(existsSync(workspace), false, 'planning creates nothing');
});

test('a step can open /dev/stdout and /dev/stderr by path, as CMake does (its output is a real pipe)', () => {
	const workspace = tempDir();
	const pipes = join(fixtures, 'recipes', 'pipes');
	const result = cli(['run', 'pipes', '--recipes-only', '--recipes', pipes, '--workspace', workspace]);
	assert.equal(result.code, 0, result.stderr);
	assert.match(result.stderr, /pipes\.by-path \| to stdout by path/);
	assert.match(result.stderr, /pipes\.by-path \| to stderr by path/);
	assert.match(result.stderr, /pipes\.cmake-output-file \| written through OUTPUT_FILE/);
	assert.match(result.stderr, /pipes\.cmake-output-file \| written through file\(WRITE \/dev\/stderr\)/);
	const log = readFileSync(join(workspace, '.sel4-llm', 'logs', 'pipes.cmake-output-file.log'), 'utf8');
	assert.match(log, /written through OUTPUT_FILE/);
});

test('a step silent for 10 s is reported as still running, with its last line, in plain output', () => {
	const workspace = tempDir();
	const result = cli(['run', 'quiet', '--recipes-only', '--recipes', join(fixtures, 'recipes', 'quiet'), '--workspace', workspace, '--plain']);
	assert.equal(result.code, 0, result.stderr);
	const notices = result.stderr.split('\n').filter((line) => line.startsWith('… quiet.wait still running'));
	assert.equal(notices.length, 1, result.stderr);
	assert.match(notices[0]!, /^… quiet\.wait still running after 1\d(\.\d)? s, no output for 1\d(\.\d)? s \(last: \[3\/40\] Building CXX object ggml\.o\)$/);
	assert.ok(result.stderr.indexOf(notices[0]!) < result.stderr.indexOf('quiet.wait | finished'), 'the notice comes while the step runs');
});

test('a failed step that runs again keeps the failed attempt\'s log beside the new one (the re-run overwrote it)', () => {
	const recipes = tempDir();
	writeFileSync(
		join(recipes, 'flaky.yaml'),
		[
			'version: 1',
			'id: flaky',
			'title: A step that fails the first time',
			'steps:',
			'  once:',
			'    title: Fails the first time',
			'    run:',
			`      - {sh: 'if [ -e attempted ]; then echo "second attempt"; else touch attempted; echo "first attempt"; exit 1; fi'}`,
			'',
		].join('\n'),
	);
	const workspace = tempDir();
	const logs = join(workspace, '.sel4-llm', 'logs');
	const args = ['run', 'flaky', '--recipes-only', '--recipes', recipes, '--workspace', workspace];
	assert.equal(cli(args).code, 1);
	assert.equal(existsSync(join(logs, 'flaky.once.failed.log')), false, 'nothing to keep before a second attempt');
	const second = cli(args);
	assert.equal(second.code, 0, second.stderr);
	assert.equal(readFileSync(join(logs, 'flaky.once.log'), 'utf8'), 'second attempt\n');
	assert.equal(readFileSync(join(logs, 'flaky.once.failed.log'), 'utf8'), 'first attempt\n');
});
