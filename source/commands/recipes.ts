// `sel4-llm recipes`: every recipe, its steps and the variables with their values and allowed values.
import {loadForCommand, originNote, valueSources} from './recipe-context.js';
import type {CommandContext} from './context.js';

export async function run(context: CommandContext): Promise<number> {
	const loaded = loadForCommand(context);
	const {set, values, origins} = loaded;
	const sourceOf = (name: string) => {
		const origin = origins.get(name) ?? {kind: 'default' as const};
		return origin.kind === 'remembered' ? (origin.from === 'setup' ? 'setup' : 'remembered') : origin.kind === 'choice' ? 'setup' : origin.kind;
	};
	if (context.json) {
		const document = {
			recipes: set.recipes.map((recipe) => ({
				id: recipe.id,
				title: recipe.title,
				file: recipe.file,
				steps: recipe.steps.map((id) => {
					const step = set.steps.get(id)!;
					return {id, title: step.spec.title, needs: step.needs, capabilities: step.spec.capabilities ?? []};
				}),
			})),
			vars: Object.fromEntries(
				[...set.vars.values()].map((variable) => [
					variable.name,
					{
						type: variable.spec.type,
						value: values.get(variable.name),
						source: sourceOf(variable.name),
						...(variable.spec.values ? {values: variable.spec.values} : {}),
						description: variable.spec.description,
					},
				]),
			),
			unused: valueSources(loaded).filter((each) => !each.used),
		};
		context.events.result(document);
		return 0;
	}
	const out: string[] = [];
	for (const recipe of set.recipes) {
		if (recipe.steps.length === 0) continue;
		out.push(`${recipe.id}: ${recipe.title}  (${recipe.file})`);
		for (const id of recipe.steps) {
			const step = set.steps.get(id)!;
			const caps = step.spec.capabilities?.length ? `  [${step.spec.capabilities.join(', ')}]` : '';
			const needs = step.needs.length ? `  needs ${step.needs.join(', ')}` : '';
			out.push(`  ${id.padEnd(28)} ${step.spec.title}${caps}${needs}`);
		}
		out.push('');
	}
	if (set.vars.size > 0) {
		out.push('Variables (set with --set name=value, remembered for the workspace):');
		for (const variable of set.vars.values()) {
			const allowed = variable.spec.values ? ` (${variable.spec.values.join(' | ')})` : '';
			const note = originNote(variable.name, origins.get(variable.name) ?? {kind: 'default'});
			out.push(`  ${variable.name.padEnd(16)} = ${JSON.stringify(values.get(variable.name))}${allowed}${note ? `  [${note}]` : ''}${variable.spec.description ? `\n  ${''.padEnd(16)}   ${variable.spec.description}` : ''}`);
		}
	}
	for (const each of valueSources(loaded).filter((row) => !row.used)) out.push(`  ${each.name.padEnd(16)} = ${JSON.stringify(each.value)}  [${each.note}]`);
	context.io.stdout.write(`${out.join('\n')}\n`);
	return 0;
}
