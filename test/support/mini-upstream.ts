// A miniature seL4 CAmkES-VM upstream in a temporary directory: file:// git repositories laid out like
// github.com/seL4/* and a manifest repository whose default.xml has the structure of
// camkes-vm-examples-manifest (a remote with a relative fetch URL, another with an absolute one, a default
// remote and revision, pinned revisions with upstream attributes, branch- and tag-tracking projects, linkfiles
// for init-build.sh and easy-settings.cmake, a copyfile). Its init-build.sh is a small real CMake + Ninja
// project that writes images/ under the real names and refuses the app/platform pairs upstream refuses.
import {execFileSync} from 'node:child_process';
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';

const gitEnv = {
	...process.env,
	GIT_AUTHOR_NAME: 'Mini Upstream',
	GIT_AUTHOR_EMAIL: 'mini@example.invalid',
	GIT_COMMITTER_NAME: 'Mini Upstream',
	GIT_COMMITTER_EMAIL: 'mini@example.invalid',
	GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
	GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
	GIT_CONFIG_NOSYSTEM: '1',
	HOME: tmpdir(),
};

export function gitIn(cwd: string, args: string[]): string {
	return execFileSync('git', args, {cwd, env: gitEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim();
}

export type MiniProject = {
	name: string;
	path: string;
	/** "seL4" (relative fetch ../seL4) or "ext" (absolute file:// fetch). */
	remote: 'seL4' | 'ext';
	/** pinned: revision is a commit id (with upstream="master"); branch: revision="<branch>"; tag: refs/tags/<tag>. */
	track: 'pinned' | 'branch' | 'tag';
	branch?: string;
	tag?: string;
	linkfiles?: Array<{src: string; dest: string}>;
	copyfiles?: Array<{src: string; dest: string}>;
};

export type MiniUpstream = {
	root: string;
	/** file:// URL of the manifest repository. */
	manifestUrl: string;
	manifestDir: string;
	projects: MiniProject[];
	/** Pinned revisions by project name (what default.xml says). */
	pins: Map<string, string>;
	repoDir(name: string): string;
	/** Adds a commit to a project's repository (on its branch) and returns its id. */
	commit(name: string, files: Record<string, string>, message: string): string;
	/** Rewrites default.xml (and master.xml) from the current pins and commits them. */
	writeManifests(): string;
	remove(): void;
};

const initBuild = `#!/bin/sh
# Miniature of seL4_tools' cmake-tool/init-build.sh: configure a CAmkES VM app with CMake and Ninja.
set -eu
top=$(cd "$(dirname "$0")" && pwd)
if [ "$(pwd)" = "$top" ] || [ -e CMakeLists.txt ]; then
	echo "init-build.sh should not be run from the top of the project or from a directory with a CMakeLists.txt" >&2
	exit 1
fi
settings=$(readlink -f "$top/easy-settings.cmake")
project_dir=$(dirname "$settings")
exec cmake -G Ninja "$@" -C "$project_dir/settings.cmake" "$project_dir"
`;

const examplesCMake = `cmake_minimum_required(VERSION 3.13)
project(mini-camkes-vm-examples NONE)
set(CAMKES_VM_APP "optiplex9020" CACHE STRING "CAmkES VM app")
set(app_dir "")
if(EXISTS "\${CMAKE_CURRENT_SOURCE_DIR}/apps/Arm/\${CAMKES_VM_APP}")
	set(app_dir "\${CMAKE_CURRENT_SOURCE_DIR}/apps/Arm/\${CAMKES_VM_APP}")
	include("\${app_dir}/settings.cmake")
	if(NOT "\${PLATFORM}" IN_LIST supported)
		message(FATAL_ERROR "PLATFORM: \${PLATFORM} not supported.\n         Supported: \${supported}")
	endif()
	if("\${PLATFORM}" STREQUAL "qemu-arm-virt" AND NOT AARCH64)
		message(FATAL_ERROR "Only AARCH64 is supported on QEMU, set -DAARCH64=TRUE")
	endif()
	set(images "images/capdl-loader-image-arm-\${PLATFORM}")
elseif(EXISTS "\${CMAKE_CURRENT_SOURCE_DIR}/apps/x86/\${CAMKES_VM_APP}")
	set(app_dir "\${CMAKE_CURRENT_SOURCE_DIR}/apps/x86/\${CAMKES_VM_APP}")
	include("\${app_dir}/app_settings.cmake")
	set(images "images/kernel-\${sel4_arch}-pc99" "images/capdl-loader-image-\${sel4_arch}-pc99")
else()
	message(FATAL_ERROR "App does not exist for supported architecture")
endif()
file(WRITE "\${CMAKE_BINARY_DIR}/image.in" "app=\${CAMKES_VM_APP} platform=\${PLATFORM} aarch64=\${AARCH64} simulation=\${SIMULATION} stamp=\${STAMP}\\n")
set(outputs "")
foreach(image IN LISTS images)
	add_custom_command(OUTPUT "\${CMAKE_BINARY_DIR}/\${image}"
		COMMAND \${CMAKE_COMMAND} -E make_directory "\${CMAKE_BINARY_DIR}/images"
		COMMAND \${CMAKE_COMMAND} -E copy "\${CMAKE_BINARY_DIR}/image.in" "\${CMAKE_BINARY_DIR}/\${image}"
		COMMAND \${CMAKE_COMMAND} -E echo "Generating \${image}"
		DEPENDS "\${CMAKE_BINARY_DIR}/image.in")
	list(APPEND outputs "\${CMAKE_BINARY_DIR}/\${image}")
endforeach()
add_custom_target(images ALL DEPENDS \${outputs})
if(SIMULATION)
	file(WRITE "\${CMAKE_BINARY_DIR}/simulate" "#!/bin/sh\\necho simulate\\n")
endif()
`;

function armApp(platforms: string[]): Record<string, string> {
	return {'settings.cmake': `set(supported ${platforms.map((p) => `"${p}"`).join(' ')})\n`};
}

function examplesFiles(): Record<string, string> {
	const files: Record<string, string> = {
		'CMakeLists.txt': examplesCMake,
		'settings.cmake': 'set(RELEASE OFF CACHE BOOL "Release build")\nset(SIMULATION OFF CACHE BOOL "Simulation")\nset(AARCH64 OFF CACHE BOOL "AArch64")\nset(PLATFORM "" CACHE STRING "Platform")\nset(STAMP "" CACHE STRING "Test stamp")\n',
		'easy-settings.cmake': 'set(CAMKES_VM_APP "optiplex9020" CACHE STRING "CAmkES VM app")\n',
		'README.md': '# mini camkes-vm-examples\n',
	};
	const arm: Record<string, string[]> = {
		vm_minimal: ['tk1', 'tx1', 'tx2', 'exynos5422', 'qemu-arm-virt', 'odroidc2', 'zcu102'],
		vm_introspect: ['exynos5422', 'qemu-arm-virt'],
		vm_virtio_net: ['exynos5422', 'tx2', 'zcu102'],
		vm_serial_server: ['exynos5422'],
		llm_vm: ['qemu-arm-virt'],
	};
	for (const [app, platforms] of Object.entries(arm)) {
		for (const [name, text] of Object.entries(armApp(platforms))) files[`apps/Arm/${app}/${name}`] = text;
	}
	const x86: Record<string, string> = {minimal: 'ia32', minimal_64: 'x86_64', optiplex9020: 'x86_64', llm_vm_x86: 'x86_64'};
	for (const [app, arch] of Object.entries(x86)) files[`apps/x86/${app}/app_settings.cmake`] = `set(sel4_arch "${arch}")\n`;
	return files;
}

export function createMiniUpstream(options: {extraProjects?: number; filesPerProject?: number; history?: number; root?: string} = {}): MiniUpstream {
	const root = options.root ?? mkdtempSync(join(tmpdir(), 'sel4-llm-mini-'));
	const seL4 = join(root, 'seL4');
	const ext = join(root, 'ext');
	mkdirSync(seL4, {recursive: true});
	mkdirSync(ext, {recursive: true});
	const projects: MiniProject[] = [
		{name: 'seL4.git', path: 'kernel', remote: 'seL4', track: 'pinned'},
		{
			name: 'seL4_tools.git',
			path: 'tools/seL4',
			remote: 'seL4',
			track: 'pinned',
			linkfiles: [
				{src: 'cmake-tool/init-build.sh', dest: 'init-build.sh'},
				{src: 'cmake-tool/griddle', dest: 'griddle'},
			],
		},
		{name: 'camkes-vm-examples.git', path: 'projects/vm-examples', remote: 'seL4', track: 'pinned', linkfiles: [{src: 'easy-settings.cmake', dest: 'easy-settings.cmake'}]},
		{name: 'camkes-vm.git', path: 'projects/vm', remote: 'seL4', track: 'branch', branch: 'master', linkfiles: [{src: 'README.md', dest: 'README.md'}]},
		{name: 'camkes-tool.git', path: 'projects/camkes-tool', remote: 'seL4', track: 'pinned', copyfiles: [{src: 'docs/index.md', dest: 'camkes_README.md'}]},
		{name: 'musllibc.git', path: 'projects/musllibc', remote: 'seL4', track: 'branch', branch: 'sel4'},
		{name: 'picotcp.git', path: 'projects/picotcp', remote: 'ext', track: 'tag', tag: 'v1.7.0'},
	];
	for (let index = 0; index < (options.extraProjects ?? 0); index++) {
		projects.push({name: `extra_lib_${index}.git`, path: `projects/extra_lib_${index}`, remote: 'seL4', track: 'pinned'});
	}
	const repoDir = (name: string) => {
		const project = projects.find((each) => each.name === name);
		return join(project?.remote === 'ext' ? ext : seL4, name);
	};
	const branchOf = (project: MiniProject) => project.branch ?? 'master';
	const commit = (name: string, files: Record<string, string>, message: string): string => {
		const dir = repoDir(name);
		for (const [file, text] of Object.entries(files)) {
			mkdirSync(dirname(join(dir, file)), {recursive: true});
			writeFileSync(join(dir, file), text);
			if (file.endsWith('.sh') || file.endsWith('griddle')) chmodSync(join(dir, file), 0o755);
		}
		gitIn(dir, ['add', '-A']);
		gitIn(dir, ['commit', '-q', '--allow-empty', '-m', message]);
		return gitIn(dir, ['rev-parse', 'HEAD']);
	};
	const pins = new Map<string, string>();
	const filesPerProject = options.filesPerProject ?? 4;
	for (const project of projects) {
		const dir = repoDir(project.name);
		mkdirSync(dir, {recursive: true});
		gitIn(dir, ['init', '-q', '-b', branchOf(project)]);
		const base: Record<string, string> = {'README.md': `# ${project.name}\n`};
		for (let index = 0; index < filesPerProject; index++) base[`src/file_${index}.c`] = `/* ${project.name} ${index} */\nint f${index}(void) { return ${index}; }\n`.repeat(20);
		if (project.name === 'seL4_tools.git') {
			base['cmake-tool/init-build.sh'] = initBuild;
			base['cmake-tool/griddle'] = '#!/bin/sh\necho griddle\n';
		}
		if (project.name === 'camkes-vm-examples.git') Object.assign(base, examplesFiles());
		if (project.name === 'camkes-tool.git') base['docs/index.md'] = '# CAmkES\n';
		commit(project.name, base, 'Initial import');
		for (let round = 0; round < (options.history ?? 0); round++) {
			const changes: Record<string, string> = {};
			for (let index = 0; index < filesPerProject; index++) changes[`src/file_${index}.c`] = `/* ${project.name} ${index} round ${round} */\nint f${index}(void) { return ${index * round}; }\n`.repeat(20 + round);
			commit(project.name, changes, `Change ${round + 1}`);
		}
		const pinned = commit(project.name, {'VERSION': '1\n'}, 'Version 1');
		if (project.track === 'tag') gitIn(dir, ['tag', '-a', project.tag!, '-m', `Release ${project.tag}`]);
		// One more commit after the pin, so the pin is not the branch tip (a shallow fetch must ask for it by id).
		commit(project.name, {'VERSION': '2-dev\n'}, 'Work after the release');
		pins.set(project.name, pinned);
	}
	const manifestDir = join(seL4, 'camkes-vm-examples-manifest.git');
	mkdirSync(manifestDir, {recursive: true});
	gitIn(manifestDir, ['init', '-q', '-b', 'master']);
	const links = (project: MiniProject) => [
		...(project.linkfiles ?? []).map((link) => `    <linkfile src="${link.src}" dest="${link.dest}"/>`),
		...(project.copyfiles ?? []).map((link) => `    <copyfile src="${link.src}" dest="${link.dest}"/>`),
	];
	const projectXml = (project: MiniProject, pinned: boolean) => {
		const attributes = [`name="${project.name}"`, `path="${project.path}"`];
		if (project.remote === 'ext') attributes.push('remote="ext"');
		if (project.track === 'pinned' && pinned) attributes.push(`revision="${pins.get(project.name)}"`, 'upstream="master"', 'dest-branch="master"');
		if (project.track === 'branch' && project.branch !== 'master') attributes.push(`revision="${project.branch}"`);
		if (project.track === 'tag') attributes.push(`revision="refs/tags/${project.tag}"`);
		const body = links(project);
		return body.length === 0 ? `  <project ${attributes.join(' ')}/>` : `  <project ${attributes.join(' ')}>\n${body.join('\n')}\n  </project>`;
	};
	const manifest = (pinned: boolean) =>
		[
			'<?xml version="1.0" encoding="UTF-8"?>',
			'<!-- Miniature of camkes-vm-examples-manifest -->',
			'<manifest>',
			`  <remote name="ext" fetch="file://${ext}"/>`,
			'  <remote name="seL4" fetch="../seL4"/>',
			'  ',
			'  <default remote="seL4" revision="master"/>',
			'  ',
			...projects.map((project) => projectXml(project, pinned)),
			'</manifest>',
			'',
		].join('\n');
	const writeManifests = () => {
		writeFileSync(join(manifestDir, 'default.xml'), manifest(true));
		writeFileSync(join(manifestDir, 'master.xml'), manifest(false));
		gitIn(manifestDir, ['add', '-A']);
		gitIn(manifestDir, ['commit', '-q', '--allow-empty', '-m', 'Updating default.xml']);
		return gitIn(manifestDir, ['rev-parse', 'HEAD']);
	};
	writeManifests();
	return {
		root,
		manifestUrl: `file://${manifestDir}`,
		manifestDir,
		projects,
		pins,
		repoDir,
		commit,
		writeManifests,
		remove: () => rmSync(root, {recursive: true, force: true}),
	};
}
