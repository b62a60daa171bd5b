// Build: compile TypeScript into a fresh directory, write the recipe JSON Schema for editors, then swap it in
// for dist/ (so a running dist/cli.js is never half-deleted while a build is under way).
import {execFileSync} from 'node:child_process';
import {chmodSync, renameSync, rmSync} from 'node:fs';
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
const next = 'dist.next';
rmSync(next, {recursive: true, force: true});
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', next], {stdio: 'inherit'});
chmodSync(`${next}/cli.js`, 0o755);
const {writeJsonSchema} = await import(`../${next}/engine/schema.js`);
writeJsonSchema(`${next}/recipe.schema.json`);
rmSync('dist.old', {recursive: true, force: true});
try {
	renameSync('dist', 'dist.old');
} catch {
	// first build
}
renameSync(next, 'dist');
rmSync('dist.old', {recursive: true, force: true});
