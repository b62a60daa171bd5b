// Who sel4-llm runs as.

/** True when running as root (uid 0): sudo is not needed, and files written here belong to root. */
export function isRoot(): boolean {
	return process.getuid?.() === 0;
}
