import assert from 'node:assert/strict';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {fileURLToPath} from 'node:url';
import {loadCatalogue} from '../../source/engine/load.js';
import {compileCatalogue, readCatalogue} from '../../source/qemu/index.js';
import {diagnose} from '../../source/engine/troubleshoot.js';
import {formatEntry} from '../../source/qemu/report.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const file = join(root, 'recipes', 'troubleshoot.yaml');
const entries = loadCatalogue(file);

// One real line per entry, as seen in real boots and builds.
const samples: Record<string, string> = {
	'qemu-tcg-no-vmx': "qemu-system-x86_64: warning: TCG doesn't support requested feature: CPUID.01H:ECX.vmx [bit 5]",
	'qemu-tcg-no-vme': "qemu-system-x86_64: TCG doesn't support requested feature: CPUID.01H:EDX.vme [bit 1]",
	'kvm-permission-denied': 'Could not access KVM kernel module: Permission denied',
	'kvm-module-missing': 'Could not access KVM kernel module: No such file or directory',
	'kvm-no-nested-vmx': "qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.01H:ECX.vmx [bit 5]",
	'sel4-vtx-not-supported': 'vt-x: not supported',
	'sel4-vtx-feature-locked': 'vt-x: feature locked',
	'sel4-boot-sys-failed': 'seL4 called fail at /build/kernel/src/arch/x86/kernel/boot_sys.c:712 in function boot_sys, saying "boot_sys failed for some reason :(',
	'sel4-no-acpi': 'BIOS: No ACPI support detected',
	'sel4-fsgsbase-unsupported': 'fsgsbase instructions not supported',
	'sel4-untyped-retype-insufficient-memory': '<<seL4(CPU 0) [decodeUntypedInvocation/204 T0x80bf81f400 "rootserver" @4006d8]: Untyped Retype: Insufficient memory (1 * 2097152 bytes needed, 0 bytes available).>>',
	'sel4-rootserver-abort': 'root server abort()ed',
	'vmm-guest-poweroff': 'handle_psci@psci.c:80 Unhandled PSCI function id 8',
	'vmm-unhandled-vcpu-fault': '======= Unhandled VCPU fault from [vm0] =======',
	'vmm-failed-to-run-vm': 'main_continued@main.c:1310 Failed to run VM',
	'guest-initramfs-unpack-failed': '[    1.500000] Initramfs unpacking failed: uncompression error',
	'guest-vfs-no-root': '[    2.010200] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)',
	'guest-no-working-init': '[    2.1] Kernel panic - not syncing: No working init found.  Try passing init= option to kernel.',
	'guest-init-killed': '[    2.3] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100',
	'guest-out-of-memory-panic': '[   14.3] Kernel panic - not syncing: System is deadlocked on memory',
	'guest-oom-killed': '[   14.1] Out of memory: Killed process 181 (llama-cli) total-vm:2101000kB, anon-rss:480000kB',
	'guest-kernel-panic': '[    3.0] Kernel panic - not syncing: sysrq triggered crash',
	'llama-illegal-instruction': 'Illegal instruction',
	'guest-exec-format-error': "/bin/sh: /usr/bin/llama-cli: Exec format error",
	'llama-model-load-failed': 'llama_model_load_from_file_impl: failed to load model',
	'qemu-cannot-allocate-memory': 'qemu-system-aarch64: cannot set up guest memory \'mach-virt.ram\': Cannot allocate memory',
	'qemu-kernel-load-failed': 'qemu-system-aarch64: could not load kernel \'images/capdl-loader-image-arm-qemu-arm-virt\'',
	'no-space-left': 'write /var/lib/docker/tmp/x: no space left on device',
	'docker-useradd-root-exists': "useradd: user 'root' already exists",
	'buildkit-output-clipped': '[output clipped, log limit 1MiB reached]',
	'hosttools-missing': 'ERROR: The following required tools (as specified by HOSTTOOLS) appear to be unavailable in PATH',
	'repo-launcher-python2': '  File "/home/user/sel4/.repo/repo/main.py", line 79\n    file=sys.stderr)\nSyntaxError: invalid syntax',
	'repo-cannot-checkout': 'error: Cannot checkout seL4: ManifestInvalidRevisionError',
	'flash-verify-checksum-mismatch': 'Checksum does not match for range [0, 1048576]',
	'network-timeout': 'Network resources exceeded maximum allowed duration',
	'vfat-mount-unsupported': "mount: /mnt: unknown filesystem type 'vfat'.",
	'pip-externally-managed': 'error: externally-managed-environment',
	'camkes-deps-orderedset': '  ERROR: Failed building wheel for orderedset',
	'init-build-wrong-directory': '"init-build.sh" should not be invoked from top-level directory',
	'configure-without-init-build': "  Variable 'KernelArch' is not set.",
	'cross-compiler-missing': '  Unable to find valid cross-compiling GCC',
	'arm-aarch64-not-set': '-- ARM_CPU not set, defaulting to cortex-a15',
	'cmake-too-old': '  CMake 3.12.0 or higher is required.  You are running version 3.10.2',
	'camkes-ast-pickle-missing': '    /home/hyper/seL4/camkes/build/ast.pickle.d',
	'host-gcc-for-arm': '/usr/bin/gcc --sysroot=/home/cheng/seL4_standalone -I/home/cheng/seL4/include -march=armv7-a -marm -c kernel_all.c',
	'multilib-missing': '/usr/include/features.h:424:12: fatal error: bits/libc-header-start.h: No such file or directory',
	'capdl-stack-too-old': 'No information found for ghc-8.0.1.',
	'capdl-stack-missing': 'make: stack: No such file or directory',
	'sel4-x86-cpu-feature-missing': 'PCIDs not supported by the processor',
	'sel4-root-cnode-full': "ERROR: can't add another cap, all 262144 (=2^CONFIG_ROOT_CNODE_SIZE_BITS) slots used",
	'sel4-arm-kernel-init-failed': 'seL4 called fail at /kernel/src/arch/arm/kernel/boot.c:662 in function init_kernel, saying "ERROR: kernel init failed"',
	'capdl-loader-out-of-untyped': 'init_system@main.c:843 Ran out of untyped memory while creating objects.',
	'vmm-guest-ram-alloc-failed': 'run@main.c:784 Failed to allocate 1073741824 bytes of guest ram. Already allocated 536870912.',
	'vmm-num-vcpus-capped': "run@main.c:1332 Invalid 'num_vcpus' attribute setting: Exceeds maximum number of supported nodes. Capping value to CONFIG_MAX_NUM_NODES (1)",
	'guest-module-vermagic': "[   30.023396] poke: version magic '4.8.16 SMP mod_unload 686 ' should be '4.8.16 mod_unload 686 '",
};

describe('troubleshooting catalogue', () => {
	it('has at least 20 entries with a cause and a fix or re-check each', () => {
		assert.ok(entries.length >= 20, `only ${entries.length} entries`);
		for (const entry of entries) {
			assert.ok(entry.cause.length > 10, entry.id);
			assert.ok(entry.fix !== undefined || entry.recheck !== undefined, `${entry.id} has neither fix nor re-check`);
		}
	});

	it('has a sample line for every entry (and no sample for a missing entry)', () => {
		assert.deepEqual(Object.keys(samples).sort(), entries.map((entry) => entry.id).sort());
	});

	for (const entry of entries) {
		it(`${entry.id} matches its real line`, () => {
			const sample = samples[entry.id]!;
			assert.ok(entry.match.output, `${entry.id} has no output signature`);
			assert.match(sample, new RegExp(entry.match.output!, 'im'));
		});
	}

	it('does not match ordinary boot lines of a healthy boot', () => {
		const compiled = compileCatalogue(entries);
		const healthy = [
			'ELF-loader started on CPU: ARM Ltd. Cortex-A53 r0p4',
			'Booting all finished, dropped to user space',
			"Loading Kernel: 'linux'",
			'[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x410fd034]',
			'[    0.000000] psci: PSCIv1.0 detected in firmware.',
			'[    2.268960] Run /init as init process',
			'llama_model_loader: loaded meta data with 22 key-value pairs and 39 tensors from /models/mid-q8_0.gguf',
			'main: decoded 32 tokens in 0.08 s, speed: 405.37 t/s',
		];
		for (const line of healthy) {
			assert.deepEqual(
				compiled.entries.filter((each) => each.pattern.test(line)).map((each) => each.entry.id),
				[],
				line,
			);
		}
	});

	it('applies boot entries to launch only, general entries everywhere', () => {
		const launch = readCatalogue(file).entries.map((each) => each.entry.id);
		assert.ok(launch.includes('sel4-vtx-not-supported'));
		assert.ok(launch.includes('no-space-left'));
		const other = compileCatalogue(entries.map((entry) => ({...entry, match: {...entry.match, step: 'build.ninja'}})));
		assert.equal(other.entries.length, 0);
	});

	it('knows which entries are harmless: marked severity info, notes and never a cause', () => {
		const benign = entries.filter((entry) => entry.severity === 'info').map((entry) => entry.id).sort();
		assert.deepEqual(benign, ['sel4-untyped-retype-insufficient-memory', 'vmm-guest-poweroff', 'vmm-num-vcpus-capped']);
		assert.ok(compileCatalogue(entries).entries.filter((each) => each.benign).length === 3);
		const failure = diagnose(entries, {lines: ['Untyped Retype: Insufficient memory (1 * 2097152 bytes needed, 0 bytes available)']});
		assert.deepEqual(failure, []);
	});

	it('shows runnable fixes with the capabilities they need', () => {
		const kvm = entries.find((entry) => entry.id === 'kvm-permission-denied')!;
		const text = formatEntry(kvm).join('\n');
		assert.match(text, /\$ sudo usermod -aG kvm \$\{user\}/);
		assert.match(text, /needs: sudo; shown here, run only with your consent/);
		assert.match(text, /re-check: sh -c "test -r \/dev\/kvm && test -w \/dev\/kvm"/);
	});

	it('rejects a malformed catalogue with file:line', () => {
		const dir = mkdtempSync(join(tmpdir(), 'catalogue-'));
		const bad = join(dir, 'troubleshoot.yaml');
		writeFileSync(bad, 'version: 1\nentries:\n  - id: x\n    title: X\n    match: {output: "("}\n    cause: y\n');
		assert.throws(() => loadCatalogue(bad, 'troubleshoot.yaml'), /invalid regular expression/);
	});
});
