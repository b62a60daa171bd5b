// The setup wizard end to end over fixture recipes: in a real terminal, and unattended without one.
import assert from 'node:assert/strict';
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {createServer} from 'node:net';
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

const networkRecipes = join(fixtures, 'recipes', 'wizard-network');

/** A loopback stand-in that accepts connections, and a port that refuses them: never the real network. */
async function standIns(t: {after: (fn: () => void) => void}): Promise<{up: number; down: number}> {
	const server = createServer((socket) => socket.destroy());
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	t.after(() => server.close());
	const closed = createServer();
	await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
	const down = (closed.address() as {port: number}).port;
	await new Promise((resolve) => closed.close(resolve));
	return {up: (server.address() as {port: number}).port, down};
}

test('setup on an offline machine started the downloads unwarned: --yes checks the hosts first and names the mirror settings', async (t) => {
	const {up, down} = await standIns(t);
	const workspace = join(tempDir(), 'ws');
	const args = ['setup', '--yes', '--recipes-only', '--recipes', recipes, '--recipes', networkRecipes, '--workspace', workspace];
	const offline = cli([...args, '--set', `manifest_url=http://127.0.0.1:${down}/m.git`], {env: {npm_config_registry: `http://127.0.0.1:${down}/`}});
	assert.match(offline.stderr, new RegExp(`^sel4-llm: Checking that 127\\.0\\.0\\.1 can be reached…\\n`));
	assert.match(offline.stderr, new RegExp(`warning: 127\\.0\\.0\\.1:${down} \\(manifest_url\\) cannot be reached: connection refused`));
	assert.match(offline.stderr, new RegExp(`warning: 127\\.0\\.0\\.1:${down} \\(npm registry\\) cannot be reached: connection refused`));
	assert.match(offline.stderr, /hint: the steps that download will fail; sync from a mirror with --set manifest_url=<mirror or file:\/\/ URL of the manifest repository> \(and --set mirror=.*; point npm at a registry mirror with npm_config_registry=<URL>/);
	// The warning comes before anything runs.
	assert.ok(offline.stderr.indexOf('cannot be reached') < offline.stderr.indexOf('steps,'), offline.stderr);
	const online = cli([...args, '--set', `manifest_url=http://127.0.0.1:${up}/m.git`], {env: {npm_config_registry: `http://127.0.0.1:${up}/`}});
	assert.match(online.stderr, /Checking that 127\.0\.0\.1 can be reached…/);
	assert.doesNotMatch(online.stderr, /cannot be reached/);
	// A local mirror needs no network: nothing to check for the manifest.
	const local = cli([...args, '--set', 'manifest_url=file:///srv/mirror/m.git'], {env: {npm_config_registry: `http://127.0.0.1:${up}/`}});
	assert.doesNotMatch(local.stderr, /manifest_url\) cannot be reached/);
});

test('setup in a terminal on an offline machine: the network screen says which host and offers the manifest mirror', async (t) => {
	const {up, down} = await standIns(t);
	const workspace = join(tempDir(), 'ws');
	const manifest = `http://127.0.0.1:${down}/m.git`;
	const session = new TmuxSession(
		`${process.execPath} ${cliPath} setup --recipes-only --recipes ${recipes} --recipes ${networkRecipes} --workspace ${workspace} --set manifest_url=${manifest}`,
		{width: 80, height: 24, env: {npm_config_registry: `http://127.0.0.1:${up}/`}},
	);
	t.after(() => session.kill());
	const host = await hostSummary(workspace);
	await session.waitForText(/enter continue/);
	session.send('Enter');
	await session.waitForText(/› Platform/);
	if (host.recommended !== 'qemu-arm-virt') session.send('Right');
	await session.waitForText(/› Platform +‹ qemu-arm-virt ›/);
	session.send('Enter');
	let screen = await session.waitForText(/The network[\s\S]*enter go on to the plan as it is/);
	assert.match(screen, new RegExp(`✗ 127\\.0\\.0\\.1:${down} \\(manifest_url\\) cannot be reached: connection refused`));
	assert.match(screen, new RegExp(`✓ 127\\.0\\.0\\.1:${up} \\(npm registry\\) can be reached`));
	assert.match(screen, /› manifest_url +http:\/\/127\.0\.0\.1/);
	for (let index = 0; index < manifest.length; index++) session.send('BSpace');
	session.type('file:///srv/mirror/m.git');
	await session.waitForText(/manifest_url +file:\/\/\/srv\/mirror\/m\.git[\s\S]*enter check again with the changes/);
	session.send('Enter');
	screen = await session.waitForText(/The plan[\s\S]*Nothing has run yet\./);
	assert.doesNotMatch(screen, /cannot be reached/);
	session.send('q');
	await session.waitForText(/\[exit 130\]/);
});

test('NO_COLOR: the wizard paints through Ink, so its screens have no colour codes; without it the marks are coloured', async (t) => {
	const workspace = join(tempDir(), 'ws');
	// The terminal's own FORCE_COLOR=0 is taken away, so that only NO_COLOR can keep the colours off.
	const start = (env: string) => new TmuxSession(`env -u FORCE_COLOR ${env} ${process.execPath} ${cliPath} setup --recipes-only --recipes ${recipes} --workspace ${workspace}`, {width: 80, height: 24});
	const colour = /\u001B\[(3[0-7]|9[0-7])m/;
	const plain = start('NO_COLOR=1');
	t.after(() => plain.kill());
	await plain.waitForText(/Recommended:[\s\S]*enter continue/);
	assert.doesNotMatch(plain.screen({escapes: true}), colour, 'no colour on the welcome screen');
	plain.send('Enter');
	await plain.waitForText(/› Platform/);
	assert.doesNotMatch(plain.screen({escapes: true}), colour, 'no colour on the choices screen');
	plain.kill();
	const coloured = start('');
	t.after(() => coloured.kill());
	await coloured.waitForText(/Recommended:[\s\S]*enter continue/);
	assert.match(coloured.screen({escapes: true}), /Recommended: \u001B\[36mqemu-arm-virt|Recommended: \u001B\[36mx86_64/);
});
