// Gathers the host facts: every section in parallel, each command bounded by its timeout, a section that fails or
// hangs recorded instead of stopping the others. Together with the section modules (gather-machine, gather-virt,
// gather-python, gather-software) this is the only part of doctor that touches the host.
import {resolve} from 'node:path';
import {factSections, FACTS_VERSION, type FactSection, type HostFacts} from './facts.js';
import type {GatherContext} from './gather-kit.js';
import {gatherCpu, gatherDisk, gatherHost, gatherMemory, gatherOs, gatherUser} from './gather-machine.js';
import {gatherPython} from './gather-python.js';
import {gatherPackages, gatherPrivileges, gatherTools} from './gather-software.js';
import {gatherEnvironment, gatherIommu, gatherKvm} from './gather-virt.js';

export const defaultTimeoutMs = 5000;

export type GatherOptions = {
	workspace: string;
	timeoutMs?: number;
	env?: NodeJS.ProcessEnv;
	/** Gather only these sections (the rest stays as in `previous`). */
	only?: readonly FactSection[];
	previous?: HostFacts;
	/** Told when gathering starts and after each section (what is done, what still runs). */
	onProgress?: (progress: GatherProgress) => void;
};

export type GatherProgress = {total: number; done: FactSection[]; running: FactSection[]};

const gatherers: Record<FactSection, (context: GatherContext) => Promise<Partial<HostFacts>>> = {
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
	const context: GatherContext = {workspace: resolve(options.workspace), timeoutMs, env: options.env ?? process.env, records: {}};
	// The python section runs the slowest command: start it first so the other spawns overlap with it.
	const sections = [...(options.only ?? factSections)].sort((a, b) => Number(b === 'python') - Number(a === 'python'));
	const done: FactSection[] = [];
	const report = () => options.onProgress?.({total: sections.length, done: [...done], running: factSections.filter((section) => sections.includes(section) && !done.includes(section))});
	report();
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
				done.push(section);
				report();
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
