// The final screen of flash, wrapped to the window: what was written where, its sha256, the read-back, the next step.
import {Box} from 'ink';
import {summaryLines, type FlashSummary} from '../../flash/summary.js';
import {ReportLines} from '../doctor/report-lines.js';
import {useWindowSize} from '../window.js';

export function FlashDone({summary, colour}: {summary: FlashSummary; colour: boolean}) {
	const {columns} = useWindowSize();
	return (
		<Box marginTop={1}>
			<ReportLines lines={summaryLines(summary, columns)} columns={columns} colour={colour} />
		</Box>
	);
}
