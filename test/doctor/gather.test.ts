// The facts gatherer: parsers over real file formats, then the real gatherer on this machine.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, statfsSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {parseCpuinfo, parseDpkgList, parseMeminfo, parseOsRelease, parseVersion} from '../../source/system/fact-parsers.js';
import {gatherFacts} from '../../source/system/gather.js';
import {runCommand} from '../../source/system/run.js';
import {waitFor, jsonOutput} from '../support/cli.js';
import {cli, fakeBin} from './helpers.js';

describe('parsers', () => {
	test('x86 cpuinfo: vendor, flags of the first processor, core count', () => {
		const text = 'processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD Ryzen 7\nflags\t\t: fpu svm lm\n\nprocessor\t: 1\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu svm lm\n';
		assert.deepEqual(parseCpuinfo(text), {vendor: 'amd', vendorId: 'AuthenticAMD', model: 'AMD Ryzen 7', cores: 2, flags: ['fpu', 'svm', 'lm']});
	});
	test('arm64 cpuinfo', () => {
		const text = 'processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm aes\nCPU implementer\t: 0x41\nCPU part\t: 0xd0b\n';
		const cpu = parseCpuinfo(text);
		assert.equal(cpu.vendor, 'arm');
		assert.deepEqual(cpu.flags, ['fp', 'asimd', 'evtstrm', 'aes']);
	});
	test('meminfo', () => {
		assert.deepEqual(parseMeminfo('MemTotal:       32657080 kB\nMemFree:         1000000 kB\nMemAvailable:   24588412 kB\n'), {totalMiB: 31892, availableMiB: 24012});
		assert.equal(parseMeminfo('garbage'), null);
	});
	test('os-release with quotes', () => {
		const os = parseOsRelease('PRETTY_NAME="Ubuntu 22.04.4 LTS"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n');
		assert.deepEqual(os, {id: 'ubuntu', idLike: ['debian'], versionId: '22.04', prettyName: 'Ubuntu 22.04.4 LTS', codename: 'jammy'});
	});
	test('dpkg list: installed only, native qualifiers dropped, foreign kept', () => {
		const text = 'cpio\t2.13\tii \nlibc6:amd64\t2.36\tii \nlinux-libc-dev:i386\t6.1\tii \nold-thing\t1.0\trc \n';
		assert.deepEqual(parseDpkgList(text, 'amd64'), {cpio: '2.13', libc6: '2.36', 'linux-libc-dev:i386': '6.1'});
	});
	test('version strings of the real tools', () => {
		assert.equal(parseVersion('repo', '<repo not installed>\nrepo launcher version 2.45\n       (from /usr/bin/repo)'), '2.45');
		assert.equal(parseVersion('dtc', 'Version: DTC 1.6.1'), '1.6.1');
		assert.equal(parseVersion('qemu-system-aarch64', 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)'), '7.2.22');
		assert.equal(parseVersion('stack', 'Version 2.9.3, Git revision abc x86_64'), '2.9.3');
		assert.equal(parseVersion('ghc', 'The Glorious Glasgow Haskell Compilation System, version 9.2.8'), '9.2.8');
		assert.equal(parseVersion('aarch64-linux-gnu-gcc', 'aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0'), '12.2.0');
		assert.equal(parseVersion('cmake', 'cmake version 3.25.1'), '3.25.1');
	});
});

/** The pids the hung fixture wrote (itself and the child holding its pipes). */
function hungPids(file: string): number[] {
	return readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
}

/** Gone, or a zombie waiting for init: either way it no longer runs and holds no pipe. */
function gone(pid: number): boolean {
	try {
		return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
	} catch {
		return true;
	}
}

// The hung fixture sleeps for 10 minutes: if the timeout did not hold, these tests would hit their own timeout.
describe('commands with a timeout', {timeout: 120_000}, () => {
	test('a command that leaves children holding its pipes ends at its timeout, children included', async () => {
		const pids = join(mkdtempSync(join(tmpdir(), 'sel4-llm-hung-')), 'pids');
		const result = await runCommand([join(fakeBin, 'hung', 'cmake'), '--version'], {timeoutMs: 300, env: {...process.env, HUNG_PIDS: pids}});
		assert.equal(result.timedOut, true);
		assert.equal(result.code, null, 'it did not exit by itself');
		const [own, child] = hungPids(pids);
		await waitFor(() => gone(own!) && gone(child!), 30_000, 'the command and its child to be killed');
	});
	test('a missing program is reported, not thrown', async () => {
		const result = await runCommand(['/nonexistent/program'], {timeoutMs: 1000});
		assert.equal(result.spawnError, 'ENOENT');
	});
});

describe('facts of this machine', () => {
	test('doctor --json reports what /proc, dpkg and the tools say', () => {
		const result = spawnSync(process.execPath, [cli, 'doctor', '--json', '--timeout', '120'], {encoding: 'utf8', env: {...process.env}});
		// (A generous timeout: on a loaded machine a tool's --version may take seconds; timeouts are tested below.)
		assert.ok(result.status === 0 || result.status === 1, result.stderr);
		const document = jsonOutput(result.stdout).result;
		const facts = document.facts;
		assert.equal(facts.factsVersion, 1);
		assert.equal(result.status, document.ok ? 0 : 1, 'exit code follows the report');
		const meminfo = readFileSync('/proc/meminfo', 'utf8');
		const totalKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)![1]);
		assert.equal(facts.memory.totalMiB, Math.round(totalKb / 1024));
		const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
		const flagsLine = /^(?:flags|Features)\s*:(.*)$/m.exec(cpuinfo)![1]!.trim().split(/\s+/);
		assert.deepEqual(facts.cpu.flags, flagsLine);
		// Packages CI installs for these tests (.ci/apt/base.txt, .ci/apt/doctor.txt).
		for (const name of ['git', 'tmux', 'cmake', 'device-tree-compiler']) assert.ok(name in facts.packages.installed, `${name} installed`);
		const git = spawnSync('git', ['--version'], {encoding: 'utf8'}).stdout;
		assert.ok(git.includes(facts.tools.git.version), `${git} vs ${facts.tools.git.version}`);
		const osRelease = readFileSync('/etc/os-release', 'utf8');
		assert.equal(facts.os.id, /^ID=(.*)$/m.exec(osRelease)![1]!.replace(/"/g, ''));
		const workspaceStats = statfsSync(facts.disk.checkedPath);
		const free = Math.floor((workspaceStats.bavail * workspaceStats.bsize) / 1048576);
		assert.ok(Math.abs(free - facts.disk.freeMiB) < 512, `free ${free} vs ${facts.disk.freeMiB}`);
		for (const [key, record] of Object.entries(facts.gather as Record<string, {status: string}>)) assert.equal(record.status === 'timeout', false, key);
		assert.ok(Array.isArray(document.checks) && document.verdicts.length === 2);
	});
	test('progress: told at the start and after each section, what is done and what still runs', async () => {
		const seen: Array<{total: number; done: string[]; running: string[]}> = [];
		await gatherFacts({workspace: '/tmp/sel4-llm-doctor-test', only: ['os', 'cpu', 'memory'], onProgress: (progress) => seen.push(progress)});
		assert.equal(seen.length, 4);
		assert.deepEqual(seen[0], {total: 3, done: [], running: ['cpu', 'memory', 'os']});
		assert.deepEqual([...seen.at(-1)!.done].sort(), ['cpu', 'memory', 'os']);
		assert.deepEqual(seen.at(-1)!.running, []);
		for (const [index, progress] of seen.entries()) assert.equal(progress.done.length + progress.running.length, 3, `step ${index}`);
	});
	test('a hung command is reported as timed out and the rest still arrives', {timeout: 120_000}, async () => {
		const pids = join(mkdtempSync(join(tmpdir(), 'sel4-llm-hung-')), 'pids');
		const facts = await gatherFacts({
			workspace: '/tmp/sel4-llm-doctor-test',
			timeoutMs: 500,
			env: {...process.env, PATH: `${join(fakeBin, 'hung')}:/usr/bin:/bin`, HUNG_PIDS: pids},
		});
		const [own, child] = hungPids(pids);
		await waitFor(() => gone(own!) && gone(child!), 30_000, 'the hung cmake and its child to be killed');
		assert.equal(facts.tools!.cmake.runs, false);
		assert.equal(facts.tools!.cmake.detail, 'timed out after 500 ms');
		const record = Object.entries(facts.gather).find(([key]) => key === 'command: cmake --version');
		assert.equal(record?.[1].status, 'timeout');
		assert.ok(facts.memory && facts.cpu && facts.os, 'other sections are there');
	});
});
