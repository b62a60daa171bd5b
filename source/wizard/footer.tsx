import {Text} from 'ink';

/** The keyboard help line, always visible at the bottom of a wizard screen. */
export function Footer({keys}: {keys: Array<[string, string]>}) {
	return (
		<Text dimColor>
			{keys.map(([key, action], index) => `${index > 0 ? '  ·  ' : ''}${key} ${action}`).join('')}
		</Text>
	);
}
