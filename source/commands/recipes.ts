// `sel4-llm recipes`: every recipe, its steps and the variables with their values and allowed values.
import {loadForCommand, originNote, valueSources} from './recipe-context.js';
import type {CommandContext} from './context.js';
import {colourWanted} from '../system/colour.js';
import {columnWidth, paintLines, seg} from '../system/paint.js';
import type {Line} from '../system/wrap.js';

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
	const out: Line[] = [];
	const idWidth = columnWidth([...set.steps.keys()], 20);
	for (const recipe of set.recipes) {
		if (recipe.steps.length === 0) continue;
		out.push([seg(recipe.id, 'heading'), seg(`: ${recipe.title}`), seg(`  (${recipe.file})`, 'dim')]);
		for (const id of recipe.steps) {
			const step = set.steps.get(id)!;
			const caps = step.spec.capabilities?.length ? `  [${step.spec.capabilities.join(', ')}]` : '';
			const needs = step.needs.length ? `  needs ${step.needs.join(', ')}` : '';
			out.push([seg(`  ${id.padEnd(idWidth)} `), seg(step.spec.title), seg(caps, 'warn'), seg(needs, 'dim')]);
		}
		out.push([]);
	}
	const nameWidth = columnWidth([...set.vars.keys()], 16);
	if (set.vars.size > 0) {
		out.push([seg('Variables', 'heading'), seg(' (set with --set name=value, remembered for the workspace):')]);
		for (const variable of set.vars.values()) {
			const allowed = variable.spec.values ? ` (${variable.spec.values.join(' | ')})` : '';
			const note = originNote(variable.name, origins.get(variable.name) ?? {kind: 'default'});
			out.push([seg(`  ${variable.name.padEnd(nameWidth)} = `), seg(JSON.stringify(values.get(variable.name)), 'command'), seg(allowed, 'dim'), seg(note ? `  [${note}]` : '', 'warn')]);
			if (variable.spec.description) out.push([seg(`  ${''.padEnd(nameWidth)}   ${variable.spec.description}`, 'dim')]);
		}
	}
	for (const each of valueSources(loaded).filter((row) => !row.used)) out.push([seg(`  ${each.name.padEnd(nameWidth)} = `), seg(JSON.stringify(each.value), 'command'), seg(`  [${each.note}]`, 'warn')]);
	context.io.stdout.write(`${paintLines(out, colourWanted(context.env, Boolean(context.io.stdout.isTTY)))}\n`);
	return 0;
}
