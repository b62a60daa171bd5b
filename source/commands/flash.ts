// `sel4-llm flash`: list disks with verdicts, or write an image to a stick (or a file) safely and verify it.
import {constants, existsSync, statSync} from 'node:fs';
import {access, open, type FileHandle} from 'node:fs/promises';
import {ExitCode, UserError} from '../errors.js';
import {colourWanted} from '../system/colour.js';
import {stopSignal} from '../system/interrupt.js';
import {fileId, identityOf, listDisks, majMinOf, openConfirmedDisk, permissionError, resolvePath, swapDevices, targetKind, unmount} from '../flash/device.js';
import {jsonUi, plainUi, verdictLines, type FlashUi} from '../flash/interaction.js';
import {describeDisk, formatSize, unknownMounts, type Disk} from '../flash/lsblk.js';
import {explain, judge, onlyNonRemovable, type Verdict} from '../flash/policy.js';
import {dropCache, verifyTarget, type CacheDrop} from '../flash/verifier.js';
import {dataExtents} from '../flash/extents.js';
import {syncTarget, writeImage, type WriteResult} from '../flash/writer.js';
import {readRecord, recordPath, type ImageRecord} from '../images/usb-image.js';
import type {CommandContext} from './context.js';
import {stringOption} from './options.js';
import {flashFile} from './flash-file.js';
import {explainFailure, finish, flag, hashImage, rerunArguments, untilStopped, type Plan} from './flash-shared.js';

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
				exitCode: ExitCode.invalidInput,
			});
		}
		imageSize = statSync(imagePath).size;
		if (imageSize === 0) throw new UserError(`the image ${imageArgument} is empty`, {exitCode: ExitCode.invalidInput});
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
		context.events.result({source: lsblkJson ?? 'lsblk -J -O -b', imageSize: imageSize ?? null, disks: verdicts.map(verdictJson)});
		if (!json) {
			for (const line of verdictLines(verdicts)) context.io.stdout.write(`${line}\n`);
			if (!verdicts.some((verdict) => verdict.offered)) {
				const internal = verdicts.filter(onlyNonRemovable).map((verdict) => verdict.disk.path);
				context.io.stderr.write(
					`no disk is offered: plug in a USB stick or SD card${internal.length > 0 ? ` (${internal.join(', ')} ${internal.length === 1 ? 'is an internal disk' : 'are internal disks'}: --allow-non-removable offers ${internal.length === 1 ? 'it' : 'them'})` : ''}\n`,
				);
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
	const ui: FlashUi = json
		? jsonUi(context.events)
		: context.mode === 'ink' && context.interactive
			? await (await import('../ui/flash/ink-ui.js')).inkUi(context.io, {colour: colourWanted(context.env, true)})
			: plainUi(context.io, {canAsk, signal: stopSignal(), colour: colourWanted(context.env, Boolean(context.io.stderr.isTTY))});
	try {
		return await flashWithUi(context, ui, {imagePath, imageSize, record, boot: boot.text, facts, canAsk, lsblkJson});
	} finally {
		await ui.close();
	}
}

async function flashWithUi(context: CommandContext, ui: FlashUi, plan: Plan): Promise<number> {
	const say = (line: string) => ui.message(line);
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
			// Never a ready-made command with a real disk in it: the person reads the list and chooses.
			throw new UserError('without a terminal, flash needs --device and --yes', {
				hint: `${verdicts.some((verdict) => verdict.offered) ? '' : 'no disk is offered right now; '}flash never picks a disk for you: list the drives (and why each is offered or not), then name one`,
				nextSteps: ['sel4-llm flash --list', `sel4-llm flash ${imagePath} --device /dev/DISK --yes   (DISK: a drive the list offers)`],
			});
		}
		chosen = await untilStopped(ui.pick(verdicts, imageSize));
		if (!chosen) {
			if (!verdicts.some((verdict) => verdict.offered)) {
				const internal = verdicts.filter(onlyNonRemovable).map((verdict) => verdict.disk.path);
				throw new UserError('no disk is offered', {
					hint: `plug in a USB stick or SD card${internal.length > 0 ? `; --allow-non-removable offers the internal ${internal.length === 1 ? 'disk' : 'disks'} ${internal.join(', ')}` : ''}`,
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
		context.events.result({dryRun: true, device: verdictJson(chosen)});
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
		return await finish(context, ui, {
			target: disk.path,
			description: describeDisk(disk),
			kind: 'block',
			imagePath,
			result,
			drop,
			verifyOnly,
			sparse,
			identity: identityOf(disk),
			recordSha256: plan.record?.image.sha256,
			qemuCpu: plan.record?.provenance.configuration.qemuCpu,
		});
	} catch (error) {
		throw await explainFailure(error, {path: disk.path, kind: 'block', size: imageSize, confirmed, verifyOnly});
	} finally {
		await target?.close().catch(() => undefined);
		await source.close();
	}
}

