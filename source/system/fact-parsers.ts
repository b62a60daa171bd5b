// Parsers of what the host reports (/proc/cpuinfo, /proc/meminfo, os-release, dpkg-query, `--version` output):
// pure functions of text, so recorded outputs test them.
import type {CpuFacts, HostFacts} from './facts.js';

export function parseCpuinfo(text: string): CpuFacts {
	const blocks = text.split(/\n\s*\n/).filter((block) => block.trim().length > 0);
	const first = new Map<string, string>();
	for (const line of (blocks[0] ?? '').split('\n')) {
		const colon = line.indexOf(':');
		if (colon > 0) first.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
	}
	const cores = (text.match(/^processor\s*:/gm) ?? []).length || 1;
	const vendorId = first.get('vendor_id') ?? (first.has('CPU implementer') ? `implementer ${first.get('CPU implementer')}` : null);
	const flagsText = first.get('flags') ?? first.get('Features') ?? '';
	const vendor = first.get('vendor_id') === 'GenuineIntel'
		? 'intel'
		: first.get('vendor_id') === 'AuthenticAMD'
			? 'amd'
			: first.has('CPU implementer') || first.has('Features')
				? 'arm'
				: 'other';
	return {
		vendor,
		vendorId,
		model: first.get('model name') ?? first.get('CPU part') ?? null,
		cores,
		flags: flagsText.split(/\s+/).filter(Boolean),
	};
}

export function parseMeminfo(text: string): {totalMiB: number; availableMiB: number} | null {
	const value = (key: string) => {
		const match = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
		return match ? Number(match[1]) : undefined;
	};
	const total = value('MemTotal');
	if (total === undefined) return null;
	const available = value('MemAvailable') ?? (value('MemFree') ?? 0) + (value('Cached') ?? 0);
	return {totalMiB: Math.round(total / 1024), availableMiB: Math.round(available / 1024)};
}

export function parseOsRelease(text: string): NonNullable<HostFacts['os']> {
	const values = new Map<string, string>();
	for (const line of text.split('\n')) {
		const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
		if (match) values.set(match[1]!, match[2]!.replace(/^(["'])(.*)\1$/, '$2'));
	}
	return {
		id: values.get('ID') ?? null,
		idLike: (values.get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean),
		versionId: values.get('VERSION_ID') ?? null,
		prettyName: values.get('PRETTY_NAME') ?? null,
		codename: values.get('VERSION_CODENAME') ?? null,
	};
}

export function parseDpkgList(text: string, nativeArch: string | null): Record<string, string> {
	const installed: Record<string, string> = {};
	for (const line of text.split('\n')) {
		const [rawName, version, status] = line.split('\t');
		if (!rawName || !status || !status.startsWith('ii')) continue;
		const colon = rawName.indexOf(':');
		const qualifier = colon === -1 ? null : rawName.slice(colon + 1);
		const name = qualifier === null || qualifier === nativeArch || qualifier === 'all' ? rawName.slice(0, colon === -1 ? undefined : colon) : rawName;
		installed[name] = version ?? '';
	}
	return installed;
}

export function parseVersion(tool: string, output: string): string | null {
	const patterns: Record<string, RegExp> = {
		repo: /repo launcher version\s+(\d+(?:\.\d+)+)/,
		dtc: /DTC\s+v?(\d+(?:\.\d+)+)/,
		'qemu-system-aarch64': /version\s+(\d+(?:\.\d+)+)/,
		'qemu-system-x86_64': /version\s+(\d+(?:\.\d+)+)/,
		ghc: /version\s+(\d+(?:\.\d+)+)/,
		stack: /Version\s+(\d+(?:\.\d+)+)/i,
	};
	const match = (patterns[tool] ?? /(\d+\.\d+(?:\.\d+)*)/).exec(output);
	return match ? match[1]! : null;
}
