// What both flash flows share: the plan, progress helpers, hashing the image, the final report and the failure explanation.
import {existsSync} from 'node:fs';
import {type FileHandle} from 'node:fs/promises';
import {ExitCode, UserError} from '../errors.js';
import {stopSignal, stoppedError} from '../system/interrupt.js';
import {readDisk} from '../flash/device.js';
import {formatProgress, type FlashUi} from '../flash/interaction.js';
import {formatSize, type Disk} from '../flash/lsblk.js';
import {judge} from '../flash/policy.js';
import {type CacheDrop} from '../flash/verifier.js';
import {type Extents} from '../flash/extents.js';
import {FlashInterrupted, FlashIoError, writeImage, type Progress, type WriteResult} from '../flash/writer.js';
import {type ImageRecord} from '../images/usb-image.js';
import {bootTest} from '../images/usb/boot-test.js';
import type {CommandContext} from './context.js';
import {stringOption} from './options.js';

export function flag(context: CommandContext, name: string): boolean {
	return context.options[name] === true;
}

/**
 * Waits for an answer from the person, or for a stop (Ctrl-C, SIGTERM): a question never holds sel4-llm once it was
 * asked to end. The UI is closed by the caller either way.
 */
export async function untilStopped<T>(answer: Promise<T>): Promise<T> {
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

/** Extra arguments that make a re-run under sudo target the same device without asking again which one. */
export function rerunArguments(context: CommandContext, path: string): string[] {
	return stringOption(context, 'device') ? [] : ['--device', path];
}

export type Plan = {
	imagePath: string;
	imageSize: number;
	record: ImageRecord | undefined;
	boot: string;
	facts: Parameters<typeof judge>[1];
	canAsk: boolean;
	lsblkJson: string | undefined;
};

export async function hashImage(source: FileHandle, size: number, extents: Extents | undefined, signal: AbortSignal, onProgress: (progress: Progress) => void, sparse = false): Promise<WriteResult> {
	// Verify-only: the per-block hashes come from the image alone (and, for --sparse, the zero blocks to skip).
	const result = await writeImage({source, target: undefined, size, sparse, extents, phase: 'verify', signal});
	onProgress({phase: 'verify', done: 0, total: size, bytesPerSecond: 0, etaSeconds: undefined, elapsedSeconds: 0});
	return result;
}

export async function finish(
	context: CommandContext,
	ui: FlashUi,
	done: {
		target: string;
		/** The target as the final screen names it: a disk's path, size and model, or a file's path. */
		description: string;
		kind: 'block' | 'file';
		imagePath: string;
		result: WriteResult;
		drop: CacheDrop | undefined;
		verifyOnly: boolean;
		sparse: boolean;
		identity: unknown;
		/** The sha256 the image's usb-image record names, when a record describes the image. */
		recordSha256: string | undefined;
		/** The CPU the image's kernel was configured for (its usb-image record); else the boot test uses "max". */
		qemuCpu: string | undefined;
	},
): Promise<number> {
	const verified = !flag(context, 'no-verify');
	const {result} = done;
	let boot: Awaited<ReturnType<typeof bootTest>> | undefined;
	if (flag(context, 'test-boot') && verified) {
		ui.message(`boot test: booting ${done.target} read-only in QEMU as a USB stick (BIOS) ...`);
		boot = await bootTest(done.target, {firmware: 'bios', signal: stopSignal(), ...(done.qemuCpu ? {cpu: done.qemuCpu} : {})});
		if (stopSignal().aborted) throw stoppedError(`stopped during the boot test: ${done.target} was written${verified ? ' and verified' : ''}, but not boot-tested`);
	}
	// Only an image whose bytes are the ones usb-image recorded is sel4-llm's, with the checklist on it.
	const builtBySel4llm = done.recordSha256 === result.sha256;
	const skipped = done.sparse ? result.skipped.reduce((sum, [start, end]) => sum + end - start, 0) : 0;
	if (context.json) {
		context.events.result({
			target: done.target,
			kind: done.kind,
			image: {path: done.imagePath, size: result.size, sha256: result.sha256, builtBySel4llm},
			written: done.verifyOnly ? 0 : result.written,
			skipped,
			verified,
			cacheDropped: done.drop ? done.drop.ok : null,
			cacheDropMethod: done.drop?.method ?? null,
			bootTest: boot ?? null,
		});
	} else {
		ui.summary({
			imagePath: done.imagePath,
			imageSize: result.size,
			target: done.description,
			targetPath: done.target,
			kind: done.kind,
			verifyOnly: done.verifyOnly,
			written: result.written,
			skipped: done.verifyOnly ? 0 : skipped,
			seconds: result.seconds,
			sha256: result.sha256,
			builtBySel4llm,
			recordDiffers: done.recordSha256 !== undefined && !builtBySel4llm,
			verify: verified ? {drop: done.drop} : undefined,
			bootTest: boot ? {ok: boot.ok, seconds: boot.seconds, detail: boot.ok ? `GRUB menu, then "${boot.kernelLines[0]}"` : (boot.problem ?? 'no kernel output')} : undefined,
		});
	}
	if (boot && !boot.ok) {
		throw new UserError(`the written ${done.target} did not boot in QEMU: ${boot.problem}`, {exitCode: ExitCode.failed});
	}
	return ExitCode.ok;
}

export async function explainFailure(
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
