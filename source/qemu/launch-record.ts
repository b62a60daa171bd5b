// The launch record (<workspace>/.sel4-llm/launch.json): which QEMU a `launch` started and where its shared
// console socket is, while the boot runs. `ask` reads it to find the guest; it is removed when launch ends.
import {mkdirSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {z} from 'zod';
import {readState, writeState} from '../system/state-file.js';

export const launchRecordSchema = z.object({
	version: z.literal(1).default(1),
	/** The sel4-llm launch process that relays the console. */
	pid: z.int().positive(),
	qemuPid: z.int().positive(),
	serialSocket: z.string().min(1),
	platform: z.string().min(1),
	logFile: z.string().nullable(),
	startedAt: z.string(),
});

export type LaunchRecord = z.infer<typeof launchRecordSchema>;

const spec = {schema: launchRecordSchema, what: 'the launch record', fix: 'start the guest again with sel4-llm launch'};

export function launchFile(workspace: string): string {
	return join(workspace, '.sel4-llm', 'launch.json');
}

export function writeLaunchRecord(file: string, record: Omit<LaunchRecord, 'version'>): void {
	mkdirSync(dirname(file), {recursive: true});
	writeState(file, {version: 1, ...record}, spec.what);
}

/** undefined when no launch is recorded; a file that is not a launch record is moved aside and reported. */
export function readLaunchRecord(file: string): LaunchRecord | undefined {
	return readState(file, spec);
}
