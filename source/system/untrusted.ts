// Values from outside (a user, a recipe variable, a manifest, a lock file, a model path) that reach a program:
// the rules that keep them from being read as an option, from leaving the workspace or from naming a transport
// that runs commands. One place, used by every caller that passes such a value on.
import {posix} from 'node:path';
import {UsageError} from '../errors.js';

/**
 * A value from outside (a user, a recipe variable, a manifest, a lock file) that must reach a program as an
 * operand, never as an option: one that starts with "-" is refused, naming what it is.
 */
export function operand(value: string, what: string): string {
	if (value.startsWith('-')) {
		throw new UsageError(`${what} "${value}" starts with "-": it would reach the program as an option`, {
			hint: `give a ${what} that does not start with "-" (for a local path, write ./${value})`,
		});
	}
	return value;
}

/**
 * Why a path from a manifest or a lock file is not a plain relative path inside the workspace (or undefined when
 * it is): no absolute paths, no "..", no .git or .repo component, no leading "-", no control characters.
 */
export function relativePathProblem(path: string): string | undefined {
	const normal = posix.normalize(path);
	if (path === '' || posix.isAbsolute(path) || normal === '..' || normal.startsWith('../') || normal === '.') return 'must be a relative path inside the workspace';
	if (normal.split('/').some((part) => part === '.git' || part === '.repo')) return 'may not name .git or .repo';
	if (normal.split('/').some((part) => part.startsWith('-'))) return 'may not have a part that starts with "-"';
	// eslint-disable-next-line no-control-regex
	if (/[\x00-\x1f\x7f\\]/.test(path)) return 'may not contain control characters or backslashes';
	return undefined;
}

/** Why a URL or revision from outside cannot be given to git (or undefined): it must not look like an option. */
export function gitValueProblem(value: string, what: 'url' | 'revision' | 'name'): string | undefined {
	if (value === '') return 'is empty';
	if (value.startsWith('-')) return 'starts with "-" (git would read it as an option)';
	// eslint-disable-next-line no-control-regex
	if (/[\x00-\x1f\x7f]/.test(value)) return 'contains control characters';
	if (what === 'revision' && (/\s|\.\.|[~^:?*[\\]|@\{/.test(value) || value.endsWith('/') || value.endsWith('.lock'))) return 'is not a valid commit id, branch, tag or ref';
	if (what === 'name' && (value.split('/').includes('..') || value.startsWith('/'))) return 'must be a repository name relative to its remote';
	if (what === 'url' && /^ext::|^fd::/i.test(value)) return 'uses a git transport that runs commands';
	return undefined;
}

