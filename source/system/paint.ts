// Lines of toned segments (system/wrap.ts) as text: painted with the SGR codes chalk (and so Ink) writes when colour
// is wanted, plain otherwise. Every printed report (doctor, plan, status, recipes) paints through here.
import type {Line, Segment, Tone} from './wrap.js';

/** SGR codes that start and end each tone. */
const sgr: Record<Tone, [number, number]> = {pass: [32, 39], warn: [33, 39], fail: [31, 39], skip: [90, 39], heading: [1, 22], dim: [2, 22], command: [36, 39]};

export function paintLines(lines: readonly Line[], colour: boolean): string {
	return lines
		.map((line) =>
			line
				.map(({text, tone}) => (colour && tone && text.trim() !== '' ? `\u001B[${sgr[tone][0]}m${text}\u001B[${sgr[tone][1]}m` : text))
				.join('')
				.trimEnd(),
		)
		.join('\n');
}

/** A segment, toned when a tone is given: `seg('done', 'pass')`. */
export function seg(text: string, tone?: Tone): Segment {
	return tone ? {text, tone} : {text};
}

/** The width of the widest text, for a column that must never run into the next one. */
export function columnWidth(texts: Iterable<string>, min = 0): number {
	let width = min;
	for (const text of texts) width = Math.max(width, text.length);
	return width;
}
