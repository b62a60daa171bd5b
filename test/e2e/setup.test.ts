// The setup wizard end to end over fixture recipes: in a real terminal, and unattended without one.
import assert from 'node:assert/strict';
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {hostSummary} from '../../source/wizard/host-check.js';
import {cli, cliPath, fixtures, tempDir, jsonOutput} from '../support/cli.js';
import {TmuxSession} from '../support/tmux.js';

const recipes = join(fixtures, 'recipes', 'wizard');

test('setup in a terminal: choices, plan, a failure fixed in place, resume, and a changed choice', async (t) => {
	const workspace = join(tempDir(), 'ws');
	const start = () => new TmuxSession(`${process.execPath} ${cliPath} setup --recipes-only --recipes ${recipes} --workspace ${workspace}`, {height: 50});
	// x86_64 runs in QEMU only with KVM and nested VT-x: the welcome screen says what the doctor says of this host
	// (and recommends x86_64 where it runs), whether or not this host has KVM.
	const host = await hostSummary(workspace);
	const session = start();
	t.after(() => session.kill());
	const welcome = await session.waitForText(new RegExp(`Recommended: ${host.recommended}[\\s\\S]*enter continue`));
	const x86Run = host.platforms.x86_64.run.ok ? '✓' : '✗';
	assert.match(welcome, new RegExp(`x86_64 +build .* QEMU ${x86Run}`), `the doctor says x86_64 in QEMU: ${x86Run} (${host.platforms.x86_64.run.note || 'ok'})`);
	assert.match(welcome, /qemu-arm-virt +build .* QEMU ✓/, 'qemu-arm-virt runs under emulation on any host');
	session.send('Enter');
	await session.waitForText(new RegExp(`› Platform +‹ ${host.recommended} ›`));
	// The rest of the test starts from qemu-arm-virt.
	if (host.recommended !== 'qemu-arm-virt') session.send('Right');
	await session.waitForText(/› Platform +‹ qemu-arm-virt ›/);
	session.send('Enter');
	await session.waitForText(/The plan[\s\S]*Nothing has run yet\./);
	assert.match(session.screen(), /run +stages\.fetch +Fetch sources \[network\]/);
	session.send('Enter');
	let screen = await session.waitForText(/stopped at the failure[\s\S]*f apply the fix and retry/);
	assert.match(screen, /Known cause: The fixture tool is missing/);
	assert.match(screen, /\$ touch .*tool-installed/);
	session.send('f');
	screen = await session.waitForText(/step 1 of 1 · 1 ran · 4 skipped · .* · finished/);
	assert.match(screen, /Checking that the fix worked/);
	assert.match(screen, /Everything is built\./);
	session.send('q');
	await session.waitForText(/\[exit 0\]/);
	session.kill();

	// Again: it says how far it got; a different platform re-runs exactly the steps that use it.
	const again = start();
	t.after(() => again.kill());
	screen = await again.waitForText(/This machine[\s\S]*Resuming: 4 of 4 steps done\./);
	again.send('Enter');
	await again.waitForText(/› Platform/);
	again.send('Right');
	await again.waitForText(/‹ x86_64 ›/);
	// Where this host cannot run x86_64 in QEMU, the choices refuse it and Enter says why; the USB stick is the way out.
	const x86InQemu = host.platforms.x86_64.run.ok || host.platforms.x86_64.run.fixable;
	if (!x86InQemu) {
		await again.waitForText(/✗ x86_64 cannot run in QEMU on this machine[\s\S]*choose target "USB stick for a PC"/);
		again.send('Enter');
		await again.waitForText(/› Target[\s\S]*Cannot continue: Target \(the ✗ above\) takes a USB stick for a PC/);
		again.send('Right');
		await again.waitForText(/‹ USB stick for a PC ›/);
	}
	again.send('Enter');
	// The finished steps the new platform leaves as they are (tools, fetch) count as done; the USB step runs only for a stick.
	screen = await again.waitForText(new RegExp(`The plan[\\s\\S]*2 of ${x86InQemu ? 4 : 5} steps are done already\\.`));
	assert.match(screen, /skip stages\.fetch/);
	assert.match(screen, /run +stages\.guest/);
	assert.match(screen, /run +stages\.compile/);
	again.send('Enter');
	await again.waitForText(/· finished/);
	assert.match(readFileSync(join(workspace, 'guest', 'config'), 'utf8'), /ram=512 model= platform=x86_64/);
	again.send('q');
	await again.waitForText(/\[exit 0\]/);
});

test('setup without a terminal: --yes runs the same plan; without --yes it says what to pass', async () => {
	const workspace = join(tempDir(), 'ws');
	const refused = cli(['setup', '--recipes-only', '--recipes', recipes, '--workspace', workspace]);
	assert.equal(refused.code, 2);
	assert.match(refused.stderr, /there is no terminal to ask on[\s\S]*--yes/);
	const bad = cli(['setup', '--yes', '--platform', 'riscv', '--recipes-only', '--recipes', recipes, '--workspace', workspace]);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /--platform must be one of: qemu-arm-virt, x86_64 \(got "riscv"\)/);
	const ram = cli(['setup', '--yes', '--guest-ram', '4096', '--recipes-only', '--recipes', recipes, '--workspace', workspace]);
	assert.equal(ram.code, 2);
	assert.match(ram.stderr, /--guest-ram: between 128 and 1024 MiB in steps of 64 MiB on qemu-arm-virt/);
	assert.match(ram.stderr, /hint: qemu-arm-virt: 128-1024 MiB in steps of 64; x86_64: 128-3072 MiB in steps of 16/);
	const notGguf = cli(['setup', '--yes', '--model', cliPath, '--recipes-only', '--recipes', recipes, '--workspace', workspace]);
	assert.equal(notGguf.code, 2);
	assert.match(notGguf.stderr, /--model: .*is not a GGUF model/);
	const first = cli(['setup', '--yes', '--recipes-only', '--recipes', recipes, '--workspace', workspace]);
	assert.equal(first.code, 1, 'the fixture compile step fails until its fix is applied');
	assert.match(first.stderr, /Known cause: The fixture tool is missing/);
	// Again, as JSON: the steps that worked are skipped, the failing one runs again and the run ends failed.
	const json = cli(['setup', '--yes', '--json', '--recipes-only', '--recipes', recipes, '--workspace', workspace]);
	assert.equal(json.code, 1, json.stderr);
	const {events, result} = jsonOutput(json.stdout);
	assert.deepEqual([result.command, result.exit, result.failed.id], ['setup', 1, 'stages.compile']);
	assert.deepEqual(
		events.filter((event) => event.type === 'step-skip').map((event) => event.id),
		['stages.tools', 'stages.fetch', 'stages.guest'],
		'what the first run finished is not run again',
	);
	assert.ok(events.some((event) => event.type === 'step-fail' && event.id === 'stages.compile'));
	assert.deepEqual(events.at(-1), {...events.at(-1), type: 'run-done', ok: false, failed: 'stages.compile'});
});

test('setup --yes accepted x86_64 booted in QEMU on a host judged "QEMU ✗": it refuses before anything runs', async (t) => {
	const workspace = join(tempDir(), 'ws');
	const host = await hostSummary(workspace);
	if (host.platforms.x86_64.run.ok || host.platforms.x86_64.run.fixable) return t.skip('this host can run x86_64 in QEMU');
	for (const choice of [['--platform', 'x86_64'], ['--set', 'platform=x86_64'], ['--platform', 'x86_64', '--target', 'qemu']]) {
		const refused = cli(['setup', '--yes', ...choice, '--recipes-only', '--recipes', recipes, '--workspace', workspace]);
		assert.equal(refused.code, 4, refused.stderr);
		assert.match(refused.stderr, /^error: x86_64 cannot run in QEMU on this machine \(.+ failed\)\n/);
		assert.match(refused.stderr, /hint: --target usb builds a USB stick that boots x86_64 on a PC with Intel VT-x; --platform qemu-arm-virt runs in QEMU here/);
		assert.match(refused.stderr, /next: sel4-llm setup --yes --platform x86_64 --target usb/);
		assert.doesNotMatch(refused.stderr, /steps|\$ /, 'no step ran');
		assert.equal(existsSync(join(workspace, '.sel4-llm')), false, 'nothing was written to the workspace');
	}
	// The way out is accepted.
	const usb = cli(['setup', '--yes', '--platform', 'x86_64', '--target', 'usb', '--recipes-only', '--recipes', recipes, '--workspace', workspace]);
	assert.doesNotMatch(usb.stderr, /cannot run in QEMU/);
});
