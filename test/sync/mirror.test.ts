// Mirror rules: git's insteadOf prefixes and BASE/<host>/<path> bases.
import assert from 'node:assert/strict';
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {mirrorUrl, parseMirrors} from '../../source/sync/mirror.js';

test('a prefix rule rewrites like insteadOf, the longest prefix wins, other URLs stay as they are', () => {
	const rules = parseMirrors('https://github.com/=file:///m/github/  https://github.com/seL4/=file:///m/sel4/\nhttps://git.savannah.gnu.org/git/=https://git.example.org/savannah/');
	assert.equal(mirrorUrl('https://github.com/tass-belgium/picotcp.git', rules), 'file:///m/github/tass-belgium/picotcp.git');
	assert.equal(mirrorUrl('https://github.com/seL4/seL4.git', rules), 'file:///m/sel4/seL4.git');
	assert.equal(mirrorUrl('https://git.savannah.gnu.org/git/lwip.git', rules), 'https://git.example.org/savannah/lwip.git');
	assert.equal(mirrorUrl('https://gitlab.com/x/y.git', rules), 'https://gitlab.com/x/y.git');
	assert.deepEqual(parseMirrors(''), []);
	assert.deepEqual(parseMirrors(undefined), []);
});

test('a base maps scheme://host/path and user@host:path to BASE/host/path, never a local URL', () => {
	const rules = parseMirrors('https://mirror.example.org/git/');
	assert.equal(mirrorUrl('https://github.com/seL4/camkes-vm-examples-manifest.git', rules), 'https://mirror.example.org/git/github.com/seL4/camkes-vm-examples-manifest.git');
	assert.equal(mirrorUrl('https://git.savannah.gnu.org/git/lwip.git', rules), 'https://mirror.example.org/git/git.savannah.gnu.org/git/lwip.git');
	assert.equal(mirrorUrl('ssh://git@github.com:22/zeromq/libzmq', rules), 'https://mirror.example.org/git/github.com/zeromq/libzmq');
	assert.equal(mirrorUrl('git@github.com:ruslo/polly', rules), 'https://mirror.example.org/git/github.com/ruslo/polly');
	assert.equal(mirrorUrl('file:///srv/seL4/seL4.git', rules), 'file:///srv/seL4/seL4.git');
	assert.equal(mirrorUrl('/srv/seL4/seL4.git', rules), '/srv/seL4/seL4.git');
	// A prefix rule comes before the base.
	assert.equal(mirrorUrl('https://github.com/seL4/seL4.git', parseMirrors('/b https://github.com/=file:///p/')), 'file:///p/seL4/seL4.git');
});

test('a local base finds a mirror with or without the .git ending', () => {
	const base = mkdtempSync(join(tmpdir(), 'sel4-llm-mirror-'));
	try {
		mkdirSync(join(base, 'github.com/zeromq/libzmq.git'), {recursive: true});
		mkdirSync(join(base, 'github.com/seL4/seL4'), {recursive: true});
		const rules = parseMirrors(base);
		assert.equal(mirrorUrl('https://github.com/zeromq/libzmq', rules), `file://${base}/github.com/zeromq/libzmq.git`);
		assert.equal(mirrorUrl('https://github.com/seL4/seL4.git', rules), `file://${base}/github.com/seL4/seL4`);
		assert.equal(mirrorUrl('https://github.com/seL4/other.git', rules), `file://${base}/github.com/seL4/other.git`);
	} finally {
		rmSync(base, {recursive: true, force: true});
	}
});

test('bad rules are refused with what to give, before anything runs', () => {
	assert.throws(() => parseMirrors('relative/dir'), /the mirror base "relative\/dir" is neither a URL nor an absolute directory/);
	assert.throws(() => parseMirrors('=file:///x'), /needs a prefix before "=" and a replacement after it/);
	assert.throws(() => parseMirrors('https://github.com/=-oProxyCommand=x'), /the mirror replacement "-oProxyCommand=x" starts with "-"/);
	assert.throws(() => parseMirrors('https://github.com/=ext::sh -c x'), /uses a git transport that runs commands/);
	assert.throws(() => parseMirrors('ext::sh'), /neither a URL|transport that runs commands/);
});
