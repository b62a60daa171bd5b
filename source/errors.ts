// The kinds of failure the CLI knows, one class per exit code (documented in docs/how-it-works.md), and the one mapping
// from an error to its message and exit code, used at the top of the program and nowhere else.

export const ExitCode = {
	ok: 0,
	/** Work failed: a step, a check, a boot expectation. */
	failed: 1,
	/** The command line is wrong: unknown command, flag, value or step. */
	usage: 2,
	/** A recipe, catalogue, state file or other input file is invalid. */
	invalidInput: 3,
	/** Refused: the host, the workspace or the target cannot be used as asked. */
	refused: 4,
	/** A bug in sel4-llm. */
	bug: 70,
	/** Stopped by Ctrl-C (SIGINT). */
	interrupted: 130,
	/** Our output was closed (a broken pipe, such as `| head`). */
	brokenPipe: 141,
	/** Stopped by SIGTERM. */
	terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind = 'failed' | 'usage' | 'input' | 'refused';

const kindExitCode: Record<ErrorKind, ExitCodeValue> = {failed: ExitCode.failed, usage: ExitCode.usage, input: ExitCode.invalidInput, refused: ExitCode.refused};

function kindOfExitCode(code: ExitCodeValue | undefined): ErrorKind | undefined {
	switch (code) {
		case ExitCode.failed:
			return 'failed';
		case ExitCode.usage:
			return 'usage';
		case ExitCode.invalidInput:
			return 'input';
		case ExitCode.refused:
			return 'refused';
		default:
			return undefined;
	}
}

export type UserErrorOptions = {
	hint?: string;
	nextSteps?: string[];
	/** The kind by exit code (the subclasses set it; kept for errors whose kind is decided at run time). */
	exitCode?: ExitCodeValue;
	/** Where in an input file the problem is, as file:line:col. */
	location?: string;
};

/** Something the user can fix: printed as message, hint and next steps, without a stack. */
export class UserError extends Error {
	readonly hint: string | undefined;
	readonly nextSteps: string[];
	readonly kind: ErrorKind;
	readonly location: string | undefined;

	constructor(message: string, options: UserErrorOptions = {}, kind?: ErrorKind) {
		super(message);
		this.name = new.target.name;
		this.hint = options.hint;
		this.nextSteps = options.nextSteps ?? [];
		this.kind = kind ?? kindOfExitCode(options.exitCode) ?? 'usage';
		this.location = options.location;
	}

	get exitCode(): ExitCodeValue {
		return kindExitCode[this.kind];
	}
}

/** The command line is wrong (exit 2). */
export class UsageError extends UserError {
	constructor(message: string, options: Omit<UserErrorOptions, 'exitCode'> = {}) {
		super(message, options, 'usage');
	}
}

/** An input file (recipe, catalogue, lock file, state file, log) is invalid or unreadable (exit 3). */
export class InputError extends UserError {
	constructor(message: string, options: Omit<UserErrorOptions, 'exitCode'> = {}) {
		super(message, options, 'input');
	}
}

/** The host, the workspace or the target cannot be used as asked (exit 4). */
export class RefusedError extends UserError {
	constructor(message: string, options: Omit<UserErrorOptions, 'exitCode'> = {}) {
		super(message, options, 'refused');
	}
}

/** The work itself failed: a step, a check, a boot expectation (exit 1). */
export class WorkError extends UserError {
	constructor(message: string, options: Omit<UserErrorOptions, 'exitCode'> = {}) {
		super(message, options, 'failed');
	}
}

/** Several user errors found in one pass (e.g. every problem in a recipe file). */
export class UserErrors extends UserError {
	readonly errors: UserError[];

	constructor(errors: UserError[]) {
		const first = errors[0];
		super(first ? first.message : 'invalid input', {}, first?.kind ?? 'input');
		this.errors = errors;
	}
}

/** A command we ran failed; carries the command, its exit code and the tail of its output (exit 1). */
export class CommandError extends WorkError {
	readonly command: string;
	readonly commandExitCode: number | undefined;
	readonly tail: string[];

	constructor(command: string, exitCode: number | undefined, tail: string[], message?: string) {
		super(message ?? `${command} failed${exitCode === undefined ? '' : ` with exit code ${exitCode}`}`);
		this.command = command;
		this.commandExitCode = exitCode;
		this.tail = tail;
	}
}

/** The user stopped us (Ctrl-C, SIGTERM) or closed our output. */
export class InterruptedError extends Error {
	readonly hint: string | undefined;

	constructor(
		readonly reason: 'SIGINT' | 'SIGTERM' | 'EPIPE',
		message?: string,
		options: {hint?: string} = {},
	) {
		super(message ?? (reason === 'EPIPE' ? 'the output was closed' : `stopped by ${reason === 'SIGINT' ? 'Ctrl-C' : reason}`));
		this.name = 'InterruptedError';
		this.hint = options.hint;
	}

	get exitCode(): ExitCodeValue {
		return this.reason === 'SIGINT' ? ExitCode.interrupted : this.reason === 'SIGTERM' ? ExitCode.terminated : ExitCode.brokenPipe;
	}
}

/** Something that must never happen: reported as a bug with its stack. */
export class BugError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'BugError';
	}
}

export function isUserError(error: unknown): error is UserError {
	return error instanceof UserError;
}

/** Formats an error for a terminal: user errors without a stack, bugs with one. */
export function formatError(error: unknown): {text: string; exitCode: number} {
	if (error instanceof UserErrors) {
		const parts = error.errors.map((each) => formatUserError(each));
		return {text: parts.join('\n'), exitCode: error.exitCode};
	}
	if (error instanceof CommandError) {
		const tail = error.tail.length > 0 ? `\n${error.tail.map((line) => `  | ${line}`).join('\n')}` : '';
		return {text: `${formatUserError(error)}${tail}`, exitCode: error.exitCode};
	}
	if (error instanceof UserError) return {text: formatUserError(error), exitCode: error.exitCode};
	if (error instanceof InterruptedError) return {text: `error: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`, exitCode: error.exitCode};
	const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
	return {
		text: `sel4-llm hit a bug:\n${stack}\nPlease report it with the command you ran and the output above.`,
		exitCode: ExitCode.bug,
	};
}

/** What went wrong, as data: the kind (usage, input, refused, failed, interrupted, bug) and the text a person reads. */
export type ErrorDescription = {kind: string; message: string; hint?: string; nextSteps?: string[]; location?: string};

/** The error as the `--json` result event carries it, with its exit code: the same facts as `formatError`'s text. */
export function describeError(error: unknown): {exitCode: number; error: ErrorDescription} {
	if (error instanceof UserError) {
		const message = error instanceof UserErrors ? error.errors.map((each) => `${each.location ? `${each.location}: ` : ''}${each.message}`).join('\n') : error.message;
		return {
			exitCode: error.exitCode,
			error: {kind: error.kind, message, ...(error.hint ? {hint: error.hint} : {}), ...(error.nextSteps.length > 0 ? {nextSteps: error.nextSteps} : {}), ...(error.location ? {location: error.location} : {})},
		};
	}
	if (error instanceof InterruptedError) return {exitCode: error.exitCode, error: {kind: 'interrupted', message: error.message, ...(error.hint ? {hint: error.hint} : {})}};
	return {exitCode: ExitCode.bug, error: {kind: 'bug', message: error instanceof Error ? error.message : String(error)}};
}

function formatUserError(error: UserError): string {
	const lines = [`error: ${error.location ? `${error.location}: ` : ''}${error.message}`];
	if (error.hint) lines.push(`  hint: ${error.hint}`);
	for (const step of error.nextSteps) lines.push(`  next: ${step}`);
	return lines.join('\n');
}
