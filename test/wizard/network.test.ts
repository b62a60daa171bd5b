// The reachability check before the plan, against loopback stand-ins only: a local server, and a refused port.
import assert from 'node:assert/strict';
import {createServer, type Server} from 'node:net';
import {after, test} from 'node:test';
import {checkNetwork, endpoint, networkTargets, probe, unreachableLines} from '../../source/wizard/network.js';

const servers: Server[] = [];
after(() => {
	for (const server of servers) server.close();
});

/** A local server that accepts connections: a host that can be reached. */
async function listening(): Promise<number> {
	const server = createServer((socket) => socket.destroy());
	servers.push(server);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return (server.address() as {port: number}).port;
}

/** A port nothing listens on (bound, then closed): the connection is refused. */
async function refused(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as {port: number};
	await new Promise((resolve) => server.close(resolve));
	return port;
}

test('endpoint: the host and port of a network URL; none for local paths and file:// URLs', () => {
	assert.deepEqual(endpoint('https://github.com/seL4/camkes-vm-examples-manifest.git'), {host: 'github.com', port: 443});
	assert.deepEqual(endpoint('http://127.0.0.1:8080/m.git'), {host: '127.0.0.1', port: 8080});
	assert.deepEqual(endpoint('git@github.com:seL4/seL4.git'), {host: 'github.com', port: 22});
	assert.deepEqual(endpoint('ssh://git@example.org/x.git'), {host: 'example.org', port: 22});
	assert.equal(endpoint('file:///srv/mirror/m.git'), undefined);
	assert.equal(endpoint('/srv/mirror'), undefined);
	assert.equal(endpoint(''), undefined);
});

test('probe: a listening host is reached; a refused port says so', async () => {
	assert.deepEqual(await probe('127.0.0.1', await listening(), 2000), {ok: true});
	assert.deepEqual(await probe('127.0.0.1', await refused(), 2000), {ok: false, error: 'connection refused'});
});

test('checkNetwork checks every host at once and names the ones that cannot be reached', async () => {
	const up = await listening();
	const down = await refused();
	const reaches = await checkNetwork(
		[
			{what: 'manifest_url', url: `http://127.0.0.1:${down}/m.git`},
			{what: 'npm registry', url: `http://127.0.0.1:${up}/`},
			{what: 'mirror', url: 'file:///srv/mirror'},
		],
		{timeoutMs: 2000, env: {}},
	);
	assert.deepEqual(
		reaches.map((reach) => [reach.what, reach.ok]),
		[
			['manifest_url', false],
			['npm registry', true],
		],
		'a file:// mirror needs no network',
	);
	assert.deepEqual(unreachableLines(reaches), [`127.0.0.1:${down} (manifest_url) cannot be reached: connection refused`]);
	// Behind an https proxy the proxy is what must answer.
	const proxied = await checkNetwork([{what: 'manifest_url', url: `https://127.0.0.1:${down}/m.git`}], {timeoutMs: 2000, env: {https_proxy: `http://127.0.0.1:${up}`}});
	assert.deepEqual([proxied[0]!.ok, proxied[0]!.via], [true, `127.0.0.1:${up}`]);
});

test('networkTargets: only the hosts that the steps that will run download from', () => {
	const values = new Map([
		['manifest_url', 'https://github.com/seL4/camkes-vm-examples-manifest.git'],
		['mirror', 'https://github.com/=https://mirror.example/github/ file:///srv/other'],
	]);
	const step = (id: string, action: 'run' | 'skip', capabilities = ['network']) => ({id, action, capabilities});
	// The mirror covers the manifest's URL: the sync fetches it from the mirror, so the mirror's host is the one needed.
	assert.deepEqual(networkTargets([step('sources.sync', 'run'), step('payload.fetch', 'run')], values, 'https://registry.npmjs.org/'), [
		{what: 'mirror', url: 'https://mirror.example/github/'},
		{what: 'npm registry', url: 'https://registry.npmjs.org/'},
	]);
	const uncovered = new Map([...values, ['mirror', 'https://gitlab.com/=https://mirror.example/gitlab/']]);
	assert.deepEqual(networkTargets([step('sources.sync', 'run')], uncovered, undefined), [
		{what: 'manifest_url', url: 'https://github.com/seL4/camkes-vm-examples-manifest.git'},
		{what: 'mirror', url: 'https://mirror.example/gitlab/'},
	]);
	// A local mirror base (the wizard's own advice on an offline machine) leaves nothing to reach for the sources:
	// the check said github.com could not be reached after the user had given one.
	const local = new Map([...values, ['mirror', 'file:///srv/mirrorbase']]);
	assert.deepEqual(networkTargets([step('sources.sync', 'run')], local, undefined), []);
	assert.deepEqual(networkTargets([step('sources.sync', 'skip'), step('payload.fetch', 'run', [])], values, 'https://registry.npmjs.org/'), []);
});
