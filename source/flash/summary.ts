// The final screen of flash: what was written where, how many bytes, the image's sha256, whether it was read back,
// and the next step. One description, painted by the plain output and the Ink view alike.
import {marks} from '../ui/theme.js';
import {wrap, type Line, type Segment} from '../system/wrap.js';
import {seg} from '../system/paint.js';
import {formatDuration} from '../system/duration.js';
import {formatSize} from './lsblk.js';
import type {CacheDrop} from './verifier.js';
import {STICK_CHECKLIST} from '../images/usb/provenance.js';

export type FlashSummary = {
	imagePath: string;
	imageSize: number;
	/** The target: a disk's description (path, size, model) or a file's path. */
	target: string;
	/** The target's path alone, for the read-back line. */
	targetPath: string;
	kind: 'block' | 'file';
	verifyOnly: boolean;
	written: number;
	/** Bytes of zero blocks not written (--sparse, or the holes of a new file). */
	skipped: number;
	seconds: number;
	/** sha256 of the image, from the blocks as they were written (or read, for --verify-only). */
	sha256: string;
	/**
	 * The image came from `sel4-llm usb-image`: its record beside the image names this very sha256. Only then does
	 * the stick carry the PC checklist.
	 */
	builtBySel4llm: boolean;
	/** The record beside the image names another sha256: the image changed since usb-image made it. */
	recordDiffers: boolean;
	/** Undefined with --no-verify. */
	verify: {drop: CacheDrop | undefined} | undefined;
	bootTest: {ok: boolean; seconds: number; detail: string} | undefined;
};

/** Bytes as people read them and as tools compare them: "20.5 MB (20475904 bytes)". */
function bytes(count: number): string {
	return `${formatSize(count)} (${count} bytes)`;
}

function bytesText(summary: FlashSummary): string {
	if (summary.verifyOnly) return `${bytes(summary.imageSize)} compared, none written (--verify-only)`;
	const skipped = summary.skipped > 0 ? `; ${formatSize(summary.skipped)} of zero blocks ${summary.kind === 'file' ? 'left as holes' : 'skipped (--sparse)'}` : '';
	return `${bytes(summary.written)} written in ${formatDuration(summary.seconds * 1000, 'compact')}${skipped}`;
}

export function summaryRows(summary: FlashSummary): {headline: Segment[]; rows: Array<{label: string; text: Segment[]}>} {
	const {verify} = summary;
	const ok = verify !== undefined && (!summary.bootTest || summary.bootTest.ok);
	const headline = [
		seg(`${ok ? marks.done : '!'} `, ok ? 'pass' : 'warn'),
		seg(`${summary.targetPath} ${summary.verifyOnly ? (verify ? 'matches' : 'was not read') : 'was written'}`, 'heading'),
		seg(verify ? (summary.verifyOnly ? ' the image' : ' and verified') : summary.verifyOnly ? '' : ', NOT verified (--no-verify)', ok ? 'pass' : 'warn'),
	];
	const rows: Array<{label: string; text: Segment[]}> = [
		{label: 'image', text: [seg(`${summary.imagePath}${summary.builtBySel4llm ? ' (built by sel4-llm usb-image)' : ''}`)]},
		{label: summary.kind === 'block' ? 'device' : 'file', text: [seg(summary.target)]},
		{label: 'bytes', text: [seg(bytesText(summary))]},
		{
			label: 'sha256',
			text: [seg(summary.sha256), ...(summary.recordDiffers ? [seg(' (not the one in its usb-image record: the image changed since)', 'warn')] : [])],
		},
		{
			label: 'verified',
			text: verify
				? [
						seg(`read back from ${summary.targetPath}${verify.drop?.ok ? ` after dropping cached pages (${verify.drop.method})` : ''}: every ${summary.skipped > 0 && !summary.verifyOnly ? 'written ' : ''}block matches the image`, 'pass'),
						...(verify.drop && !verify.drop.ok ? [seg(' (the cached pages could not be dropped: the read may have come from memory)', 'warn')] : []),
					]
				: [seg('no (--no-verify): nothing was read back', 'warn')],
		},
	];
	if (summary.bootTest) {
		rows.push({
			label: 'boot test',
			text: [seg(summary.bootTest.ok ? `booted in QEMU in ${summary.bootTest.seconds.toFixed(1)} s: ${summary.bootTest.detail}` : `FAILED in QEMU: ${summary.bootTest.detail}`, summary.bootTest.ok ? 'pass' : 'fail')],
		});
	}
	rows.push({label: 'next', text: nextStep(summary)});
	return {headline, rows};
}

function nextStep(summary: FlashSummary): Segment[] {
	if (!summary.verify) return [seg('check it with '), seg(`sel4-llm flash ${summary.imagePath} --device ${summary.targetPath} --verify-only`, 'command')];
	if (summary.kind === 'file') return [seg('the file is a copy of the image, ready to use')];
	const start = summary.verifyOnly ? 'the stick holds the image: boot' : 'remove the stick (everything is synced) and boot';
	if (!summary.builtBySel4llm) return [seg(`${start} from it`)];
	return [seg(`${start} the PC from it; first read ${STICK_CHECKLIST} on the stick (firmware settings, the serial console)`)];
}

/** The final screen as lines, wrapped at `width` with each row's text under its own column. */
export function summaryLines(summary: FlashSummary, width: number): Line[] {
	const {headline, rows} = summaryRows(summary);
	const labelWidth = Math.max(...rows.map((row) => row.label.length));
	const indent = 2 + labelWidth + 2;
	const lines: Line[] = [...wrap(headline, width, 0, 2)];
	// The label's padding is the gap before the first word, so the text starts in the same column on every row.
	for (const row of rows) lines.push(...wrap([seg(row.label.padEnd(labelWidth + 2), 'dim'), ...row.text], width, 2, indent));
	return lines;
}
