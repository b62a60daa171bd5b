// A small busybox initramfs, encoded with the project's cpio (newc) format (source/images/cpio-newc.ts) so that it
// is deterministic (fixed times, owners and inode numbers, sorted entries) and needs neither root nor fakeroot.
//
// The generated /init mounts proc, sys, dev, prints stage markers on the console, loads the requested kernel
// modules with insmod in dependency order (from modules.dep; busybox has no request_module helper), runs every
// executable /etc/init.d/S??* script with `start` in order (as Buildroot's rcS does) and then gives a shell on
// the console. Overlay files extend the guest through that S?? convention.
import {lstatSync, readdirSync, readFileSync, readlinkSync, statSync, existsSync} from 'node:fs';
import {mkdir, writeFile, rename} from 'node:fs/promises';
import {dirname, join, posix} from 'node:path';
import {gzipSync} from 'node:zlib';
import {execFileSync} from 'node:child_process';
import {blockPadding, encodeEntry, encodeTrailer, type CpioEntry} from '../../source/images/cpio-newc.js';

export type InitramfsFile = {path: string; source?: string; content?: string; mode?: number};

export type InitramfsOptions = {
	out: string;
	arch: 'amd64' | 'arm64';
	/** A statically linked busybox binary for `arch`. */
	busybox: string;
	/** Kernel modules to load at boot; `dir` is a `depmod -b` base (or the lib/modules/<version> directory itself). */
	modules?: {dir: string; version: string; names: string[]};
	/** Directories laid over the root, in order (later ones win). */
	overlays?: string[];
	files?: InitramfsFile[];
	/** The console device the shell runs on (e.g. ttyS0, ttyAMA0, hvc0); default: the kernel's console. */
	console?: string;
	/** gzip the archive (default true). */
	gzip?: boolean;
};

/** Lines /init prints, one per stage, so a serial watcher can follow the guest's userland. */
export const initramfsMarkers = {
	init: 'SEL4LLM-STAGE init',
	modules: 'SEL4LLM-STAGE modules-loaded',
	services: 'SEL4LLM-STAGE services-started',
	shell: 'SEL4LLM-STAGE shell',
	moduleFailed: 'SEL4LLM-STAGE module-failed',
} as const;

/** An entry of the tree: a cpio entry without the fields every entry here shares (path, owner, time, size). */
type Entry = Omit<CpioEntry, 'path' | 'uid' | 'gid' | 'mtime' | 'size'>;

class Tree {
	readonly entries = new Map<string, Entry>();

	dir(path: string, mode = 0o755): void {
		const clean = normalise(path);
		if (clean === '') return;
		this.dir(posix.dirname(clean) === '.' ? '' : posix.dirname(clean));
		const existing = this.entries.get(clean);
		if (existing?.type === 'dir') return;
		this.entries.set(clean, {type: 'dir', mode});
	}

	put(path: string, entry: Entry): void {
		const clean = normalise(path);
		if (clean === '') throw new Error(`cannot replace the root directory with ${entry.type}`);
		const parent = posix.dirname(clean);
		if (parent !== '.') this.dir(parent);
		this.entries.set(clean, entry);
	}

	/** Lays a host directory over `at`, keeping modes and symbolic links. */
	overlay(hostDir: string, at = ''): void {
		for (const name of readdirSync(hostDir).sort()) {
			const host = join(hostDir, name);
			const target = at === '' ? name : `${at}/${name}`;
			const stat = lstatSync(host);
			if (stat.isSymbolicLink()) this.put(target, symlink(readlinkSync(host)));
			else if (stat.isDirectory()) {
				this.dir(target, stat.mode & 0o7777);
				this.overlay(host, target);
			} else if (stat.isFile()) this.put(target, {type: 'file', mode: stat.mode & 0o7777, data: readFileSync(host)});
		}
	}
}

function symlink(target: string): Entry {
	return {type: 'symlink', mode: 0o777, target};
}

function normalise(path: string): string {
	const clean = posix.normalize(`/${path}`).replace(/^\/+/, '').replace(/\/+$/, '');
	if (clean.startsWith('..')) throw new Error(`path escapes the root: ${path}`);
	return clean;
}

/** The tree as a cpio "newc" archive: sorted (parents before children), with every time, owner and inode fixed. */
function archive(entries: Map<string, Entry>): Buffer {
	const paths = ['.', ...[...entries.keys()].sort()];
	const chunks = paths.flatMap((path, index) => {
		const entry: Entry = path === '.' ? {type: 'dir', mode: 0o755} : entries.get(path)!;
		return encodeEntry({...entry, path, uid: 0, gid: 0, mtime: 0, size: entry.data?.length ?? Buffer.byteLength(entry.target ?? '')}, index + 1);
	});
	const bytes = Buffer.concat([...chunks, ...encodeTrailer()]);
	return Buffer.concat([bytes, blockPadding(bytes.length)]);
}

/** Module names are matched with "-" and "_" treated alike, as modprobe does. */
function moduleKey(name: string): string {
	return name.replace(/\.ko(\.(xz|gz|zst))?$/, '').replace(/-/g, '_');
}

export type ModuleIndex = {dir: string; deps: Map<string, {path: string; deps: string[]}>; builtin: Set<string>};

export function readModuleIndex(dir: string, version: string): ModuleIndex {
	const candidates = [join(dir, 'lib', 'modules', version), join(dir, 'usr', 'lib', 'modules', version), dir];
	const base = candidates.find((candidate) => existsSync(join(candidate, 'modules.dep')));
	if (!base) {
		throw new Error(`no modules.dep for ${version} under ${dir} (run depmod -b ${dir} ${version} first)`);
	}
	const deps = new Map<string, {path: string; deps: string[]}>();
	for (const line of readFileSync(join(base, 'modules.dep'), 'utf8').split('\n')) {
		const colon = line.indexOf(':');
		if (colon <= 0) continue;
		const path = line.slice(0, colon).trim();
		const list = line
			.slice(colon + 1)
			.trim()
			.split(/\s+/)
			.filter(Boolean);
		deps.set(moduleKey(posix.basename(path)), {path, deps: list.map((each) => moduleKey(posix.basename(each)))});
	}
	const builtin = new Set<string>();
	if (existsSync(join(base, 'modules.builtin'))) {
		for (const line of readFileSync(join(base, 'modules.builtin'), 'utf8').split('\n')) {
			if (line.trim()) builtin.add(moduleKey(posix.basename(line.trim())));
		}
	}
	return {dir: base, deps, builtin};
}

/** The modules to insmod, dependencies first; built-in ones are left out. Throws for unknown names. */
export function moduleLoadOrder(index: ModuleIndex, names: string[]): string[] {
	const wanted = names.map(moduleKey);
	// ext4 checksums need crc32c, which the kernel would request through a helper busybox does not provide.
	if (wanted.some((name) => name === 'ext4' || name === 'jbd2') && index.deps.has('crc32c_generic') && !wanted.includes('crc32c_generic')) {
		wanted.unshift('crc32c_generic');
	}
	const order: string[] = [];
	const seen = new Set<string>();
	const visit = (name: string, chain: string[]) => {
		if (seen.has(name)) return;
		const entry = index.deps.get(name);
		if (!entry) {
			if (index.builtin.has(name)) return;
			throw new Error(`kernel module "${name}" is not in modules.dep${chain.length ? ` (needed by ${chain.join(' <- ')})` : ''}`);
		}
		seen.add(name);
		for (const dep of entry.deps) visit(dep, [name, ...chain]);
		order.push(entry.path);
	};
	for (const name of wanted) visit(name, []);
	return order;
}

function initScript(options: {version?: string; console?: string}): string {
	const shell = options.console
		? `setsid sh -c 'exec sh -i </dev/${options.console} >/dev/${options.console} 2>&1'`
		: 'setsid cttyhack sh -i';
	return `#!/bin/sh
# Generated by sel4-llm: mounts, modules, /etc/init.d/S??* start, then a console shell.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mdev -s
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /tmp 2>/dev/null
echo "${initramfsMarkers.init}"
if [ -s /etc/initramfs/modules ]; then
	while read -r module; do
		insmod "/lib/modules/${options.version ?? '$(uname -r)'}/$module" || echo "${initramfsMarkers.moduleFailed} $module"
	done < /etc/initramfs/modules
	echo "${initramfsMarkers.modules}"
fi
for script in /etc/init.d/S??*; do
	[ -x "$script" ] && "$script" start
done
echo "${initramfsMarkers.services}"
while true; do
	echo "${initramfsMarkers.shell}"
	${shell}
	sleep 1
done
`;
}

function decompressModule(path: string): Buffer {
	if (path.endsWith('.xz')) return execFileSync('xz', ['-dc', path], {maxBuffer: 256 * 1024 * 1024});
	if (path.endsWith('.zst')) return execFileSync('zstd', ['-dc', path], {maxBuffer: 256 * 1024 * 1024});
	if (path.endsWith('.gz')) return execFileSync('gzip', ['-dc', path], {maxBuffer: 256 * 1024 * 1024});
	return readFileSync(path);
}

/** Builds the archive in memory (exported for tests); buildInitramfs writes it. */
export function initramfsBytes(options: InitramfsOptions): Buffer {
	const tree = new Tree();
	for (const dir of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc/init.d', 'etc/initramfs', 'proc', 'sys', 'dev', 'tmp', 'run', 'root', 'mnt', 'var/log']) {
		tree.dir(dir);
	}
	tree.dir('tmp', 0o1777);
	tree.put('dev/console', {type: 'char', mode: 0o600, rdev: {major: 5, minor: 1}});
	tree.put('dev/null', {type: 'char', mode: 0o666, rdev: {major: 1, minor: 3}});
	tree.put('bin/busybox', {type: 'file', mode: 0o755, data: readFileSync(options.busybox)});
	tree.put('bin/sh', symlink('busybox'));
	tree.put('etc/passwd', {type: 'file', mode: 0o644, data: Buffer.from('root:x:0:0:root:/root:/bin/sh\n')});
	tree.put('etc/group', {type: 'file', mode: 0o644, data: Buffer.from('root:x:0:\n')});
	tree.put('etc/initramfs/arch', {type: 'file', mode: 0o644, data: Buffer.from(`${options.arch}\n`)});
	if (options.modules && options.modules.names.length > 0) {
		const index = readModuleIndex(options.modules.dir, options.modules.version);
		const order = moduleLoadOrder(index, options.modules.names);
		const inGuest: string[] = [];
		for (const relative of order) {
			const plain = relative.replace(/\.(xz|gz|zst)$/, '');
			tree.put(`lib/modules/${options.modules.version}/${plain}`, {
				type: 'file',
				mode: 0o644,
				data: decompressModule(join(index.dir, relative)),
			});
			inGuest.push(plain);
		}
		tree.put('etc/initramfs/modules', {type: 'file', mode: 0o644, data: Buffer.from(`${inGuest.join('\n')}\n`)});
	}
	tree.put('init', {
		type: 'file',
		mode: 0o755,
		data: Buffer.from(initScript({...(options.modules ? {version: options.modules.version} : {}), ...(options.console ? {console: options.console} : {})})),
	});
	for (const overlay of options.overlays ?? []) {
		if (!statSync(overlay).isDirectory()) throw new Error(`overlay ${overlay} is not a directory`);
		tree.overlay(overlay);
	}
	for (const file of options.files ?? []) {
		if ((file.source === undefined) === (file.content === undefined)) {
			throw new Error(`initramfs file ${file.path} needs exactly one of "source" or "content"`);
		}
		const data = file.source !== undefined ? readFileSync(file.source) : Buffer.from(file.content!);
		const mode = file.mode ?? (file.source !== undefined ? statSync(file.source).mode & 0o7777 : 0o644);
		tree.put(file.path, {type: 'file', mode, data});
	}
	const cpio = archive(tree.entries);
	return options.gzip === false ? cpio : gzipSync(cpio, {level: 6});
}

/** Writes a busybox initramfs to `options.out` (atomically). Same inputs give the same bytes. */
export async function buildInitramfs(options: InitramfsOptions): Promise<void> {
	const bytes = initramfsBytes(options);
	await mkdir(dirname(options.out), {recursive: true});
	const temporary = `${options.out}.partial-${process.pid}`;
	await writeFile(temporary, bytes);
	await rename(temporary, options.out);
}
