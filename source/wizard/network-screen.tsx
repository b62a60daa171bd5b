// Shown before the plan when a host the downloads need cannot be reached: which ones and why, and the recipes'
// mirror settings (manifest_url, mirror) to change; Enter checks again with the changed values, or goes on as is.
import {Box, Text} from 'ink';
import {useState} from 'react';
import {ReportLines} from '../ui/doctor/report-lines.js';
import {useRawKeys} from '../ui/raw-keys.js';
import {useWindowSize} from '../ui/window.js';
import {block, fitBlocks, height, type Block} from './fit.js';
import {Footer, footerBlock, type Keys} from './footer.js';
import type {Reach} from './network.js';

const explanations: Record<string, string> = {
	manifest_url: 'The manifest repository: a mirror URL, or a local file:// copy of camkes-vm-examples-manifest.',
	mirror: 'Mirrors for every project: BASE (holding BASE/<host>/<path>) or PREFIX=REPLACEMENT rules, separated by spaces.',
};

export function NetworkScreen({
	reaches,
	values,
	onUse,
	onBack,
	active = true,
}: {
	reaches: readonly Reach[];
	/** The current values of the mirror settings the recipes have (only those are offered). */
	values: Record<string, string>;
	/** The settings to plan with: the changed ones, or none to go on as is. */
	onUse: (changed: Record<string, string>) => void;
	onBack: () => void;
	active?: boolean;
}) {
	const {rows, columns} = useWindowSize();
	const names = Object.keys(values);
	const [edited, setEdited] = useState<Record<string, string>>(values);
	const [focus, setFocus] = useState(0);
	const changed = Object.fromEntries(Object.entries(edited).filter(([name, value]) => value !== values[name]));
	const npmDown = reaches.some((reach) => !reach.ok && reach.what === 'npm registry');
	const sourcesDown = reaches.some((reach) => !reach.ok && reach.what !== 'npm registry');

	useRawKeys(
		(key) => {
			const name = names[focus];
			switch (key.kind) {
				case 'up':
				case 'backtab':
					return setFocus((current) => (current + names.length - 1) % Math.max(1, names.length));
				case 'down':
				case 'tab':
					return setFocus((current) => (current + 1) % Math.max(1, names.length));
				case 'escape':
					return onBack();
				case 'return':
					return onUse(changed);
				case 'backspace':
				case 'delete':
					if (name) setEdited((current) => ({...current, [name]: current[name]!.slice(0, -1)}));
					return undefined;
				case 'text':
					if (name) setEdited((current) => ({...current, [name]: current[name]! + key.text}));
					return undefined;
				default:
					return undefined;
			}
		},
		{isActive: active},
	);

	const status: Block[] = reaches.map((reach) =>
		reach.ok
			? block([{text: '✓ ', tone: 'pass'}, {text: `${reach.host}:${reach.port} (${reach.what}) can be reached${reach.via ? ` through the proxy ${reach.via}` : ''}`}], columns, 4, 2)
			: block([{text: '✗ ', tone: 'fail'}, {text: `${reach.host}:${reach.port} (${reach.what}) cannot be reached${reach.via ? ` through the proxy ${reach.via}` : ''}: `}, {text: reach.error ?? 'unknown error', tone: 'fail'}], columns, 4, 2),
	);
	const advice: Block[] = [
		block([{text: 'The steps that download would fail.'}, ...(sourcesDown && names.length > 0 ? [{text: ' Sync from a mirror instead:'}] : [])], columns),
	];
	const fields: Block[] = sourcesDown
		? names.map((name, index) => {
				const focused = index === focus;
				return [
					...block(
						[...(focused ? [{text: '›', tone: 'command' as const}, {text: ' '}] : []), {text: name.padEnd(14), ...(focused ? {tone: 'heading' as const} : {})}, {text: edited[name] === '' ? '(none)' : edited[name]!}, ...(focused ? [{text: '▏', tone: 'command' as const}] : [])],
						columns,
						16,
						focused ? 0 : 2,
					),
					...(focused ? block([{text: explanations[name] ?? '', tone: 'dim'}], columns, 4, 4) : []),
				];
			})
		: [];
	const npm: Block[] = npmDown ? [block([{text: 'For the npm registry, start sel4-llm with npm_config_registry=<registry mirror URL> in the environment (or set it with npm config set registry).', tone: 'warn'}], columns, 2)] : [];
	const keys: Keys = [
		...(fields.length > 1 ? ([['↑/↓', 'setting']] as Keys) : []),
		...(fields.length > 0 ? ([['type', 'edit']] as Keys) : []),
		['enter', Object.keys(changed).length > 0 ? 'check again with the changes' : 'go on to the plan as it is'],
		['esc', 'back to the choices'],
	];
	// Rows: the title, the hosts, the advice, the settings, the npm note, the keys, and a free last row.
	const room = rows - 1 - height(advice) - height(fields) - height(npm) - footerBlock(keys, columns).length - 1;
	const {lines} = fitBlocks(status, room, 0, 'more hosts');
	return (
		<Box flexDirection="column">
			<Text bold>The network</Text>
			<ReportLines lines={[...lines, ...advice.flat(), ...fields.flat(), ...npm.flat()]} columns={columns} colour />
			<Footer keys={keys} columns={columns} />
		</Box>
	);
}
