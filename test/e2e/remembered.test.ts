// Values remembered per workspace: the --set given for a workspace (and the setup wizard's choices) are kept in the
// user's config folder and used by plain re-runs, until a later --set replaces them or --forget clears them. Every
// test here has a config folder of its own (XDG_CONFIG_HOME), never the user's.
import assert from 'node:assert/strict';
import {cpSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {cli, cliPath, fixtures, jsonOutput, tempDir} from '../support/cli.js';
import {TmuxSession} from '../support/tmux.js';

const basic = join(fixtures, 'recipes', 'basic');

type PlanJson = {values: Array<{name: string; value: string; source: string; used: boolean; note: string}>; steps: Array<{id: string; action: string}>};

function setup() {
	const env = {XDG_CONFIG_HOME: tempDir('config-')};
	const workspace = tempDir();
	const run = (args: string[], recipes = basic) => cli([...args, '--recipes-only', '--recipes', recipes, '--workspace', workspace], {env});
	const stored = () => JSON.parse(readFileSync(join(env.XDG_CONFIG_HOME, 'sel4-llm', 'config.json'), 'utf8')) as {workspaces: Record<string, Record<string, {value: string; from: string; at: string}>>};
	return {env, workspace, run, stored};
}

test('--set is remembered for its workspace: plain re-runs of run, plan and status use it, a later --set replaces it', () => {
	const {env, workspace, run, stored} = setup();
	const first = run(['run', 'demo', '--set', 'greeting=remembered hi', '--set', 'lines=3']);
	assert.equal(first.code, 0, first.stderr);
	assert.deepEqual(
		Object.fromEntries(Object.entries(stored().workspaces[workspace]!).map(([name, each]) => [name, [each.value, each.from]])),
		{greeting: ['remembered hi', 'set'], lines: ['3', 'set']},
		'kept in $XDG_CONFIG_HOME/sel4-llm/config.json under the workspace\'s absolute path',
	);
	// Without --set: the same values, so nothing is stale and the plan says where they come from.
	const status = jsonOutput(run(['status', '--json']).stdout).result as {steps: Array<{id: string; status: string}>};
	assert.equal(status.steps.find((step) => step.id === 'demo.prepare')!.status, 'done', 'the remembered greeting is the one the step ran with');
	const plan = run(['plan', 'demo']);
	assert.equal(plan.code, 0, plan.stderr);
	assert.match(plan.stdout, /^Values for this workspace:\n {2}greeting=remembered hi \(remembered for this workspace; --forget greeting to clear\)\n {2}lines=3 \(remembered for this workspace; --forget lines to clear\)\n/);
	assert.match(plan.stdout, /skip  demo\.prepare/);
	const json = jsonOutput(run(['plan', 'demo', '--json']).stdout).result as PlanJson;
	assert.deepEqual(json.values.map((each) => [each.name, each.value, each.source, each.used]), [['greeting', 'remembered hi', 'remembered', true], ['lines', '3', 'remembered', true]]);
	const again = run(['run', 'demo.prepare', '--force']);
	assert.equal(again.code, 0, again.stderr);
	assert.equal(readFileSync(join(workspace, 'out', 'greeting.txt'), 'utf8'), 'remembered hi\n');
	// A later --set of the same name wins and is remembered in its place.
	assert.equal(run(['run', 'demo.prepare', '--set', 'greeting=second']).code, 0);
	assert.equal(readFileSync(join(workspace, 'out', 'greeting.txt'), 'utf8'), 'second\n');
	assert.match(run(['plan', 'demo']).stdout, /greeting=second \(remembered for this workspace/);
	// Another workspace has none of them.
	const other = cli(['plan', '--json', '--recipes-only', '--recipes', basic, '--workspace', tempDir()], {env});
	assert.deepEqual((jsonOutput(other.stdout).result as PlanJson).values, []);
});

test('choices an older version kept in the journal are remembered with the time they were carried over', () => {
	const {workspace, run, stored} = setup();
	mkdirSync(join(workspace, '.sel4-llm'), {recursive: true});
	writeFileSync(join(workspace, '.sel4-llm', 'journal.json'), JSON.stringify({version: 1, steps: {}, choices: {greeting: 'from the journal'}}));
	assert.equal(run(['plan', '--set', 'lines=3']).code, 0);
	const kept = stored().workspaces[workspace]!;
	assert.deepEqual([kept.greeting!.value, kept.greeting!.from], ['from the journal', 'setup']);
	assert.match(kept.greeting!.at, /^\d{4}-\d\d-\d\dT/, 'a time, not an empty string');
	assert.match(kept.lines!.at, /^\d{4}-\d\d-\d\dT/);
});

test('--forget NAME and --forget-all clear remembered values; an invalid --set is never remembered', () => {
	const {workspace, run, stored} = setup();
	assert.equal(run(['plan', '--set', 'mode=slow', '--set', 'lines=7', '--set', 'greeting=hey']).code, 0);
	const bad = run(['plan', '--set', 'lines=0']);
	assert.equal(bad.code, 2);
	assert.equal(stored().workspaces[workspace]!.lines!.value, '7', 'a value the recipes refuse is not remembered');
	const forgot = run(['plan', '--forget', 'lines', '--forget', 'nothing-here']);
	assert.equal(forgot.code, 0, forgot.stderr);
	assert.match(forgot.stderr, new RegExp(`sel4-llm: forgot lines=7 for ${workspace}\\n`));
	assert.match(forgot.stderr, /nothing is remembered as nothing-here/);
	assert.doesNotMatch(forgot.stdout, /lines=/);
	assert.match(forgot.stdout, /mode=slow \(remembered/);
	assert.deepEqual(Object.keys(stored().workspaces[workspace]!).sort(), ['greeting', 'mode']);
	const all = run(['status', '--forget-all']);
	assert.equal(all.code, 0, all.stderr);
	assert.match(all.stderr, /forgot greeting=hey/);
	assert.deepEqual(stored().workspaces[workspace], {});
	assert.doesNotMatch(run(['plan']).stdout, /Values for this workspace/);
});

test('a remembered value is checked again each time it is used, against the recipes as they are now', () => {
	const {run} = setup();
	const recipes = join(tempDir('recipes-'), 'mine');
	cpSync(basic, recipes, {recursive: true});
	assert.equal(run(['plan', '--set', 'mode=slow'], recipes).code, 0);
	// The recipe no longer allows "slow".
	const file = join(recipes, 'demo.yaml');
	writeFileSync(file, readFileSync(file, 'utf8').replace('values: [fast, slow]', 'values: [fast, turbo]'));
	const refused = run(['plan'], recipes);
	assert.equal(refused.code, 2);
	assert.match(refused.stderr, /error: remembered value of mode: "slow" is not allowed; allowed values: fast, turbo\n {2}hint: it was remembered for the workspace .*; give another with --set mode=VALUE, or clear it with --forget mode/);
	assert.equal(run(['plan', '--set', 'mode=turbo'], recipes).code, 0, 'a new --set replaces the value that is no longer allowed');
	assert.match(run(['plan'], recipes).stdout, /mode=turbo \(remembered/);
	// A name no recipe declares any more is kept, shown as unused, and does not stop anything.
	writeFileSync(file, readFileSync(file, 'utf8').replace(/ {2}mode:\n(?: {4}.*\n)+/, '').replace(/ {4}if: \{mode: slow\}\n/, ''));
	const unused = run(['recipes', '--json'], recipes);
	assert.equal(unused.code, 0, unused.stderr);
	assert.deepEqual((jsonOutput(unused.stdout).result as {unused: Array<{name: string; value: string}>}).unused.map((each) => [each.name, each.value]), [['mode', 'turbo']]);
});

test('recipes lists each variable\'s value with its source: the command line, remembered, or the default', () => {
	const {run} = setup();
	assert.equal(run(['recipes', '--set', 'lines=5']).code, 0);
	const given = run(['recipes', '--set', 'mode=slow']);
	assert.match(given.stdout, /mode += "slow" \(fast \| slow\) {2}\[--set; remembered for this workspace\]/);
	assert.match(given.stdout, /lines += "5" {2}\[remembered for this workspace; --forget lines to clear\]/);
	assert.match(given.stdout, /greeting += "hello world"\n/, 'a default has no note');
	const json = jsonOutput(run(['recipes', '--json']).stdout).result as {vars: Record<string, {value: string; source: string}>};
	assert.deepEqual([json.vars.mode, json.vars.lines, json.vars.greeting].map((each) => [each!.value, each!.source]), [['slow', 'remembered'], ['5', 'remembered'], ['hello world', 'default']]);
});

test('setup remembers its choices for the workspace: run and plan use them, as chosen in setup', () => {
	const {env, workspace, stored} = setup();
	const recipes = join(fixtures, 'recipes', 'wizard');
	// A USB stick: x86_64 in QEMU is refused on a host without VT-x, and this test is about remembering, on any host.
	const first = cli(['setup', '--yes', '--platform', 'x86_64', '--target', 'usb', '--guest-ram', '640', '--recipes-only', '--recipes', recipes, '--workspace', workspace], {env});
	assert.equal(first.code, 1, 'the fixture\'s compile step fails until its tool is installed');
	assert.equal(stored().workspaces[workspace]!.platform!.from, 'setup');
	const plan = cli(['plan', '--json', '--recipes-only', '--recipes', recipes, '--workspace', workspace], {env});
	const values = (jsonOutput(plan.stdout).result as PlanJson).values;
	assert.deepEqual(values.find((each) => each.name === 'platform'), {name: 'platform', value: 'x86_64', source: 'setup', rememberedAt: stored().workspaces[workspace]!.platform!.at, used: true, note: 'chosen in setup, remembered for this workspace; --forget platform to clear'});
	assert.equal(values.find((each) => each.name === 'guest_ram_mb')!.value, '640');
	const run = cli(['run', 'stages.guest', '--force', '--recipes-only', '--recipes', recipes, '--workspace', workspace], {env});
	assert.equal(run.code, 0, run.stderr);
	assert.match(readFileSync(join(workspace, 'guest', 'config'), 'utf8'), /ram=640 model= platform=x86_64/);
});

test('a config file that is not valid JSON is an input error naming it; nothing runs', () => {
	const {env, workspace, run} = setup();
	assert.equal(run(['plan', '--set', 'mode=slow']).code, 0);
	const file = join(env.XDG_CONFIG_HOME, 'sel4-llm', 'config.json');
	writeFileSync(file, '{"workspaces": ');
	const broken = run(['run', 'demo']);
	assert.equal(broken.code, 3);
	assert.match(broken.stderr, new RegExp(`error: the remembered values file ${file.replaceAll('.', '\\.')} cannot be read`));
	assert.ok(!existsSync(join(workspace, 'out')));
});

test('plan in a terminal shows the remembered values too', async (t) => {
	const {env, workspace, run} = setup();
	assert.equal(run(['plan', '--set', 'mode=slow']).code, 0);
	const session = new TmuxSession(`${process.execPath} ${cliPath} plan --recipes-only --recipes ${basic} --workspace ${workspace}`, {env});
	t.after(() => session.kill());
	const screen = await session.waitForText(/\[exit \d+\]/);
	assert.match(screen, /\[exit 0\]/);
	assert.match(screen, /Values for this workspace:\n {2}mode=slow \(remembered for this workspace; --forget mode to clear\)/);
});
