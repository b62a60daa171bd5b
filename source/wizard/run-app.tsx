// Second phase of the wizard: the live run, and what to do when it stops (fix, retry, log, launch, quit).
import {Box, Text, useApp, useInput, useStdin} from 'ink';
import {useState, useSyncExternalStore} from 'react';
import {RunView} from '../ui/run-view.js';
import type {RunStore} from '../ui/run-store.js';
import {Footer} from './footer.js';

export type RunAction = 'fix' | 'retry' | 'log' | 'quit' | 'launch' | 'flash' | 'done';

type Props = {
	store: RunStore;
	target: 'qemu' | 'usb';
	onStop: () => void;
	onAction: (action: RunAction) => void;
};

export function RunApp({store, target, onStop, onAction}: Props) {
	const {exit} = useApp();
	const {isRawModeSupported} = useStdin();
	const {state} = useSyncExternalStore(store.subscribe, store.getSnapshot);
	const [confirmStop, setConfirmStop] = useState(false);
	const finished = state.finished;
	const fixable = Boolean(state.failure?.diagnoses.some((diagnosis) => diagnosis.fix && diagnosis.fix.commands.length > 0));

	const choose = (action: RunAction) => {
		onAction(action);
		exit();
	};

	useInput(
		(input, key) => {
			if (!finished) {
				if (confirmStop) {
					// Ctrl-C again is a yes, as in most terminal programs.
					if (input === 'y' || (key.ctrl && input === 'c')) {
						setConfirmStop(false);
						onStop();
					} else if (input === 'n' || key.escape) setConfirmStop(false);
				} else if (key.ctrl && input === 'c') setConfirmStop(true);
				return;
			}
			if (finished.ok) {
				if (input === 'l' && target === 'qemu') choose('launch');
				else if (input === 'f' && target === 'usb') choose('flash');
				else if (input === 'q' || key.return || (key.ctrl && input === 'c')) choose('done');
				return;
			}
			if (input === 'f' && fixable) choose('fix');
			else if (input === 'r') choose('retry');
			else if (input === 'l') choose('log');
			else if (input === 'q' || (key.ctrl && input === 'c')) choose('quit');
		},
		{isActive: isRawModeSupported},
	);

	let footer: Array<[string, string]>;
	if (!finished) footer = confirmStop ? [['y (or ctrl-c)', 'stop the running step'], ['n', 'keep going']] : [['ctrl-c', 'stop']];
	else if (finished.ok) footer = target === 'qemu' ? [['l', 'launch in QEMU'], ['q', 'quit']] : [['f', 'write the USB stick'], ['q', 'quit']];
	else footer = [...(fixable ? ([['f', 'apply the fix and retry']] as Array<[string, string]>) : []), ['r', 'retry'], ['l', 'open the log'], ['q', 'quit']];

	return (
		<Box flexDirection="column">
			<RunView store={store} stepCounter />
			{confirmStop ? <Text color="yellow">Stop the running step? It will be recorded as interrupted and run again next time.</Text> : null}
			{finished?.ok ? (
				<Box flexDirection="column" marginTop={1}>
					<Text color="green" bold>
						Everything is built.
					</Text>
					<Text>
						{target === 'qemu'
							? 'Next: boot it in QEMU (l), then ask the model from another terminal with `sel4-llm ask "your prompt"`.'
							: 'Next: write the stick (f), plug it into the PC with a serial cable attached, and boot from it.'}
					</Text>
				</Box>
			) : null}
			<Footer keys={footer} />
		</Box>
	);
}
