// "Did you mean": the candidates closest to a word the user typed (edit distance), for unknown names of any kind.

/** The one candidate within a few edits of the word, if any. */
export function closest(word: string, candidates: string[]): string | undefined {
	const distance = (a: string, b: string) => {
		const row = Array.from({length: b.length + 1}, (_, index) => index);
		for (let i = 1; i <= a.length; i++) {
			let previous = row[0]!;
			row[0] = i;
			for (let j = 1; j <= b.length; j++) {
				const current = row[j]!;
				row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
				previous = current;
			}
		}
		return row[b.length]!;
	};
	const scored = candidates.map((candidate) => ({candidate, score: distance(word, candidate)})).sort((a, b) => a.score - b.score);
	return scored[0] && scored[0].score <= Math.max(2, Math.floor(word.length / 3)) ? scored[0].candidate : undefined;
}

/** Up to `limit` suggestions: the closest candidate, then those that contain the word. */
export function suggestions(word: string, candidates: readonly string[], limit = 4): string[] {
	const near = closest(word, [...candidates]);
	const containing = word.length >= 3 ? candidates.filter((candidate) => candidate.includes(word) && candidate !== near) : [];
	return [...(near ? [near] : []), ...containing].slice(0, limit);
}
