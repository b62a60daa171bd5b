// Stopping sel4-llm in a real terminal: Ctrl-C or SIGTERM in `run`'s live view, and quitting the setup wizard on
// each of its screens. Each must say what was recorded, exit 130 (143 for SIGTERM), stop every child it started and
// give the terminal back as it was: cursor shown, the shell reads and echoes what is typed.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {cliPath, fixtures, tempDir, waitFor} from '../support/cli.js';
import {TmuxSession} from '../support/tmux.js';

const napRecipes = join(fixtures, 'recipes', 'interrupt');
const wizardRecipes = join(fixtures, 'recipes', 'wizard');
const slowWizard = join(fixtures, 'recipes', 'wizard-slow');
const spinner = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

/** The processes whose command line has `marker` (a sleep given its own length, a unique workspace path). */
function processes(marker: string): number[] {
	try {
		return execFileSync('pgrep', ['-f', marker], {encoding: 'utf8'}).trim().split('\n').filter(Boolean).map(Number);
	} catch {
		return [];
	}
}

function stepState(workspace: string, id: string): string | undefined {
	return (JSON.parse(readFileSync(join(workspace, '.sel4-llm', 'journal.json'), 'utf8')) as {steps: Record<string, {state: string}>}).steps[id]?.state;
}

/** The terminal after sel4-llm exits: cursor shown, and a typed command runs and shows its output. */
async function assertTerminalUsable(session: TmuxSession): Promise<void> {
	assert.ok(session.cursorVisible(), `the cursor is shown again\n${session.screen()}`);
	await session.typeAndWait('echo "typed $((6 * 7))"', /typed 42/);
}

for (const [how, seconds, code] of [
	['Ctrl-C', '37.25', 130],
	['SIGTERM', '37.75', 143],
] as const) {
	test(`${how} in run's live view stops the step, says what was recorded, exits ${code} and restores the terminal`, async (t) => {
		const workspace = tempDir();
		const marker = `sleep ${seconds}`;
		const session = new TmuxSession(`${process.execPath} ${cliPath} run nap --recipes-only --recipes ${napRecipes} --workspace ${workspace} --set seconds=${seconds}`, {shell: true});
		t.after(() => session.kill());
		await session.waitForText(/sleeping 37\.\d+ s/);
		await waitFor(() => processes(marker).length === 1, 10_000, 'the step to start');
		if (how === 'Ctrl-C') session.send('C-c');
		else for (const pid of processes(`^${process.execPath} ${cliPath} run nap .*${workspace}`)) process.kill(pid, 'SIGTERM');
		const screen = await session.waitForText(/\[exit \d+\]/);
		assert.match(screen, new RegExp(`\\[exit ${code}\\]`));
		assert.match(screen, /■ nap\.sleep +Sleep a while/);
		assert.match(screen, /interrupted at nap\.sleep; 1 of 3 steps done; re-run the same command to resume/);
		const tail = screen.slice(screen.indexOf('■ nap.sleep'));
		assert.doesNotMatch(tail, spinner, 'no spinner left on the screen');
		assert.equal(stepState(workspace, 'nap.sleep'), 'interrupted');
		assert.equal(stepState(workspace, 'nap.last'), undefined);
		await waitFor(() => processes(marker).length === 0, 5000, 'the step\'s process to be gone');
		await assertTerminalUsable(session);
	});
}

test('quitting the wizard with q on the welcome screen exits 130 and says nothing was lost', async (t) => {
	const workspace = join(tempDir(), 'ws');
	const session = new TmuxSession(`${process.execPath} ${cliPath} setup --recipes-only --recipes ${wizardRecipes} --workspace ${workspace}`, {shell: true, height: 50});
	t.after(() => session.kill());
	await session.waitForText(/Recommended: [\s\S]*enter continue +· +q quit/, 30_000);
	session.send('q');
	const screen = await session.waitForText(/\[exit \d+\]/);
	assert.match(screen, /\[exit 130\]/);
	assert.match(screen, /Quit: nothing was run and nothing was lost\. Run `sel4-llm setup` again when you are ready\./);
	await assertTerminalUsable(session);
});

test('Ctrl-C on the wizard\'s choices and plan screens quits the same way', async (t) => {
	for (const screenName of ['choices', 'plan'] as const) {
		const workspace = join(tempDir(), 'ws');
		const session = new TmuxSession(`${process.execPath} ${cliPath} setup --recipes-only --recipes ${wizardRecipes} --workspace ${workspace}`, {shell: true, height: 50});
		t.after(() => session.kill());
		await session.waitForText(/Recommended: [\s\S]*enter continue/, 30_000);
		session.send('Enter');
		await session.waitForText(/› Platform/);
		if (screenName === 'plan') {
			session.send('Enter');
			await session.waitForText(/The plan[\s\S]*Nothing has run yet\./);
		}
		session.send('C-c');
		const screen = await session.waitForText(/\[exit \d+\]/);
		assert.match(screen, /\[exit 130\]/, `Ctrl-C on the ${screenName} screen`);
		assert.match(screen, /Quit: nothing was run and nothing was lost/);
		await assertTerminalUsable(session);
		session.kill();
	}
});

test('the wizard\'s run stopped with Ctrl-C twice, then quit: the step is stopped, the done steps are kept, exit 130', async (t) => {
	const workspace = join(tempDir(), 'ws');
	const seconds = '38.25';
	const marker = `sleep ${seconds}`;
	const session = new TmuxSession(
		`${process.execPath} ${cliPath} setup --recipes-only --recipes ${wizardRecipes} --recipes ${slowWizard} --workspace ${workspace} --set compile_seconds=${seconds}`,
		{shell: true, height: 50, width: 160},
	);
	t.after(() => session.kill());
	await session.waitForText(/Recommended: [\s\S]*enter continue/, 30_000);
	session.send('Enter');
	await session.waitForText(/› Platform/);
	session.send('Enter');
	await session.waitForText(/The plan[\s\S]*enter start/);
	session.send('Enter');
	await session.waitForText(/compiling for 38\.25 s/);
	await waitFor(() => processes(marker).length === 1, 10_000, 'the slow step to start');
	session.send('C-c');
	await session.waitForText(/Stop the running step\?/);
	session.send('C-c');
	let screen = await session.waitForText(/interrupted at stages\.compile; 3 of 5 steps done[\s\S]*q quit/);
	await waitFor(() => processes(marker).length === 0, 5000, 'the step\'s process to be gone');
	assert.equal(stepState(workspace, 'stages.compile'), 'interrupted');
	session.send('q');
	screen = await session.waitForText(/\[exit \d+\]/);
	assert.match(screen, /\[exit 130\]/);
	assert.match(screen, /Quit: nothing was lost; 3 of 5 steps are done and stay recorded\. Run `sel4-llm setup` again to continue at stages\.compile\./);
	await assertTerminalUsable(session);
});
