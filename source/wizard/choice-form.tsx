// The choices, one field per line with its explanation; select fields cycle with ←/→, text fields take typing.
import {Box, Text, useInput} from 'ink';
import {useReducer} from 'react';
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

type FormState = {choices: Choices; focus: number; ramText: string};
type FormAction = {type: 'move'; by: number} | {type: 'cycle'; by: number} | {type: 'edit'; text?: string; erase?: boolean} | {type: 'focus'; field: ChoiceField};

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
		case 'cycle': {
			if (field === 'platform') {
				const choices = withPlatform(state.choices, cycle(platformIds, state.choices.platform, action.by));
				return {...state, choices, ramText: String(choices.guestRamMb)};
			}
			if (field === 'target') return {...state, choices: {...state.choices, target: cycle(targets, state.choices.target, action.by)}};
			return state;
		}
		case 'edit': {
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
	const [state, dispatch] = useReducer(formReducer, {choices: initial, focus: 0, ramText: String(initial.guestRamMb)});
	const {choices, focus, ramText} = state;
	const problems = validateChoices(choices);

	useInput(
		(input, key) => {
			if (key.upArrow || (key.shift && key.tab)) return dispatch({type: 'move', by: -1});
			if (key.downArrow || key.tab) return dispatch({type: 'move', by: 1});
			if (key.escape) return onBack();
			if (key.return) {
				const first = Object.keys(problems)[0] as ChoiceField | undefined;
				if (first) dispatch({type: 'focus', field: first});
				else onSubmit(choices);
				return;
			}
			if (key.leftArrow) return dispatch({type: 'cycle', by: -1});
			if (key.rightArrow) return dispatch({type: 'cycle', by: 1});
			if (key.backspace || key.delete) return dispatch({type: 'edit', erase: true});
			// Keys that arrive together come as one string: apply each erase, keep only printable text.
			for (const char of input) {
				if (char === '\u007F' || char === '\b') dispatch({type: 'edit', erase: true});
			}
			input = input.replace(/[\u0000-\u001F\u007F]/g, '');
			if (input === ' ' && (order[focus] === 'platform' || order[focus] === 'target')) return dispatch({type: 'cycle', by: 1});
			if (input && !key.ctrl && !key.meta) dispatch({type: 'edit', text: input});
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
