import assert from 'node:assert/strict';
import {test} from 'node:test';
import {expand, referencedNames, splitWords, UnknownVariableError, WordSplitError} from '../../source/engine/vars.js';
import {formatCommand as formatArgv} from '../../source/system/quote.js';

test('splitWords splits like a shell without expanding anything', () => {
	assert.deepEqual(splitWords(`cmake -G Ninja "-DX=a b" 'single $(x)' back\\ slash`), ['cmake', '-G', 'Ninja', '-DX=a b', 'single $(x)', 'back slash']);
	assert.deepEqual(splitWords('echo "a\\"b" \'\' x'), ['echo', 'a"b', '', 'x']);
});

test('splitWords refuses what only a shell understands', () => {
	for (const bad of ['a | b', 'a; b', 'a && b', 'echo $(id)', 'a > f', 'echo `id`']) {
		assert.throws(() => splitWords(bad), WordSplitError, bad);
	}
	assert.throws(() => splitWords('echo "open'), /unterminated double quote/);
	assert.throws(() => splitWords("echo 'open"), /unterminated single quote/);
});

test('expand inserts values literally and keeps escaped references', () => {
	const values = new Map([['v', 'a b; $(rm -rf /) "q"']]);
	assert.equal(expand('-DX=${v}', values), '-DX=a b; $(rm -rf /) "q"');
	assert.equal(expand('$${v}', values), '${v}');
	assert.throws(() => expand('${missing}', values), UnknownVariableError);
	assert.deepEqual(referencedNames('${a} $${b} ${c.d}'), ['a', 'c.d']);
});

test('formatArgv quotes so a printed command can be pasted', () => {
	assert.equal(formatArgv(['echo', 'plain', 'with space', "it's"]), `echo plain 'with space' 'it'\\''s'`);
});
