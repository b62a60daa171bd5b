import {ReportLines} from '../ui/doctor/report-lines.js';
import {useWindowSize} from '../ui/window.js';
import {textBlock, type Block} from './fit.js';

export type Keys = Array<[string, string]>;

/** The keyboard help, wrapped at the window's width: a screen counts its rows before it fits its body. */
export function footerBlock(keys: Keys, columns: number): Block {
	return textBlock(keys.map(([key, action]) => `${key} ${action}`).join('  ·  '), columns, 'dim');
}

/** The keyboard help, always visible at the bottom of a wizard screen, wrapped at `columns` (the window's by default). */
export function Footer({keys, columns}: {keys: Keys; columns?: number}) {
	const window = useWindowSize();
	const width = columns ?? window.columns;
	return <ReportLines lines={footerBlock(keys, width)} columns={width} colour />;
}
