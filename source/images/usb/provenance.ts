// What goes into the image next to the boot files: where they came from, and what the PC needs.
import {createHash} from 'node:crypto';
import {open} from 'node:fs/promises';

export async function sha256File(path: string): Promise<{sha256: string; size: number}> {
	const hash = createHash('sha256');
	const handle = await open(path, 'r');
	const buffer = Buffer.allocUnsafe(4 << 20);
	let size = 0;
	try {
		for (;;) {
			const {bytesRead} = await handle.read(buffer, 0, buffer.length, null);
			if (bytesRead === 0) break;
			hash.update(buffer.subarray(0, bytesRead));
			size += bytesRead;
		}
	} finally {
		await handle.close();
	}
	return {sha256: hash.digest('hex'), size};
}

export type Revision = {name: string; revision: string};

/**
 * Revisions from a lock file: a JSON document (any list of objects with a name or path and a revision, sha or
 * commit), or a repo manifest pinned to revisions (`<project name=... revision=...>`).
 */
export function revisionsFromLock(text: string): Revision[] {
	const trimmed = text.trim();
	if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
		const found: Revision[] = [];
		const visit = (value: unknown, key?: string) => {
			if (Array.isArray(value)) {
				for (const each of value) visit(each);
			} else if (value && typeof value === 'object') {
				const record = value as Record<string, unknown>;
				const name = record.name ?? record.path ?? key;
				const revision = record.revision ?? record.sha ?? record.commit;
				if (typeof name === 'string' && typeof revision === 'string') found.push({name, revision});
				else for (const [childKey, child] of Object.entries(record)) visit(child, childKey);
			} else if (typeof value === 'string' && key && /^[0-9a-f]{7,40}$/.test(value)) {
				found.push({name: key, revision: value});
			}
		};
		visit(JSON.parse(trimmed));
		return found;
	}
	const revisions: Revision[] = [];
	for (const match of trimmed.matchAll(/<project\b([^>]*)>/g)) {
		const attributes = Object.fromEntries([...match[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((each) => [each[1]!, each[2]!]));
		if (attributes.name && attributes.revision) revisions.push({name: attributes.name, revision: attributes.revision});
	}
	return revisions;
}

/** Where the PC checklist is on the stick. */
export const STICK_CHECKLIST = '/sel4-llm/PC-CHECKLIST.txt';

/** Where usb-image leaves a copy of the checklist beside the image, to read before the stick is written. */
export function checklistBeside(imagePath: string): string {
	return `${imagePath}.PC-CHECKLIST.txt`;
}

export const PC_CHECKLIST = `Booting seL4 from this USB stick on a PC (x86_64)
=================================================

1. Firmware settings (BIOS/UEFI setup, usually F2, F10, F12 or Del at power-on):
   - Enable Intel VT-x ("Intel Virtualization Technology"). Without it seL4 prints
     "vt-x: not supported" or "vt-x: feature locked" and halts. AMD processors are not supported.
   - VT-d (IOMMU): seL4 was validated only on Q35 and Intel 5500 chipsets. On other chipsets disable
     VT-d in the firmware, or choose the boot entry with "disable_iommu".
   - Secure Boot: the seL4 kernel is not signed; if the stick is refused, disable Secure Boot
     (upstream does not document this; it is the usual cause).
2. Serial console: seL4 and the VMM print only to the serial port (COM1, I/O port 0x3f8, 115200 8N1).
   Connect a serial cable (or a PCIe/ExpressCard serial card) to a second computer and open it with,
   for example, "picocom -b 115200 /dev/ttyUSB0". If your serial card uses another port, choose the
   entry with the other console_port, or edit the entry in GRUB (press "e") and set console_port= and debug_port=.
   The screen stays mostly blank after GRUB: that is expected.
3. Legacy BIOS and UEFI: the stick boots both ways. Prefer UEFI with the default multiboot2 entry
   (it passes the ACPI tables to seL4). The "multiboot fallback" entries are for legacy BIOS only:
   under UEFI seL4 cannot find ACPI with multiboot (v1).
4. Choose the stick in the firmware's boot menu; GRUB shows its menu on the serial console and
   on screen, and boots the first entry after a few seconds.
5. Switching between VMs on the serial console: type @ followed by the VM number (for example @0).
`;
