// `sel4-llm flash`: list disks with verdicts, or write an image to a stick (or a file) safely and verify it.
import {constants, existsSync, statSync} from 'node:fs';
import {access, open, type FileHandle} from 'node:fs/promises';
import {dirname, resolve} from 'node:path';
import {ExitCode, UserError} from '../errors.js';
import {stopSignal, stoppedError} from '../system/interrupt.js';
import {
	fileId,
	identityOf,
	listDisks,
	majMinOf,
	openConfirmedDisk,
	permissionError,
	readDisk,
	resolvePath,
	sudoCommand,
	swapDevices,
	targetKind,
	unmount,
} from '../flash/device.js';
import {formatProgress, formatProgressTime, plainUi, verdictLines, type FlashUi} from '../flash/interaction.js';
import {describeDisk, formatSize, unknownMounts, type Disk} from '../flash/lsblk.js';
import {explain, judge, type Verdict} from '../flash/policy.js';
import {dropCache, verifyTarget, type CacheDrop} from '../flash/verifier.js';
import {dataExtents, type Extents} from '../flash/extents.js';
import {bytesNeeded, createTempFile, freeBytes, inspectFileTarget, loopsBackedBy, processesWithOpen, TargetChanged, type TempFile} from '../flash/file-target.js';
import {FlashInterrupted, FlashIoError, syncTarget, writeImage, type Progress, type WriteResult} from '../flash/writer.js';
import {readRecord, recordPath, type ImageRecord} from '../images/usb-image.js';
import {bootTest} from '../images/usb/boot-test.js';
import {PC_CHECKLIST} from '../images/usb/provenance.js';
import type {CommandContext} from './context.js';
import {stringOption} from './options.js';


function flag(context: CommandContext, name: string): boolean {
	return context.options[name] === true;
}

function verdictJson(verdict: Verdict) {
	const disk = verdict.disk;
	return {
		path: disk.path,
		size: disk.size,
		vendor: disk.vendor,
		model: disk.model,
		serial: disk.serial,
		transport: disk.transport,
		removable: disk.removable,
		offered: verdict.offered,
		refusals: verdict.refusals,
		warnings: verdict.warnings,
		mounted: verdict.mounted,
	};
}

/**
 * Waits for an answer from the person, or for a stop (Ctrl-C, SIGTERM): a question never holds sel4-llm once it was
 * asked to end. The UI is closed by the caller either way.
 */
async function untilStopped<T>(answer: Promise<T>): Promise<T> {
	const signal = stopSignal();
	let onAbort: (() => void) | undefined;
	const stopped = new Promise<never>((_, reject) => {
		onAbort = () => reject(stoppedError('stopped while waiting for an answer: nothing was written'));
		if (signal.aborted) onAbort();
		else signal.addEventListener('abort', onAbort, {once: true});
	});
	try {
		return await Promise.race([answer, stopped]);
	} finally {
		if (onAbort) signal.removeEventListener('abort', onAbort);
	}
}

/** Says loudly (on stderr, in every mode) when lsblk did not report where devices are mounted: they are all refused. */
function warnUnknownMounts(context: CommandContext, disks: Disk[], lsblkJson: string | undefined): void {
	const unknown = disks.filter((disk) => unknownMounts(disk).length > 0).map((disk) => disk.path);
	if (unknown.length === 0) return;
	context.io.stderr.write(
		`warning: the mounts could not be read: ${lsblkJson ?? 'lsblk'} gives no mount point for ${unknown.join(', ')}, so ${unknown.length === disks.length ? 'every disk is' : 'those disks are'} refused (any of them may hold the running system)\n` +
			`  hint: record the document with: lsblk -J -O -b > lsblk.json (it has the MOUNTPOINT and MOUNTPOINTS columns)\n`,
	);
}

/** The usb-image record of an image, when it still describes the image (same size, written after it). */
function freshRecord(imagePath: string, size: number): ImageRecord | undefined {
	const record = readRecord(imagePath);
	if (!record || record.image.size !== size) return undefined;
	return statSync(recordPath(imagePath)).mtimeMs >= statSync(imagePath).mtimeMs ? record : undefined;
}

function bootStatus(record: ImageRecord | undefined, stale: boolean): {text: string; failed: boolean} {
	if (stale) return {text: 'the image changed after usb-image boot-tested it: not boot-tested in this form', failed: false};
	if (!record) return {text: 'no usb-image record next to the image: it was not boot-tested by sel4-llm', failed: false};
	if (record.bootTests.length === 0) return {text: 'the image was built with --boot-test none: not boot-tested', failed: false};
	const failed = record.bootTests.filter((each) => !each.ok);
	if (failed.length > 0) {
		return {text: `the image FAILED its QEMU boot test (${failed.map((each) => `${each.firmware}: ${each.problem}`).join('; ')})`, failed: true};
	}
	return {text: `boot-tested in QEMU as a USB stick (${record.bootTests.map((each) => each.firmware.toUpperCase()).join(', ')}): GRUB menu and kernel output seen`, failed: false};
}

/** Extra arguments that make a re-run under sudo target the same device without asking again which one. */
function rerunArguments(context: CommandContext, path: string): string[] {
	return stringOption(context, 'device') ? [] : ['--device', path];
}

export async function run(context: CommandContext): Promise<number> {
	const json = context.mode === 'json';
	const lsblkJson = stringOption(context, 'lsblk-json');
	const allowNonRemovable = flag(context, 'allow-non-removable');
	const imageArgument = context.positionals[0];
	const imagePath = imageArgument ? resolvePath(imageArgument) : undefined;
	let imageSize: number | undefined;
	if (imagePath) {
		if (!existsSync(imagePath) || !statSync(imagePath).isFile()) {
			throw new UserError(`the image ${imageArgument} does not exist or is not a file`, {
				nextSteps: ['sel4-llm usb-image   (builds and boot-tests the stick image)'],
				exitCode: ExitCode.refused,
			});
		}
		imageSize = statSync(imagePath).size;
		if (imageSize === 0) throw new UserError(`the image ${imageArgument} is empty`, {exitCode: ExitCode.refused});
	}
	// A recorded lsblk document comes from another machine: only its own "[SWAP]" entries count there, and the
	// device numbers of this host's files mean nothing in it.
	const workspace = resolvePath(context.workspace);
	const imageStat = imagePath ? statSync(imagePath) : undefined;
	const host = lsblkJson
		? {}
		: {
				imageId: imageStat ? fileId(imageStat) : undefined,
				imageDevice: imageStat ? majMinOf(imageStat.dev) : undefined,
				workspaceDevice: existsSync(workspace) ? majMinOf(statSync(workspace).dev) : undefined,
			};
	const facts = {imageSize, imagePath, workspace, ...host, swapDevices: lsblkJson ? [] : swapDevices(), allowNonRemovable};

	if (flag(context, 'list')) {
		const disks = await listDisks(lsblkJson);
		warnUnknownMounts(context, disks, lsblkJson);
		const verdicts = judge(disks, facts);
		if (json) {
			context.io.stdout.write(`${JSON.stringify({source: lsblkJson ?? 'lsblk -J -O -b', imageSize: imageSize ?? null, disks: verdicts.map(verdictJson)}, null, 2)}\n`);
		} else {
			for (const line of verdictLines(verdicts)) context.io.stdout.write(`${line}\n`);
			if (!verdicts.some((verdict) => verdict.offered)) {
				context.io.stderr.write('no disk is offered: plug in a USB stick or SD card (internal disks need --allow-non-removable)\n');
			}
		}
		return ExitCode.ok;
	}

	if (!imagePath || imageSize === undefined) {
		throw new UserError('flash needs the image to write (or --list)', {
			hint: 'usage: sel4-llm flash IMAGE [--device PATH] [--yes]',
			nextSteps: ['sel4-llm usb-image', 'sel4-llm flash --list'],
		});
	}
	if (flag(context, 'no-verify') && flag(context, 'verify-only')) {
		throw new UserError('--no-verify and --verify-only contradict each other');
	}
	const record = freshRecord(imagePath, imageSize);
	const boot = bootStatus(record, !record && readRecord(imagePath) !== undefined);
	if (boot.failed && !flag(context, 'ignore-boot-test') && !flag(context, 'verify-only')) {
		throw new UserError(boot.text, {
			hint: 'a stick made from this image would not boot in QEMU either; see the boot log next to the image',
			nextSteps: ['fix the build and run sel4-llm usb-image again', 'or flash anyway with --ignore-boot-test'],
			exitCode: ExitCode.refused,
		});
	}

	const canAsk = Boolean(context.io.stdin.isTTY && context.io.stderr.isTTY) && !json;
	const ui: FlashUi =
		context.mode === 'ink' && context.interactive
			? await (await import('../ui/flash/ink-ui.js')).inkUi(context.io)
			: plainUi(context.io, {canAsk, signal: stopSignal()});
	try {
		return await flashWithUi(context, ui, {imagePath, imageSize, record, boot: boot.text, facts, canAsk, lsblkJson});
	} finally {
		await ui.close();
	}
}

type Plan = {
	imagePath: string;
	imageSize: number;
	record: ImageRecord | undefined;
	boot: string;
	facts: Parameters<typeof judge>[1];
	canAsk: boolean;
	lsblkJson: string | undefined;
};

async function flashWithUi(context: CommandContext, ui: FlashUi, plan: Plan): Promise<number> {
	const json = context.mode === 'json';
	const say = (line: string) => {
		if (!json) ui.message(line);
	};
	const {imagePath, imageSize} = plan;
	const device = stringOption(context, 'device');
	const yes = flag(context, 'yes');
	if (yes && !device) {
		throw new UserError('--yes needs --device: flash never picks a disk by itself', {nextSteps: ['sel4-llm flash --list']});
	}
	say(`image: ${imagePath} (${formatSize(imageSize)}); ${plan.boot}`);

	// A regular file as the target (a new file, or an existing one to overwrite).
	if (device && !plan.lsblkJson) {
		const kind = targetKind(device);
		if (kind === 'other') {
			throw new UserError(`${device} is neither a block device nor a regular file`, {exitCode: ExitCode.refused});
		}
		if (kind === 'file' || (kind === 'missing' && !device.startsWith('/dev/'))) {
			return flashFile(context, ui, plan, device);
		}
		if (kind === 'missing') {
			throw new UserError(`${device} does not exist`, {
				hint: 'the device may have been unplugged, or the name is wrong',
				nextSteps: ['sel4-llm flash --list'],
				exitCode: ExitCode.refused,
			});
		}
	}

	const disks = await listDisks(plan.lsblkJson);
	warnUnknownMounts(context, disks, plan.lsblkJson);
	const verdicts = judge(disks, plan.facts);
	let chosen: Verdict | undefined;
	if (device) {
		const path = plan.lsblkJson ? device : resolvePath(device);
		chosen = verdicts.find((verdict) => verdict.disk.path === path);
		if (!chosen) {
			const parent = disks.find((disk) => disk.partitions.some((part) => part.path === path));
			throw new UserError(
				parent ? `${device} is a partition of ${parent.path}: flash writes whole disks` : `${device} is not a disk lsblk knows`,
				{nextSteps: parent ? [`use --device ${parent.path}`] : ['sel4-llm flash --list'], exitCode: ExitCode.refused},
			);
		}
		if (!chosen.offered) {
			throw new UserError(`refusing to write ${describeDisk(chosen.disk)}: it ${chosen.refusals.map((each) => each.message).join('; it ')}`, {
				nextSteps: ['sel4-llm flash --list   (shows every disk and why)'],
				exitCode: ExitCode.refused,
			});
		}
	} else {
		if (!plan.canAsk) {
			const offered = verdicts.filter((verdict) => verdict.offered).map((verdict) => verdict.disk.path);
			throw new UserError('without a terminal, flash needs --device and --yes', {
				hint: offered.length > 0 ? `offered disks: ${offered.join(', ')}` : 'no disk is offered right now',
				nextSteps: [`sel4-llm flash ${imagePath} --device ${offered[0] ?? '/dev/sdX'} --yes`, 'sel4-llm flash --list'],
			});
		}
		chosen = await untilStopped(ui.pick(verdicts, imageSize));
		if (!chosen) {
			if (!verdicts.some((verdict) => verdict.offered)) {
				throw new UserError('no disk is offered', {
					hint: 'plug in a USB stick or SD card; internal disks and loop devices need --allow-non-removable',
					nextSteps: ['sel4-llm flash --list'],
					exitCode: ExitCode.refused,
				});
			}
			say('cancelled: nothing was written');
			return ExitCode.refused;
		}
	}
	const disk = chosen.disk;

	if (plan.lsblkJson) {
		say(`dry run (--lsblk-json never writes): ${describeDisk(disk)} would be written${explain(chosen) ? ` (${explain(chosen)})` : ''}`);
		if (json) context.io.stdout.write(`${JSON.stringify({dryRun: true, device: verdictJson(chosen)})}\n`);
		return ExitCode.ok;
	}
	const argv = [process.execPath, process.argv[1] ?? 'sel4-llm', ...process.argv.slice(2)];
	try {
		await access(disk.path, constants.W_OK);
	} catch {
		throw permissionError(disk.path, argv, rerunArguments(context, disk.path));
	}

	const verifyOnly = flag(context, 'verify-only');
	const mountedPaths = [...new Set(chosen.mounted.map((each) => each.path))];
	if (!verifyOnly) {
		const notes = mountedPaths.length > 0 ? [`these will be unmounted first: ${chosen.mounted.map((each) => `${each.path} (${each.mountpoint})`).join(', ')}`] : [];
		if (disk.backingFile) notes.push(`a loop device over ${disk.backingFile}`);
		if (flag(context, 'sparse')) notes.push('--sparse: all-zero blocks of the image are skipped, so old data stays in them');
		if (yes) {
			if (mountedPaths.length > 0 && !flag(context, 'unmount')) {
				throw new UserError(`${disk.path} has mounted partitions: ${chosen.mounted.map((each) => `${each.path} on ${each.mountpoint}`).join(', ')}`, {
					hint: 'flash unmounts them only with consent',
					nextSteps: ['add --unmount, or unmount them yourself'],
					exitCode: ExitCode.refused,
				});
			}
			say(`writing ${describeDisk(disk)} (--yes)`);
		} else {
			if (!plan.canAsk) {
				throw new UserError('without a terminal, flash needs --yes to confirm', {
					nextSteps: [`sel4-llm flash ${imagePath} --device ${disk.path} --yes`],
				});
			}
			if (!(await untilStopped(ui.confirm(chosen, imageSize, notes)))) {
				say('not confirmed: nothing was written');
				return ExitCode.refused;
			}
		}
		if (mountedPaths.length > 0) {
			say(`unmounting ${mountedPaths.join(', ')}`);
			await unmount(chosen.mounted.map((each) => each.path));
		}
	}

	const confirmed: Disk = {...disk};
	const sparse = flag(context, 'sparse');
	const map = dataExtents(imagePath, imageSize);
	const source = await open(imagePath, 'r');
	let target: FileHandle | undefined;
	const signal = stopSignal();
	try {
		let result: WriteResult;
		if (verifyOnly) {
			result = await hashImage(source, imageSize, (await map)?.extents, signal, (progress) => ui.progress({...progress, phase: 'verify'}), sparse);
		} else {
			target = await openConfirmedDisk(confirmed, argv, rerunArguments(context, disk.path));
			say(`identity checked right before writing: ${describeDisk(disk)}${disk.serial ? `, serial ${disk.serial}` : ''}`);
			result = await writeImage({source, target, size: imageSize, sparse, extents: (await map)?.extents, signal, onProgress: (progress) => ui.progress(progress)});
			await syncTarget(target, result.syncedUpTo, imageSize, (progress) => ui.progress(progress));
			await target.close();
			target = undefined;
		}
		let drop: CacheDrop | undefined;
		if (!flag(context, 'no-verify')) {
			drop = await dropCache(disk.path, 'block');
			if (!drop.ok) say(`warning: could not drop the cached pages of ${disk.path} (${drop.detail}): the verify may read from memory`);
			const reader = await open(disk.path, 'r');
			try {
				await verifyTarget({
					target: reader,
					source,
					size: imageSize,
					chunkHashes: result.chunkHashes,
					ignore: sparse ? result.skipped : [],
					signal,
					onProgress: (progress) => ui.progress(progress),
				});
			} finally {
				await reader.close();
			}
		}
		return await finish(context, ui, {target: disk.path, kind: 'block', result, drop, verifyOnly, sparse, identity: identityOf(disk), imageSha256: plan.record?.image.sha256, qemuCpu: plan.record?.provenance.configuration.qemuCpu});
	} catch (error) {
		throw await explainFailure(error, {path: disk.path, kind: 'block', size: imageSize, confirmed, verifyOnly});
	} finally {
		await target?.close().catch(() => undefined);
		await source.close();
	}
}

async function hashImage(source: FileHandle, size: number, extents: Extents | undefined, signal: AbortSignal, onProgress: (progress: Progress) => void, sparse = false): Promise<WriteResult> {
	// Verify-only: the per-block hashes come from the image alone (and, for --sparse, the zero blocks to skip).
	const result = await writeImage({source, target: undefined, size, sparse, extents, phase: 'verify', signal});
	onProgress({phase: 'verify', done: 0, total: size, bytesPerSecond: 0, etaSeconds: undefined, elapsedSeconds: 0});
	return result;
}

/** Refuses a file that a loop device is backed by or another process has open: replacing it would pull it from under them. */
function refuseFileInUse(path: string, id: string): void {
	const loops = loopsBackedBy(id);
	if (loops.length > 0) {
		throw new UserError(`refusing to write ${path}: it backs the loop device ${loops.join(', ')} (a disk to whoever uses it)`, {
			hint: 'nothing was written',
			nextSteps: loops.map((loop) => `sudo losetup -d ${loop}   (detach it first, if nothing uses it)`),
			exitCode: ExitCode.refused,
		});
	}
	const users = processesWithOpen(id);
	if (users.length > 0) {
		throw new UserError(`refusing to write ${path}: it is open in another process (${users.map((each) => `pid ${each.pid} ${each.command}`).join(', ')})`, {
			hint: 'nothing was written; close it there first (a VM or a program using the file)',
			exitCode: ExitCode.refused,
		});
	}
}

async function flashFile(context: CommandContext, ui: FlashUi, plan: Plan, path: string): Promise<number> {
	const json = context.mode === 'json';
	const say = (line: string) => {
		if (!json) ui.message(line);
	};
	const inspected = inspectFileTarget(path);
	if (inspected.kind === 'dangling') {
		throw new UserError(`${path} is a symlink to ${inspected.link}, which does not exist`, {
			hint: 'flash would replace the symlink itself with a file; nothing was written',
			nextSteps: ['give the path of the file itself as --device'],
			exitCode: ExitCode.refused,
		});
	}
	const target = inspected.path;
	// The image by any name: the same path, a symlink to it, a hard link of it (the same dev:ino).
	const sameFile = inspected.kind === 'existing' && inspected.id === fileId(statSync(plan.imagePath));
	if (target === plan.imagePath || sameFile) {
		const how = target !== plan.imagePath ? 'a hard link of it' : resolve(path) !== plan.imagePath ? 'a symlink to it' : 'the same path';
		throw new UserError(`${path} is the image itself (${how}): writing it would destroy the image`, {
			hint: 'nothing was written',
			nextSteps: ['choose another file or a stick as --device'],
			exitCode: ExitCode.refused,
		});
	}
	const folder = dirname(target);
	if (!existsSync(folder)) {
		throw new UserError(`the folder of ${path} does not exist`, {exitCode: ExitCode.refused});
	}
	const verifyOnly = flag(context, 'verify-only');
	if (verifyOnly && inspected.kind === 'new') {
		throw new UserError(`${path} does not exist: there is nothing to verify`, {exitCode: ExitCode.refused});
	}
	if (inspected.kind === 'existing' && !verifyOnly) {
		if (!inspected.stat.isFile()) {
			throw new UserError(`${path} is neither a block device nor a regular file`, {exitCode: ExitCode.refused});
		}
		if (!flag(context, 'overwrite')) {
			throw new UserError(`${path} exists: flash replaces an existing file only with --overwrite`, {
				hint: 'nothing was written',
				nextSteps: [`sel4-llm flash ${plan.imagePath} --device ${path} --overwrite${flag(context, 'yes') ? ' --yes' : ''}`],
				exitCode: ExitCode.refused,
			});
		}
		refuseFileInUse(path, inspected.id);
	}
	// The image's data map decides how much the copy takes (zero blocks are skipped in a new file).
	const map = await dataExtents(plan.imagePath, plan.imageSize);
	if (!verifyOnly) {
		const needed = bytesNeeded(plan.imageSize, map?.extents);
		const available = await freeBytes(folder);
		if (available !== undefined && available < needed) {
			throw new UserError(`not enough free space for ${target}: the image needs ${formatSize(needed)}, ${folder} has ${formatSize(available)} free`, {
				hint: `nothing was written${inspected.kind === 'existing' ? `; ${path} is replaced only once the new copy is complete, so both need room until then` : ''}`,
				nextSteps: ['free some space there, or write to another filesystem'],
				exitCode: ExitCode.refused,
			});
		}
	}
	if (inspected.kind === 'existing' && !verifyOnly && !flag(context, 'yes')) {
		const pseudo: Verdict = {
			disk: {path: target, name: target, type: 'file', size: inspected.stat.size, removable: false, hotplug: false, readOnly: false, transport: null, vendor: null, model: 'regular file', serial: null, majMin: null, mountpoints: [], mountsKnown: true, partitions: [], backingFile: null, backingId: null},
			offered: true,
			refusals: [],
			warnings: [],
			mounted: [],
		};
		if (!plan.canAsk) {
			throw new UserError(`${path} exists: without a terminal, overwriting it needs --yes`, {nextSteps: [`sel4-llm flash ${plan.imagePath} --device ${path} --overwrite --yes`]});
		}
		if (!(await untilStopped(ui.confirm(pseudo, plan.imageSize, ['the file is replaced by the image once it is written and verified'])))) {
			say('not confirmed: nothing was written');
			return ExitCode.refused;
		}
		// The answer may have taken a while: the file is checked again.
		refuseFileInUse(path, inspected.id);
	}
	const source = await open(plan.imagePath, 'r');
	let temp: TempFile | undefined;
	const signal = stopSignal();
	try {
		let result: WriteResult;
		if (verifyOnly) {
			result = await hashImage(source, plan.imageSize, map?.extents, signal, (progress) => ui.progress(progress));
		} else {
			try {
				temp = await createTempFile(inspected);
			} catch (error) {
				const code = (error as NodeJS.ErrnoException).code;
				if (code === 'EACCES' || code === 'EPERM') {
					throw new UserError(`permission denied: cannot create a file in ${folder}`, {
						hint: `the image is written to a new file next to ${path} first; sudo runs the same command as root, and every check runs again before anything is written`,
						nextSteps: [sudoCommand([process.execPath, process.argv[1] ?? 'sel4-llm', ...process.argv.slice(2)])],
						exitCode: ExitCode.refused,
					});
				}
				throw error;
			}
			const handle = temp.handle;
			// The copy is a new file, so skipped blocks read as zeros: sparse writing is exact.
			await handle.truncate(plan.imageSize).catch(() => undefined);
			// No intermediate syncs for a file: a local disk keeps up, and each sync of a growing file also commits
			// filesystem metadata. (A stick gets them so that the write progress follows the stick, not the cache.)
			result = await writeImage({
				source,
				target: handle,
				size: plan.imageSize,
				sparse: true,
				extents: map?.extents,
				syncEvery: Number.POSITIVE_INFINITY,
				signal,
				onProgress: (progress) => ui.progress(progress),
			});
			await syncTarget(handle, result.syncedUpTo, plan.imageSize, (progress) => ui.progress(progress));
			await handle.close();
		}
		// The copy is verified before it takes the target's place; --verify-only reads the target itself.
		const written = temp?.path ?? target;
		let drop: CacheDrop | undefined;
		if (!flag(context, 'no-verify')) {
			drop = await dropCache(written, 'file');
			if (!drop.ok) say(`warning: could not drop the cached pages of ${target} (${drop.detail}): the verify may read from memory`);
			const reader = await open(written, 'r');
			try {
				// Blocks skipped in a new file are holes: zeros by construction, with nothing on the medium to read.
				await verifyTarget({
					target: reader,
					source,
					size: plan.imageSize,
					chunkHashes: result.chunkHashes,
					ignore: result.skipped,
					signal,
					onProgress: (progress) => ui.progress(progress),
				});
			} finally {
				await reader.close();
			}
		}
		if (temp) {
			try {
				await temp.commit();
			} catch (error) {
				if (error instanceof TargetChanged) {
					throw new UserError(`${error.message}: the new copy was removed and that file left as it is`, {
						nextSteps: ['check what else writes there, then run flash again'],
						exitCode: ExitCode.refused,
					});
				}
				throw error;
			}
		}
		return await finish(context, ui, {target, kind: 'file', result, drop, verifyOnly, sparse: true, identity: undefined, imageSha256: plan.record?.image.sha256, qemuCpu: plan.record?.provenance.configuration.qemuCpu});
	} catch (error) {
		throw await explainFailure(error, {path: target, kind: 'file', size: plan.imageSize, confirmed: undefined, verifyOnly, existed: inspected.kind === 'existing'});
	} finally {
		await temp?.discard();
		await source.close();
	}
}

async function finish(
	context: CommandContext,
	ui: FlashUi,
	done: {
		target: string;
		kind: 'block' | 'file';
		result: WriteResult;
		drop: CacheDrop | undefined;
		verifyOnly: boolean;
		sparse: boolean;
		identity: unknown;
		imageSha256: string | undefined;
		/** The CPU the image's kernel was configured for (its usb-image record); else the boot test uses "max". */
		qemuCpu: string | undefined;
	},
): Promise<number> {
	const json = context.mode === 'json';
	const verified = !flag(context, 'no-verify');
	const {result} = done;
	let boot: Awaited<ReturnType<typeof bootTest>> | undefined;
	if (flag(context, 'test-boot') && verified) {
		if (!json) ui.message(`boot test: booting ${done.target} read-only in QEMU as a USB stick (BIOS) ...`);
		boot = await bootTest(done.target, {firmware: 'bios', signal: stopSignal(), ...(done.qemuCpu ? {cpu: done.qemuCpu} : {})});
		if (stopSignal().aborted) throw stoppedError(`stopped during the boot test: ${done.target} was written${verified ? ' and verified' : ''}, but not boot-tested`);
		if (!json) ui.message(boot.ok ? `  ok in ${boot.seconds.toFixed(1)} s: GRUB menu, then "${boot.kernelLines[0]}"` : `  FAILED: ${boot.problem}`);
	}
	if (json) {
		context.io.stdout.write(
			`${JSON.stringify({
				ok: boot ? boot.ok : true,
				target: done.target,
				kind: done.kind,
				image: {size: result.size, sha256: done.imageSha256 ?? null},
				written: done.verifyOnly ? 0 : result.written,
				skipped: done.sparse ? result.skipped.reduce((sum, [start, end]) => sum + end - start, 0) : 0,
				verified,
				cacheDropped: done.drop ? done.drop.ok : null,
				cacheDropMethod: done.drop?.method ?? null,
				bootTest: boot ?? null,
			})}\n`,
		);
	} else {
		const skipped = result.skipped.reduce((sum, [start, end]) => sum + end - start, 0);
		if (!done.verifyOnly) {
			ui.message(
				`written: ${formatSize(result.written)} of ${formatSize(result.size)}${skipped > 0 ? ` (${formatSize(skipped)} of zero blocks skipped)` : ''} in ${formatProgressTime(result.seconds)}${done.imageSha256 ? `; image sha256 ${done.imageSha256} (from its usb-image record)` : ''}`,
			);
		}
		ui.message(
			verified
				? `verified: read back ${done.drop?.ok ? `after dropping cached pages (${done.drop.method})` : 'WITHOUT dropping cached pages'}; every ${skipped > 0 && !done.verifyOnly ? 'written ' : ''}block matches the image${skipped > 0 && !done.verifyOnly ? ` (the ${formatSize(skipped)} of skipped zero blocks ${done.kind === 'file' ? 'are holes in the new file' : 'were not written, so not compared'})` : ''}`
				: 'NOT verified (--no-verify)',
		);
		if (!done.verifyOnly && done.kind === 'block') {
			ui.message('');
			ui.message(PC_CHECKLIST.trimEnd());
			ui.message('');
			ui.message(`The stick can be removed now (everything is synced). The checklist is also on the stick: /sel4-llm/PC-CHECKLIST.txt`);
		}
	}
	if (boot && !boot.ok) {
		throw new UserError(`the written ${done.target} did not boot in QEMU: ${boot.problem}`, {exitCode: ExitCode.failed});
	}
	return ExitCode.ok;
}

async function explainFailure(
	error: unknown,
	where: {path: string; kind: 'block' | 'file'; size: number; confirmed: Disk | undefined; verifyOnly: boolean; existed?: boolean},
): Promise<unknown> {
	// A file target is written to a copy next to it, which is removed on any failure.
	const unusable =
		where.kind === 'block'
			? 'the stick is now unusable (partly written): flash it again before use'
			: where.existed
				? `${where.path} is unchanged (the partial copy next to it was removed)`
				: `${where.path} was not created (the partial copy was removed)`;
	if (error instanceof FlashInterrupted) {
		// Stopped before the first block: the pipeline checks the stop before it starts a block.
		const text =
			error.phase === 'write' && error.offset === 0
				? `stopped before the first write: nothing was written${where.kind === 'file' && where.existed ? ` (${where.path} is unchanged)` : ''}`
				: error.phase === 'verify'
				? `stopped during verify at byte ${error.offset}: ${where.verifyOnly ? 'nothing was changed' : where.kind === 'file' ? unusable : 'the image was written completely but not verified'}`
				: `stopped during ${error.phase} at byte ${error.offset} of ${where.size}: ${unusable}`;
		return stoppedError(text);
	}
	if (error instanceof FlashIoError) {
		if (where.kind === 'block' && error.phase !== 'verify') {
			const now = await readDisk(where.path);
			if (!existsSync(where.path) || !now || now.size === 0 || (where.confirmed && now.size !== where.confirmed.size)) {
				return new UserError(`${where.path} vanished during the ${error.phase} (unplugged, or its medium removed): ${error.message}`, {
					hint: unusable,
					nextSteps: ['plug the stick in again (another port if it keeps happening) and re-run flash'],
					exitCode: ExitCode.failed,
				});
			}
		}
		if (error.code === 'ENOSPC') {
			return new UserError(`no space left on ${where.path}: ${error.message} (the image needs ${formatSize(where.size)})`, {
				hint: unusable,
				nextSteps: where.kind === 'file' ? ['write to a filesystem with enough free space'] : ['use a larger stick'],
				exitCode: ExitCode.failed,
			});
		}
		if (error.code === 'EVERIFY') {
			return new UserError(error.message, {
				hint:
					where.kind === 'file'
						? `the data read back is not what was written: a failing disk, or something wrote to the copy meanwhile; ${unusable}`
						: 'the data read back is not what was written: a failing stick or reader, or something wrote to it meanwhile',
				nextSteps: ['flash again on another USB port; if it fails at the same place, the stick is faulty'],
				exitCode: ExitCode.failed,
			});
		}
		return new UserError(error.message, {
			hint: `${error.code ? `${error.code}: ` : ''}${error.phase === 'verify' ? 'the read-back failed' : 'the device reported an error'}; ${unusable}`,
			nextSteps: ['try another USB port or another stick'],
			exitCode: ExitCode.failed,
		});
	}
	return error;
}

// Re-exported for tests of the plain output format.
export {formatProgress};
