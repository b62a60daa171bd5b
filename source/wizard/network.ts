// Before the plan: can this machine reach the hosts its network steps need (the manifest's, the npm registry)?
// A TCP connection to each host, in parallel, with a short timeout (through the https proxy when one is set), so
// an offline machine hears it before a run that would fail at its first download, and is offered the mirror
// settings the recipes have (manifest_url, mirror).
import {connect} from 'node:net';
import {runCommand} from '../system/run.js';
import {mirrorUrl, parseMirrors, type MirrorRule} from '../sync/mirror.js';

/** What a host is checked for: the recipe variable that names it, or the npm registry (npm's own setting). */
export type NetworkTarget = {what: 'manifest_url' | 'mirror' | 'npm registry'; url: string};

export type Reach = NetworkTarget & {host: string; port: number; ok: boolean; error?: string; via?: string};

export const defaultRegistry = 'https://registry.npmjs.org/';

/** The recipe variables the wizard offers when a host cannot be reached (they exist in recipes/sources.yaml). */
export const mirrorVars = ['manifest_url', 'mirror'] as const;

/** host and port of a network URL (https://, http://, ssh://, git://, scp-like user@host:path); undefined for local paths and file:// URLs. */
export function endpoint(url: string): {host: string; port: number} | undefined {
	const trimmed = url.trim();
	if (trimmed === '' || trimmed.startsWith('/') || trimmed.startsWith('.') || trimmed.startsWith('file:')) return undefined;
	const scp = /^[\w.-]+@([\w.-]+):(?!\/\/)/.exec(trimmed);
	if (scp) return {host: scp[1]!, port: 22};
	try {
		const parsed = new URL(trimmed);
		const ports: Record<string, number> = {'https:': 443, 'http:': 80, 'ssh:': 22, 'git:': 9418};
		const port = parsed.port ? Number(parsed.port) : ports[parsed.protocol];
		if (!parsed.hostname || port === undefined) return undefined;
		return {host: parsed.hostname.replace(/^\[|\]$/g, ''), port};
	} catch {
		return undefined;
	}
}

/** Opens a TCP connection to host:port and closes it: ok, or why not (refused, unknown host, timed out). */
export function probe(host: string, port: number, timeoutMs: number): Promise<{ok: boolean; error?: string}> {
	return new Promise((resolve) => {
		const socket = connect({host, port});
		let settled = false;
		const done = (result: {ok: boolean; error?: string}) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			socket.destroy();
			resolve(result);
		};
		const timer = setTimeout(() => done({ok: false, error: `no answer within ${(timeoutMs / 1000).toFixed(1)} s`}), timeoutMs);
		socket.once('connect', () => done({ok: true}));
		socket.once('error', (error: NodeJS.ErrnoException) => done({ok: false, error: describe(error)}));
	});
}

function describe(error: NodeJS.ErrnoException): string {
	switch (error.code) {
		case 'ECONNREFUSED':
			return 'connection refused';
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return 'the name does not resolve (no DNS?)';
		case 'ENETUNREACH':
		case 'EHOSTUNREACH':
			return 'no route to it (offline?)';
		case 'ETIMEDOUT':
			return 'timed out';
		default:
			return error.code ?? error.message;
	}
}

/** The https proxy the downloads would go through (git, npm and curl honour these variables). */
export function proxyOf(env: NodeJS.ProcessEnv): string | undefined {
	return env.https_proxy || env.HTTPS_PROXY || env.all_proxy || env.ALL_PROXY || undefined;
}

/** Every target checked at once; a host behind a proxy is checked as the proxy. */
export async function checkNetwork(targets: readonly NetworkTarget[], options: {timeoutMs: number; env?: NodeJS.ProcessEnv}): Promise<Reach[]> {
	const proxy = proxyOf(options.env ?? process.env);
	const proxied = proxy ? endpoint(proxy) : undefined;
	return Promise.all(
		targets.flatMap((target) => {
			const end = endpoint(target.url);
			if (!end) return [];
			const through = proxied && /^https?:/.test(target.url) ? proxied : undefined;
			const checked = through ?? end;
			return [probe(checked.host, checked.port, options.timeoutMs).then((result) => ({...target, ...end, ...result, ...(through ? {via: `${through.host}:${through.port}`} : {})}))];
		}),
	);
}

/** npm's registry: npm_config_registry when set, else `npm config get registry`, else the public registry. */
export async function npmRegistry(env: NodeJS.ProcessEnv = process.env): Promise<string> {
	const configured = env.npm_config_registry || env.NPM_CONFIG_REGISTRY;
	if (configured) return configured;
	const result = await runCommand(['npm', 'config', 'get', 'registry'], {timeoutMs: 3000, env});
	const value = result.code === 0 ? result.stdout.trim() : '';
	return /^https?:\/\//.test(value) ? value : defaultRegistry;
}

type PlanStep = {id: string; action: 'run' | 'skip'; capabilities: readonly string[]};

/** Whether a step of the recipe `recipe` that will run needs the network (sources: the manifest; payload: npm). */
export function downloads(steps: readonly PlanStep[], recipe: 'sources' | 'payload'): boolean {
	return steps.some((step) => step.action === 'run' && step.capabilities.includes('network') && step.id.startsWith(`${recipe}.`));
}

/**
 * The hosts the steps that will run need: the manifest (and the mirror) when a sources step downloads, the npm
 * registry when a payload step does. Steps that do not run need nothing.
 */
export function networkTargets(steps: readonly PlanStep[], values: ReadonlyMap<string, string>, registry: string | undefined): NetworkTarget[] {
	const targets: NetworkTarget[] = [];
	if (downloads(steps, 'sources')) {
		const manifest = values.get('manifest_url');
		// The sync fetches the manifest through the mirror when one covers it: that is the host it needs.
		const fetched = manifest ? mirrorUrl(manifest, mirrorRules(values.get('mirror'))) : undefined;
		if (manifest && fetched === manifest) targets.push({what: 'manifest_url', url: manifest});
		for (const rule of (values.get('mirror') ?? '').split(/\s+/).filter(Boolean)) {
			const url = rule.includes('=') ? rule.slice(rule.indexOf('=') + 1) : rule;
			if (endpoint(url)) targets.push({what: 'mirror', url});
		}
	}
	if (registry && downloads(steps, 'payload')) targets.push({what: 'npm registry', url: registry});
	return targets;
}

/** The mirror rules, or none when the value is not valid (the plan reports that value on its own). */
function mirrorRules(value: string | undefined): MirrorRule[] {
	try {
		return parseMirrors(value);
	} catch {
		return [];
	}
}

/** One line per host that cannot be reached. */
export function unreachableLines(reaches: readonly Reach[]): string[] {
	return reaches.filter((reach) => !reach.ok).map((reach) => `${reach.host}:${reach.port} (${reach.what}) cannot be reached${reach.via ? ` through the proxy ${reach.via}` : ''}: ${reach.error ?? 'unknown error'}`);
}
