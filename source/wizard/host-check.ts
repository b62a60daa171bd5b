// The host check behind the wizard's welcome screen.
import type {HostSummary} from './host.js';

export async function hostSummary(_workspace: string): Promise<HostSummary | undefined> {
	return undefined;
}
