// sel4-llm ask "prompt": sends a prompt to the guest that `launch` started and streams the answer.
import {launchFile, readLaunchRecord, type LaunchRecord} from '../qemu/launch-record.js';
import {askGuest} from '../console/ask.js';
import type {Flag} from '../console/protocol.js';
import {ExitCode, UserError} from '../errors.js';
import type {CommandContext} from './context.js';
import {numberOption} from './options.js';
import {readStream} from '../system/input-file.js';

function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** Where the guest's console is: --socket, else the launch record of the workspace. */
export function findConsole(context: CommandContext): {socket: string; record: LaunchRecord | undefined} {
	const explicit = context.options.socket;
	if (typeof explicit === 'string' && explicit !== '') return {socket: explicit, record: undefined};
	const file = launchFile(context.workspace);
	const record = readLaunchRecord(file);
	if (!record) {
		throw new UserError('no guest is running: launch has not recorded one in this workspace', {
			exitCode: ExitCode.refused,
			hint: `looked for ${file}`,
			nextSteps: ['start the system: sel4-llm launch', 'or give the console socket: sel4-llm ask --socket PATH "prompt"'],
		});
	}
	if (!processAlive(record.pid)) {
		throw new UserError(`no guest is running: the QEMU started by launch (pid ${record.pid}) has exited`, {
			exitCode: ExitCode.refused,
			nextSteps: ['start it again: sel4-llm launch'],
		});
	}
	return {socket: record.serialSocket, record};
}



async function readStdin(context: CommandContext): Promise<string> {
	return (await readStream(context.io.stdin)).replace(/\n$/, '');
}

export async function run(context: CommandContext): Promise<number> {
	const maxTokens = numberOption(context, 'max-tokens')!;
	const waitSeconds = numberOption(context, 'wait')!;
	const idleSeconds = numberOption(context, 'timeout')!;
	let prompt = context.positionals.join(' ');
	if (prompt === '-') prompt = await readStdin(context);
	if (prompt.trim() === '') {
		throw new UserError('the prompt is empty', {hint: 'sel4-llm ask "What is seL4?"  (or "-" to read it from stdin)'});
	}
	const flags: Flag[] = [context.options.raw ? 'raw' : 'chat'];
	if (context.options['ignore-eos']) flags.push('noeos');
	const {socket} = findConsole(context);
	const answer = await askGuest({socket, prompt, maxTokens, flags, waitSeconds, idleSeconds}, {out: context.io.stdout, err: context.io.stderr, events: context.events});
	context.events.result(answer);
	return ExitCode.ok;
}
