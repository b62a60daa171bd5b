// Each troubleshooting entry grown from a reported failure, against the lines of its report with the noise a real
// log has around them: the entry must match and no unrelated entry may rank above it. Healthy logs (the recorded good
// boots, a real cmake + ninja build, a real git clone) must give no failure at all.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {loadRecipeSet} from '../../source/engine/load.js';
import {collectEntries, diagnoseLog, stageOfStep, stepOfLogName} from '../../source/diagnose/log.js';
import {diagnoseResult} from '../../source/diagnose/report.js';
import {isRoot} from '../../source/system/user.js';
import {root, tempDir} from '../support/cli.js';

const set = loadRecipeSet([join(root, 'recipes')], {catalogue: join(root, 'recipes', 'troubleshoot.yaml')});
const entries = collectEntries(set);
const values = new Map([
	['workspace', '/home/u/sel4-llm'],
	['home', '/home/u'],
	['platform', 'qemu-arm-virt'],
	['app', 'llm_vm'],
]);
const diagnose = (text: string, source = 'test.log') => diagnoseLog(text, {entries, values, source});

// Lines around the evidence, as each stage's logs have them.
const noise = {
	host: ['Reading package lists... Done', 'Building dependency tree... Done', 'python3-venv is already the newest version (3.11.2-1+b1).'],
	sync: ['Downloading Repo source from https://gerrit.googlesource.com/git-repo', 'remote: Counting objects: 140, done'],
	configure: [
		'loading initial cache file /home/u/camkes/projects/vm-examples/settings.cmake',
		'-- Setting from flags',
		'-- Found Git: /usr/bin/git (found version "2.39.5")',
	],
	build: ['[0/1] Re-running CMake...', '-- Configuring done', '-- Generating done', '[112/385] Building C object kernel/CMakeFiles/kernel.elf.dir/kernel_all.c.obj'],
	boot: ['ELF-loader started on CPU: ARM Ltd. Cortex-A53 r0p4', '  paddr=[c1b39000..c2fa90d7]', 'Jumping to kernel-image entry point...', '', 'Bootstrapping kernel'],
	bootX86: ['Boot config: parsing cmdline \'/sel4kernel\'', 'Boot config: console_port = 0x3f8', 'Detected 1 boot module(s):', 'Parsing GRUB physical memory map'],
	guest: ['[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x410fd034]', '[    1.107005] Freeing unused kernel memory: 1024K', '[    1.268960] Run /init as init process'],
} as const;

/** same: entries of the same cause (a step's own copy of a catalogue entry) that may rank first instead. */
type Case = {entry: string; stage: string; lines: string[]; report: string; same?: string[]};

const cases: Case[] = [
	{
		// Seen for real: init-build.sh for qemu-arm-virt without -DAARCH64=TRUE, with the AArch64 compiler installed.
		entry: 'arm-aarch64-not-set',
		stage: 'configure',
		report: 'https://github.com/seL4/camkes-vm-examples/blob/master/apps/Arm/vm_minimal/CMakeLists.txt',
		lines: [
			'loading initial cache file /ws/projects/vm-examples/settings.cmake',
			'-- Set platform details from PLATFORM=qemu-arm-virt',
			'--   KernelPlatform: qemu-arm-virt',
			'-- Found seL4: /ws/kernel  ',
			'-- ARM_CPU not set, defaulting to cortex-a15',
			'-- Extracting device tree from QEMU',
			'-- qemu-system-arm: info: dtb dumped to /ws/build/qemu-arm-virt.dtb. Exiting.',
			'CMake Error at /ws/gcc.cmake:51 (message):',
			'  Unable to find valid cross-compiling GCC',
			'Call Stack (most recent call first):',
			'  /ws/gcc.cmake:58 (FindPrefixedGCC)',
			'-- Configuring incomplete, errors occurred!',
		],
	},
	{
		entry: 'pip-externally-managed',
		stage: 'host',
		report: 'https://github.com/seL4/docs/pull/271',
		lines: [
			...noise.host,
			'$ python3 -m pip install --user setuptools sel4-deps',
			'error: externally-managed-environment',
			'',
			'× This environment is externally managed',
			'╰─> To install Python packages system-wide, try apt install',
			'    python3-xyz, where xyz is the package you are trying to',
			'    install.',
			'note: If you believe this is a mistake, please contact your Python installation or OS distribution provider.',
			'hint: See PEP 668 for the detailed specification.',
		],
	},
	{
		entry: 'camkes-deps-orderedset',
		stage: 'host',
		report: 'https://github.com/seL4/camkes-tool/issues/124',
		lines: [
			'Collecting camkes-deps',
			'  Downloading camkes-deps-0.7.3.tar.gz (2.4 kB)',
			'Collecting orderedset (from camkes-deps)',
			'Building wheels for collected packages: orderedset',
			"  Building wheel for orderedset (setup.py): finished with status 'error'",
			'  error: subprocess-exited-with-error',
			'  × python setup.py bdist_wheel did not run successfully.',
			'      x86_64-linux-gnu-gcc -Wsign-compare -DNDEBUG -g -fwrapv -O2 -Wall -fPIC -I/usr/include/python3.11 -c lib/orderedset/_orderedset.c',
			'      error: command \'/usr/bin/x86_64-linux-gnu-gcc\' failed with exit code 1',
			'  ERROR: Failed building wheel for orderedset',
			'Failed to build orderedset',
		],
	},
	{
		entry: 'repo-launcher-python2',
		same: ['repo-python'],
		stage: 'sync',
		report: 'https://github.com/seL4/seL4/issues/682',
		lines: [
			'$ repo init -u https://github.com/seL4/camkes-vm-examples-manifest.git',
			'warning: gpg (GnuPG) is not available.',
			...noise.sync,
			'Unpacking objects: 100% (5/5), done.',
			'From https://gerrit.googlesource.com/git-repo',
			'   4a478ed..2a089cf  main       -> origin/main',
			'  File "/home/u/camkes/.repo/repo/main.py", line 79',
			'    file=sys.stderr)',
			'        ^',
			'SyntaxError: invalid syntax',
		],
	},
	{
		entry: 'init-build-wrong-directory',
		stage: 'configure',
		report: 'https://github.com/seL4/seL4_tools/blob/master/cmake-tool/init-build.sh',
		lines: ['$ cd ~/camkes && ./init-build.sh -DPLATFORM=qemu-arm-virt -DAARCH64=TRUE -DCAMKES_VM_APP=vm_minimal', '"init-build.sh" should not be invoked from top-level directory'],
	},
	{
		entry: 'configure-without-init-build',
		stage: 'configure',
		report: 'https://github.com/seL4/seL4/issues/908',
		lines: [
			'CMake Error at CMakeLists.txt:9 (include):',
			'  include could not find load file:',
			'',
			'    settings.cmake',
			'',
			'-- The C compiler identification is GNU 9.4.0',
			'-- Check for working C compiler: /usr/bin/gcc -- works',
			'CMake Error at kernel/configs/seL4Config.cmake:172 (message):',
			"  Variable 'KernelArch' is not set.",
			'Call Stack (most recent call first):',
			'  kernel/CMakeLists.txt:10 (include)',
			'-- Configuring incomplete, errors occurred!',
		],
	},
	{
		entry: 'cross-compiler-missing',
		stage: 'configure',
		report: 'https://github.com/seL4/seL4/issues/930',
		lines: [
			...noise.configure,
			'--   KernelPlatform: qemu-arm-virt',
			'CMake Error at /home/u/camkes/kernel/gcc.cmake:51 (message):',
			'  Unable to find valid cross-compiling GCC',
			'Call Stack (most recent call first):',
			'  /home/u/camkes/kernel/gcc.cmake:64 (FindPrefixedGCC)',
			'-- Configuring incomplete, errors occurred!',
		],
	},
	{
		entry: 'cross-compiler-missing',
		stage: 'configure',
		report: 'https://github.com/seL4/seL4/issues/930',
		lines: [...noise.configure, 'CMake Error at /home/u/camkes/tools/seL4/cmake-tool/helpers/check_arch_compiler.cmake:98 (message):', '  Compiler: /usr/bin/gcc isn\'t for seL4_arch: aarch64', '-- Configuring incomplete, errors occurred!'],
	},
	{
		entry: 'cmake-too-old',
		stage: 'configure',
		report: 'https://github.com/seL4/docs/issues/36',
		lines: [...noise.configure, 'CMake Error at projects/sel4runtime/CMakeLists.txt:20 (cmake_minimum_required):', '  CMake 3.12.0 or higher is required.  You are running version 3.10.2', '-- Configuring incomplete, errors occurred!'],
	},
	{
		entry: 'camkes-ast-pickle-missing',
		stage: 'configure',
		report: 'https://github.com/seL4/camkes-manifest/issues/17',
		lines: [
			...noise.configure,
			'-- Detecting cached version of: capDL-tool',
			'--   Not found cache entry for capDL-tool - will build from source',
			'-- /home/hyper/seL4/camkes/build/ast.pickle is out of date. Regenerating...',
			'CMake Error at /home/hyper/seL4/camkes/tools/seL4/cmake-tool/helpers/make.cmake:13 (file):',
			'  file failed to open for reading (No such file or directory):',
			'',
			'    /home/hyper/seL4/camkes/build/ast.pickle.d',
			'Call Stack (most recent call first):',
			'  /home/hyper/seL4/camkes/projects/camkes-tool/camkes.cmake:493 (execute_process_with_stale_check)',
		],
	},
	{
		entry: 'unknown-platform',
		stage: 'configure',
		report: 'https://github.com/seL4/camkes-vm-examples/issues/52',
		lines: [
			'hugo@anakin:~/camkes-vm-examples/build$ ../init-build.sh -DCAMKES_VM_APP=vm_minimal',
			'loading initial cache file /home/hugo/camkes-vm-examples/projects/vm-examples/settings.cmake',
			'CMake Error at apps/Arm/vm_minimal/settings.cmake:9 (message):',
			'  PLATFORM: x86 not supported.',
			'',
			'           Supported: tk1;tx1;tx2;exynos5422;qemu-arm-virt;odroidc2',
			'Call Stack (most recent call first):',
			'  settings.cmake:67 (include)',
		],
	},
	{
		entry: 'host-gcc-for-arm',
		stage: 'build',
		report: 'https://github.com/seL4/seL4/issues/109',
		lines: [
			'[0/1] Re-running CMake...',
			'-- Configuring done',
			'-- Generating done',
			'[1/27] Building C object CMakeFiles/kernel_all_pp_prune_wrapper_temp_lib.dir/kernel_all_pp_prune_wrapper_temp.c.obj',
			'FAILED: CMakeFiles/kernel_all_pp_prune_wrapper_temp_lib.dir/kernel_all_pp_prune_wrapper_temp.c.obj ',
			'/usr/bin/gcc --sysroot=/home/cheng/seL4_standalone -I/home/cheng/seL4/include -march=armv7-a -marm -D__KERNEL_32__ -O3 -DNDEBUG -nostdinc -nostdlib -ffreestanding -c kernel_all_pp_prune_wrapper_temp.c',
			"gcc: error: unrecognized command-line option '-marm'",
			'ninja: build stopped: subcommand failed.',
		],
	},
	{
		entry: 'multilib-missing',
		stage: 'build',
		report: 'https://github.com/seL4/seL4-CAmkES-L4v-dockerfiles/issues/84',
		lines: [
			'[5/427] Performing configure step for \'hello-app\'',
			'FAILED: hello-app-stamp/hello-app-configure',
			'-- [polly] Used toolchain: Linux / gcc / PIC / c++11 support / 32 bit',
			'-- The C compiler identification is GNU 7.5.0',
			'-- Check for working C compiler: /usr/bin/gcc -- broken',
			'CMake Error at /usr/local/share/cmake-3.13/Modules/CMakeTestCCompiler.cmake:52 (message):',
			'  The C compiler',
			'    "/usr/bin/gcc"',
			'  is not able to compile a simple test program.',
			'    [1/2] Building C object CMakeFiles/cmTC_ac0a4.dir/testCCompiler.c.o',
			'    FAILED: CMakeFiles/cmTC_ac0a4.dir/testCCompiler.c.o',
			'    In file included from /usr/include/stdlib.h:25:0,',
			'    /usr/include/x86_64-linux-gnu/bits/libc-header-start.h: No such file or directory',
			'    /usr/include/features.h:424:12: fatal error: bits/libc-header-start.h: No such file or directory',
			'ninja: build stopped: subcommand failed.',
		],
	},
	{
		entry: 'capdl-stack-too-old',
		stage: 'build',
		report: 'https://github.com/seL4/capdl/issues/2',
		lines: [...noise.build, '[304/385] Generating capDL-tool/parse-capDL', 'stack build --fast', 'No information found for ghc-8.0.1.', "Supported versions for OS key 'linux64-nopie': GhcVersion 8.0.2, GhcVersion 8.2.1, GhcVersion 8.2.2", 'make: *** [Makefile:37: sandbox] Error 1', 'ninja: build stopped: subcommand failed.'],
	},
	{
		entry: 'capdl-stack-missing',
		stage: 'build',
		report: 'https://docs.sel4.systems/projects/buildsystem/host-dependencies.html',
		lines: [...noise.build, '[304/385] Generating capDL-tool/parse-capDL', 'FAILED: capDL-tool/parse-capDL', 'stack build --fast', 'make: stack: No such file or directory', 'make: *** [Makefile:55: parse-capDL] Error 127', 'ninja: build stopped: subcommand failed.'],
	},
	{
		entry: 'stack-download',
		stage: 'build',
		report: 'https://github.com/seL4/camkes-vm-examples/issues/32',
		lines: [
			'[304/385] Generating capDL-tool/parse-capDL',
			'FAILED: capDL-tool/parse-capDL /home/luffy/sel4-vm-example/build/capDL-tool/parse-capDL',
			'stack build --fast',
			'Downloading lts-19.12 build plan ...',
			'RedownloadFailed Request {',
			'  host                 = "raw.githubusercontent.com"',
			'  port                 = 443',
			'  path                 = "/fpco/lts-haskell/master//lts-19.12.yaml"',
		],
	},
	{
		entry: 'python-module-missing',
		stage: 'configure',
		report: 'https://github.com/seL4/seL4/issues/61',
		lines: [
			...noise.configure,
			'Traceback (most recent call last):',
			'  File "/home/podhrad/sel4/kernel/tools/bitfield_gen.py", line 29, in <module>',
			'    import lex',
			'  File "/home/podhrad/sel4/kernel/tools/lex.py", line 46, in <module>',
			'    from past.builtins import cmp',
			'ImportError: No module named past.builtins',
		],
	},
	{
		entry: 'sel4-x86-cpu-feature-missing',
		stage: 'boot',
		report: 'https://github.com/seL4/seL4/issues/79',
		lines: ['SeaBIOS (version 1.16.2-debian-1.16.2-1)', 'Booting from DVD/CD...', "Booting 'seL4 (multiboot2, BIOS and UEFI)'", 'PCIDs not supported by the processor'],
	},
	{
		entry: 'sel4-root-cnode-full',
		stage: 'boot',
		report: 'https://github.com/seL4/seL4/issues/143',
		lines: [
			...noise.boot,
			'available phys memory regions: 1',
			'  [40000000..c0000000]',
			'ERROR: can\'t add another cap, all 262144 (=2^CONFIG_ROOT_CNODE_SIZE_BITS) slots used',
			'ERROR: could not create all userland image frames',
			'seL4 called fail at /home/u/camkes/kernel/src/arch/arm/kernel/boot.c:662 in function init_kernel, saying "ERROR: kernel init failed"',
		],
	},
	{
		entry: 'capdl-loader-out-of-untyped',
		stage: 'boot',
		report: 'https://github.com/seL4/capdl/blob/master/capdl-loader-app/src/main.c',
		lines: [...noise.boot, 'Booting all finished, dropped to user space', '<<seL4(CPU 0) [decodeUntypedInvocation/204 T0x80bf81f400 "rootserver" @4006d8]: Untyped Retype: Insufficient memory (1 * 2097152 bytes needed, 0 bytes available).>>', 'init_system@main.c:843 Ran out of untyped memory while creating objects.'],
	},
	{
		entry: 'vmm-guest-ram-alloc-failed',
		stage: 'boot',
		report: 'https://github.com/seL4/seL4_projects_libs/issues/126',
		lines: [...noise.bootX86, 'Booting all finished, dropped to user space', 'run@main.c:784 Failed to allocate 1073741824 bytes of guest ram. Already allocated 536870912.'],
	},
	{
		entry: 'vmm-guest-ram-alloc-failed',
		stage: 'boot',
		report: 'https://github.com/seL4/seL4_projects_libs/issues/126',
		lines: [...noise.boot, 'Booting all finished, dropped to user space', 'map_ram_reservation@guest_ram.c:327 Failed to map new ram reservation', 'vm_ram_register_at@guest_ram.c:379 Failed to register new ram region'],
	},
	{
		entry: 'guest-module-vermagic',
		stage: 'guest',
		report: 'https://github.com/seL4/sel4-tutorials/issues/80',
		lines: [...noise.guest, '# insmod /lib/modules/4.8.16/kernel/drivers/vmm/poke.ko', "[   30.023396] poke: version magic '4.8.16 SMP mod_unload 686 ' should be '4.8.16 mod_unload 686 '", "insmod: can't insert '/lib/modules/4.8.16/kernel/drivers/vmm/poke.ko': invalid module format"],
	},
];

describe('entries grown from reported failures', () => {
	for (const each of cases) {
		it(`${each.entry} matches its report's lines (${each.report}) and ranks first`, () => {
			const report = diagnose(`${each.lines.join('\n')}\n`);
			assert.ok(report.diagnoses.length > 0, `nothing matched for ${each.entry}`);
			const ids = report.diagnoses.map((diagnosis) => diagnosis.id);
			assert.ok([each.entry, ...(each.same ?? [])].includes(ids[0]!), `ranked first: ${ids.join(', ')}`);
			assert.equal(report.diagnoses[0]!.source, each.report);
			assert.equal(report.stage, each.stage);
			const evidence = report.diagnoses[0]!;
			assert.equal(each.lines[evidence.line - 1]!.includes(evidence.evidence!.trim().slice(0, 20)), true, 'the line number points at the evidence');
		});
	}

	it('every new entry with a public report has a case here', () => {
		const reported = entries.filter((candidate) => candidate.entry.source !== undefined && candidate.entry.severity !== 'info').map((candidate) => candidate.entry.id);
		const covered = new Set(cases.map((each) => each.entry));
		const missing = reported.filter((id) => !covered.has(id) && !['sel4-fsgsbase-unsupported', 'sel4-arm-kernel-init-failed', 'ninja-python-module-missing', 'repo-python'].includes(id));
		assert.deepEqual(missing, []);
	});

	it('shows the fix commands resolved, with their capabilities, and a re-check', () => {
		const report = diagnose(cases.find((each) => each.entry === 'multilib-missing')!.lines.join('\n'));
		const top = report.diagnoses[0]!;
		assert.deepEqual(top.fix?.commands, [`${isRoot() ? '' : 'sudo -n '}apt-get install -y --no-install-recommends gcc-multilib g++-multilib`]);
		assert.deepEqual(top.fix?.capabilities, ['sudo', 'network']);
		assert.match(top.recheck!.commands[0]!, /gcc -m32/);
		const pip = diagnose(cases.find((each) => each.entry === 'pip-externally-managed')!.lines.join('\n')).diagnoses[0]!;
		assert.deepEqual(pip.fix?.commands, [
			'/usr/bin/python3 -m venv --system-site-packages /home/u/sel4-llm/python-venv',
			'/home/u/sel4-llm/python-venv/bin/python3 -m pip install sel4-deps camkes-deps',
		]);
	});

	it('the capped num_vcpus of a default vm_minimal boot is a note, not a failure', () => {
		const report = diagnose([...noise.boot, "run@main.c:1332 Invalid 'num_vcpus' attribute setting: Exceeds maximum number of supported nodes. Capping value to CONFIG_MAX_NUM_NODES (1)"].join('\n'));
		assert.deepEqual(report.diagnoses, []);
		assert.deepEqual(report.notes.map((note) => [note.id, note.note]), [['vmm-num-vcpus-capped', 'harmless']]);
	});

	it('a specific panic wins over the generic one on the same line; a generic catch-all ranks below a specific cause', () => {
		const panic = diagnose([...noise.guest, '[    2.010200] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)'].join('\n'));
		assert.deepEqual(panic.diagnoses.map((diagnosis) => diagnosis.id), ['guest-vfs-no-root']);
		const acpi = diagnose(['BIOS: No ACPI support detected', 'seL4 called fail at /kernel/src/arch/x86/kernel/boot_sys.c:700 in function boot_sys, saying "boot_sys failed for some reason :("'].join('\n'));
		assert.deepEqual(acpi.diagnoses.map((diagnosis) => diagnosis.id), ['sel4-no-acpi', 'sel4-boot-sys-failed']);
	});

	it('reads the step and stage of a plain sel4-llm run from its step prefixes and step log names', () => {
		const run = diagnose(['> run  build.configure-arm: Configure for qemu-arm-virt (init-build.sh)', '  build.configure-arm | CMake Error at kernel/gcc.cmake:51 (message):', '  build.configure-arm |   Unable to find valid cross-compiling GCC'].join('\n'));
		assert.equal(run.diagnoses[0]!.id, 'cross-compiler-missing');
		assert.equal(run.diagnoses[0]!.line, 3);
		assert.equal(run.stage, 'configure');
		assert.equal(stepOfLogName('/ws/.sel4-llm/logs/build.ninja-arm.log', new Set(set.steps.keys())), 'build.ninja-arm');
		assert.equal(stepOfLogName('/tmp/ninja.log', new Set(set.steps.keys())), undefined);
		assert.deepEqual(['host.apt', 'sources.sync', 'build.configure-x86-usb', 'build.ninja-x86', 'boot.ask', 'launch'].map(stageOfStep), ['host', 'sync', 'configure', 'build', 'boot', 'boot']);
		const hinted = diagnoseLog('something odd happened\n', {entries, source: 'build.ninja-arm.log', step: 'build.ninja-arm'});
		assert.deepEqual([hinted.stage, hinted.stageFrom], ['build', 'file name']);
	});

	it('the built-in sync\'s progress lines read as stage sync, not as ninja\'s counter (a real sync log of 19 projects was read as a build)', () => {
		const paths = ['projects/camkes-tool', 'projects/vm-examples', 'kernel', 'tools/seL4', 'projects/capdl', 'projects/util_libs', 'projects/seL4_libs', 'projects/musllibc', 'projects/sel4runtime', 'projects/camkes-vm', 'projects/global-components', 'projects/sel4_projects_libs'];
		const lines = ['Manifest default.xml from https://github.com/seL4/camkes-vm-examples-manifest.git via file:///m/camkes-vm-examples-manifest.git (459e5fcbe9d1): 12 projects, 2 at a time'];
		paths.forEach((path, index) => {
			const counter = `[${String(index + 1).padStart(2)}/${paths.length}] ${path.padEnd(28)}`;
			lines.push(`${counter} fetch 7ce8ef4ef82e (shallow)`, `${counter} cloned 7ce8ef4ef82e in 0.5 s (shallow)`);
		});
		lines.push('Synced 12 projects in 6.1 s: 12 cloned, 0 updated, 0 unchanged.');
		assert.equal(diagnose(lines.join('\n')).stage, 'sync');
		assert.equal(diagnose(['[10/398] Building C object kernel/CMakeFiles/kernel.elf.dir/kernel_all.c.obj', '[11/398] Linking C executable kernel.elf'].join('\n')).stage, 'build');
	});

	it('nothing known: the result names the first error-looking line and where to ask for that stage', () => {
		const report = diagnose([...noise.build, '[200/385] Building C object foo.c.obj', 'FAILED: foo.c.obj', 'foo.c:12:3: error: unknown type name ‘frobnicator_t’', 'ninja: build stopped: subcommand failed.'].join('\n'));
		assert.deepEqual(report.diagnoses, []);
		assert.equal(report.stage, 'build');
		const result = diagnoseResult(report, 1);
		assert.deepEqual(result.firstErrorLine, {line: 6, text: 'FAILED: foo.c.obj'});
		assert.equal(result.ask?.tracker, 'https://github.com/seL4/camkes-vm/issues');
		assert.equal(result.ask?.discourse, 'https://sel4.discourse.group');
		assert.deepEqual([result.type, result.command, result.ok, result.exit], ['result', 'diagnose', false, 1]);
	});
});

function run(argv: string[], cwd: string): string {
	const result = spawnSync(argv[0]!, argv.slice(1), {cwd, encoding: 'utf8'});
	assert.equal(result.status, 0, `${argv.join(' ')}: ${result.stderr}`);
	return `${result.stdout}${result.stderr}`;
}

describe('healthy logs give no failure', () => {
	const boots = [join(root, 'test', 'fixtures', 'serial', 'recorded'), join(root, '..', '..', 'shared', 'fixtures', 'serial')].flatMap((dir) => {
		try {
			return readdirSync(dir).filter((name) => name.endsWith('.log')).map((name) => join(dir, name));
		} catch {
			return [];
		}
	});
	const healthySerial = ['arm-virt-ready.log', 'arm-virt-poweroff.log', 'arm-virt-stalled.log'].map((name) => join(root, 'test', 'fixtures', 'serial', name));
	for (const file of [...boots, ...healthySerial]) {
		it(`${file.replace(`${root}/`, '')}: no failure diagnosis`, () => {
			const report = diagnose(readFileSync(file, 'utf8'), file);
			assert.deepEqual(report.diagnoses.map((diagnosis) => `${diagnosis.id}: ${diagnosis.evidence}`), []);
		});
	}

	it('a recorded boot of the guest as far as llama.cpp: stage guest, only notes', () => {
		const file = join(root, 'test', 'fixtures', 'serial', 'recorded', 'camkes-vm-qemu-arm-virt-llama.log');
		const report = diagnose(readFileSync(file, 'utf8'), file);
		assert.equal(report.stage, 'guest');
		assert.ok(report.notes.some((note) => note.id === 'vmm-num-vcpus-capped'));
		assert.ok(report.notes.some((note) => note.note === 'after-poweroff'));
	});

	it('a real cmake + ninja build and a real git clone, as one log', () => {
		const dir = tempDir('diagnose-healthy-');
		const source = join(dir, 'src');
		mkdirSync(source);
		writeFileSync(join(source, 'CMakeLists.txt'), 'cmake_minimum_required(VERSION 3.16)\nproject(hello C)\nadd_executable(hello hello.c)\n');
		writeFileSync(join(source, 'hello.c'), '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n');
		let log = run(['cmake', '-G', 'Ninja', '-S', source, '-B', join(dir, 'build')], dir);
		log += run(['ninja', '-C', join(dir, 'build')], dir);
		run(['git', 'init', '-q', join(dir, 'upstream')], dir);
		run(['git', '-C', join(dir, 'upstream'), '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'one'], dir);
		log += run(['git', 'clone', '--progress', join(dir, 'upstream'), join(dir, 'clone')], dir);
		assert.match(log, /Build files have been written/);
		assert.match(log, /Linking C executable/);
		const report = diagnose(log);
		assert.deepEqual(report.diagnoses.map((diagnosis) => `${diagnosis.id}: ${diagnosis.evidence}`), []);
		assert.equal(report.stage, 'build');
	});
});
