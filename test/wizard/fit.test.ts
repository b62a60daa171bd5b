import assert from 'node:assert/strict';
import {test} from 'node:test';
import {lineText} from '../../source/system/wrap.js';
import {fitBlocks, height, textBlock} from '../../source/wizard/fit.js';

const text = (lines: ReturnType<typeof fitBlocks>['lines']) => lines.map(lineText);

test('fitBlocks shows blocks whole around the focus, with how many were left out above and below', () => {
	const blocks = Array.from({length: 10}, (_, index) => textBlock(index % 2 === 0 ? `step ${index}` : `step ${index} a reason that wraps`, 12));
	assert.equal(height(blocks), 20);
	assert.deepEqual(fitBlocks(blocks, 30), {lines: blocks.flat(), cut: false, first: 0, last: 9});
	const top = fitBlocks(blocks, 6, 0, 'more steps');
	assert.deepEqual(text(top.lines), ['step 0', 'step 1 a', 'reason that', 'wraps', 'step 2', '  … 7 more steps below']);
	assert.deepEqual([top.cut, top.first, top.last], [true, 0, 2]);
	const bottom = fitBlocks(blocks, 6, 9, 'more steps');
	assert.deepEqual(text(bottom.lines), ['  … 8 more steps above', 'step 8', 'step 9 a', 'reason that', 'wraps']);
	// A block taller than the room shows its first lines rather than nothing.
	const tall = fitBlocks([textBlock('a b c d e f', 1), textBlock('x', 1)], 3, 0);
	assert.deepEqual(text(tall.lines), ['a', 'b', '  … 1 more below']);
});
