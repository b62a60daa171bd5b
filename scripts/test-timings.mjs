// A reporter for Node's test runner that writes one JSON line per finished test (file, name, duration, whether
// it is a suite, why it was skipped), for scripts/test.mjs to print the slowest ones at the end. The spec reporter runs alongside.
export default async function* timings(source) {
	for await (const event of source) {
		if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
		const {name, nesting, file, details} = event.data;
		yield `${JSON.stringify({name, nesting, file, ms: details?.duration_ms ?? 0, suite: details?.type === 'suite', failed: event.type === 'test:fail', skipped: event.data.skip === undefined || event.data.skip === false ? false : event.data.skip === true ? 'skipped' : String(event.data.skip)})}\n`;
	}
}
