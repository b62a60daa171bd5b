import {Box, Text} from 'ink';
import type {HostSummary} from './host.js';

export type ResumeInfo = {done: number; total: number; stale: string[]; failed?: string};

/** Welcome: what sel4-llm will do, the host's verdicts, and where an earlier run stopped. */
export function Welcome({host, resume}: {host: HostSummary | undefined; resume: ResumeInfo | undefined}) {
	return (
		<Box flexDirection="column">
			<Text bold>sel4-llm setup</Text>
			<Text>
				This sets up seL4 with a CAmkES virtual machine whose Linux guest runs llama.cpp, then boots it in QEMU or writes a
				USB stick for a PC. Every step is shown before it runs, and a second run continues where this one stops.
			</Text>
			{host ? (
				<Box flexDirection="column" marginTop={1}>
					<Text bold>This machine</Text>
					{Object.entries(host.platforms).map(([platform, verdict]) => (
						<Text key={platform}>
							{'  '}
							{platform.padEnd(14)} build {verdict.build.ok ? '✓' : '✗'} · QEMU {verdict.run.ok ? '✓' : '✗'} · USB stick{' '}
							{verdict.usb.ok ? '✓' : '✗'}
							<Text dimColor> {verdict.run.ok ? '' : verdict.run.note}</Text>
						</Text>
					))}
					<Text>
						{'  '}Recommended: <Text color="cyan">{host.recommended}</Text>
					</Text>
					{host.problems.slice(0, 5).map((problem) => (
						<Text key={problem} color="yellow">
							{'  ! '}
							{problem}
						</Text>
					))}
				</Box>
			) : null}
			{resume && resume.done > 0 ? (
				<Box flexDirection="column" marginTop={1}>
					<Text color="green">
						Resuming: {resume.done} of {resume.total} steps done.
					</Text>
					{resume.stale.length > 0 ? <Text dimColor>Changed since the last run: {resume.stale.join(', ')}</Text> : null}
					{resume.failed ? <Text color="yellow">Last run stopped at {resume.failed}.</Text> : null}
				</Box>
			) : null}
		</Box>
	);
}
