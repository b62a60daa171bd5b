/** @jsxRuntime automatic */
// The network screen shown before the plan when a download host cannot be reached: exact frames at 80x24 and 120x36.
import assert from 'node:assert/strict';
import {afterEach, test} from 'node:test';
import {cleanup} from 'ink-testing-library';
import type {Reach} from '../../source/wizard/network.js';
import {NetworkScreen} from '../../source/wizard/network-screen.js';
import {keys, press} from '../support/keys.js';
import {fits, mountAt} from '../support/window.js';

afterEach(cleanup);

const reaches: Reach[] = [
	{what: 'manifest_url', url: 'https://github.com/seL4/camkes-vm-examples-manifest.git', host: 'github.com', port: 443, ok: false, error: 'the name does not resolve (no DNS?)'},
	{what: 'npm registry', url: 'https://registry.npmjs.org/', host: 'registry.npmjs.org', port: 443, ok: false, error: 'no answer within 3.0 s'},
];
const values = {manifest_url: 'https://github.com/seL4/camkes-vm-examples-manifest.git', mirror: ''};

test('an offline machine: the network screen at 80x24 names the hosts that cannot be reached and offers the mirror settings', async () => {
	const used: Array<Record<string, string>> = [];
	const view = await mountAt(<NetworkScreen reaches={reaches} values={values} onUse={(changed) => used.push(changed)} onBack={() => undefined} />, 80, 24);
	assert.equal(view.lastFrame(), NETWORK_80);
	assert.equal(fits(view.lastFrame()!, 80, 24), undefined);
	// Down to the mirror setting, a mirror typed in, Enter: the changed setting is what the plan uses.
	await press(view.stdin, keys.down);
	await press(view.stdin, 'file:///srv/mirror');
	assert.match(view.lastFrame()!, /› mirror +file:\/\/\/srv\/mirror▏\n {4}Mirrors for every project/);
	assert.match(view.lastFrame()!, /enter check again with the changes/);
	await press(view.stdin, keys.enter);
	assert.deepEqual(used, [{mirror: 'file:///srv/mirror'}]);
});

test('the network screen at 120x36', async () => {
	const view = await mountAt(<NetworkScreen reaches={reaches} values={values} onUse={() => undefined} onBack={() => undefined} />, 120, 36);
	assert.equal(view.lastFrame(), NETWORK_120);
});

const NETWORK_80 = [
	'The network',
	'  ✗ github.com:443 (manifest_url) cannot be reached: the name does not resolve',
	'    (no DNS?)',
	'  ✗ registry.npmjs.org:443 (npm registry) cannot be reached: no answer within',
	'    3.0 s',
	'The steps that download would fail. Sync from a mirror instead:',
	'› manifest_url  https://github.com/seL4/camkes-vm-examples-manifest.git▏',
	'    The manifest repository: a mirror URL, or a local file:// copy of',
	'    camkes-vm-examples-manifest.',
	'  mirror        (none)',
	'For the npm registry, start sel4-llm with npm_config_registry=<registry mirror',
	'  URL> in the environment (or set it with npm config set registry).',
	'↑/↓ setting  ·  type edit  ·  enter go on to the plan as it is  ·  esc back to',
	'the choices',
].join('\n');

const NETWORK_120 = [
	'The network',
	'  ✗ github.com:443 (manifest_url) cannot be reached: the name does not resolve (no DNS?)',
	'  ✗ registry.npmjs.org:443 (npm registry) cannot be reached: no answer within 3.0 s',
	'The steps that download would fail. Sync from a mirror instead:',
	'› manifest_url  https://github.com/seL4/camkes-vm-examples-manifest.git▏',
	'    The manifest repository: a mirror URL, or a local file:// copy of camkes-vm-examples-manifest.',
	'  mirror        (none)',
	'For the npm registry, start sel4-llm with npm_config_registry=<registry mirror URL> in the environment (or set it with',
	'  npm config set registry).',
	'↑/↓ setting  ·  type edit  ·  enter go on to the plan as it is  ·  esc back to the choices',
].join('\n');
