// A lock file shared by every process using the same cache (parallel test files, two terminals): the first one
// builds, the others wait and then find the result in the cache. A lock whose owner has died is taken over.
import {mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync} from 'node:fs';
import {dirname} from 'node:path';

function ownerAlive(path: string): boolean {
	let pid: number;
	try {
		pid = Number(readFileSync(path, 'utf8').trim());
	} catch {
		return false;
	}
	if (!Number.isInteger(pid) || pid <= 0) return false;
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

export async function withLock<T>(path: string, work: () => Promise<T>, options: {timeoutMs?: number; onWait?: () => void} = {}): Promise<T> {
	mkdirSync(dirname(path), {recursive: true});
	const deadline = Date.now() + (options.timeoutMs ?? 60 * 60_000);
	let told = false;
	for (;;) {
		try {
			const fd = openSync(path, 'wx');
			writeSync(fd, `${process.pid}\n`);
			closeSync(fd);
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			if (!ownerAlive(path)) {
				rmSync(path, {force: true});
				continue;
			}
			if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${path}`);
			if (!told) {
				options.onWait?.();
				told = true;
			}
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
	}
	try {
		return await work();
	} finally {
		rmSync(path, {force: true});
	}
}
