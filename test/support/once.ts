// One promise per key within a test process: expensive fixtures (kernels, builds, models) are made once;
// a failure is forgotten so that the next caller tries again.
const memo = new Map<string, Promise<unknown>>();

export function once<T>(key: string, make: () => Promise<T>): Promise<T> {
	let value = memo.get(key) as Promise<T> | undefined;
	if (!value) {
		value = make();
		memo.set(key, value);
		value.catch(() => memo.delete(key));
	}
	return value;
}
