// Where an image file holds data: the ranges that lseek(SEEK_DATA/SEEK_HOLE) reports, so that the writer never
// reads (or scans) the holes of a sparse image. Node has no lseek, so a few lines of Perl ask the kernel: perl-base
// is part of every Debian and Ubuntu system, and it starts in a few milliseconds (Python takes tens to hundreds,
// more behind a version manager's shim). A filesystem without hole support reports the whole file as data, and
// when Perl cannot be run the writer reads everything (the result is the same, only slower).
import {exec} from '../system/exec.js';

/** Sorted, non-overlapping [start, end) byte ranges that hold data; everything else reads as zeros. */
export type Extents = Array<[number, number]>;

export type ExtentMap = {extents: Extents; method: string};

// 3 and 4 are SEEK_DATA and SEEK_HOLE on Linux; sysseek says "0 but true" for offset 0, hence the "+ 0".
// No data after a position is ENXIO: the end of the map.
const SCRIPT = `
open(my $fh, '<', $ARGV[0]) or exit 2;
my ($size, $position) = ($ARGV[1], 0);
while ($position < $size) {
	my $start = sysseek($fh, $position, 3);
	if (!defined $start) { exit($!{ENXIO} ? 0 : 1) }
	my $end = sysseek($fh, $start, 4);
	defined $end or exit 1;
	$start += 0;
	$end += 0;
	$end = $size if $end > $size;
	print "$start $end\n";
	$position = $end;
}
`;

/** The data ranges of the file at `path` up to `size`, or undefined when they cannot be asked for. */
export async function dataExtents(path: string, size: number, options: {perl?: string; timeoutMs?: number} = {}): Promise<ExtentMap | undefined> {
	// Only PATH is passed on: PERL5LIB and PERL5OPT have no say in what this reads.
	const result = await exec([options.perl ?? 'perl', '-e', SCRIPT, '--', path, String(size)], {
		env: {PATH: process.env.PATH ?? '/usr/bin:/bin'},
		timeoutMs: options.timeoutMs ?? 10_000,
		graceMs: 0,
		tailLines: 0,
	});
	return result.ok ? parseExtents(result.stdout, size) : undefined;
}

/** Parses "start end" lines; anything unexpected means the map is not trusted (undefined). */
export function parseExtents(text: string, size: number): ExtentMap | undefined {
	const extents: Extents = [];
	for (const line of text.split('\n')) {
		if (line.trim() === '') continue;
		const match = /^(\d+) (\d+)$/.exec(line.trim());
		if (!match) return undefined;
		const start = Number(match[1]);
		const end = Number(match[2]);
		const last = extents.at(-1);
		if (!(start < end) || end > size || (last && start < last[1])) return undefined;
		if (last && last[1] === start) last[1] = end;
		else extents.push([start, end]);
	}
	return {extents, method: 'lseek SEEK_DATA/SEEK_HOLE'};
}

/** Answers "does [start, end) hold data?" for ascending, non-overlapping queries in one pass over the extents. */
export function extentCursor(extents: Extents | undefined): (start: number, end: number) => boolean {
	if (!extents) return () => true;
	let index = 0;
	return (start, end) => {
		while (index < extents.length && extents[index]![1] <= start) index++;
		const extent = extents[index];
		return extent !== undefined && extent[0] < end;
	};
}
