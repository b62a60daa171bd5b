// Build: compile TypeScript into dist/, then write the recipe JSON Schema for editors.
import {execFileSync} from 'node:child_process';
import {chmodSync, rmSync} from 'node:fs';
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
rmSync('dist', {recursive: true, force: true});
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], {stdio: 'inherit'});
chmodSync('dist/cli.js', 0o755);
const {writeJsonSchema} = await import('../dist/engine/schema.js');
writeJsonSchema('dist/recipe.schema.json');
