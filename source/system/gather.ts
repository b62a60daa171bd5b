// Gathers the host facts: every file read and command runs in parallel, each command bounded by its timeout.
// This is the only module of doctor that touches the host.
import {constants, promises as fs} from 'node:fs';
import {arch as osArch, homedir, platform as osPlatform, userInfo} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {
	factSections,
	FACTS_VERSION,
	toolNames,
	type CpuFacts,
	type FactSection,
	type GatherRecord,
	type HostFacts,
	type PythonFacts,
	type ToolFact,
	type ToolName,
} from './facts.js';
import {runCommand, which, type RunResult} from './run.js';
import {isRoot} from './user.js';

export const defaultTimeoutMs = 5000;

/** Python modules the seL4 and CAmkES builds import (pyelftools installs `elftools`). */
export const pythonModules = ['pyfdt', 'plyplus', 'aenum', 'jinja2', 'ply', 'elftools', 'sortedcontainers', 'ordered_set'];
/** pip distributions that bring them. */
export const pipDistributions = ['sel4-deps', 'camkes-deps'];

export const venvDirName = 'python-venv';

export type GatherOptions = {
	workspace: string;
	timeoutMs?: number;
	env?: NodeJS.ProcessEnv;
	/** Gather only these sections (the rest stays as in `previous`). */
	only?: readonly FactSection[];
	previous?: HostFacts;
};

type Context = {
	workspace: string;
	timeoutMs: number;
	env: NodeJS.ProcessEnv;
	records: Record<string, GatherRecord & {argv?: string[]}>;
};

async function run(context: Context, argv: string[]): Promise<RunResult> {
	const result = await runCommand(argv, {timeoutMs: context.timeoutMs, env: context.env});
	const words = [argv[0]!.split('/').pop()!, ...argv.slice(1)];
	const key = `command: ${words.map((word) => (word.length > 40 ? `${word.slice(0, 37)}...` : word)).join(' ')}`;
	context.records[key] = {
		status: result.timedOut ? 'timeout' : result.spawnError ? 'error' : 'ok',
		ms: result.ms,
		argv,
		...(result.timedOut
			? {detail: `timed out after ${context.timeoutMs} ms`}
			: result.spawnError
				? {detail: result.spawnError}
				: result.code !== 0
					? {detail: `exit code ${result.code}`}
					: {}),
	};
	return result;
}

async function readText(path: string): Promise<string | null> {
	try {
		return await fs.readFile(path, 'utf8');
	} catch {
		return null;
	}
}

async function exists(path: string): Promise<boolean> {
	try {
		await fs.access(path);
		return true;
	} catch {
		return false;
	}
}

// ---- parsers (pure, exported for tests) ----

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

// ---- sections ----

async function gatherCpu(): Promise<Pick<HostFacts, 'cpu'>> {
	const text = await readText('/proc/cpuinfo');
	return {cpu: text === null ? null : parseCpuinfo(text)};
}

async function gatherMemory(): Promise<Pick<HostFacts, 'memory'>> {
	const text = await readText('/proc/meminfo');
	return {memory: text === null ? null : parseMeminfo(text)};
}

async function gatherHost(): Promise<Pick<HostFacts, 'host'>> {
	const release = await readText('/proc/sys/kernel/osrelease');
	const machine = osArch() === 'x64' ? 'x86_64' : osArch() === 'arm64' ? 'aarch64' : osArch();
	return {host: {arch: machine, kernelRelease: release?.trim() ?? null, platform: osPlatform()}};
}

async function groupNames(): Promise<Map<number, string>> {
	const text = (await readText('/etc/group')) ?? '';
	const map = new Map<number, string>();
	for (const line of text.split('\n')) {
		const [name, , gid] = line.split(':');
		if (name && gid !== undefined && !map.has(Number(gid))) map.set(Number(gid), name);
	}
	return map;
}

async function gatherKvm(): Promise<Pick<HostFacts, 'kvm'>> {
	const device = '/dev/kvm';
	const [stat, accessible, modules, nestedIntel, nestedAmd, groups] = await Promise.all([
		fs.stat(device).catch(() => null),
		fs.access(device, constants.R_OK | constants.W_OK).then(() => true, () => false),
		fs.readdir('/sys/module').then((names) => names.filter((name) => /^kvm(_|$)/.test(name)).sort(), () => [] as string[]),
		readText('/sys/module/kvm_intel/parameters/nested'),
		readText('/sys/module/kvm_amd/parameters/nested'),
		groupNames(),
	]);
	return {
		kvm: {
			devicePresent: stat !== null,
			accessible: stat !== null && accessible,
			deviceGroup: stat ? (groups.get(stat.gid) ?? String(stat.gid)) : null,
			deviceMode: stat ? (stat.mode & 0o777).toString(8).padStart(4, '0') : null,
			modules,
			nestedIntel: nestedIntel?.trim() ?? null,
			nestedAmd: nestedAmd?.trim() ?? null,
		},
	};
}

async function gatherUser(context: Context): Promise<Pick<HostFacts, 'user'>> {
	const groups = await groupNames();
	let name: string;
	try {
		name = userInfo().username;
	} catch {
		name = String(process.getuid?.() ?? '');
	}
	const gids = process.getgroups?.() ?? [];
	const passwd = (await readText('/etc/passwd')) ?? '';
	const primary = passwd
		.split('\n')
		.map((line) => line.split(':'))
		.find((fields) => fields[0] === name)?.[3];
	const groupText = (await readText('/etc/group')) ?? '';
	const configured = new Set<string>();
	if (primary !== undefined && groups.has(Number(primary))) configured.add(groups.get(Number(primary))!);
	for (const line of groupText.split('\n')) {
		const [group, , , members] = line.split(':');
		if (group && members?.split(',').includes(name)) configured.add(group);
	}
	return {
		user: {
			name,
			uid: process.getuid?.() ?? -1,
			home: homedir(),
			groups: [...new Set(gids.map((gid) => groups.get(gid) ?? String(gid)))],
			configuredGroups: [...configured],
			pathDirs: (context.env.PATH ?? '').split(':').filter(Boolean),
		},
	};
}

async function gatherEnvironment(context: Context): Promise<Pick<HostFacts, 'environment'>> {
	const detector = which('systemd-detect-virt', context.env.PATH);
	const [dockerenv, containerenv, cgroup, osrelease, cpuinfo, vendor, product, container, vm] = await Promise.all([
		exists('/.dockerenv'),
		exists('/run/.containerenv'),
		readText('/proc/1/cgroup'),
		readText('/proc/sys/kernel/osrelease'),
		readText('/proc/cpuinfo'),
		readText('/sys/class/dmi/id/sys_vendor'),
		readText('/sys/class/dmi/id/product_name'),
		detector ? run(context, [detector, '--container']) : Promise.resolve(null),
		detector ? run(context, [detector, '--vm']) : Promise.resolve(null),
	]);
	const detected = (result: RunResult | null) => {
		const word = result?.stdout.trim();
		return word && word !== 'none' && !result?.timedOut ? word : null;
	};
	const wsl = /microsoft/i.test(osrelease ?? '');
	let containerName = detected(container);
	if (!containerName) {
		if (dockerenv) containerName = 'docker';
		else if (containerenv) containerName = 'podman';
		else if (/\/(docker|kubepods|lxc|containerd|libpod)/.test(cgroup ?? '')) containerName = /\/(docker|kubepods|lxc|containerd|libpod)/.exec(cgroup!)![1]!;
	}
	if (containerName === 'wsl') containerName = null;
	const hypervisorFlag = /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo ?? '');
	const dmi = [vendor?.trim(), product?.trim()].filter(Boolean).join(' ') || null;
	let vmName = detected(vm);
	if (!vmName && wsl) vmName = 'microsoft';
	if (!vmName && hypervisorFlag) vmName = 'unknown';
	return {environment: {container: containerName, vm: vmName, wsl, hypervisorFlag, dmi}};
}

async function gatherIommu(): Promise<Pick<HostFacts, 'iommu'>> {
	const entries = await fs.readdir('/sys/class/iommu').catch(() => null);
	return {iommu: entries === null ? {entries: []} : {entries: entries.sort()}};
}

async function gatherDisk(context: Context): Promise<Pick<HostFacts, 'disk'>> {
	let checked = resolve(context.workspace);
	while (!(await exists(checked)) && dirname(checked) !== checked) checked = dirname(checked);
	const stats = await fs.statfs(checked);
	const mib = (blocks: number) => Math.floor((blocks * stats.bsize) / (1024 * 1024));
	return {disk: {path: context.workspace, checkedPath: checked, freeMiB: mib(stats.bavail), totalMiB: mib(stats.blocks)}};
}

async function gatherOs(): Promise<Pick<HostFacts, 'os'>> {
	const text = (await readText('/etc/os-release')) ?? (await readText('/usr/lib/os-release'));
	return {os: text === null ? null : parseOsRelease(text)};
}

async function gatherPackages(context: Context): Promise<Pick<HostFacts, 'packages'>> {
	const dpkgQuery = which('dpkg-query', context.env.PATH);
	const dpkg = which('dpkg', context.env.PATH);
	if (!dpkgQuery) return {packages: {manager: null, nativeArch: null, foreignArchs: [], installed: {}}};
	const [list, native, foreign] = await Promise.all([
		run(context, [dpkgQuery, '-W', '-f', '${binary:Package}\\t${Version}\\t${db:Status-Abbrev}\\n']),
		dpkg ? run(context, [dpkg, '--print-architecture']) : Promise.resolve(null),
		dpkg ? run(context, [dpkg, '--print-foreign-architectures']) : Promise.resolve(null),
	]);
	if (list.timedOut || list.spawnError) throw new Error(list.timedOut ? `dpkg-query timed out after ${context.timeoutMs} ms` : list.spawnError);
	const nativeArch = native && native.code === 0 ? native.stdout.trim() || null : null;
	return {
		packages: {
			manager: 'dpkg',
			nativeArch,
			foreignArchs: foreign && foreign.code === 0 ? foreign.stdout.split(/\s+/).filter(Boolean) : [],
			installed: parseDpkgList(list.stdout, nativeArch),
		},
	};
}

const pythonScript = [
	'import sys, os, json, sysconfig, importlib.util',
	'out = {"executable": sys.executable, "version": ".".join(str(p) for p in sys.version_info[:3])}',
	'out["inVenv"] = sys.prefix != getattr(sys, "base_prefix", sys.prefix)',
	'out["externallyManaged"] = (not out["inVenv"]) and os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))',
	'mods = {}',
	'for name in sys.argv[1].split(","):',
	'    try: mods[name] = importlib.util.find_spec(name) is not None',
	'    except Exception: mods[name] = False',
	'out["modules"] = mods',
	'dists = {}',
	'for name in sys.argv[2].split(","):',
	'    try:',
	'        from importlib import metadata',
	'        dists[name] = metadata.version(name)',
	'    except Exception: dists[name] = None',
	'out["distributions"] = dists',
	'print(json.dumps(out))',
].join('\n');

async function probePython(context: Context, path: string | null): Promise<PythonFacts | null> {
	if (!path) return null;
	const result = await run(context, [path, '-c', pythonScript, pythonModules.join(','), pipDistributions.join(',')]);
	if (result.timedOut) throw new Error(`${path} timed out after ${context.timeoutMs} ms`);
	try {
		const parsed = JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as Omit<PythonFacts, 'path'>;
		return {path, ...parsed};
	} catch {
		return {path, executable: null, version: null, inVenv: false, externallyManaged: false, modules: {}, distributions: {}};
	}
}

async function gatherPython(context: Context): Promise<Pick<HostFacts, 'python' | 'venv' | 'pythonIsPython3'>> {
	const venvPython = join(context.workspace, venvDirName, 'bin', 'python3');
	const python = which('python', context.env.PATH);
	// `python` linked to a python3 binary (python-is-python3) needs no process to tell.
	const linked = python ? await fs.realpath(python).then((real) => /\/python3(\.\d+)?$/.test(real), () => false) : false;
	// Asked before any probe starts: a probe that failed while this was awaited would be a rejection nobody handles.
	const hasVenv = await exists(venvPython);
	const [main, venv, plain] = await Promise.all([
		probePython(context, which('python3', context.env.PATH)),
		hasVenv ? probePython(context, venvPython) : Promise.resolve(null),
		python && !linked ? run(context, [python, '--version']) : Promise.resolve(null),
	]);
	const isPython3 = linked || (plain !== null && /Python 3\./.test(plain.stdout + plain.stderr));
	return {python: main, venv, pythonIsPython3: isPython3};
}

async function gatherTool(context: Context, tool: ToolName): Promise<ToolFact> {
	const path = which(tool, context.env.PATH);
	if (!path) return {path: null, version: null, runs: false};
	const result = await run(context, [path, '--version']);
	const output = `${result.stdout}\n${result.stderr}`.trim();
	const firstLine = output.split('\n').find((line) => line.trim().length > 0)?.trim();
	if (result.timedOut) return {path, version: null, runs: false, detail: `timed out after ${context.timeoutMs} ms`};
	if (result.spawnError) return {path, version: null, runs: false, detail: result.spawnError};
	const version = parseVersion(tool, output);
	const runs = result.code === 0 || (tool === 'repo' && version !== null && !/Error|Traceback/.test(output));
	return {path, version, runs, ...(firstLine ? {detail: firstLine.slice(0, 200)} : {})};
}

async function gatherTools(context: Context): Promise<Pick<HostFacts, 'tools'>> {
	const entries = await Promise.all(toolNames.map(async (tool) => [tool, await gatherTool(context, tool)] as const));
	return {tools: Object.fromEntries(entries) as Record<ToolName, ToolFact>};
}

async function gatherPrivileges(context: Context): Promise<Pick<HostFacts, 'privileges'>> {
	const root = isRoot();
	const sudo = which('sudo', context.env.PATH);
	let nonInteractive = root;
	if (!root && sudo) {
		const result = await run(context, [sudo, '-n', 'true']);
		nonInteractive = result.code === 0;
	}
	return {privileges: {root, sudoPresent: sudo !== null, sudoNonInteractive: nonInteractive}};
}

const gatherers: Record<FactSection, (context: Context) => Promise<Partial<HostFacts>>> = {
	host: gatherHost,
	cpu: gatherCpu,
	memory: gatherMemory,
	kvm: gatherKvm,
	user: gatherUser,
	environment: gatherEnvironment,
	iommu: gatherIommu,
	disk: gatherDisk,
	os: gatherOs,
	packages: gatherPackages,
	python: gatherPython,
	tools: gatherTools,
	privileges: gatherPrivileges,
};

const emptySection: Record<FactSection, Partial<HostFacts>> = {
	host: {host: {arch: 'unknown', kernelRelease: null, platform: 'unknown'}},
	cpu: {cpu: null},
	memory: {memory: null},
	kvm: {kvm: null},
	user: {user: null},
	environment: {environment: null},
	iommu: {iommu: null},
	disk: {disk: null},
	os: {os: null},
	packages: {packages: null},
	python: {python: null, venv: null, pythonIsPython3: null},
	tools: {tools: null},
	privileges: {privileges: null},
};

/** Gathers every section in parallel. A section that fails or runs past its timeout is null and recorded in `gather`. */
export async function gatherFacts(options: GatherOptions): Promise<HostFacts> {
	const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
	const context: Context = {workspace: resolve(options.workspace), timeoutMs, env: options.env ?? process.env, records: {}};
	// The python section runs the slowest command: start it first so the other spawns overlap with it.
	const sections = [...(options.only ?? factSections)].sort((a, b) => Number(b === 'python') - Number(a === 'python'));
	const results = await Promise.all(
		sections.map(async (section) => {
			const started = performance.now();
			let timer: NodeJS.Timeout | undefined;
			const deadline = new Promise<never>((_, reject) => {
				// Commands inside a section have their own timeouts; this bounds the section as a whole.
				timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs + 1000} ms`)), timeoutMs + 1000);
			});
			try {
				const value = await Promise.race([gatherers[section](context), deadline]);
				context.records[section] = {status: 'ok', ms: Math.round(performance.now() - started)};
				return value;
			} catch (error) {
				const message = (error as Error).message;
				context.records[section] = {
					status: /timed out/.test(message) ? 'timeout' : 'error',
					ms: Math.round(performance.now() - started),
					detail: message,
				};
				return emptySection[section];
			} finally {
				clearTimeout(timer);
			}
		}),
	);
	const base: HostFacts = options.previous
		? structuredClone(options.previous)
		: ({
				factsVersion: FACTS_VERSION,
				gatheredAt: '',
				workspace: context.workspace,
				...Object.assign({}, ...Object.values(emptySection)),
				gather: {},
			} as HostFacts);
	const facts: HostFacts = Object.assign(base, ...results);
	facts.gatheredAt = new Date().toISOString();
	facts.workspace = context.workspace;
	facts.gather = {...(options.previous?.gather ?? {}), ...context.records};
	return facts;
}
