// `sel4-llm diagnose` end to end (dist/cli.js): a log file, stdin, a missing file, a log with nothing known, --json,
// and --recipes layers whose own entries take part.
import assert from 'node:assert/strict';
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {PassThrough} from 'node:stream';
import {describe, it} from 'node:test';
import {main} from '../../source/cli.js';
import {cli, tempDir} from '../support/cli.js';

const multilibLog = [
	"[5/427] Performing configure step for 'hello-app'",
	'FAILED: hello-app-stamp/hello-app-configure',
	'-- [polly] Used toolchain: Linux / gcc / PIC / c++11 support / 32 bit',
	'-- Check for working C compiler: /usr/bin/gcc -- broken',
	'    /usr/include/features.h:424:12: fatal error: bits/libc-header-start.h: No such file or directory',
	'ninja: build stopped: subcommand failed.',
	'',
].join('\n');

const unknownLog = ['[199/385] Building C object foo.c.obj', '[200/385] Building C object bar.c.obj', 'bar.c:12:3: error: unknown type name ‘frobnicator_t’', 'ninja: build stopped: subcommand failed.', ''].join('\n');

function logFile(name: string, text: string): string {
	const file = join(tempDir('diagnose-cli-'), name);
	writeFileSync(file, text);
	return file;
}

describe('sel4-llm diagnose', () => {
	const workspace = tempDir('diagnose-ws-');

	it('a log file: the known cause with its evidence line, the fix and its capabilities, the re-check and the report; exit 0', () => {
		const result = cli(['diagnose', logFile('ninja.log', multilibLog), '--workspace', workspace]);
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /stage build \(from its lines\)/);
		assert.match(result.stdout, /1\. The 32-bit C\/C\+\+ libraries are missing .*\[multilib-missing, high confidence; troubleshoot\.yaml\]/);
		assert.match(result.stdout, /line 5: \/usr\/include\/features\.h:424:12: fatal error: bits\/libc-header-start\.h/);
		assert.match(result.stdout, /\$ (sudo -n )?apt-get install -y --no-install-recommends gcc-multilib g\+\+-multilib/);
		assert.match(result.stdout, /needs: sudo, network; shown here, diagnose runs nothing/);
		assert.match(result.stdout, /re-check: sh -c/);
		assert.match(result.stdout, /reported: https:\/\/github\.com\/seL4\/seL4-CAmkES-L4v-dockerfiles\/issues\/84/);
	});

	it('stdin: "-", and no argument when stdin is not a terminal', () => {
		for (const args of [['diagnose', '-'], ['diagnose']]) {
			const result = cli([...args, '--workspace', workspace], {input: multilibLog});
			assert.equal(result.code, 0, result.stderr);
			assert.match(result.stdout, /^Diagnosis of stdin: 6 lines, stage build/);
			assert.match(result.stdout, /multilib-missing/);
		}
	});

	it('no argument on a terminal is a usage error (exit 2)', async () => {
		type Io = NonNullable<Parameters<typeof main>[1]>;
		const stdin = Object.assign(new PassThrough(), {isTTY: true}) as unknown as Io['stdin'];
		const out = new PassThrough() as unknown as Io['stdout'];
		await assert.rejects(main(['diagnose', '--workspace', workspace], {stdout: out, stderr: out as unknown as Io['stderr'], stdin}), (error: Error & {exitCode?: number}) => {
			assert.match(error.message, /needs a log: a file, or "-"/);
			assert.equal(error.exitCode, 2);
			return true;
		});
	});

	it('a missing file is exit 3', () => {
		const result = cli(['diagnose', join(workspace, 'nope.log'), '--workspace', workspace]);
		assert.equal(result.code, 3);
		assert.match(result.stderr, /the log .*nope\.log: no such file/);
	});

	it('nothing known: exit 1, the first error-looking line and where to ask', () => {
		const result = cli(['diagnose', logFile('other.log', unknownLog), '--workspace', workspace]);
		assert.equal(result.code, 1, result.stderr);
		assert.match(result.stdout, /No known cause matched\./);
		assert.match(result.stdout, /First error-looking line \(line 3\): bar\.c:12:3: error: unknown type name/);
		assert.match(result.stdout, /https:\/\/sel4\.discourse\.group/);
		assert.match(result.stdout, /seL4\/camkes-vm: https:\/\/github\.com\/seL4\/camkes-vm\/issues/);
	});

	it('--json: NDJSON, each line with a type, the last one the result', () => {
		for (const [text, exit] of [
			[multilibLog, 0],
			[unknownLog, 1],
		] as const) {
			const result = cli(['diagnose', logFile('x.log', text), '--json', '--workspace', workspace]);
			assert.equal(result.code, exit, result.stderr);
			const lines = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
			for (const line of lines) assert.equal(typeof line.type, 'string');
			const last = lines.at(-1)!;
			assert.deepEqual([last.type, last.command, last.ok, last.exit, last.stage], ['result', 'diagnose', exit === 0, exit, 'build']);
			if (exit === 0) {
				const [first] = last.diagnoses as Array<Record<string, unknown>>;
				assert.equal(first!.id, 'multilib-missing');
				assert.equal(first!.line, 5);
				assert.equal(first!.confidence, 'high');
				assert.equal(first!.source, 'https://github.com/seL4/seL4-CAmkES-L4v-dockerfiles/issues/84');
				assert.deepEqual((first!.fix as {capabilities: string[]}).capabilities, ['sudo', 'network']);
				assert.ok(Array.isArray((first!.recheck as {commands: string[]}).commands));
				assert.equal(last.firstErrorLine, null);
				assert.ok(lines.some((line) => line.type === 'diagnosis' && line.rank === 1));
			} else {
				assert.deepEqual(last.diagnoses, []);
				assert.deepEqual(last.firstErrorLine, {line: 3, text: 'bar.c:12:3: error: unknown type name ‘frobnicator_t’'});
			}
		}
	});

	it('--recipes DIR: the layer\'s catalogue and its steps\' own entries take part', () => {
		const dir = join(tempDir('diagnose-layer-'), 'mine');
		mkdirSync(dir);
		writeFileSync(
			join(dir, 'mine.yaml'),
			[
				'version: 1',
				'id: mine',
				'title: Mine',
				'steps:',
				'  frob:',
				'    title: Frobnicate',
				'    run: [["true"]]',
				'    troubleshoot:',
				'      - id: frob-missing',
				'        title: The frobnicator is missing',
				'        match: {output: "unknown type name .frobnicator_t"}',
				'        cause: libfrob is not installed.',
				'        fix: {description: Install libfrob.}',
				'',
			].join('\n'),
		);
		writeFileSync(
			join(dir, 'troubleshoot.yaml'),
			['version: 1', 'entries:', '  - id: ninja-stopped', '    title: ninja stopped', '    match: {output: "ninja: build stopped"}', '    cause: Something failed.', '    confidence: low', ''].join('\n'),
		);
		const result = cli(['diagnose', logFile('other.log', unknownLog), '--recipes', dir, '--workspace', workspace, '--json']);
		assert.equal(result.code, 0, result.stderr);
		const last = JSON.parse(result.stdout.trimEnd().split('\n').at(-1)!) as {diagnoses: Array<{id: string; from: string}>};
		assert.deepEqual(
			last.diagnoses.map((diagnosis) => [diagnosis.id, diagnosis.from]),
			[
				['frob-missing', 'step mine.frob'],
				['ninja-stopped', 'troubleshoot.yaml'],
			],
		);
	});

	it('--help is generated from the registry', () => {
		const result = cli(['diagnose', '--help']);
		assert.equal(result.code, 0);
		assert.match(result.stdout, /sel4-llm diagnose \[LOG\|-\]/);
		assert.match(result.stdout, /Exit codes: 0 a known cause matched, 1 none did/);
	});
});
