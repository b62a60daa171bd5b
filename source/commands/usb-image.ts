// `sel4-llm usb-image`: build the bootable stick image from the x86_64 build, then boot-test it in QEMU.
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {ExitCode, UserError} from '../errors.js';
import {formatSize} from '../flash/lsblk.js';
import {bootTest, ovmfFiles, type Firmware} from '../images/usb/boot-test.js';
import {x86CpuFromBuild} from '../qemu/x86-cpu.js';
import {normalisePort} from '../images/usb/grub-config.js';
import {checklistBeside, STICK_CHECKLIST} from '../images/usb/provenance.js';
import {marks} from '../ui/theme.js';
import {buildUsbImage, findInputs, writeRecord} from '../images/usb-image.js';
import {packageDir, say as sayLine, type CommandContext} from './context.js';
import {numberOption, stringOption} from './options.js';


export function defaultImagePath(workspace: string, app: string): string {
	return join(workspace, 'usb', `sel4-llm-x86_64-${app}.img`);
}

export async function run(context: CommandContext): Promise<number> {
	const say = (line: string) => sayLine(context, line);
	const app = stringOption(context, 'app') ?? 'llm_vm';
	if (!/^[a-z][a-z0-9_]*$/.test(app)) {
		throw new UserError(`--app must be a CAmkES app name such as minimal_64 (got "${app}")`);
	}
	const consolePort = normalisePort(stringOption(context, 'console-port') ?? '0x3f8');
	if (!consolePort) {
		throw new UserError(`--console-port must be an I/O port in hex such as 0x3f8 (COM1) or 0x2f8 (COM2) (got "${stringOption(context, 'console-port')}")`);
	}
	const grubTimeout = numberOption(context, 'timeout')!;
	const bootTimeoutSeconds = numberOption(context, 'boot-timeout')!;
	const ovmf = ovmfFiles();
	const bootChoice = stringOption(context, 'boot-test') ?? (ovmf ? 'both' : 'bios');
	const firmwares: Firmware[] = bootChoice === 'none' ? [] : bootChoice === 'both' ? ['bios', 'uefi'] : [bootChoice as Firmware];
	if (firmwares.includes('uefi') && !ovmf) {
		throw new UserError('--boot-test uefi needs OVMF, the UEFI firmware for QEMU', {
			nextSteps: ['sudo apt-get install -y --no-install-recommends ovmf', 'or use --boot-test bios'],
			exitCode: ExitCode.refused,
		});
	}

	const inputs = findInputs({
		kernel: stringOption(context, 'kernel'),
		rootserver: stringOption(context, 'rootserver'),
		buildDir: stringOption(context, 'build-dir'),
		workspace: context.workspace,
		app,
	});
	const output = stringOption(context, 'output') ?? defaultImagePath(context.workspace, app);
	const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {version: string}).version;
	// Boot the image on the CPU its kernel was configured for (as upstream's simulate script would), when we know it.
	const configuredCpu = inputs.buildDir ? x86CpuFromBuild(inputs.buildDir) : undefined;
	const cpu = configuredCpu ?? 'max';
	say(`kernel:     ${inputs.kernel}`);
	say(`rootserver: ${inputs.rootserver}`);
	say('building the image with grub-mkrescue (GRUB for BIOS and UEFI, serial console) ...');
	const {record} = await buildUsbImage({
		inputs,
		output,
		app,
		consolePort,
		timeout: grubTimeout,
		lockFile: stringOption(context, 'lock'),
		version,
		...(configuredCpu ? {qemuCpu: configuredCpu} : {}),
	});
	say(`image:      ${record.image.path} (${formatSize(record.image.size)}, sha256 ${record.image.sha256.slice(0, 16)}...)`);

	let failed = false;
	for (const firmware of firmwares) {
		say(`boot test (${firmware.toUpperCase()}): booting the image in QEMU as a USB stick, watching the serial console ...`);
		const result = await bootTest(record.image.path, {firmware, cpu, timeoutMs: bootTimeoutSeconds * 1000, logFile: `${record.image.path}.boot-${firmware}.log`});
		record.bootTests.push(result);
		writeRecord(record);
		if (result.ok) {
			say(`  ok in ${result.seconds.toFixed(1)} s (-cpu ${cpu}${configuredCpu ? `, from ${join(inputs.buildDir!, 'CMakeCache.txt')}` : ''}): GRUB menu, then "${result.kernelLines[0]}"`);
			if (result.emulationLimit) say(`  ${result.emulationLimit}`);
		} else {
			failed = true;
			say(`  FAILED: ${result.problem} (serial log: ${result.log})`);
		}
	}
	if (firmwares.length === 0) say('boot test skipped (--boot-test none): the image is not proven to boot');

	if (context.mode === 'json') {
		context.events.result(record);
	} else if (!failed) {
		// One short ending: what is ready, its hash, what to read before booting a PC, the next command.
		const booted = record.bootTests.length > 0 ? `booted in QEMU under ${record.bootTests.map((each) => each.firmware.toUpperCase()).join(' and ')}` : 'not boot-tested';
		say('');
		say(`${marks.done} ${record.image.path} is ready: ${formatSize(record.image.size)}, ${booted}`);
		say(`  sha256 ${record.image.sha256}`);
		say(`  before booting a PC from it, read the PC checklist (VT-x, the serial console, BIOS or UEFI):`);
		say(`  ${checklistBeside(record.image.path)} (and ${STICK_CHECKLIST} on the stick)`);
		say(`  provenance: ${record.image.path}.json (and /sel4-llm/provenance.json on the stick)`);
		say(`next: sel4-llm flash ${record.image.path}`);
	}
	if (failed) {
		throw new UserError('the image did not boot in QEMU, so it is not offered for flashing', {
			hint: 'the serial logs named above show how far it got',
			exitCode: ExitCode.failed,
		});
	}
	return ExitCode.ok;
}
