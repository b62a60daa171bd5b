// The whole flash screen: finished messages above (Static), the current question or the progress below.
import {Box, Static, Text, useInput} from 'ink';
import {useSyncExternalStore} from 'react';
import {ConfirmDevice} from './confirm-device.js';
import {DevicePicker} from './device-picker.js';
import {FlashDone} from './flash-done.js';
import {FlashProgress} from './flash-progress.js';
import type {FlashStore} from './store.js';

function InterruptKey({onInterrupt}: {onInterrupt: () => void}) {
	useInput((input, key) => {
		if (key.ctrl && input === 'c') onInterrupt();
	});
	return null;
}

export function FlashApp({store, canReadKeys, colour}: {store: FlashStore; canReadKeys: boolean; colour: boolean}) {
	const state = useSyncExternalStore(store.subscribe, store.get);
	return (
		<Box flexDirection="column">
			<Static items={state.messages}>{(line, index) => <Text key={index}>{line}</Text>}</Static>
			{state.screen.kind === 'pick' && <DevicePicker verdicts={state.screen.verdicts} onPick={state.screen.resolve} />}
			{state.screen.kind === 'confirm' && (
				<ConfirmDevice verdict={state.screen.verdict} imageSize={state.screen.imageSize} notes={state.screen.notes} onDone={state.screen.resolve} />
			)}
			{state.screen.kind === 'progress' && <FlashProgress phases={state.phases} />}
			{state.screen.kind === 'progress' && canReadKeys && <InterruptKey onInterrupt={store.interrupt} />}
			{state.screen.kind === 'done' && <FlashDone summary={state.screen.summary} colour={colour} />}
		</Box>
	);
}
