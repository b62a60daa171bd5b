// The three kinds of failure the CLI knows, and the exit codes they map to (documented in the README).

export const ExitCode = {
	ok: 0,
	/** Work failed: a step, a check, a boot expectation. */
	failed: 1,
	/** The command line is wrong: unknown command, flag, value or step. */
	usage: 2,
	/** A recipe, catalogue or other input file is invalid. */
	invalidInput: 3,
	/** Refused: the host, the workspace or the target cannot be used as asked. */
	refused: 4,
	/** A bug in sel4-llm. */
	bug: 70,
	/** Stopped by Ctrl-C (SIGINT). */
	interrupted: 130,
	/** Stopped by SIGTERM. */
	terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type UserErrorOptions = {
	hint?: string;
	nextSteps?: string[];
	exitCode?: ExitCodeValue;
	/** Where in an input file the problem is, as file:line:col. */
	location?: string;
};

/** Something the user can fix: printed as message, hint and next steps, without a stack. */
export class UserError extends Error {
	readonly hint: string | undefined;
	readonly nextSteps: string[];
	readonly exitCode: ExitCodeValue;
	readonly location: string | undefined;

	constructor(message: string, options: UserErrorOptions = {}) {
		super(message);
		this.name = 'UserError';
		this.hint = options.hint;
		this.nextSteps = options.nextSteps ?? [];
		this.exitCode = options.exitCode ?? ExitCode.usage;
		this.location = options.location;
	}
}

/** Several user errors found in one pass (e.g. every problem in a recipe file). */
export class UserErrors extends UserError {
	readonly errors: UserError[];

	constructor(errors: UserError[]) {
		const first = errors[0];
		super(first ? first.message : 'invalid input', {exitCode: first?.exitCode ?? ExitCode.invalidInput});
		this.errors = errors;
	}
}

/** A command we ran failed; carries the command, its exit code and the tail of its output. */
export class CommandError extends Error {
	readonly command: string;
	readonly exitCode: number | undefined;
	readonly tail: string[];

	constructor(command: string, exitCode: number | undefined, tail: string[], message?: string) {
		super(message ?? `${command} failed${exitCode === undefined ? '' : ` with exit code ${exitCode}`}`);
		this.name = 'CommandError';
		this.command = command;
		this.exitCode = exitCode;
		this.tail = tail;
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
	if (error instanceof UserError) return {text: formatUserError(error), exitCode: error.exitCode};
	if (error instanceof CommandError) {
		const tail = error.tail.length > 0 ? `\n${error.tail.map((line) => `  | ${line}`).join('\n')}` : '';
		return {text: `error: ${error.message}${tail}`, exitCode: ExitCode.failed};
	}
	const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
	return {
		text: `sel4-llm hit a bug:\n${stack}\nPlease report it with the command you ran and the output above.`,
		exitCode: ExitCode.bug,
	};
}

function formatUserError(error: UserError): string {
	const lines = [`error: ${error.location ? `${error.location}: ` : ''}${error.message}`];
	if (error.hint) lines.push(`  hint: ${error.hint}`);
	for (const step of error.nextSteps) lines.push(`  next: ${step}`);
	return lines.join('\n');
}
