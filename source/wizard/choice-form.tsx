// The choices, one field per line with its explanation; select fields cycle with ←/→, text fields take typing.
import {Box, Text} from 'ink';
import {useEffect, useReducer, useRef} from 'react';
import {useRawKeys} from '../ui/raw-keys.js';
import {formatBytes} from '../reporters/format.js';
import {checkModel, explanations, ramLimits, validateChoices, type ChoiceField, type Choices} from './choices.js';
import {platformIds, platformRecord, targets} from '../platforms.js';
import {Footer} from './footer.js';

const order: ChoiceField[] = ['platform', 'workspace', 'model', 'guestRamMb', 'target'];
const labels: Record<ChoiceField, string> = {platform: 'Platform', workspace: 'Workspace', model: 'Model', guestRamMb: 'Guest RAM (MiB)', target: 'Target'};

function cycle<T>(values: readonly T[], current: T, step: number): T {
	const index = values.indexOf(current);
	return values[(index + step + values.length) % values.length]!;
}

/** submitted counts Enter presses, so the form submits the state after every key before it. */
type FormState = {choices: Choices; focus: number; ramText: string; submitted: number};
type FormAction =
	| {type: 'move'; by: number}
	| {type: 'cycle'; by: number}
	| {type: 'edit'; text?: string; erase?: boolean}
	| {type: 'focus'; field: ChoiceField}
	| {type: 'submit'};

function withPlatform(choices: Choices, platform: Choices['platform']): Choices {
	if (platform === choices.platform) return choices;
	return {...choices, platform, guestRamMb: ramLimits[platform].default, target: platformRecord(platform).usb ? choices.target : 'qemu'};
}

/** Every key is an action on the latest state, so keys that arrive together are all applied in order. */
function formReducer(state: FormState, action: FormAction): FormState {
	const field = order[state.focus]!;
	switch (action.type) {
		case 'move':
			return {...state, focus: (state.focus + order.length + action.by) % order.length};
		case 'focus':
			return {...state, focus: order.indexOf(action.field)};
		case 'submit': {
			// Enter with a problem moves to the first field that has one; without, the form is submitted (by an effect).
			const first = Object.keys(validateChoices(state.choices))[0] as ChoiceField | undefined;
			return first ? {...state, focus: order.indexOf(first)} : {...state, submitted: state.submitted + 1};
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

export function ChoiceForm({initial, onSubmit, onBack, active = true}: {initial: Choices; onSubmit: (choices: Choices) => void; onBack: () => void; active?: boolean}) {
	const [state, dispatch] = useReducer(formReducer, {choices: initial, focus: 0, ramText: String(initial.guestRamMb), submitted: 0});
	const {choices, focus, ramText} = state;
	const problems = validateChoices(choices);
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

	return (
		<Box flexDirection="column">
			<Text bold>Choices</Text>
			{order.map((name, index) => (
				<Box key={name} flexDirection="column">
					<Text>
						<Text color={index === focus ? 'cyan' : undefined}>{index === focus ? '› ' : '  '}</Text>
						<Text bold={index === focus}>{labels[name].padEnd(17)}</Text>
						<Text>{display(name)}</Text>
						{index === focus && (name === 'workspace' || name === 'model' || name === 'guestRamMb') ? <Text color="cyan">▏</Text> : null}
					</Text>
					{problems[name] ? (
						<Text color="red">{`    ✗ ${problems[name]}`}</Text>
					) : index === focus ? (
						<Text dimColor>{`    ${explanations[name]}`}</Text>
					) : null}
				</Box>
			))}
			<Footer keys={[['↑/↓', 'field'], ['←/→', 'change'], ['type', 'edit'], ['enter', 'continue'], ['esc', 'back'], ['ctrl-c', 'quit']]} />
		</Box>
	);
}
