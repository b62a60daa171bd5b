// Architecture lint:
// - the engine, doctor probes and other UI-free layers never import React, Ink or ora;
// - child processes start in one module (source/system/exec.ts): nothing else imports node:child_process or execa;
// - the UI (source/ui) starts no process: it imports no values from the modules that start them (types are fine).
import {readdirSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';

const uiFree = ['source/engine', 'source/diagnose', 'source/doctor', 'source/flash', 'source/qemu', 'source/images', 'source/guest', 'source/console', 'source/system', 'source/sync'];
const uiImport = /from ['"](ink|react|ora|ink-testing-library)['"/]/;
const processImport = /from ['"](node:)?child_process['"]|from ['"]execa['"]/;
const processModule = 'source/system/exec.ts';
const uiProcessImport = /^import (?!type )[^;]*from ['"][./]*(system\/exec|system\/run|qemu\/boot|qemu\/process|images\/usb\/boot-test)\.js['"]/;
const problems = [];

function files(dir, out = []) {
	let names;
	try {
		names = readdirSync(dir);
	} catch {
		return out;
	}
	for (const name of names) {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) files(path, out);
		else if (/\.tsx?$/.test(name)) out.push(path);
	}
	return out;
}

for (const path of files('source')) {
	const ui = uiFree.some((dir) => path.startsWith(`${dir}/`));
	readFileSync(path, 'utf8')
		.split('\n')
		.forEach((line, index) => {
			if (ui && uiImport.test(line)) problems.push(`${path}:${index + 1}: UI import in a UI-free layer: ${line.trim()}`);
			if (path.startsWith('source/ui/') && uiProcessImport.test(line)) problems.push(`${path}:${index + 1}: the UI starts no process; start it in the command and pass it in: ${line.trim()}`);
			if (path !== processModule && processImport.test(line)) {
				problems.push(`${path}:${index + 1}: child processes start in ${processModule} only: ${line.trim()}`);
			}
		});
}
if (problems.length > 0) {
	console.error(problems.join('\n'));
	process.exit(1);
}
console.log('lint: ok');
