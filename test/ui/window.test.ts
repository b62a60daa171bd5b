import assert from 'node:assert/strict';
import {test} from 'node:test';
import {wrapText} from '../../source/system/wrap.js';
import {fitList, windowOf} from '../../source/ui/window.js';

test('wrapText fills the width word by word with a hanging indent and never cuts a word', () => {
	assert.deepEqual(wrapText('fatal: unable to access the manifest: Could not resolve host: github.com', 30, 0, 2), [
		'fatal: unable to access the',
		'  manifest: Could not resolve',
		'  host: github.com',
	]);
});

test('wrapText breaks a word wider than the line instead of hiding its end', () => {
	assert.deepEqual(wrapText('x'.repeat(25), 10), ['xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxx']);
	assert.deepEqual(wrapText('one\ntwo', 10), ['one', 'two']);
	// An indent as wide as the line still ends: each continuation keeps a column for text.
	assert.equal(wrapText('y'.repeat(12), 4, 0, 8).join('').replace(/ /g, ''), 'y'.repeat(12));
});

test('fitList shows everything that fits, and otherwise keeps the focus in view with counts of the rest', () => {
	const items = Array.from({length: 40}, (_, index) => index);
	assert.deepEqual(fitList(items.slice(0, 5), 10), {shown: [0, 1, 2, 3, 4], above: 0, below: 0});
	assert.deepEqual(fitList(items, 10, 0), {shown: [0, 1, 2, 3, 4, 5, 6, 7, 8], above: 0, below: 31});
	assert.deepEqual(fitList(items, 10, 39), {shown: [31, 32, 33, 34, 35, 36, 37, 38, 39], above: 31, below: 0});
	const middle = fitList(items, 10, 20);
	assert.equal(middle.shown.length, 8);
	assert.ok(middle.shown.includes(20));
	assert.equal(middle.above + middle.shown.length + middle.below, 40);
});

test('a stream without a size is taken as 80x24', () => {
	assert.deepEqual(windowOf(undefined), {rows: 24, columns: 80});
	assert.deepEqual(windowOf({rows: 36, columns: 120}), {rows: 36, columns: 120});
});
