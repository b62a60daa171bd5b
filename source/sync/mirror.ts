// Mirrors for the sync: where to fetch a project whose manifest names an upstream URL. A manifest mirror given
// with --manifest-url covers only the remotes with relative fetch URLs (seL4's own); projects on absolute
// remotes (picotcp, polly, libzmq, lwip) keep pointing at GitHub and Savannah. A mirror rule rewrites any URL:
//   PREFIX=REPLACEMENT   a URL that starts with PREFIX is fetched from REPLACEMENT + the rest (git's insteadOf)
//   BASE                 scheme://host/path (or user@host:path) is fetched from BASE/host/path
// The lock file keeps the upstream URLs, so it stays valid on a machine without the mirror.
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {UsageError} from '../errors.js';
import {gitValueProblem} from '../system/untrusted.js';

export type MirrorRule = {kind: 'prefix'; from: string; to: string} | {kind: 'base'; base: string};

const schemeUrl = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(?:[^@/]*@)?([^/]*)\/?(.*)$/;
const scpUrl = /^(?:[^@/:]+@)?([^/:]+):(?!\/\/)(.*)$/;

function checked(value: string, what: string): string {
	const problem = gitValueProblem(value, 'url');
	if (problem) throw new UsageError(`the mirror ${what} "${value}" ${problem}`, {hint: mirrorHelp});
	return value;
}

export const mirrorHelp = 'give PREFIX=REPLACEMENT (for example https://github.com/=file:///srv/mirror/github/) or BASE, a URL or directory holding BASE/<host>/<path> (for example file:///srv/mirror)';

/** Parses one rule or a whitespace-separated list of rules; an empty value means no mirror. */
export function parseMirrors(spec: string | undefined): MirrorRule[] {
	if (!spec) return [];
	return spec
		.split(/\s+/)
		.filter(Boolean)
		.map((rule): MirrorRule => {
			const equals = rule.indexOf('=');
			if (equals >= 0) {
				const from = rule.slice(0, equals);
				const to = rule.slice(equals + 1);
				if (!from || !to) throw new UsageError(`the mirror rule "${rule}" needs a prefix before "=" and a replacement after it`, {hint: mirrorHelp});
				return {kind: 'prefix', from: checked(from, 'prefix'), to: checked(to, 'replacement')};
			}
			const base = rule.startsWith('/') ? `file://${rule}` : rule;
			if (!schemeUrl.test(base)) throw new UsageError(`the mirror base "${rule}" is neither a URL nor an absolute directory`, {hint: mirrorHelp});
			return {kind: 'base', base: checked(base.replace(/\/+$/, ''), 'base')};
		});
}

/** The host and path of a network URL (not file:// and not a local path), or undefined. */
function hostAndPath(url: string): {host: string; path: string} | undefined {
	const scheme = schemeUrl.exec(url);
	if (scheme) return scheme[1]!.toLowerCase() === 'file' || !scheme[2] ? undefined : {host: scheme[2].replace(/:\d+$/, ''), path: scheme[3]!};
	if (url.startsWith('/') || url.startsWith('.')) return undefined;
	const scp = scpUrl.exec(url);
	return scp ? {host: scp[1]!, path: scp[2]!.replace(/^\/+/, '')} : undefined;
}

/** For a local base: the path as it exists, with or without ".git", as `git clone --mirror` may name it. */
function existingVariant(url: string): string {
	if (!url.startsWith('file://')) return url;
	const candidates = url.endsWith('.git') ? [url, url.slice(0, -4)] : [url, `${url}.git`];
	for (const candidate of candidates) {
		try {
			if (existsSync(fileURLToPath(candidate))) return candidate;
		} catch {
			return url;
		}
	}
	return url;
}

/**
 * The URL to fetch `url` from: the rule with the longest matching prefix wins (as with git's insteadOf); base
 * rules apply to network URLs no prefix rule matched. Unmatched URLs are returned as they are.
 */
export function mirrorUrl(url: string, rules: MirrorRule[]): string {
	let best: {from: string; to: string} | undefined;
	for (const rule of rules) {
		if (rule.kind === 'prefix' && url.startsWith(rule.from) && (!best || rule.from.length > best.from.length)) best = rule;
	}
	if (best) return best.to + url.slice(best.from.length);
	const base = rules.find((rule) => rule.kind === 'base');
	const parts = hostAndPath(url);
	if (!base || base.kind !== 'base' || !parts) return url;
	return existingVariant(`${base.base}/${parts.host}/${parts.path.replace(/\/+$/, '')}`);
}
