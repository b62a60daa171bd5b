// The live console: the boot timeline on top, the guest's console below, a status line at the bottom, laid out for
// the window by launch-layout.ts and painted through Ink's colours (so NO_COLOR and FORCE_COLOR reach it).
import {ReportLines} from '../doctor/report-lines.js';
import {useWindowSize, type WindowSize} from '../window.js';
import {launchLayout, type LaunchScreenState} from './launch-layout.js';

export type LaunchViewProps = LaunchScreenState & {size: WindowSize};

export function LaunchView(props: LaunchViewProps) {
	const {size, ...state} = props;
	return <ReportLines lines={launchLayout(state, size)} columns={Math.max(20, size.columns)} colour />;
}

/** The view at the window's size, laid out again when the window is resized. */
export function LaunchScreen(props: LaunchScreenState) {
	const size = useWindowSize();
	return <LaunchView {...props} size={size} />;
}
