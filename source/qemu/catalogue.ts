// The troubleshooting catalogue (recipes/troubleshoot.yaml) as launch reads it: the entries that apply to the
// console and QEMU's own output, for the one matcher in engine/troubleshoot.ts.
import {join} from 'node:path';
import {loadCatalogue} from '../engine/load.js';
import type {TroubleshootEntry} from '../engine/schema.js';
import {compileEntries, type Catalogue, type StepScope} from '../engine/troubleshoot.js';

/** The step names whose catalogue entries apply to the console and QEMU output. */
export const launchSteps: ReadonlySet<string> = new Set(['launch', 'qemu', 'boot']);

/** A boot answers to the launch step names, alone or as the last part of a recipe.step id. */
export const launchScope: StepScope = (step) => launchSteps.has(step) || launchSteps.has(step.split('.').pop() ?? '');

export function defaultCatalogueFile(packageDir: string): string {
	return join(packageDir, 'recipes', 'troubleshoot.yaml');
}

export function compileCatalogue(entries: readonly TroubleshootEntry[], file = '(inline)'): Catalogue {
	return compileEntries(entries, launchScope, file);
}

export function readCatalogue(file: string, display?: string): Catalogue {
	return compileCatalogue(loadCatalogue(file, display), file);
}
