// Marks and colours used across the UI, one place.
import type {StepStatus} from '../engine/reducer.js';

export const marks: Record<StepStatus, string> = {
	pending: '·',
	running: '›',
	done: '✓',
	skipped: '-',
	failed: '✗',
	interrupted: '■',
};

export const colours: Record<StepStatus, string> = {
	pending: 'gray',
	running: 'cyan',
	done: 'green',
	skipped: 'gray',
	failed: 'red',
	interrupted: 'yellow',
};

const spinnerFrames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function spinnerFrame(now: number): string {
	return spinnerFrames[Math.floor(now / 80) % spinnerFrames.length]!;
}
