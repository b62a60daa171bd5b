// One row per phase (write, sync, verify): a bar, bytes, speed and ETA.
import {Box, Text} from 'ink';
import {formatSize} from '../../flash/lsblk.js';
import {formatProgressTime} from '../../flash/interaction.js';
import type {Phase, Progress} from '../../flash/writer.js';

const PHASES: Phase[] = ['write', 'sync', 'verify'];

function bar(fraction: number, width = 24): string {
	const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
	return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

export function FlashProgress({phases}: {phases: Partial<Record<Phase, Progress>>}) {
	return (
		<Box flexDirection="column">
			{PHASES.filter((phase) => phases[phase]).map((phase) => {
				const progress = phases[phase]!;
				const fraction = progress.total > 0 ? progress.done / progress.total : 1;
				const finished = progress.done >= progress.total;
				return (
					<Text key={phase} color={finished ? 'green' : undefined}>
						{phase.padEnd(7)} {bar(fraction)} {String(Math.floor(fraction * 100)).padStart(3)}%{' '}
						{phase === 'sync'
							? finished
								? `done in ${formatProgressTime(progress.elapsedSeconds)}`
								: 'flushing to the device'
							: `${formatSize(progress.done)} / ${formatSize(progress.total)}  ${formatSize(progress.bytesPerSecond)}/s  ETA ${formatProgressTime(progress.etaSeconds)}`}
					</Text>
				);
			})}
			<Text dimColor>Ctrl-C stops (a partly written stick is unusable until flashed again)</Text>
		</Box>
	);
}
