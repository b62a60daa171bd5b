// The GRUB configuration of the USB image. Pure: options in, grub.cfg text out.

export type GrubEntry = {
	title: string;
	protocol: 'multiboot2' | 'multiboot';
	/** seL4 kernel command line (console_port=, debug_port=, disable_iommu). */
	cmdline: string[];
};

export type GrubOptions = {
	/** Seconds before the default entry boots. */
	timeout: number;
	/** I/O port of the serial console seL4 prints to, e.g. 0x3f8 (COM1). */
	consolePort: string;
	kernelPath: string;
	rootserverPath: string;
	/** Name given to the root-server module on its module line. */
	rootserverName: string;
};

/** The serial unit GRUB uses for a legacy I/O port. */
const SERIAL_UNITS: Record<string, number> = {'0x3f8': 0, '0x2f8': 1, '0x3e8': 2, '0x2e8': 3};

export function normalisePort(value: string): string | undefined {
	const match = /^(?:0x)?([0-9a-f]{1,4})$/i.exec(value.trim());
	if (!match) return undefined;
	const port = Number.parseInt(match[1]!, 16);
	return port > 0 && port <= 0xffff ? `0x${port.toString(16)}` : undefined;
}

export function grubEntries(options: Pick<GrubOptions, 'consolePort'>): GrubEntry[] {
	const port = options.consolePort;
	const ports = [`console_port=${port}`, `debug_port=${port}`];
	const alternative = port === '0x2f8' ? '0x3f8' : '0x2f8';
	return [
		{title: 'seL4 (multiboot2, BIOS and UEFI)', protocol: 'multiboot2', cmdline: ports},
		{title: 'seL4 (multiboot2, disable_iommu: VT-d off for unvalidated chipsets)', protocol: 'multiboot2', cmdline: [...ports, 'disable_iommu']},
		{
			title: `seL4 (multiboot2, serial console on ${alternative} instead of ${port})`,
			protocol: 'multiboot2',
			cmdline: [`console_port=${alternative}`, `debug_port=${alternative}`],
		},
		{title: 'seL4 (multiboot fallback, BIOS only)', protocol: 'multiboot', cmdline: ports},
		{title: 'seL4 (multiboot fallback, disable_iommu)', protocol: 'multiboot', cmdline: [...ports, 'disable_iommu']},
	];
}

function quote(text: string): string {
	return `'${text.replaceAll("'", "'\\''")}'`;
}

export function grubConfig(options: GrubOptions): string {
	const unit = SERIAL_UNITS[options.consolePort];
	const lines = [
		'# Written by sel4-llm usb-image. seL4 prints only to the serial port: connect a serial cable (115200 8N1).',
		unit === undefined
			? `serial --port=${options.consolePort} --speed=115200 --word=8 --parity=no --stop=1`
			: `serial --unit=${unit} --speed=115200 --word=8 --parity=no --stop=1`,
		'terminal_input serial console',
		'terminal_output serial console',
		`set timeout=${options.timeout}`,
		'set default=0',
		'',
	];
	for (const entry of grubEntries(options)) {
		const module = entry.protocol === 'multiboot2' ? 'module2' : 'module';
		lines.push(
			`menuentry ${quote(entry.title)} {`,
			`\techo ${quote(`Loading ${options.kernelPath} and ${options.rootserverPath} (${entry.protocol})`)}`,
			`\t${entry.protocol} ${options.kernelPath} ${entry.cmdline.join(' ')}`.trimEnd(),
			`\t${module} ${options.rootserverPath} ${options.rootserverName}`,
			'\tboot',
			'}',
			'',
		);
	}
	return lines.join('\n');
}
