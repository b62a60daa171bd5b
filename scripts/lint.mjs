// Architecture lint: the engine, doctor probes and other UI-free layers never import React, Ink or ora.
import {readdirSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';

const uiFree = ['source/engine', 'source/doctor', 'source/flash', 'source/qemu', 'source/images', 'source/guest', 'source/console', 'source/system', 'source/sync'];
const banned = /from ['"](ink|react|ora|ink-testing-library)['"/]/;
const problems = [];
function walk(dir) {
	let names;
	try {
		names = readdirSync(dir);
	} catch {
		return;
	}
	for (const name of names) {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) walk(path);
		else if (/\.tsx?$/.test(name)) {
			readFileSync(path, 'utf8').split('\n').forEach((line, index) => {
				if (banned.test(line)) problems.push(`${path}:${index + 1}: UI import in a UI-free layer: ${line.trim()}`);
			});
		}
	}
}
for (const dir of uiFree) walk(dir);
if (problems.length > 0) {
	console.error(problems.join('\n'));
	process.exit(1);
}
console.log('lint: ok');
