// The step graph: cycles, the run order (needs and after) and the closure of the steps a run needs.
import type {RecipeSet, Step} from './load.js';

export function findCycle(set: RecipeSet): string[] | undefined {
	const state = new Map<string, 'visiting' | 'done'>();
	const stack: string[] = [];
	const visit = (id: string): string[] | undefined => {
		const current = state.get(id);
		if (current === 'done') return undefined;
		if (current === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
		state.set(id, 'visiting');
		stack.push(id);
		const step = set.steps.get(id)!;
		for (const need of [...step.needs, ...step.after]) {
			const cycle = visit(need);
			if (cycle) return cycle;
		}
		stack.pop();
		state.set(id, 'done');
		return undefined;
	};
	for (const id of set.steps.keys()) {
		const cycle = visit(id);
		if (cycle) return cycle;
	}
	return undefined;
}

export function topologicalOrder(set: RecipeSet): string[] {
	const order: string[] = [];
	const placed = new Set<string>();
	const place = (id: string) => {
		if (placed.has(id)) return;
		placed.add(id);
		const step = set.steps.get(id)!;
		for (const need of [...step.needs, ...step.after]) place(need);
		order.push(id);
	};
	for (const id of set.steps.keys()) place(id);
	return order;
}

/**
 * The steps needed to reach the targets (targets included), in run order. `runs` says whether a step will run at
 * all (its `if` holds): a step its condition skips needs nothing, so its needs are only pulled in by others.
 */
export function closure(set: RecipeSet, targets: string[], runs: (step: Step) => boolean = () => true): string[] {
	const wanted = new Set<string>();
	const add = (id: string) => {
		if (wanted.has(id)) return;
		wanted.add(id);
		const step = set.steps.get(id)!;
		if (!runs(step)) return;
		for (const need of step.needs) add(need);
	};
	for (const target of targets) add(target);
	return set.order.filter((id) => wanted.has(id));
}
