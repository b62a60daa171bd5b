// Whether output may carry colours and styles: FORCE_COLOR (https://force-color.org) first, as Node and chalk read
// it; then NO_COLOR (https://no-color.org), set and not empty; then TERM=dumb; otherwise only on a terminal.

export function colourWanted(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
	const force = env.FORCE_COLOR;
	if (force !== undefined) return force !== '0' && force !== 'false';
	if (env.NO_COLOR) return false;
	if (env.TERM === 'dumb') return false;
	return isTTY;
}
