import assert from 'node:assert/strict';
import {PassThrough} from 'node:stream';
import test from 'node:test';
import {createEventStream} from '../../source/reporters/stream.js';

function capture() {
	const out = new PassThrough();
	let text = '';
	out.on('data', (chunk: Buffer) => (text += chunk.toString()));
	return {out, lines: () => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)};
}

test('events as they come, then one result with the exit code; the four result fields cannot be overridden', () => {
	const {out, lines} = capture();
	const stream = createEventStream(out, 'sync', true);
	stream.emit({type: 'project-start', path: 'kernel'});
	stream.result({lockFile: '/ws/lock', ok: 'no', type: 'other', exit: 9, command: 'x'});
	stream.result({projects: 3});
	stream.finish(1, {kind: 'failed', message: '1 of 3 projects failed'});
	stream.finish(0);
	stream.emit({type: 'late'});
	assert.deepEqual(lines(), [
		{type: 'project-start', path: 'kernel'},
		{type: 'result', command: 'sync', ok: false, exit: 1, lockFile: '/ws/lock', projects: 3, error: {kind: 'failed', message: '1 of 3 projects failed'}},
	]);
});

test('a diagnosis keeps its troubleshooting entry for the program, not for the output', () => {
	const {out, lines} = capture();
	const stream = createEventStream(out, 'run', true);
	stream.emit({type: 'step-fail', diagnoses: [{id: 'disk-full', entry: {match: {output: 'No space'}}}]});
	assert.deepEqual(lines(), [{type: 'step-fail', diagnoses: [{id: 'disk-full'}]}]);
});

test('without --json the stream writes nothing', () => {
	const {out, lines} = capture();
	const stream = createEventStream(out, 'plan', false);
	stream.emit({type: 'message', text: 'hello'});
	stream.result({steps: []});
	stream.finish(0);
	assert.deepEqual(lines(), []);
});
