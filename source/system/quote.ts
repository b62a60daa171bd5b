// Quoting for display: a command shown to the user can be pasted into a POSIX shell as it is. (Commands are never
// run through a shell from these strings; they run as argv lists.)

export function shellQuote(word: string): string {
	if (word === '') return "''";
	if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
	return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** An argv as one copy-pasteable line. */
export function formatCommand(argv: readonly string[]): string {
	return argv.map(shellQuote).join(' ');
}
