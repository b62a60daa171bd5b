// Which console lines belong to the console protocol (source/console/protocol.ts): the framing between the host and
// the guest's inference service, for programs, not people. The live console pane and launch's plain console lines
// leave them out; the log file keeps them.
import {parseGuestLine} from '../console/protocol.js';

const protocolTags = ['SEL4LLM-READY', 'SEL4LLM-BEGIN', 'SEL4LLM-TOK', 'SEL4LLM-END', 'SEL4LLM-ERROR', 'SEL4LLM-PONG', 'SEL4LLM-PART'];

/**
 * A line of the console protocol, or the start of one still arriving ("SEL4LLM-TO"). Only a line that starts with
 * the marker: a shell command that mentions one (`echo SEL4LLM-READY`) is shown.
 */
export function isProtocolLine(line: string, finished = true): boolean {
	const text = line.trimStart();
	if (!text.startsWith('SEL4LLM-') && !(!finished && 'SEL4LLM-'.startsWith(text) && text !== '')) return false;
	if (finished) return parseGuestLine(text).type !== 'other';
	return protocolTags.some((tag) => tag.startsWith(text) || text.startsWith(tag));
}


/** What a console for people shows of a finished line: protocol lines left out, except an error, shown unescaped. */
export function shownLine(line: string): string | undefined {
	if (!isProtocolLine(line)) return line;
	const event = parseGuestLine(line.trimStart());
	return event.type === 'error' ? `SEL4LLM-ERROR ${event.id} ${event.message}` : undefined;
}
