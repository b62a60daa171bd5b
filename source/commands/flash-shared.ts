// What both flash flows share: the plan, progress helpers, hashing the image, the final report and the failure explanation.
import {existsSync} from 'node:fs';
import {type FileHandle} from 'node:fs/promises';
import {ExitCode, UserError} from '../errors.js';
import {stopSignal, stoppedError} from '../system/interrupt.js';
import {readDisk} from '../flash/device.js';
import {formatProgress, formatProgressTime, type FlashUi} from '../flash/interaction.js';
import {formatSize, type Disk} from '../flash/lsblk.js';
import {judge} from '../flash/policy.js';
import {type CacheDrop} from '../flash/verifier.js';
import {type Extents} from '../flash/extents.js';
import {FlashInterrupted, FlashIoError, writeImage, type Progress, type WriteResult} from '../flash/writer.js';
import {type ImageRecord} from '../images/usb-image.js';
import {bootTest} from '../images/usb/boot-test.js';
import {PC_CHECKLIST} from '../images/usb/provenance.js';
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
	const verified = !flag(context, 'no-verify');
	const {result} = done;
	let boot: Awaited<ReturnType<typeof bootTest>> | undefined;
	if (flag(context, 'test-boot') && verified) {
		ui.message(`boot test: booting ${done.target} read-only in QEMU as a USB stick (BIOS) ...`);
		boot = await bootTest(done.target, {firmware: 'bios', signal: stopSignal(), ...(done.qemuCpu ? {cpu: done.qemuCpu} : {})});
		if (stopSignal().aborted) throw stoppedError(`stopped during the boot test: ${done.target} was written${verified ? ' and verified' : ''}, but not boot-tested`);
		ui.message(boot.ok ? `  ok in ${boot.seconds.toFixed(1)} s: GRUB menu, then "${boot.kernelLines[0]}"` : `  FAILED: ${boot.problem}`);
	}
	if (context.json) {
		context.events.result({
				target: done.target,
				kind: done.kind,
				image: {size: result.size, sha256: done.imageSha256 ?? null},
				written: done.verifyOnly ? 0 : result.written,
				skipped: done.sparse ? result.skipped.reduce((sum, [start, end]) => sum + end - start, 0) : 0,
				verified,
				cacheDropped: done.drop ? done.drop.ok : null,
				cacheDropMethod: done.drop?.method ?? null,
				bootTest: boot ?? null,
		});
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
