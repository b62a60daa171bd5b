// The wizard's choices: their defaults, one-line explanations and validation (pure, no UI).
import {closeSync, openSync, readSync, statSync} from 'node:fs';
import {homedir} from 'node:os';
import {resolve} from 'node:path';
import {UserError} from '../errors.js';
import {checkModel as checkModelForGuest} from '../guest/gguf.js';
import {guestRamProblem, ramLimits} from '../guest/app/layout.js';
import {platformIds, platformRecord, targets, type Platform, type Target} from '../platforms.js';
import type {HostSummary} from './host.js';

export type Choices = {
	platform: Platform;
	workspace: string;
	/** A GGUF file, or '' for the built-in demo model. */
	model: string;
	guestRamMb: number;
	target: Target;
};

export type ChoiceField = keyof Choices;

export const explanations: Record<ChoiceField, string> = {
	platform: 'qemu-arm-virt (AArch64) runs under QEMU emulation on any host; x86_64 boots on a PC, or in QEMU only with KVM and nested VT-x.',
	workspace: 'Where sources, builds, logs and images go (about 15 GB).',
	model: 'A GGUF model file for the guest; leave empty for the built-in demo model (tiny, generated, not a real language model).',
	guestRamMb: 'Memory for the Linux guest; it must hold the model with room to spare.',
	target: 'Boot in QEMU on this machine, or build a bootable USB stick for a PC (x86_64 only).',
};

/** Guest RAM limits per platform, in MiB: the same as the app generator's and the recipes' (the platform table). */
export {ramLimits};

export function defaultChoices(recommended: Platform = 'qemu-arm-virt', workspace = resolve(homedir(), 'sel4-llm')): Choices {
	return {platform: recommended, workspace, model: '', guestRamMb: ramLimits[recommended].default, target: 'qemu'};
}

export type ModelInfo = {path: string; bytes: number};

/** Reads a model file's header: it must exist, be readable and start with the GGUF magic. */
export function checkModel(path: string): {ok: true; info: ModelInfo} | {ok: false; error: string} {
	if (path === '') return {ok: true, info: {path: '', bytes: 0}};
	let bytes: number;
	try {
		const stat = statSync(path);
		if (!stat.isFile()) return {ok: false, error: `${path} is not a file`};
		bytes = stat.size;
	} catch {
		return {ok: false, error: `${path} does not exist`};
	}
	let fd: number | undefined;
	try {
		fd = openSync(path, 'r');
		const header = Buffer.alloc(8);
		const read = readSync(fd, header, 0, 8, 0);
		if (read < 8 || header.toString('latin1', 0, 4) !== 'GGUF') return {ok: false, error: `${path} is not a GGUF model (no GGUF header)`};
		const version = header.readUInt32LE(4);
		if (version < 2 || version > 3) return {ok: false, error: `${path} has GGUF version ${version}; versions 2 and 3 are supported`};
	} catch (error) {
		return {ok: false, error: `${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`};
	} finally {
		if (fd !== undefined) closeSync(fd);
	}
	return {ok: true, info: {path, bytes}};
}

export type Problems = Partial<Record<ChoiceField, string>>;

/** What a field takes, for the message that says why the form cannot continue. */
export function allowedValues(field: ChoiceField, choices: Choices, host?: HostSummary): string {
	const platform = choices.platform;
	switch (field) {
		case 'platform':
			return `one of: ${platformIds.join(', ')}`;
		case 'workspace':
			return 'a directory (it is created if missing)';
		case 'model':
			return 'a GGUF file (version 2 or 3) that fits the guest RAM, or empty for the built-in demo model';
		case 'guestRamMb': {
			const limits = ramLimits[platform] ?? ramLimits['qemu-arm-virt'];
			return `${limits.min}-${limits.max} MiB in steps of ${limits.step} on ${platform}`;
		}
		case 'target':
			if (impossibleChoice(choices, host)) {
				const others = platformIds.filter((id) => id !== platform && host?.platforms[id]?.run.ok);
				return [...(platformRecord(platform).usb ? [`a USB stick for a PC (${platform} cannot boot in QEMU here)`] : []), ...others.map((id) => `QEMU with platform ${id}`)].join(', or ');
			}
			return `QEMU on this machine, or a USB stick for a PC (${platformIds.filter((id) => platformRecord(id).usb).join(', ')} only)`;
	}
}

/**
 * A platform and target this host has been judged unable to run, whatever the setup installs: booting in QEMU where
 * the host check says "QEMU ✗" for reasons no step fixes (x86_64 without Intel VT-x, KVM and nested virtualization).
 * The run would end in a certain refusal after the whole build, so the choice is refused before anything runs.
 */
export function impossibleChoice(choices: Choices, host: HostSummary | undefined): string | undefined {
	if (!host || choices.target !== 'qemu') return undefined;
	const run = host.platforms[choices.platform]?.run;
	if (!run || run.ok || run.fixable) return undefined;
	const others = platformIds.filter((id) => id !== choices.platform && host.platforms[id]?.run.ok);
	const usb = platformRecord(choices.platform).usb;
	const ways = [...(usb ? ['target "USB stick for a PC" (boot it on a PC with Intel VT-x)'] : []), ...others.map((id) => `platform ${id} (runs in QEMU here${host.platforms[id]!.run.note ? `, ${host.platforms[id]!.run.note}` : ''})`)];
	return `${choices.platform} cannot run in QEMU on this machine${run.blockers.length > 0 ? ` (${run.blockers.join(', ')} failed)` : ''}${ways.length > 0 ? `: choose ${ways.join(', or ')}` : ''}`;
}

/** Problems with the choices, by field; with the host check, a platform and target this host cannot run too. */
export function validateChoices(choices: Choices, host?: HostSummary): Problems {
	const problems: Problems = {};
	if (!platformIds.includes(choices.platform)) problems.platform = `choose one of: ${platformIds.join(', ')}`;
	if (!targets.includes(choices.target)) problems.target = `choose one of: ${targets.join(', ')}`;
	else if (choices.target === 'usb' && platformIds.includes(choices.platform) && !platformRecord(choices.platform).usb) {
		problems.target = `a USB stick boots a PC: choose platform ${platformIds.filter((id) => platformRecord(id).usb).join(' or ')}, or target qemu`;
	}
	const impossible = problems.target ? undefined : impossibleChoice(choices, host);
	if (impossible) problems.target = impossible;
	if (choices.workspace.trim() === '') problems.workspace = 'a workspace directory is needed';
	const limits = ramLimits[choices.platform] ?? ramLimits['qemu-arm-virt'];
	const ramProblem = platformIds.includes(choices.platform) ? guestRamProblem(choices.platform, choices.guestRamMb) : undefined;
	if (ramProblem) problems.guestRamMb = ramProblem;
	const model = checkModel(choices.model);
	if (!model.ok) problems.model = model.error;
	else if (model.info.bytes > 0 && !problems.guestRamMb) {
		// The same rule the payload recipe's check-model applies (model in the initrd), so the plan never fails on it later.
		try {
			checkModelForGuest(choices.model, {guestRamMb: choices.guestRamMb, layout: 'initrd'});
		} catch (error) {
			if (!(error instanceof UserError)) throw error;
			problems.model = `${error.message}${limits.max > choices.guestRamMb ? '' : ` (${choices.platform} allows at most ${limits.max} MiB)`}`;
		}
	}
	return problems;
}

/** The recipe variables that carry the choices (workspace is the global option). */
export function choicesToVars(choices: Choices): Record<string, string> {
	return {platform: choices.platform, model: choices.model, guest_ram_mb: String(choices.guestRamMb), target: choices.target};
}

export function varsToChoices(vars: Record<string, string>, workspace: string, fallback: Choices): Choices {
	const platform = (platformIds as readonly string[]).includes(vars.platform ?? '') ? (vars.platform as Platform) : fallback.platform;
	const target = (targets as readonly string[]).includes(vars.target ?? '') ? (vars.target as Target) : fallback.target;
	const ram = Number(vars.guest_ram_mb);
	return {platform, workspace, model: vars.model ?? fallback.model, guestRamMb: Number.isInteger(ram) && ram > 0 ? ram : fallback.guestRamMb, target};
}
