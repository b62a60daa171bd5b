// Probes: pure functions of the host facts. Each returns one check with a status, a one-line summary, a hint
// and, where one exists, the exact fix. Which checks are required follows from the platforms and target chosen.
import {join} from 'node:path';
import {venvDirName} from '../system/gather-python.js';
import type {HostFacts, ToolName} from '../system/facts.js';
import {foreignArchitectures, groupNeeds, packageGroups, toolPackages, type PackageGroup} from './packages.js';
import {platformIds as allPlatforms} from '../platforms.js';
import type {CheckResult, CheckStatus, Fix, Need, ProbeOptions} from './types.js';
import {apt, armRun, buildBoth, mib, unknown, x86Run, type Draft, type Probe} from './probe-kit.js';
import {cpuVirtProbe, kvmDeviceProbe, kvmAccessProbe, kvmNestedProbe, environmentProbe, iommuProbe} from './virt-probes.js';

export const minTotalMiB = 4096;
export const goodTotalMiB = 8192;
export const minFreeMiB = 10 * 1024;
export const goodFreeMiB = 25 * 1024;

const osProbe: Probe = (facts) => {
	const base = {id: 'os', group: 'system' as const, title: 'Operating system', needs: buildBoth};
	if (!facts.os) return {...base, status: 'warn', summary: 'unknown (no /etc/os-release)', hint: 'upstream documents Ubuntu 22.04 for CAmkES'};
	const {id, versionId, prettyName} = facts.os;
	const name = prettyName ?? `${id ?? '?'} ${versionId ?? ''}`.trim();
	if (id === 'ubuntu' && versionId === '22.04') return {...base, status: 'pass', summary: `${name} (upstream's CAmkES target)`};
	if (id === 'ubuntu' && versionId === '20.04')
		return {...base, status: 'warn', summary: `${name}: upstream documents 20.04 for seL4 only, 22.04 for CAmkES`, hint: 'expect to fix version differences yourself; Ubuntu 22.04 is what upstream tests CAmkES on'};
	const family = id === 'debian' || id === 'ubuntu' || facts.os.idLike.includes('debian') || facts.os.idLike.includes('ubuntu');
	return {
		...base,
		status: 'warn',
		summary: `${name}: not a documented host (upstream: Ubuntu 22.04 for CAmkES, 20.04/22.04 for seL4)`,
		hint: family
			? 'Debian-family systems usually work (upstream\'s containers are Debian); package names may differ'
			: 'doctor checks packages with dpkg only; install the equivalents of the listed packages with your package manager',
	};
};

const archProbe: Probe = (facts, options) => {
	const arch = facts.host.arch;
	const base = {id: 'host-arch', group: 'system' as const, title: 'Host architecture', needs: buildBoth};
	if (arch === 'x86_64') return {...base, status: 'pass', summary: 'x86_64'};
	if (arch === 'aarch64') {
		const x86 = options.platforms.includes('x86_64');
		return {
			...base,
			status: x86 ? 'warn' : 'pass',
			summary: x86 ? 'aarch64: qemu-arm-virt builds natively; x86_64 needs x86-64 cross compilers doctor does not check' : 'aarch64 (native compilers for qemu-arm-virt)',
			...(x86 ? {hint: 'upstream\'s arm64 container installs gcc-x86-64-linux-gnu and gcc-i686-linux-gnu for x86 builds'} : {}),
		};
	}
	return {...base, status: 'fail', summary: `${arch}: seL4 builds are documented on x86_64 (and aarch64) hosts only`};
};

const memoryProbe: Probe = (facts) => {
	const base = {id: 'memory', group: 'system' as const, title: 'Memory', needs: [...buildBoth, armRun, x86Run]};
	if (!facts.memory) return unknown(base.id, base.group, base.title, 'memory', facts, base.needs);
	const {totalMiB, availableMiB} = facts.memory;
	const summary = `${mib(totalMiB)} total, ${mib(availableMiB)} available`;
	if (totalMiB < minTotalMiB)
		return {...base, status: 'fail', summary, hint: `the build and a QEMU guest need at least ${mib(minTotalMiB)} (QEMU alone takes 2 GiB for qemu-arm-virt)`};
	if (totalMiB < goodTotalMiB || availableMiB < 2048)
		return {...base, status: 'warn', summary, hint: `${mib(goodTotalMiB)} total and 2 GiB free make builds with -j2 and a 2 GiB QEMU guest comfortable`};
	return {...base, status: 'pass', summary};
};

const diskProbe: Probe = (facts) => {
	const base = {id: 'disk', group: 'system' as const, title: 'Free disk at the workspace', needs: buildBoth};
	if (!facts.disk) return unknown(base.id, base.group, base.title, 'disk', facts, base.needs);
	const {freeMiB, checkedPath, path} = facts.disk;
	const where = checkedPath === path ? path : `${path} (checked at ${checkedPath})`;
	const summary = `${mib(freeMiB)} free at ${where}`;
	if (freeMiB < minFreeMiB)
		return {...base, status: 'fail', summary, hint: `sources, the stack/GHC download and builds need about ${mib(minFreeMiB)}; free space or use --workspace on a larger disk`};
	if (freeMiB < goodFreeMiB) return {...base, status: 'warn', summary, hint: `${mib(goodFreeMiB)} leaves room for several builds and models`};
	return {...base, status: 'pass', summary};
};

/** The package groups of this host's architecture, required or recommended. */
function hostGroups(facts: HostFacts, required: boolean): PackageGroup[] {
	return packageGroups.filter((group) => group.required === required && (!group.hostArch || group.hostArch.includes(facts.host.arch)));
}

function missingIn(facts: HostFacts, groups: readonly PackageGroup[]): {missing: string[]; reasons: string[]} {
	const installed = facts.packages?.installed ?? {};
	const missing: string[] = [];
	const reasons: string[] = [];
	for (const group of groups) {
		const absent = group.packages.filter((name) => !(name in installed));
		if (absent.length > 0) {
			missing.push(...absent);
			reasons.push(group.reason);
		}
	}
	return {missing: [...new Set(missing)], reasons};
}

/**
 * The required groups by what they are needed for, one check each: a missing package then blocks only the verdicts
 * of the platforms (and stages) that need it, and a platform's packages are skipped when it was not chosen.
 */
function packageScopes(facts: HostFacts): Array<{id: string; title: string; needs: Need[]; groups: PackageGroup[]}> {
	const scopes = new Map<string, {id: string; title: string; needs: Need[]; groups: PackageGroup[]}>();
	for (const group of hostGroups(facts, true)) {
		const needs = groupNeeds(group);
		const key = needs.join(' ');
		const scope = scopes.get(key) ?? {...scopeNames(group), needs, groups: []};
		scope.groups.push(group);
		scopes.set(key, scope);
	}
	return [...scopes.values()];
}

function scopeNames(group: PackageGroup): {id: string; title: string} {
	const all = allPlatforms.every((platform) => group.platforms.includes(platform));
	const stage = group.stage ?? 'build';
	const which = all ? '' : group.platforms.join(' and ');
	const title = {
		build: `Required apt packages${which ? ` for ${which}` : ''}`,
		run: `Apt packages to run ${which || 'it'} in QEMU`,
		usb: `Apt packages for a USB stick${which ? ` (${which})` : ''}`,
	}[stage];
	return {id: ['packages', ...(all ? [] : group.platforms), ...(stage === 'build' ? [] : [stage])].join('-'), title};
}

function aptFix(facts: HostFacts, missing: string[], description: string): Fix {
	const foreign = foreignArchitectures(missing).filter((arch) => !facts.packages?.foreignArchs.includes(arch));
	const fix = apt(missing, description);
	if (foreign.length > 0) {
		fix.commands = [...foreign.map((arch) => ['dpkg', '--add-architecture', arch]), ['apt-get', 'update'], ...fix.commands];
	}
	return fix;
}

const packagesProbe: Probe = (facts) => {
	const scopes = packageScopes(facts);
	if (!facts.packages || facts.packages.manager === null) {
		const base = {id: 'packages', group: 'packages' as const, title: 'Required apt packages', needs: [...new Set(scopes.flatMap((scope) => scope.needs))]};
		if (!facts.packages) return unknown(base.id, base.group, base.title, 'packages', facts, base.needs);
		return {...base, status: 'warn', summary: 'no dpkg: cannot check packages on this system', hint: 'install the equivalents of the packages in docs/doctor.md (Host packages) yourself'};
	}
	return scopes.map(({groups, ...base}): Draft => {
		const {missing, reasons} = missingIn(facts, groups);
		const names = [...new Set(groups.flatMap((group) => group.packages))];
		if (missing.length === 0) return {...base, group: 'packages', status: 'pass', summary: names.length === 1 ? `${names[0]} installed` : `all ${names.length} installed`};
		return {
			...base,
			group: 'packages',
			status: 'fail',
			summary: `${missing.length} missing: ${missing.join(' ')}`,
			hint: `needed for: ${reasons.join('; ')}`,
			fix: aptFix(facts, missing, `install ${missing.length} package${missing.length === 1 ? '' : 's'}`),
		};
	});
};

const recommendedProbe: Probe = (facts, options) => {
	const base = {id: 'packages-recommended', group: 'packages' as const, title: 'Recommended apt packages', needs: [] as Need[]};
	if (!facts.packages || facts.packages.manager === null) return {...base, status: 'skip', summary: 'no package list'};
	const groups = hostGroups(facts, false).filter(
		(group) => group.platforms.some((platform) => options.platforms.includes(platform)) && (group.stage !== 'usb' || options.target === 'usb'),
	);
	const {missing, reasons} = missingIn(facts, groups);
	if (missing.length === 0) return {...base, status: 'pass', summary: 'all installed'};
	return {
		...base,
		status: 'warn',
		summary: `not installed: ${missing.join(' ')}`,
		hint: `not needed to build: ${reasons.join('; ')}`,
		fix: aptFix(facts, missing, 'install the recommended packages'),
	};
};

const pythonProbe: Probe = (facts) => {
	const base = {id: 'python3', group: 'python' as const, title: 'python3', needs: buildBoth};
	if (facts.gather.python && facts.gather.python.status !== 'ok') return unknown(base.id, base.group, base.title, 'python', facts, base.needs);
	const python = facts.python;
	if (!python?.path) return {...base, status: 'fail', summary: 'python3 not found on PATH', fix: apt(['python3-dev', 'python3-pip', 'python3-venv'], 'install python3')};
	if (!python.version) return {...base, status: 'fail', summary: `${python.path} did not run`};
	const [major, minor] = python.version.split('.').map(Number);
	if (major !== 3 || (minor ?? 0) < 8) return {...base, status: 'fail', summary: `${python.path} is Python ${python.version}; 3.8 or newer is needed`};
	const managed = python.externallyManaged ? ', externally managed (pip needs a venv)' : '';
	return {...base, status: 'pass', summary: `Python ${python.version} at ${python.executable ?? python.path}${python.inVenv ? ' (venv)' : ''}${managed}`};
};

const pythonIsPython3Probe: Probe = (facts) => {
	const base = {id: 'python-is-python3', group: 'python' as const, title: '`python` runs Python 3', needs: [] as Need[]};
	if (facts.pythonIsPython3) return {...base, status: 'pass', summary: 'yes'};
	return {
		...base,
		status: 'warn',
		summary: facts.pythonIsPython3 === null ? 'unknown' : '`python` is missing or not Python 3',
		hint: 'upstream installs python-is-python3; some scripts still call `python`',
		fix: apt(['python-is-python3'], 'make `python` run python3'),
	};
};

const pythonModulesProbe: Probe = (facts) => {
	const base = {id: 'python-modules', group: 'python' as const, title: 'Python modules (sel4-deps, camkes-deps)', needs: buildBoth};
	if (facts.gather.python && facts.gather.python.status !== 'ok') return unknown(base.id, base.group, base.title, 'python', facts, base.needs);
	const python = facts.python;
	const missingIn = (p: HostFacts['python']) => (p ? Object.entries(p.modules).filter(([, found]) => !found).map(([name]) => name) : null);
	const missing = missingIn(python);
	const venvMissing = missingIn(facts.venv);
	const versions = (p: NonNullable<HostFacts['python']>) =>
		Object.entries(p.distributions)
			.filter(([, version]) => version)
			.map(([name, version]) => `${name} ${version}`)
			.join(', ');
	if (python && missing && missing.length === 0) return {...base, status: 'pass', summary: `all found by ${python.path}${versions(python) ? ` (${versions(python)})` : ''}`};
	const venvDir = join(facts.workspace, venvDirName);
	if (facts.venv && venvMissing && venvMissing.length === 0)
		return {
			...base,
			status: 'warn',
			summary: `found in the venv ${venvDir}, not by ${python?.path ?? 'python3'} on PATH`,
			hint: `activate it before building by hand: . ${venvDir}/bin/activate (sel4-llm's recipes use it directly)`,
		};
	const list = missing ?? Object.keys(facts.venv?.modules ?? {});
	const summary = python ? `${python.path} cannot import: ${(missing ?? []).join(', ')}` : 'no python3 to import them';
	const managed = Boolean(python?.externallyManaged && !python.inVenv);
	const fix: Fix = managed
		? {
				commands: [
					['python3', '-m', 'venv', venvDir],
					[join(venvDir, 'bin', 'python3'), '-m', 'pip', 'install', 'setuptools', 'sel4-deps', 'camkes-deps'],
				],
				sudo: false,
				description: `create a Python venv at ${venvDir} and install sel4-deps and camkes-deps into it (this Python is externally managed)`,
				affects: ['python'],
			}
		: {
				commands: [['python3', '-m', 'pip', 'install', ...(python?.inVenv ? [] : ['--user']), 'setuptools', 'sel4-deps', 'camkes-deps']],
				sudo: false,
				description: 'install sel4-deps and camkes-deps with pip',
				affects: ['python'],
			};
	return {
		...base,
		status: 'fail',
		summary: list.length > 0 || !python ? summary : 'modules not found',
		hint: 'the pip packages sel4-deps and camkes-deps bring pyfdt, plyplus, aenum, jinja2, ply and pyelftools',
		...(python ? {fix} : {}),
	};
};

function toolCheck(facts: HostFacts, tool: ToolName, title: string, checkNeeds: Need[], extra?: (version: string | null) => Draft | undefined): Draft {
	const base = {id: `tool-${tool}`, group: 'tools' as const, title, needs: checkNeeds};
	if (!facts.tools) return unknown(base.id, base.group, base.title, 'tools', facts, base.needs);
	const fact = facts.tools[tool];
	const pkg = toolPackages[tool];
	const fix = pkg ? apt([pkg], `install ${pkg}`) : undefined;
	if (!fact.path) return {...base, status: 'fail', summary: 'not found on PATH', ...(fix ? {fix} : {})};
	if (!fact.runs) return {...base, status: 'fail', summary: `${fact.path} does not run: ${fact.detail ?? 'no output'}`, ...(fix ? {fix} : {})};
	const custom = extra?.(fact.version);
	if (custom) return custom;
	return {...base, status: 'pass', summary: `${fact.version ?? 'version unknown'} (${fact.path})`};
}

export function compareVersions(a: string, b: string): number {
	const left = a.split('.').map(Number);
	const right = b.split('.').map(Number);
	for (let index = 0; index < Math.max(left.length, right.length); index++) {
		const difference = (left[index] ?? 0) - (right[index] ?? 0);
		if (difference !== 0) return difference;
	}
	return 0;
}

const toolsProbe: Probe = (facts) => {
	const results: Draft[] = [
		toolCheck(facts, 'git', 'git', buildBoth),
		toolCheck(facts, 'cmake', 'cmake', buildBoth),
		toolCheck(facts, 'ninja', 'ninja', buildBoth),
		toolCheck(facts, 'dtc', 'dtc (device tree compiler)', buildBoth),
		toolCheck(facts, 'stack', 'Haskell stack (builds capDL-tool)', buildBoth),
		toolCheck(facts, 'aarch64-linux-gnu-gcc', 'AArch64 cross compiler', ['qemu-arm-virt:build']),
		toolCheck(facts, 'qemu-system-aarch64', 'qemu-system-aarch64 (>= 3.1)', ['qemu-arm-virt:build', armRun], (version) =>
			version && compareVersions(version, '3.1') < 0
				? {
						id: 'tool-qemu-system-aarch64',
						group: 'tools',
						title: 'qemu-system-aarch64 (>= 3.1)',
						needs: ['qemu-arm-virt:build', armRun],
						status: 'fail',
						summary: `QEMU ${version}: qemu-arm-virt needs 3.1 or newer at configure time`,
						fix: apt(['qemu-system-arm'], 'install a newer qemu-system-arm'),
					}
				: undefined,
		),
		toolCheck(facts, 'qemu-system-x86_64', 'qemu-system-x86_64', [x86Run]),
	];
	// repo: a launcher that starts is what counts (an old Python 2 launcher fails with a SyntaxError).
	const repo = toolCheck(facts, 'repo', 'repo (Google\'s manifest tool)', buildBoth);
	if (repo.status === 'fail' && facts.user) {
		const bin = join(facts.user.home, '.local', 'bin');
		const target = join(bin, 'repo');
		const onPath = facts.user.pathDirs.includes(bin);
		repo.hint = `install the current launcher${onPath ? '' : `, then add ${bin} to PATH`}`;
		repo.fix = {
			commands: [
				['mkdir', '-p', bin],
				['curl', '-fsSL', '-o', target, 'https://storage.googleapis.com/git-repo-downloads/repo'],
				['chmod', 'a+rx', target],
			],
			sudo: false,
			description: `download the repo launcher to ${target}${onPath ? '' : ` (add ${bin} to PATH afterwards)`}`,
			affects: ['tools'],
		};
	}
	// The built-in sync fetches the manifest with plain git; repo is only needed with --set sync=repo.
	repo.needs = [];
	if (repo.status === 'fail') repo.summary = `${repo.summary} (needed only for --set sync=repo; the built-in sync uses git)`;
	results.splice(4, 0, repo);
	const stack = results.find((check) => check.id === 'tool-stack')!;
	if (stack.status === 'fail' && facts.tools?.ghc.path) stack.hint = `ghc ${facts.tools.ghc.version ?? ''} alone is not enough: capDL-tool is built with stack`.replace('  ', ' ');
	return results;
};

const sudoProbe: Probe = (facts) => {
	const base = {id: 'sudo', group: 'privileges' as const, title: 'Root for fixes (sudo -n)', needs: [] as Need[]};
	const privileges = facts.privileges;
	if (!privileges) return {...base, status: 'warn', summary: 'unknown'};
	if (privileges.root) return {...base, status: 'pass', summary: 'running as root'};
	if (privileges.sudoNonInteractive) return {...base, status: 'pass', summary: 'sudo works without a password prompt'};
	if (privileges.sudoPresent)
		return {...base, status: 'warn', summary: 'sudo needs a password: `doctor --fix` prints root commands for you to run', hint: 'run `sudo -v` first to let `doctor --fix` run them'};
	return {...base, status: 'warn', summary: 'no sudo: run the root commands of `doctor --fix` as root yourself'};
};

export const probes: readonly Probe[] = [
	osProbe,
	archProbe,
	memoryProbe,
	diskProbe,
	cpuVirtProbe,
	kvmDeviceProbe,
	kvmAccessProbe,
	kvmNestedProbe,
	environmentProbe,
	iommuProbe,
	packagesProbe,
	recommendedProbe,
	pythonProbe,
	pythonIsPython3Probe,
	pythonModulesProbe,
	toolsProbe,
	sudoProbe,
];

/** The capabilities whose checks are required: build for every platform chosen, plus the target's stage. */
export function requiredNeeds(options: ProbeOptions): Set<Need> {
	const set = new Set<Need>();
	for (const platform of options.platforms) {
		set.add(`${platform}:build`);
		if (platform === 'qemu-arm-virt' || options.target === 'qemu') set.add(`${platform}:run`);
		if (platform === 'x86_64' && options.target === 'usb') set.add(`${platform}:usb`);
	}
	return set;
}

/** Runs every probe. Checks needed by none of the chosen platforms are skipped. */
export function runProbes(facts: HostFacts, options: ProbeOptions): CheckResult[] {
	const required = requiredNeeds(options);
	const chosen = (need: Need) => options.platforms.some((platform) => need.startsWith(`${platform}:`));
	return probes
		.flatMap((probe) => probe(facts, options))
		.map((draft) => {
			const relevant = draft.needs.length === 0 || draft.needs.some(chosen);
			const status: CheckStatus = relevant ? draft.status : 'skip';
			const result: CheckResult = {
				...draft,
				status,
				summary: relevant ? draft.summary : `not needed for ${options.platforms.join(', ')}`,
				required: draft.needs.some((need) => required.has(need)),
			};
			if (!relevant) {
				delete result.fix;
				delete result.hint;
			}
			return result;
		});
}

export {allPlatforms};
