// A wizard screen's body cut to the rows it has: blocks of wrapped lines (a step, a field, a host line) shown
// whole around the focused one, with "… N more" lines for the blocks left out (the cut itself is ui/window's fitList).
import {wrap, type Line, type Segment} from '../system/wrap.js';
import {fitList} from '../ui/window.js';

export type Block = Line[];

/** Segments wrapped at `columns`, the first line at `indent`, the next ones at `hanging`: one block. */
export function block(segments: readonly Segment[], columns: number, hanging = 0, indent = 0): Block {
	const room = Math.max(0, columns - 1);
	return wrap(segments, Math.max(1, columns), Math.min(indent, room), Math.min(hanging, room));
}

/** Plain text wrapped at `columns`, every line with the same tone. */
export function textBlock(text: string, columns: number, tone?: Segment['tone'], hanging = 0): Block {
	return text.split('\n').flatMap((paragraph) => block([{text: paragraph, ...(tone ? {tone} : {})}], columns, hanging));
}

/**
 * The blocks that fit in `rows`, whole, keeping block `focus` in view; the ones left out are counted on a
 * "… N more above" / "… N more below" line. `cut` says whether anything was left out (so a screen can offer
 * its scroll keys); `first` and `last` are the blocks shown whole, so a scroll key can bring in the next one.
 */
export type Fitted = {lines: Line[]; cut: boolean; first: number; last: number};

export function fitBlocks(blocks: readonly Block[], rows: number, focus = 0, what = 'more'): Fitted {
	const owners = blocks.flatMap((lines, index) => lines.map(() => index));
	const room = Math.max(1, Math.floor(rows));
	if (owners.length <= room) return {lines: blocks.flat(), cut: false, first: 0, last: blocks.length - 1};
	const first = owners.indexOf(Math.min(Math.max(0, focus), blocks.length - 1));
	const {shown} = fitList(
		owners.map((owner, line) => ({owner, line})),
		room,
		// The focused block's middle line, so a tall block is centred rather than its first line alone.
		first + Math.floor(((blocks[focus]?.length ?? 1) - 1) / 2),
	);
	const visible = (index: number) => {
		const lines = shown.filter((each) => each.owner === index).length;
		return lines > 0 && lines === blocks[index]!.length;
	};
	const kept = blocks.map((_, index) => index).filter(visible);
	// A block taller than the room: its own first lines, rather than nothing.
	if (kept.length === 0) {
		const index = Math.min(Math.max(0, focus), blocks.length - 1);
		const above = index;
		const below = blocks.length - index - 1;
		const notes = (above > 0 ? 1 : 0) + (below > 0 ? 1 : 0);
		return {
			lines: [...(above > 0 ? [note(above, what, 'above')] : []), ...blocks[index]!.slice(0, Math.max(1, room - notes)), ...(below > 0 ? [note(below, what, 'below')] : [])],
			cut: true,
			first: index,
			last: index,
		};
	}
	const above = kept[0]!;
	const below = blocks.length - kept.at(-1)! - 1;
	return {
		lines: [...(above > 0 ? [note(above, what, 'above')] : []), ...kept.flatMap((index) => blocks[index]!), ...(below > 0 ? [note(below, what, 'below')] : [])],
		cut: above > 0 || below > 0,
		first: above,
		last: kept.at(-1)!,
	};
}

function note(count: number, what: string, where: 'above' | 'below'): Line {
	return [{text: `  … ${count} ${what} ${where}`, tone: 'dim'}];
}

/** Rows a list of blocks takes. */
export function height(blocks: readonly Block[]): number {
	return blocks.reduce((sum, each) => sum + each.length, 0);
}
