// The software sections of the facts: installed apt packages (dpkg), the tools doctor checks (path, `--version`,
// whether it runs), and root or password-less sudo.
import type {HostFacts, ToolFact, ToolName} from './facts.js';
import {toolNames} from './facts.js';
import {parseDpkgList, parseVersion} from './fact-parsers.js';
import {run, type GatherContext} from './gather-kit.js';
import {which} from './run.js';
import {isRoot} from './user.js';

export async function gatherPackages(context: GatherContext): Promise<Pick<HostFacts, 'packages'>> {
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

async function gatherTool(context: GatherContext, tool: ToolName): Promise<ToolFact> {
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

export async function gatherTools(context: GatherContext): Promise<Pick<HostFacts, 'tools'>> {
	const entries = await Promise.all(toolNames.map(async (tool) => [tool, await gatherTool(context, tool)] as const));
	return {tools: Object.fromEntries(entries) as Record<ToolName, ToolFact>};
}

export async function gatherPrivileges(context: GatherContext): Promise<Pick<HostFacts, 'privileges'>> {
	const root = isRoot();
	const sudo = which('sudo', context.env.PATH);
	let nonInteractive = root;
	if (!root && sudo) {
		const result = await run(context, [sudo, '-n', 'true']);
		nonInteractive = result.code === 0;
	}
	return {privileges: {root, sudoPresent: sudo !== null, sudoNonInteractive: nonInteractive}};
}
