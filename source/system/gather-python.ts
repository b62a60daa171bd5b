// The Python section of the facts: python3 on PATH and the workspace's venv (version, venv, PEP 668, the modules
// the seL4 and CAmkES builds import, the pip distributions that bring them), and whether `python` is Python 3.
import {promises as fs} from 'node:fs';
import {join} from 'node:path';
import type {HostFacts, PythonFacts} from './facts.js';
import {exists, run, type GatherContext} from './gather-kit.js';
import {which} from './run.js';

/** Python modules the seL4 and CAmkES builds import (pyelftools installs `elftools`). */
export const pythonModules = ['pyfdt', 'plyplus', 'aenum', 'jinja2', 'ply', 'elftools', 'sortedcontainers', 'ordered_set'];
/** pip distributions that bring them. */
export const pipDistributions = ['sel4-deps', 'camkes-deps'];

export const venvDirName = 'python-venv';

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

async function probePython(context: GatherContext, path: string | null): Promise<PythonFacts | null> {
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

export async function gatherPython(context: GatherContext): Promise<Pick<HostFacts, 'python' | 'venv' | 'pythonIsPython3'>> {
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
