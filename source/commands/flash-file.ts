// `sel4-llm flash --device FILE`: a regular file as the target, written to a new file beside it and renamed over it once verified.
import {existsSync, statSync} from 'node:fs';
import {open} from 'node:fs/promises';
import {dirname, resolve} from 'node:path';
import {ExitCode, UserError} from '../errors.js';
import {stopSignal} from '../system/interrupt.js';
import {fileId, sudoCommand} from '../flash/device.js';
import {type FlashUi} from '../flash/interaction.js';
import {formatSize} from '../flash/lsblk.js';
import {type Verdict} from '../flash/policy.js';
import {dropCache, verifyTarget, type CacheDrop} from '../flash/verifier.js';
import {dataExtents} from '../flash/extents.js';
import {bytesNeeded, createTempFile, freeBytes, inspectFileTarget, loopsBackedBy, processesWithOpen, TargetChanged, type TempFile} from '../flash/file-target.js';
import {syncTarget, writeImage, type WriteResult} from '../flash/writer.js';
import type {CommandContext} from './context.js';
import {explainFailure, finish, flag, hashImage, untilStopped, type Plan} from './flash-shared.js';

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

export async function flashFile(context: CommandContext, ui: FlashUi, plan: Plan, path: string): Promise<number> {
	const say = (line: string) => ui.message(line);
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
		return await finish(context, ui, {
			target,
			description: target,
			kind: 'file',
			imagePath: plan.imagePath,
			result,
			drop,
			verifyOnly,
			sparse: true,
			identity: undefined,
			recordSha256: plan.record?.image.sha256,
			qemuCpu: plan.record?.provenance.configuration.qemuCpu,
		});
	} catch (error) {
		throw await explainFailure(error, {path: target, kind: 'file', size: plan.imageSize, confirmed: undefined, verifyOnly, existed: inspected.kind === 'existing'});
	} finally {
		await temp?.discard();
		await source.close();
	}
}
