// The troubleshooting catalogue (recipes/troubleshoot.yaml) as launch uses it: the entries that apply to boot
// output, with their regular expressions compiled once.
import {join} from 'node:path';
import {loadCatalogue} from '../engine/load.js';
import type {TroubleshootEntry} from '../engine/schema.js';

export type CompiledEntry = {entry: TroubleshootEntry; pattern: RegExp; benign: boolean};
export type Catalogue = {entries: CompiledEntry[]; file: string};

/**
 * Signatures that are seen in healthy boots: reported as notes, never as the reason a boot failed. The catalogue
 * format has no severity field, so launch keeps this list itself.
 */
export const benignSignatureIds: ReadonlySet<string> = new Set(['sel4-untyped-retype-insufficient-memory', 'vmm-guest-poweroff']);

/** The step names whose catalogue entries apply to the console and QEMU output. */
export const launchSteps: ReadonlySet<string> = new Set(['launch', 'qemu', 'boot']);

export function defaultCatalogueFile(packageDir: string): string {
	return join(packageDir, 'recipes', 'troubleshoot.yaml');
}

export function compileCatalogue(entries: TroubleshootEntry[], file = '(inline)'): Catalogue {
	const compiled: CompiledEntry[] = [];
	for (const entry of entries) {
		if (entry.match.output === undefined) continue;
		const step = entry.match.step;
		if (step !== undefined && !launchSteps.has(step) && !launchSteps.has(step.split('.').pop() ?? '')) continue;
		compiled.push({entry, pattern: new RegExp(entry.match.output, 'i'), benign: benignSignatureIds.has(entry.id)});
	}
	return {entries: compiled, file};
}

export function readCatalogue(file: string, display?: string): Catalogue {
	return compileCatalogue(loadCatalogue(file, display), file);
}

export function matchLine(catalogue: Catalogue, line: string): CompiledEntry[] {
	return catalogue.entries.filter((compiled) => compiled.pattern.test(line));
}
