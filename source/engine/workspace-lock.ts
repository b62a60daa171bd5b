// One writer per workspace: a command that changes the workspace (run, setup, sync) holds
// <workspace>/.sel4-llm/lock.json while it works. A second one is refused with who holds it; read-only commands
// (status, plan) do not take it. A lock whose process is gone (or whose pid was reused by another process) is
// stale and taken over. The steps of the holder inherit its token, so `sel4-llm sync` run by a recipe step is not
// refused by the run that started it.
import {openSync, readFileSync, rmSync, writeSync, closeSync, mkdirSync} from 'node:fs';
import {randomBytes} from 'node:crypto';
import {join} from 'node:path';
import {z} from 'zod';
import {RefusedError, WorkError} from '../errors.js';
import {onExit} from '../system/children.js';
import {formatTimestamp} from '../system/duration.js';
import {stateDir} from './journal.js';

export const lockTokenVariable = 'SEL4LLM_LOCK_TOKEN';

const holderSchema = z.object({
	version: z.literal(1),
	pid: z.number().int().positive(),
	/** The process's start time in clock ticks since boot (/proc/<pid>/stat), to tell a reused pid apart. */
	processStart: z.string(),
	startedAt: z.string(),
	command: z.string(),
	token: z.string(),
});

export type LockHolder = z.infer<typeof holderSchema>;

export type WorkspaceLock = {token: string; release(): void; tookOverFrom?: LockHolder};

function processStart(pid: number): string | undefined {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
	} catch {
		return undefined;
	}
}

function alive(holder: LockHolder): boolean {
	return processStart(holder.pid) === holder.processStart;
}

export function lockFile(workspace: string): string {
	return join(stateDir(workspace), 'lock.json');
}

function readHolder(file: string): LockHolder | undefined {
	try {
		const parsed = holderSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
		return parsed.success ? parsed.data : undefined;
	} catch {
		return undefined;
	}
}

/** The process that holds the workspace now, if any (for messages and read-only commands). */
export function lockHolder(workspace: string): LockHolder | undefined {
	const holder = readHolder(lockFile(workspace));
	return holder && alive(holder) ? holder : undefined;
}

/** Takes the workspace for `command`, or refuses (exit 4) naming the process that holds it. */
export function lockWorkspace(workspace: string, command: string, env: NodeJS.ProcessEnv = process.env): WorkspaceLock {
	const file = lockFile(workspace);
	const inherited = env[lockTokenVariable];
	const existing = readHolder(file);
	if (inherited && existing && existing.token === inherited && alive(existing)) {
		// A step of the run that holds the workspace: it works under that run's lock.
		return {token: inherited, release: () => {}};
	}
	mkdirSync(stateDir(workspace), {recursive: true});
	const holder: LockHolder = {
		version: 1,
		pid: process.pid,
		processStart: processStart(process.pid) ?? '',
		startedAt: new Date().toISOString(),
		command,
		token: randomBytes(12).toString('hex'),
	};
	let tookOverFrom: LockHolder | undefined;
	for (let attempt = 0; attempt < 2; attempt++) {
		try {
			const fd = openSync(file, 'wx', 0o644);
			try {
				writeSync(fd, `${JSON.stringify(holder, null, 2)}\n`);
			} catch (error) {
				closeSync(fd);
				rmSync(file, {force: true});
				const code = (error as NodeJS.ErrnoException).code;
				if (code === 'ENOSPC' || code === 'EDQUOT') {
					throw new WorkError(`the disk is full: the workspace lock ${file} could not be written`, {hint: `free space on the file system of ${workspace}, then run again`});
				}
				throw error;
			}
			closeSync(fd);
			let released = false;
			const release = () => {
				if (released) return;
				released = true;
				if (readHolder(file)?.token === holder.token) rmSync(file, {force: true});
			};
			onExit(release);
			// The steps run under this lock: their own sel4-llm commands recognise it by the token.
			process.env[lockTokenVariable] = holder.token;
			return {token: holder.token, release, ...(tookOverFrom ? {tookOverFrom} : {})};
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}
		const current = readHolder(file);
		if (current && alive(current)) {
			throw new RefusedError(`the workspace ${workspace} is in use by \`sel4-llm ${current.command}\` (pid ${current.pid}, since ${formatTimestamp(current.startedAt)})`, {
				hint: `wait for it to finish or stop it (Ctrl-C in its terminal, or kill ${current.pid}); \`sel4-llm status\` and \`sel4-llm plan\` work meanwhile`,
			});
		}
		// Its process is gone (or the file is unreadable): the lock is stale.
		if (current) tookOverFrom = current;
		rmSync(file, {force: true});
	}
	throw new RefusedError(`the workspace lock ${file} could not be taken`, {hint: 'another sel4-llm took it at the same moment; run again'});
}
