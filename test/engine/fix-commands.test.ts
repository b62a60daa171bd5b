// A fix printed after a failed step is the smallest command that does it: a fix that runs sel4-llm's own steps
// names them exactly and runs them alone (--only), not the closure of what they need (host.apt and more).
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {test} from 'node:test';
import type {TroubleshootEntry} from '../../source/engine/schema.js';
import {commandList, loadRecipeSet} from '../../source/engine/load.js';
import {root} from '../support/cli.js';

test('every built-in fix that runs `sel4-llm run` names existing steps and runs only them (--only)', () => {
	const recipes = join(root, 'recipes');
	const set = loadRecipeSet([recipes], {catalogue: [join(recipes, 'troubleshoot.yaml')]});
	const entries: Array<{where: string; entry: TroubleshootEntry}> = [
		...set.catalogue.map((entry) => ({where: 'troubleshoot.yaml', entry})),
		...[...set.steps.values()].flatMap((step) => (step.spec.troubleshoot ?? []).map((entry) => ({where: step.id, entry}))),
	];
	let seen = 0;
	for (const {where, entry} of entries) {
		for (const command of commandList(entry.fix?.run)) {
			const words = Array.isArray(command) ? command : typeof command === 'string' ? command.split(/\s+/) : 'argv' in command ? command.argv : [];
			if (words[0] !== 'sel4-llm' || words[1] !== 'run') continue;
			seen++;
			assert.ok(words.includes('--only'), `${where}: ${entry.id}: \`${words.join(' ')}\` would also run every step its targets need`);
			const targets = words.slice(2).filter((word) => !word.startsWith('-'));
			assert.ok(targets.length > 0, `${where}: ${entry.id} names no step`);
			for (const target of targets) assert.ok(set.steps.has(target), `${where}: ${entry.id}: "${target}" is not a step id`);
		}
	}
	assert.ok(seen >= 2, 'the build recipe\'s Python fixes rerun host.python-deps');
});
