import {Box, Text} from 'ink';
import {groupTitles, summaryLine} from '../../doctor/format.js';
import type {CapabilityVerdict, CheckResult, DoctorReport} from '../../doctor/types.js';
import {CheckLine} from './check-line.js';

const verdictColor: Record<CapabilityVerdict['status'], string> = {yes: 'green', emulated: 'yellow', no: 'red', 'n/a': 'gray'};

function Capability({name, verdict}: {name: string; verdict: CapabilityVerdict}) {
	return (
		<Text>
			{name}: <Text color={verdictColor[verdict.status]}>{verdict.status}</Text>
			{verdict.blockers.length > 0 ? <Text dimColor>{` (${verdict.blockers.join(', ')})`}</Text> : null}
		</Text>
	);
}

export function DoctorView({report, root}: {report: DoctorReport; root: boolean}) {
	const width = Math.max(...report.checks.map((check) => check.title.length)) + 2;
	const groups = (Object.keys(groupTitles) as Array<CheckResult['group']>).filter((group) => report.checks.some((check) => check.group === group));
	return (
		<Box flexDirection="column">
			{groups.map((group) => (
				<Box key={group} flexDirection="column" marginBottom={1}>
					<Text bold>{groupTitles[group]}</Text>
					{report.checks
						.filter((check) => check.group === group)
						.map((check) => (
							<CheckLine key={check.id} check={check} width={width} root={root} />
						))}
				</Box>
			))}
			<Text bold>Verdicts</Text>
			{report.verdicts.map((verdict) => (
				<Text key={verdict.platform}>
					{'  '}
					{verdict.platform.padEnd(14)} <Capability name="build" verdict={verdict.build} />; <Capability name="run in QEMU" verdict={verdict.run} />;{' '}
					<Capability name="USB stick" verdict={verdict.usb} />
				</Text>
			))}
			<Text>
				{'  '}recommended platform: <Text bold>{report.recommendation.platform}</Text> ({report.recommendation.reason})
			</Text>
			<Box marginTop={1}>
				<Text color={report.ok ? 'green' : 'red'}>{summaryLine(report)}</Text>
			</Box>
		</Box>
	);
}
