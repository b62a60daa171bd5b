// `sel4-llm sync`: fetch the seL4 CAmkES-VM sources of a manifest into the workspace with plain git, in
// parallel, and record the exact revisions in a lock file. `--check-build` prints the init-build.sh command
// for a platform/app/target (or refuses a pair upstream rejects) without touching anything.
import {isAbsolute, relative, resolve} from 'node:path';
import {ExitCode, UserError} from '../errors.js';
import {formatCommand} from '../system/quote.js';
import {BuildChoiceError, buildDirName, checkBuildChoice, initBuildCommand} from '../sync/build-commands.js';
import {defaultManifestUrl, syncWorkspace, type SyncEvent} from '../sync/sync.js';
import {parseMirrors} from '../sync/mirror.js';
import {lockWorkspace} from '../engine/workspace-lock.js';
import {stopSignal, stoppedError} from '../system/interrupt.js';
import type {CommandContext} from './context.js';
import {numberOption, stringOption} from './options.js';



function checkBuild(context: CommandContext): number {
	const choice = {
		platform: stringOption(context, 'platform') ?? 'qemu-arm-virt',
		app: stringOption(context, 'app') ?? 'llm_vm',
		target: stringOption(context, 'target') ?? 'qemu',
	};
	try {
		checkBuildChoice(choice);
	} catch (error) {
		if (error instanceof BuildChoiceError) throw new UserError(error.message, {hint: error.hint, exitCode: ExitCode.refused});
		throw error;
	}
	const argv = initBuildCommand(choice);
	const dir = buildDirName(choice.platform, choice.app);
	context.events.result({buildDir: dir, initBuild: argv, build: ['ninja']});
	if (!context.json) context.io.stdout.write(`cd ${dir} && ${formatCommand(argv)} && ninja\n`);
	return ExitCode.ok;
}

function displayPath(path: string): string {
	const rel = relative(process.cwd(), path);
	return rel && !rel.startsWith('..') ? rel : path;
}

function shortPath(path: string, width: number): string {
	return path.length > width ? `…${path.slice(-(width - 1))}` : path.padEnd(width);
}

export async function run(context: CommandContext): Promise<number> {
	if (context.options['check-build']) return checkBuild(context);
	for (const name of ['platform', 'app', 'target']) {
		if (context.options[name] !== undefined) throw new UserError(`--${name} only goes with --check-build`, {nextSteps: ['sel4-llm sync --help']});
	}
	const jobs = numberOption(context, 'jobs')!;
	const retries = numberOption(context, 'retries')!;
	const fromLockRaw = stringOption(context, 'lock');
	const manifestUrlRaw = stringOption(context, 'manifest-url');
	if (fromLockRaw && (manifestUrlRaw || context.options.manifest !== undefined)) {
		throw new UserError('--lock reproduces a lock file and cannot be combined with --manifest-url or --manifest', {nextSteps: ['sel4-llm sync --help']});
	}
	// A local directory given as the manifest URL is used as such (absolute), like git does.
	const manifestUrl = manifestUrlRaw && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(manifestUrlRaw) && (manifestUrlRaw.startsWith('.') || isAbsolute(manifestUrlRaw)) ? resolve(manifestUrlRaw) : manifestUrlRaw;
	const mirrors = parseMirrors(stringOption(context, 'mirror'));
	const workspace = context.workspace;
	const err = context.io.stderr;
	const width = 28;
	const total = {done: 0, failed: 0};
	const onEvent = (event: SyncEvent) => {
		context.events.emit(event);
		if (context.json) return;
		switch (event.type) {
			case 'manifest':
				err.write(
					event.fromLock
						? `Reproducing ${event.projects} projects from ${event.fromLock}\n`
						: `Manifest ${event.file} from ${event.url}${event.via ? ` via ${event.via}` : ''}${event.commit ? ` (${event.commit.slice(0, 12)})` : ''}: ${event.projects} projects, ${jobs} at a time\n`,
				);
				break;
			case 'note':
				err.write(`  note: ${event.message}\n`);
				break;
			case 'project-start':
				err.write(`[${String(event.index).padStart(2)}/${event.total}] ${shortPath(event.path, width)} ${event.what}\n`);
				break;
			case 'project-retry':
				err.write(`[${String(event.index).padStart(2)}/${event.total}] ${shortPath(event.path, width)} retry ${event.attempt} after: ${event.error}\n`);
				break;
			case 'project-done':
				total.done++;
				err.write(
					`[${String(event.index).padStart(2)}/${event.total}] ${shortPath(event.path, width)} ${event.action} ${event.revision.slice(0, 12)}${event.action === 'unchanged' ? '' : ` in ${(event.durationMs / 1000).toFixed(1)} s${event.shallow ? ' (shallow)' : ''}`}\n`,
				);
				break;
			case 'project-fail':
				total.failed++;
				err.write(`[${String(event.index).padStart(2)}/${event.total}] ${shortPath(event.path, width)} FAILED: ${event.error}\n${event.hint ? `        fix: ${event.hint}\n` : ''}`);
				break;
		}
	};
	const signal = stopSignal();
	const lock = lockWorkspace(workspace, 'sync');
	const result = await syncWorkspace({
		workspace,
		...(manifestUrl ? {manifestUrl} : {}),
		manifestFile: stringOption(context, 'manifest') ?? 'default.xml',
		...(stringOption(context, 'manifest-branch') ? {manifestBranch: stringOption(context, 'manifest-branch')!} : {}),
		...(fromLockRaw ? {fromLock: resolve(fromLockRaw)} : {}),
		jobs,
		retries,
		mirrors,
		shallow: !context.options.full,
		signal,
		onEvent,
	});
	lock.release();
	if (signal.aborted) throw stoppedError('sync stopped; projects that finished are in place', 'run the same sync again: projects already at their revision are not fetched again');
	const failed = result.projects.filter((project) => project.error);
	context.events.result(result);
	if (!context.json) {
		const counts = {cloned: 0, updated: 0, unchanged: 0};
		for (const project of result.projects) if (project.action) counts[project.action]++;
		const seconds = (result.durationMs / 1000).toFixed(1);
		if (failed.length === 0) {
			err.write(
				`Synced ${result.projects.length} projects in ${seconds} s: ${counts.cloned} cloned, ${counts.updated} updated, ${counts.unchanged} unchanged.\nLock file: ${displayPath(result.lockFile!)}\n`,
			);
		} else {
			err.write(`\n${failed.length} of ${result.projects.length} projects failed (the others synced; the lock file was not updated):\n`);
			for (const project of failed) err.write(`  ${project.path}: ${project.error}\n${project.hint ? `    fix: ${project.hint}\n` : ''}`);
			err.write(`Run the same sync again after the fix; projects already in place are not fetched again.\n`);
		}
	}
	return failed.length === 0 ? ExitCode.ok : ExitCode.failed;
}

export const defaults = {manifestUrl: defaultManifestUrl};
