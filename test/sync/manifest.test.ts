// The manifest reader: the structure of camkes-vm-examples-manifest, URL resolution as repo does it, and errors.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {isCommitId, ManifestError, parseManifest, resolveFetchUrl} from '../../source/sync/manifest.js';
import {parseXml, XmlError} from '../../source/sync/xml.js';

const pin = (char: string) => char.repeat(40);

// Written for these tests with the structure of the real default.xml (remotes with relative and absolute
// fetch URLs, a default, pinned revisions with upstream/dest-branch, tag upstreams, linkfiles).
const manifestText = `<?xml version="1.0" encoding="UTF-8"?>
<!--
   A comment with <tags> and "quotes" that must be skipped.
-->
<manifest>
  <remote name="picotcp" fetch="https://github.com/tass-belgium"/>
  <remote name="seL4" fetch="../seL4"/>

  <default remote="seL4" revision="master"/>

  <project name="camkes-vm-examples.git" path="projects/vm-examples" revision="${pin('a')}" upstream="master" dest-branch="master">
    <linkfile src="easy-settings.cmake" dest="easy-settings.cmake"/>
  </project>
  <project name="seL4_tools.git" path="tools/seL4" revision="${pin('b')}" upstream="master" dest-branch="master">
    <linkfile src="cmake-tool/griddle" dest="griddle"/>
    <linkfile src="cmake-tool/init-build.sh" dest="init-build.sh"/>
  </project>
  <project name="picotcp.git" path="projects/picotcp" remote="picotcp" revision="${pin('c')}" upstream="refs/tags/v1.7.0" dest-branch="refs/tags/v1.7.0"/>
  <project name="musllibc.git" path="projects/musllibc" revision="sel4"/>
  <project name="seL4.git" path="kernel"/>
  <project name="camkes-tool.git" path="projects/camkes-tool">
    <copyfile src="docs/index.md" dest="camkes_README.md"/>
  </project>
</manifest>
`;

test('the camkes-vm-examples structure: remotes, default, pinned and branch projects, linkfiles and copyfiles', () => {
	const manifest = parseManifest(manifestText, {manifestUrl: 'https://github.com/seL4/camkes-vm-examples-manifest.git', file: 'default.xml'});
	assert.deepEqual(
		manifest.remotes.map((remote) => [remote.name, remote.url]),
		[
			['picotcp', 'https://github.com/tass-belgium'],
			['seL4', 'https://github.com/seL4'],
		],
	);
	assert.equal(manifest.defaultRemote, 'seL4');
	assert.equal(manifest.defaultRevision, 'master');
	const byPath = new Map(manifest.projects.map((project) => [project.path, project]));
	assert.deepEqual(byPath.get('tools/seL4'), {
		name: 'seL4_tools.git',
		path: 'tools/seL4',
		remote: 'seL4',
		url: 'https://github.com/seL4/seL4_tools.git',
		revision: pin('b'),
		upstream: 'master',
		destBranch: 'master',
		linkfiles: [
			{src: 'cmake-tool/griddle', dest: 'griddle'},
			{src: 'cmake-tool/init-build.sh', dest: 'init-build.sh'},
		],
		copyfiles: [],
	});
	assert.equal(byPath.get('projects/picotcp')!.url, 'https://github.com/tass-belgium/picotcp.git');
	assert.equal(byPath.get('projects/picotcp')!.upstream, 'refs/tags/v1.7.0');
	assert.equal(byPath.get('projects/musllibc')!.revision, 'sel4');
	assert.equal(byPath.get('kernel')!.revision, 'master', 'the default revision applies');
	assert.equal(byPath.get('kernel')!.url, 'https://github.com/seL4/seL4.git');
	assert.deepEqual(byPath.get('projects/camkes-tool')!.copyfiles, [{src: 'docs/index.md', dest: 'camkes_README.md'}]);
	assert.deepEqual(manifest.ignored, []);
});

test('relative fetch URLs resolve against the manifest URL like repo (a URL join)', () => {
	const cases: Array<[fetch: string, manifestUrl: string, expected: string]> = [
		['../seL4', 'https://github.com/seL4/camkes-vm-examples-manifest.git', 'https://github.com/seL4'],
		['../seL4', 'https://github.com/seL4/camkes-vm-examples-manifest.git/', 'https://github.com/seL4'],
		['..', 'https://mirror.example/git/seL4/camkes-vm-examples-manifest', 'https://mirror.example/git'],
		['../seL4', 'file:///srv/mirror/seL4/camkes-vm-examples-manifest.git', 'file:///srv/mirror/seL4'],
		['../seL4', '/srv/mirror/seL4/camkes-vm-examples-manifest.git', '/srv/mirror/seL4'],
		['../seL4', 'git@github.com:seL4/camkes-vm-examples-manifest.git', 'git@github.com:seL4'],
		['https://github.com/zeromq', 'file:///anything/manifest.git', 'https://github.com/zeromq'],
		['https://github.com/ruslo/', 'https://github.com/seL4/m.git', 'https://github.com/ruslo'],
		['git@example.org:mirror', 'https://github.com/seL4/m.git', 'git@example.org:mirror'],
	];
	for (const [fetch, manifestUrl, expected] of cases) {
		assert.equal(resolveFetchUrl(fetch, manifestUrl), expected, `${fetch} against ${manifestUrl}`);
	}
});

test('include pulls in another manifest file; remove-project drops a project; unknown elements are listed', () => {
	const files: Record<string, string> = {
		'extra.xml': '<manifest><remote name="ext" fetch="https://example.org"/><project name="lwip.git" path="projects/lwip" remote="ext" revision="refs/tags/STABLE-2_1_2_RELEASE"/></manifest>',
	};
	const manifest = parseManifest(
		`<manifest><remote name="seL4" fetch="."/><default remote="seL4" revision="master"/><notice>hello</notice>
		<project name="a.git" path="a"/><include name="extra.xml"/><project name="b.git" path="b"/><remove-project name="b.git"/></manifest>`,
		{manifestUrl: 'https://host/org/manifest', readInclude: (name) => files[name]!},
	);
	assert.deepEqual(
		manifest.projects.map((project) => [project.path, project.url, project.revision]),
		[
			['a', 'https://host/org/a.git', 'master'],
			['projects/lwip', 'https://example.org/lwip.git', 'refs/tags/STABLE-2_1_2_RELEASE'],
		],
	);
	assert.equal(manifest.ignored.length, 1);
	assert.match(manifest.ignored[0]!, /<notice>/);
});

test('a project without a path uses its name without .git', () => {
	const manifest = parseManifest('<manifest><remote name="r" fetch="https://x"/><default remote="r" revision="main"/><project name="polly"/></manifest>', {manifestUrl: 'https://x/m'});
	assert.equal(manifest.projects[0]!.path, 'polly');
});

test('bad manifests are refused with the file, the line and what is wrong', () => {
	const bad: Array<[string, RegExp]> = [
		['<manifest><project name="a.git" path="a"/></manifest>', /m\.xml:1: project a\.git has no remote and there is no <default remote/],
		['<manifest><remote name="r" fetch="x"/><default revision="m"/>\n<project name="a" remote="q"/></manifest>', /m\.xml:2: project a uses remote "q", which is not declared \(declared: r\)/],
		['<manifest><remote name="r" fetch="x"/><default remote="r"/><project name="a"/></manifest>', /project a has no revision/],
		['<manifest><remote name="r" fetch="x"/><default remote="r" revision="m"/><project name="a" path="../escape"/></manifest>', /must be a relative path inside the workspace/],
		['<manifest><remote name="r" fetch="x"/><default remote="r" revision="m"/><project name="a" path="/abs"/></manifest>', /must be a relative path/],
		['<manifest><remote name="r" fetch="x"/><default remote="r" revision="m"/><project name="a" path="p"/><project name="b" path="p"/></manifest>', /path "p" is used by a and b/],
		['<manifest><remote name="r" fetch="x"/><default remote="r" revision="m"/><project name="a" path="p"><linkfile src="x" dest="../../etc/passwd"/></project></manifest>', /dest "..\/..\/etc\/passwd" must be a relative path/],
		['<manifest><remote name="r" fetch="x"/><default remote="r" revision="m"/><project name="a" path="p"><linkfile src="../../x" dest="y"/></project></manifest>', /must stay inside the project/],
		['<manifest>\n<project name="a">\n</manifest>', /m\.xml:3: malformed XML: <\/manifest> does not close <project>/],
		['<repo></repo>', /the root element is <repo>, expected <manifest>/],
		['<manifest><include name="other.xml"/></manifest>', /cannot be read here/],
	];
	for (const [text, expected] of bad) {
		assert.throws(() => parseManifest(text, {manifestUrl: 'https://x/m', file: 'm.xml'}), (error: unknown) => {
			assert.ok(error instanceof ManifestError, String(error));
			assert.match((error as Error).message, expected);
			return true;
		});
	}
});

test('the XML reader: entities, single quotes, comments, and errors with lines', () => {
	const root = parseXml(`<?xml version="1.0"?>\n<!DOCTYPE manifest>\n<manifest a='x &amp; y' b="&lt;&#65;&#x42;&gt;"><!-- <p/> --><p/></manifest>`);
	assert.equal(root.attributes.a, 'x & y');
	assert.equal(root.attributes.b, '<AB>');
	assert.equal(root.children.length, 1);
	assert.equal(root.children[0]!.line, 3);
	assert.throws(() => parseXml('<a>\n\n<b x="1" x="2"/></a>'), (error: unknown) => error instanceof XmlError && error.line === 3 && /duplicate attribute x/.test(error.message));
	assert.throws(() => parseXml('<a><b></a>'), /does not close <b>/);
	assert.throws(() => parseXml('<a/><b/>'), /more than one root element/);
	assert.throws(() => parseXml('<a x="&bogus;"/>'), /unknown entity &bogus;/);
});

test('commit ids are 40 (or 64) lower-case hex digits', () => {
	assert.equal(isCommitId(pin('a')), true);
	assert.equal(isCommitId('e6fa51fd12d1b5ae0b5167374d836744e34073e8'), true);
	assert.equal(isCommitId('master'), false);
	assert.equal(isCommitId('e6fa51f'), false);
	assert.equal(isCommitId('refs/tags/v1.7.0'), false);
});
