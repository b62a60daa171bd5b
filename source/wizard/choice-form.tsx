// The choices, one field per line with its explanation; select fields cycle with ←/→, text fields take typing.
// Fitted to the window: the fields are blocks (a field and its explanation or problem), cut around the focused one.
import {Box, Text} from 'ink';
import {useEffect, useReducer, useRef} from 'react';
import {useRawKeys} from '../ui/raw-keys.js';
import {formatBytes} from '../reporters/format.js';
import type {Segment} from '../system/wrap.js';
import {ReportLines} from '../ui/doctor/report-lines.js';
import {useWindowSize} from '../ui/window.js';
import {allowedValues, checkModel, explanations, ramLimits, validateChoices, type ChoiceField, type Choices} from './choices.js';
import {block, fitBlocks, height, type Block} from './fit.js';
import {platformIds, platformRecord, targets} from '../platforms.js';
import {Footer, footerBlock, type Keys} from './footer.js';
import type {HostSummary} from './host.js';

const order: ChoiceField[] = ['platform', 'workspace', 'model', 'guestRamMb', 'target'];
const labels: Record<ChoiceField, string> = {platform: 'Platform', workspace: 'Workspace', model: 'Model', guestRamMb: 'Guest RAM (MiB)', target: 'Target'};

function cycle<T>(values: readonly T[], current: T, step: number): T {
	const index = values.indexOf(current);
	return values[(index + step + values.length) % values.length]!;
}

/**
 * submitted counts Enter presses, so the form submits the state after every key before it; refused is the field
 * an Enter could not get past (until the next key), so the form says why it stays.
 */
type FormState = {choices: Choices; focus: number; ramText: string; submitted: number; refused?: ChoiceField; host?: HostSummary};
type FormAction =
	| {type: 'move'; by: number}
	| {type: 'cycle'; by: number}
	| {type: 'edit'; text?: string; erase?: boolean}
	| {type: 'focus'; field: ChoiceField}
	| {type: 'submit'}
	| {type: 'host'; host: HostSummary | undefined};

function withPlatform(choices: Choices, platform: Choices['platform']): Choices {
	if (platform === choices.platform) return choices;
	return {...choices, platform, guestRamMb: ramLimits[platform].default, target: platformRecord(platform).usb ? choices.target : 'qemu'};
}

/** Every key is an action on the latest state, so keys that arrive together are all applied in order. */
function formReducer(state: FormState, action: FormAction): FormState {
	if (action.type !== 'submit' && state.refused) return formReducer({...state, refused: undefined}, action);
	const field = order[state.focus]!;
	switch (action.type) {
		case 'move':
			return {...state, focus: (state.focus + order.length + action.by) % order.length};
		case 'focus':
			return {...state, focus: order.indexOf(action.field)};
		case 'host':
			return action.host ? {...state, host: action.host} : state;
		case 'submit': {
			// Enter with a problem moves to the first field that has one; without, the form is submitted (by an effect).
			const problems = validateChoices(state.choices, state.host);
			const first = order.find((name) => problems[name]);
			return first ? {...state, focus: order.indexOf(first), refused: first} : {...state, submitted: state.submitted + 1};
		}
		case 'cycle': {
			if (field === 'platform') {
				const choices = withPlatform(state.choices, cycle(platformIds, state.choices.platform, action.by));
				return {...state, choices, ramText: String(choices.guestRamMb)};
			}
			if (field === 'target') return {...state, choices: {...state.choices, target: cycle(targets, state.choices.target, action.by)}};
			return state;
		}
		case 'edit': {
			// A space on a field with a fixed set of values steps to the next value.
			if (action.text === ' ' && (field === 'platform' || field === 'target')) return formReducer(state, {type: 'cycle', by: 1});
			if (field !== 'workspace' && field !== 'model' && field !== 'guestRamMb') return state;
			const current = field === 'guestRamMb' ? state.ramText : state.choices[field];
			const next = action.erase ? current.slice(0, -1) : current + (action.text ?? '');
			if (field === 'guestRamMb') {
				if (!/^\d*$/.test(next)) return state;
				return {...state, ramText: next, choices: {...state.choices, guestRamMb: next === '' ? 0 : Number(next)}};
			}
			return {...state, choices: {...state.choices, [field]: next}};
		}
	}
}

export function ChoiceForm({
	initial,
	host,
	onSubmit,
	onBack,
	active = true,
}: {
	initial: Choices;
	/** The host check, when it is done: choices it judged impossible here are refused with the way out. */
	host?: HostSummary | undefined;
	onSubmit: (choices: Choices) => void;
	onBack: () => void;
	active?: boolean;
}) {
	const {rows, columns} = useWindowSize();
	const [state, dispatch] = useReducer(formReducer, {choices: initial, focus: 0, ramText: String(initial.guestRamMb), submitted: 0, ...(host ? {host} : {})});
	const {choices, focus, ramText, refused} = state;
	useEffect(() => dispatch({type: 'host', host}), [host]);
	const problems = validateChoices(choices, state.host);
	const submitted = useRef(0);
	useEffect(() => {
		if (state.submitted === submitted.current) return;
		submitted.current = state.submitted;
		onSubmit(state.choices);
	}, [state.submitted, state.choices, onSubmit]);

	// Raw keys: every key of a burst is applied in order (Ink's useInput would read it as one key and drop backspaces).
	useRawKeys(
		(key) => {
			switch (key.kind) {
				case 'up':
				case 'backtab':
					return dispatch({type: 'move', by: -1});
				case 'down':
				case 'tab':
					return dispatch({type: 'move', by: 1});
				case 'escape':
					return onBack();
				case 'return':
					return dispatch({type: 'submit'});
				case 'left':
					return dispatch({type: 'cycle', by: -1});
				case 'right':
					return dispatch({type: 'cycle', by: 1});
				case 'backspace':
				case 'delete':
					return dispatch({type: 'edit', erase: true});
				case 'text':
					return dispatch({type: 'edit', text: key.text});
				default:
					return undefined;
			}
		},
		{isActive: active},
	);

	const model = checkModel(choices.model);
	const display = (name: ChoiceField): string => {
		switch (name) {
			case 'platform':
				return `‹ ${choices.platform} ›`;
			case 'target':
				return `‹ ${choices.target === 'qemu' ? 'QEMU on this machine' : 'USB stick for a PC'} ›`;
			case 'workspace':
				return choices.workspace;
			case 'model':
				return choices.model === '' ? '(built-in demo model)' : `${choices.model}${model.ok ? `  ${formatBytes(model.info.bytes)}` : ''}`;
			case 'guestRamMb':
				return ramText;
		}
	};
	const fields: Block[] = order.map((name, index) => {
		const focused = index === focus;
		const editable = name === 'workspace' || name === 'model' || name === 'guestRamMb';
		const line: Segment[] = [
			...(focused ? [{text: '›', tone: 'command' as const}, {text: ' '}] : []),
			{text: labels[name].padEnd(17), ...(focused ? {tone: 'heading' as const} : {})},
			{text: display(name)},
			...(focused && editable ? [{text: '▏', tone: 'command' as const}] : []),
		];
		const problem = problems[name];
		return [
			...block(line, columns, 19, focused ? 0 : 2),
			...(problem ? block([{text: `✗ ${problem}`, tone: 'fail'}], columns, 6, 4) : focused ? block([{text: explanations[name], tone: 'dim'}], columns, 4, 4) : []),
		];
	});
	// Enter on a field with a problem: which field, why, and what it takes.
	const refusal: Block =
		refused && problems[refused]
			? block([{text: `Cannot continue: ${labels[refused]} (the ✗ above) takes ${allowedValues(refused, choices, state.host)}. Change it, or esc to go back.`, tone: 'warn'}], columns, 2)
			: [];
	const keys: Keys = [['↑/↓', 'field'], ['←/→', 'change'], ['type', 'edit'], ['enter', 'continue'], ['esc', 'back'], ['ctrl-c', 'quit']];
	// Rows: the title, the fields, the refusal, the keys, and a free last row.
	const room = rows - 1 - height([refusal]) - footerBlock(keys, columns).length - 1;
	const {lines} = fitBlocks(fields, room, focus, 'more fields');
	return (
		<Box flexDirection="column">
			<Text bold>Choices</Text>
			<ReportLines lines={[...lines, ...refusal]} columns={columns} colour />
			<Footer keys={keys} columns={columns} />
		</Box>
	);
}
