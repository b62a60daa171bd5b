// Word wrapping for every view and plain report: prose fills the width with a hanging indent and is never cut;
// a word longer than a line keeps a line of its own. Segments carry a tone so a coloured line wraps with its
// colours (doctor's report, the Ink views and the plain lines all wrap through here).

export type Tone = 'pass' | 'warn' | 'fail' | 'skip' | 'heading' | 'dim' | 'command';
export type Segment = {text: string; tone?: Tone};
export type Line = Segment[];

/**
 * Fills lines up to `width` word by word, keeping each word's tone: the first line starts at `indent`, the next
 * ones at `hanging`. A word longer than a line stays whole on a line of its own.
 */
export function wrap(segments: readonly Segment[], width: number, indent: number, hanging = indent): Line[] {
	const lines: Line[] = [];
	let line: Line = indent > 0 ? [{text: ' '.repeat(indent)}] : [];
	let used = indent;
	let words = 0;
	let space: Segment | undefined;
	for (const segment of segments) {
		for (const token of segment.text.split(/( +)/)) {
			if (token === '') continue;
			const tone = segment.tone ? {tone: segment.tone} : {};
			if (token.startsWith(' ')) {
				space = {text: token, ...tone};
				continue;
			}
			const gap = words > 0 && space ? space.text.length : 0;
			if (words > 0 && used + gap + token.length > width) {
				lines.push(line);
				line = hanging > 0 ? [{text: ' '.repeat(hanging)}] : [];
				used = hanging;
				words = 0;
			} else if (gap > 0) {
				line.push(space!);
				used += gap;
			}
			line.push({text: token, ...tone});
			used += token.length;
			words++;
			space = undefined;
		}
	}
	lines.push(line);
	return lines.map(merge);
}

/** Joins neighbouring segments of the same tone. */
function merge(line: Line): Line {
	const out: Line = [];
	for (const segment of line) {
		const last = out.at(-1);
		if (last && last.tone === segment.tone) last.text += segment.text;
		else out.push({...segment});
	}
	return out;
}

export function lineText(line: Line): string {
	return line.map((segment) => segment.text).join('');
}

/** Plain text wrapped at `width`: each paragraph (split at newlines) word by word, then any word wider than a
 * line broken at the width, so nothing is ever hidden past the right edge. */
export function wrapText(text: string, width: number, indent = 0, hanging = indent): string[] {
	const out: string[] = [];
	const limit = Math.max(1, width);
	for (const paragraph of text.split('\n')) {
		for (const line of wrap([{text: paragraph}], limit, indent, hanging)) {
			let rest = lineText(line);
			while ([...rest].length > limit) {
				const chars = [...rest];
				out.push(chars.slice(0, limit).join(''));
				// The continuation's indent leaves at least one column for text, so every pass shortens the line.
				rest = ' '.repeat(Math.min(hanging, limit - 1)) + chars.slice(limit).join('');
				if (rest.trim() === '') rest = '';
			}
			out.push(rest);
		}
	}
	return out;
}
