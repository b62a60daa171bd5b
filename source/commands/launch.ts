// `sel4-llm launch`: boot in QEMU with upstream's command line, watch the console, and explain what happened.
import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import {acceptStop, exitCodeForStop, stopReason, stopSignal} from '../system/interrupt.js';
import {which} from '../system/run.js';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {loadRecipeSet} from '../engine/load.js';
import {askGuest} from '../console/ask.js';
import {describeError, ExitCode, formatError, UserError} from '../errors.js';
import {configuredQemuMemory, resolveImages} from '../qemu/artifacts.js';
import {x86CpuFromBuild} from '../qemu/x86-cpu.js';
import {buildDirName} from '../sync/build-commands.js';
import {platformRecord} from '../platforms.js';
import {startBoot, replayFile, type BootResult, type BootSession} from '../qemu/boot.js';
import {compileCatalogue, readCatalogue, defaultCatalogueFile} from '../qemu/catalogue.js';
import type {Catalogue} from '../engine/troubleshoot.js';
import {buildQemuCommand, qemuMachines, qemuMemoryMb, type QemuCommand, type QemuMachine, type TestArch} from '../qemu/command.js';
import {judgeKvm, readKvmFacts} from '../qemu/host.js';
import {formatTimeline, formatVerdict, timelineJson, watchEventJson} from '../qemu/report.js';
import {shownLine} from '../qemu/protocol-lines.js';
import {formatSeconds, stallAdvice, stageIds, stageTitle} from '../qemu/stages.js';
import {wrapText} from '../system/wrap.js';
import {parseExpectation, type Expectation, type WatchEvent} from '../qemu/watcher.js';
import {packageDir, say, type CommandContext} from './context.js';
import {loadForCommand, recipeSources, rememberedValues} from './recipe-context.js';
import {numberOption, stringOption} from './options.js';

/** The key that leaves the interactive console: Ctrl-] (0x1d), as in telnet and virsh console. */
export const leaveKey = {byte: 0x1d, label: 'Ctrl-]'} as const;



/** A recipe value for launch: --set, else the value remembered for the workspace. */
function setting(context: CommandContext, name: string): string | undefined {
	return context.sets.filter(([key]) => key === name).at(-1)?.[1] ?? rememberedValues(context.workspace)[name]?.value;
}

/** guest_ram_mb as the recipes resolve it: --set, else the value remembered for the workspace, else the platform's default. */
function guestRamMb(context: CommandContext, platform: QemuMachine): number {
	const fromSet = setting(context, 'guest_ram_mb');
	if (fromSet !== undefined) {
		const value = Number(fromSet);
		if (!Number.isInteger(value) || value < 64) throw new UserError(`guest_ram_mb must be a whole number of MiB (got "${fromSet}")`);
		return value;
	}
	try {
		const forPlatform: CommandContext = platform === 'linux-test' ? context : {...context, sets: [...context.sets, ['platform', platform]]};
		const value = Number(loadForCommand(forPlatform, {remember: false}).values.get('guest_ram_mb'));
		if (Number.isInteger(value) && value > 0) return value;
	} catch {
		// recipes that do not load are reported by `plan`/`run`; launch falls back to the documented default
	}
	return 512;
}

/** The boot-log catalogue: every recipe layer's entries, merged by id. */
function loadCatalogueFor(context: CommandContext): Catalogue {
	const {catalogues} = recipeSources(context);
	const layered = catalogues.length > 0 ? loadRecipeSet([], {catalogue: catalogues}).catalogue : undefined;
	return layered ? compileCatalogue(layered, catalogues.at(-1)!) : readCatalogue(defaultCatalogueFile(packageDir));
}

function expectations(context: CommandContext, fallback: string[]): Expectation[] {
	const raw = context.options.expect;
	const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : fallback;
	return list.map((text) => {
		try {
			return parseExpectation(text);
		} catch (error) {
			throw new UserError((error as Error).message, {hint: `stages: ${stageIds.join(', ')}`});
		}
	});
}

function programExists(program: string): boolean {
	return which(program) !== null;
}

function timestamp(): string {
	return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export async function run(context: CommandContext): Promise<number> {
	const err = context.io.stderr;
	const out = context.io.stdout;
	const replay = stringOption(context, 'replay');
	if (replay !== undefined) return runReplay(context, replay);

	const platformText = stringOption(context, 'platform') ?? setting(context, 'platform') ?? 'qemu-arm-virt';
	if (!(qemuMachines as readonly string[]).includes(platformText)) {
		throw new UserError(`unknown platform "${platformText}"`, {hint: `platforms: ${qemuMachines.join(', ')}`});
	}
	const platform = platformText as QemuMachine;
	const app = stringOption(context, 'app') ?? setting(context, 'app') ?? 'llm_vm';
	const dryRun = Boolean(context.options['dry-run']);
	const askPrompt = stringOption(context, 'ask');
	if (askPrompt !== undefined && askPrompt.trim() === '') throw new UserError('--ask needs a prompt', {hint: 'sel4-llm launch --ask "What is seL4?"'});
	const serve = Boolean(context.options.serve) || askPrompt !== undefined;
	const headless = Boolean(context.options.headless) || serve;
	const extraArgs = context.positionals;
	const stallSeconds = numberOption(context, 'stall')!;
	const timeoutSeconds = numberOption(context, 'timeout') ?? (headless && !serve ? 600 : undefined);
	const memoryOverride = numberOption(context, 'memory');
	const expect = headless ? expectations(context, ['ready']) : expectations(context, []);

	// A platform that needs VT-x (x86_64): refuse early, before looking for images, when this host cannot run it at all.
	let hostWarning: string[] = [];
	if (platform !== 'linux-test' && platformRecord(platform).needsVtx) {
		const verdict = judgeKvm(readKvmFacts(context.env.SEL4LLM_HOST_ROOT ?? '/'));
		if (!verdict.ok) {
			if (!dryRun) {
				throw new UserError(
					`this host cannot run the x86_64 CAmkES VM under QEMU: ${verdict.reasons.join('; ')}. It needs KVM with Intel VT-x (nested when this host is a VM); software emulation cannot provide VT-x, and seL4 would stop at "vt-x: not supported".`,
					{exitCode: ExitCode.refused, nextSteps: verdict.alternatives},
				);
			}
			hostWarning = [`this host cannot run it: ${verdict.reasons.join('; ')}`];
		}
	}

	let command: QemuCommand;
	const socketDir = mkdtempSync(join(tmpdir(), 'sel4-llm-launch-'));
	const cleanupSocketDir = () => rmSync(socketDir, {recursive: true, force: true});
	try {
		let memoryMb: number;
		let memoryRule: string;
		if (memoryOverride !== undefined) {
			memoryMb = memoryOverride;
			memoryRule = '--memory';
		} else {
			const configured = platform === 'linux-test' ? undefined : configuredQemuMemory(context.workspace, platform, app);
			try {
				({memoryMb, rule: memoryRule} = qemuMemoryMb({platform, guestRamMb: guestRamMb(context, platform), ...(configured ? {configuredMb: configured} : {})}));
			} catch (error) {
				throw new UserError((error as Error).message, {hint: 'lower guest_ram_mb (--set guest_ram_mb=...) or pass --memory'});
			}
		}
		let images: {image?: string; kernel?: string; initrd?: string; source: string};
		if (platform === 'linux-test') {
			const kernel = stringOption(context, 'kernel');
			const initrd = stringOption(context, 'initrd');
			if (!kernel || !initrd) throw new UserError('platform linux-test needs --kernel and --initrd', {hint: 'linux-test boots a plain Linux kernel and initramfs (for testing launch)'});
			images = {kernel: resolve(kernel), initrd: resolve(initrd), source: 'flags'};
		} else {
			const flags: {image?: string; kernel?: string; initrd?: string} = {};
			for (const role of ['image', 'kernel', 'initrd'] as const) {
				const value = stringOption(context, role);
				if (value) flags[role] = value;
			}
			images = resolveImages({workspace: context.workspace, platform, app, flags});
		}
		const arch = (stringOption(context, 'arch') ?? 'amd64') as TestArch;
		const append = stringOption(context, 'append');
		// x86_64: --cpu with VT-x, else the CPU the build's kernel was configured for (as upstream's simulate line
		// derives it, with vmx and enforce), else upstream's Nehalem line.
		const cpuFlag = stringOption(context, 'cpu');
		const cpu = platform !== 'x86_64' ? undefined : cpuFlag ? `${cpuFlag},+vmx` : x86CpuFromBuild(join(context.workspace, buildDirName(platform, app)), {enforce: true});
		// Our command (console on a socket) and upstream's (-nographic stdio) differ only in the serial line.
		const commandWith = (serial: Parameters<typeof buildQemuCommand>[0]['serial']) =>
			buildQemuCommand({
				platform,
				...(images.image ? {image: images.image} : {}),
				...(images.kernel ? {kernel: images.kernel} : {}),
				...(images.initrd ? {initrd: images.initrd} : {}),
				...(append ? {append} : {}),
				...(cpu ? {cpu} : {}),
				arch,
				memoryMb,
				extraArgs,
				serial,
			});
		command = commandWith({socketPath: join(socketDir, 'console.sock')});
		if (platform === 'x86_64' && cpu && !cpuFlag) command.notes.push(`-cpu as the kernel was configured (${join(buildDirName(platform, app), 'CMakeCache.txt')}: KernelX86MicroArch and the CPU features it uses, as seL4_tools' simulation.cmake derives them, plus vmx for the VMM)`);
		const missing = [images.image, images.kernel, images.initrd].filter((path): path is string => path !== undefined && !existsSync(path));

		if (dryRun) {
			const upstream = commandWith('stdio');
			context.events.result({argv: [command.program, ...command.args], display: command.display, upstream: upstream.display, memoryMb, memoryRule, images, missing, notes: [...command.notes, ...hostWarning]});
			if (!context.json) {
				out.write(`${command.display}\n`);
				err.write(
					[
						`# upstream's line (console on stdio): ${upstream.display}`,
						...command.notes.map((note) => `# ${note}`),
						`# memory: ${memoryMb} MiB (${memoryRule})`,
						`# images from: ${images.source}`,
						...missing.map((path) => `# missing: ${path} (build first)`),
						...hostWarning.map((warning) => `# warning: ${warning}`),
					].join('\n') + '\n',
				);
			}
			return ExitCode.ok;
		}
		if (missing.length > 0) {
			throw new UserError(`image not found: ${missing.join(', ')}`, {
				exitCode: ExitCode.failed,
				hint: `images are looked up from --image/--kernel/--initrd, <workspace>/.sel4-llm/artifacts.json, then ${images.source}`,
				nextSteps: ['sel4-llm run build', 'sel4-llm launch --image FILE'],
			});
		}
		if (!programExists(command.program)) {
			throw new UserError(`${command.program} is not installed`, {
				exitCode: ExitCode.failed,
				nextSteps: [`sudo apt-get install -y --no-install-recommends ${command.program === 'qemu-system-aarch64' ? 'qemu-system-arm' : 'qemu-system-x86'}`],
			});
		}

		const catalogue = loadCatalogueFor(context);
		const logFile = resolve(stringOption(context, 'log') ?? join(context.workspace, 'logs', `launch-${platform}-${timestamp()}.log`));
		const interactive = context.mode === 'ink' && !headless && context.io.stdin.isTTY === true;

		if (interactive) {
			const {runInteractive} = await import('../ui/launch/run-interactive.js');
			const share = shareFor(context, platform);
			const feed: {output?: (chunk: Buffer) => void; event?: (event: WatchEvent) => void} = {};
			const session = startBoot({
				command,
				logFile,
				catalogue,
				stallSeconds,
				...(timeoutSeconds !== undefined ? {timeoutSeconds} : {}),
				expect,
				stopWhenExpected: false,
				share,
				onOutput: (chunk) => feed.output?.(chunk),
				onEvent: (event) => feed.event?.(event),
			});
			const result = await runInteractive({session, feed, logFile, io: context.io, leaveKey, share});
			printResult(context, result, false);
			// Ctrl-C (the key while nothing but launch reads it, or the signal) ends with 130, SIGTERM with 143.
			const stopped = stopReason();
			if (stopped) {
				err.write(`interrupted; QEMU stopped. console log: ${logFile}\n`);
				return exitCodeForStop(stopped);
			}
			return result.ok ? ExitCode.ok : ExitCode.failed;
		}

		/** The exit code of the answer asked with --ask (set once it is done). */
		const asked: {code?: number} = {};
		const result = await runPlain(context, {command, logFile, catalogue, stallSeconds, expect, headless, serve, share: shareFor(context, platform), asked, ...(askPrompt !== undefined ? {ask: askPrompt} : {}), ...(timeoutSeconds !== undefined ? {timeoutSeconds} : {})});
		if (askPrompt !== undefined && result !== 'interrupted' && result.outcome === 'expected') {
			printResult(context, result, headless);
			return asked.code ?? ExitCode.failed;
		}
		if (result === 'interrupted') return ExitCode.interrupted;
		printResult(context, result, headless);
		if (headless) return result.outcome === 'expected' ? ExitCode.ok : ExitCode.failed;
		return result.ok ? ExitCode.ok : ExitCode.failed;
	} finally {
		cleanupSocketDir();
	}
}

/** The shared console of a launched guest: a relay socket, recorded in <workspace>/.sel4-llm/launch.json for `ask`. */
export function shareFor(context: CommandContext, platform: string): {socketPath: string; recordFile: string; platform: string} {
	// Unix socket paths are limited to about 100 bytes: the socket lives in the temporary directory.
	return {socketPath: join(tmpdir(), `sel4-llm-console-${process.pid}.sock`), recordFile: join(context.workspace, '.sel4-llm', 'launch.json'), platform};
}

async function runPlain(
	context: CommandContext,
	options: {command: QemuCommand; logFile: string; catalogue: Catalogue; stallSeconds: number; expect: Expectation[]; headless: boolean; serve?: boolean; ask?: string; asked: {code?: number}; share?: {socketPath: string; recordFile: string; platform: string}; timeoutSeconds?: number},
): Promise<BootResult | 'interrupted'> {
	let asking = false;
	const asked = options.asked;
	/** Once the guest is ready: the prompt through the shared console, then the boot is stopped. */
	const askOnce = (prompt: string, socketPath: string) => {
		if (asking) return;
		asking = true;
		void (async () => {
			try {
				const answer = await askGuest(
					{socket: socketPath, prompt, maxTokens: 64, flags: ['chat'], waitSeconds: 120, idleSeconds: 120},
					{out: context.io.stdout, err: context.io.stderr, events: context.events},
				);
				context.events.emit({type: 'answer', ...answer});
				context.events.result({answer});
				asked.code = ExitCode.ok;
			} catch (error) {
				const formatted = formatError(error);
				context.io.stderr.write(`${formatted.text}\n`);
				context.events.result({askError: describeError(error).error});
				asked.code = formatted.exitCode;
			}
			session?.stop();
		})();
	};
	const err = context.io.stderr;
	const out = context.io.stdout;
	const json = context.json;
	/** What the run does when the guest is ready, in every output mode: ask once, or keep serving. */
	const react = (event: WatchEvent) => {
		if (event.type !== 'expected' || !session?.watcher.expectationsDone) return;
		if (options.ask !== undefined && options.share) askOnce(options.ask, options.share.socketPath);
		else if (options.serve) say(context, `serving: the guest keeps running; ask it with \`sel4-llm ask "your prompt"\`${context.workspace ? ` --workspace ${context.workspace}` : ''}; Ctrl-C stops it`);
	};
	/** How an event is shown: NDJSON with --json, else lines for people. */
	const show = (event: WatchEvent) => {
		if (json) {
			if (event.type !== 'line' || !options.headless) context.events.emit(watchEventJson(event));
			return;
		}
		switch (event.type) {
			case 'line':
				// The console for people: the protocol's lines are in the log (and in --json), not here.
				if (!options.headless && event.source === 'serial') {
					const shown = shownLine(event.text);
					if (shown !== undefined) out.write(`${shown}\n`);
				}
				else if (event.source === 'qemu') err.write(`${event.text}\n`);
				break;
			case 'stage':
				err.write(`[${formatSeconds(event.t).trim()}] stage ${event.stage}: ${stageTitle(event.stage)}\n`);
				break;
			case 'signature':
				if (!event.record.benign) err.write(`[${formatSeconds(event.t).trim()}] known problem: ${event.record.title}\n`);
				break;
			case 'halt':
				err.write(`[${formatSeconds(event.t).trim()}] halt: ${event.record.description}; stopping QEMU\n`);
				break;
			case 'stall':
				err.write(`[${formatSeconds(event.t).trim()}] stall: no output for ${event.record.idleSeconds} s at stage ${event.record.stage}\n`);
				err.write(`${wrapText(`what to do: ${stallAdvice[event.record.stage]} The whole console is in ${options.logFile}.`, 100, 2, 4).join('\n')}\n`);
				break;
			case 'expected':
				err.write(`[${formatSeconds(event.t).trim()}] reached: ${event.expectation.text}\n`);
				break;
			default: {
				const never: never = event;
				throw new Error(`unknown event ${JSON.stringify(never)}`);
			}
		}
	};
	if (!json) err.write(`$ ${options.command.display}\nconsole log: ${options.logFile}\n`);
	let session: BootSession | undefined;
	session = startBoot({
		command: options.command,
		logFile: options.logFile,
		catalogue: options.catalogue,
		expect: options.expect,
		stallSeconds: options.stallSeconds,
		...(options.timeoutSeconds !== undefined ? {timeoutSeconds: options.timeoutSeconds} : {}),
		...(options.serve ? {stopWhenExpected: false} : {}),
		...(options.share ? {share: options.share} : {}),
		onEvent: (event) => {
			show(event);
			react(event);
		},
	});
	let interrupted = false;
	const onStop = () => {
		interrupted = true;
		session?.stop();
	};
	const stop = stopSignal();
	if (stop.aborted) onStop();
	stop.addEventListener('abort', onStop, {once: true});
	try {
		const result = await session.done;
		// Serving: once the guest was ready, being stopped (or the time running out) is the normal end.
		if (options.serve && watcherDone(session) && (interrupted || result.outcome === 'timeout' || (asking && result.outcome === 'stopped'))) {
			acceptStop();
			err.write(`stopped serving; QEMU stopped. console log: ${options.logFile}\n`);
			return {...result, outcome: 'expected', ok: true};
		}
		if (interrupted) {
			err.write(`interrupted; QEMU stopped. console log: ${options.logFile}\n`);
			return 'interrupted';
		}
		return result;
	} finally {
		stop.removeEventListener('abort', onStop);
	}
}


function watcherDone(session: BootSession): boolean {
	return session.watcher.expectationsDone;
}



function printResult(context: CommandContext, result: BootResult, headless: boolean): void {
	if (context.json) {
		context.events.result({outcome: result.outcome, seconds: result.durationMs / 1000, logFile: result.logFile ?? null, qemuExit: result.qemuExit ?? null, ...(timelineJson(result.timeline, result.diagnosis) as object)});
		return;
	}
	const lines = ['', 'Boot timeline:', ...formatTimeline(result.timeline), ...formatVerdict(result.diagnosis), `console log: ${result.logFile ?? '(none)'}`];
	if (headless && result.outcome !== 'expected' && result.timeline.lastLine) lines.splice(lines.length - 1, 0, `last console line: ${result.timeline.lastLine.trim()}`);
	context.io.stderr.write(`${lines.join('\n')}\n`);
}

function runReplay(context: CommandContext, file: string): number {
	if (!existsSync(file)) throw new UserError(`cannot read the log ${file}: no such file`, {exitCode: ExitCode.invalidInput});
	const catalogue = loadCatalogueFor(context);
	const expect = expectations(context, []);
	const stallSeconds = numberOption(context, 'stall')!;
	const result = replayFile(file, {catalogue, expect, stallSeconds});
	// The exit code follows the marks: a ✗ in the timeline or the result is a failure.
	const failed = expect.length > 0 ? result.timeline.expectationsMet.length !== expect.length : result.diagnosis.failed;
	if (context.json) {
		context.events.result({replay: file, qemuCommand: result.command ?? null, timed: result.timed, ...(timelineJson(result.timeline, result.diagnosis) as object)});
	} else {
		const lines = [
			`Replay of ${file}${result.timed ? '' : ' (no host times in this log)'}`,
			...(result.command ? [`command: ${result.command}`] : []),
			'Boot timeline:',
			...formatTimeline(result.timeline),
			...formatVerdict(result.diagnosis),
		];
		context.io.stdout.write(`${lines.join('\n')}\n`);
	}
	return failed ? ExitCode.failed : ExitCode.ok;
}
