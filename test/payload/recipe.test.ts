import assert from 'node:assert/strict';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {loadRecipeSet} from '../../source/engine/load.js';
import {repositoryRoot} from '../support/test-model.js';

describe('recipes/payload.yaml', () => {
	it('loads with the shared variables, and its steps call our payload command in order', () => {
		const recipes = join(repositoryRoot, 'recipes');
		const set = loadRecipeSet([join(recipes, 'common.yaml'), join(recipes, 'payload.yaml')], {catalogue: join(recipes, 'troubleshoot.yaml')});
		const steps = set.order.filter((id) => id.startsWith('payload.'));
		assert.deepEqual(steps, ['payload.fetch', 'payload.demo-model', 'payload.check-model', 'payload.build']);
		const build = set.steps.get('payload.build')!;
		assert.deepEqual(build.needs, ['payload.fetch', 'payload.check-model'], 'the model is checked before anything is built');
		const argv = (build.spec.run as string[][])[0]!;
		assert.deepEqual(argv.slice(0, 5), ['sel4-llm', 'payload', 'build', '--platform=${platform}', '--jobs=${jobs}']);
		assert.deepEqual(set.steps.get('payload.demo-model')!.spec.if, {model: ['']});
	});
});
