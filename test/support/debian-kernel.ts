// Real Debian kernels and busybox binaries for guest boot tests, cached under <test cache>/kernels (see cache.ts).
//
// The kernel package name changes with every Debian kernel update, so it is resolved at run time from the
// `linux-image-<arch>` meta package. arm64 packages are downloaded only: the arm64 dpkg architecture is added
// for the download and removed again if we added it. Everything runs under one host-wide lock (flock) so that
// parallel test processes (and other worktrees) never race on apt or on the same cache directory.
import {execFile} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {promisify} from 'node:util';
import {testCacheDir} from './cache.js';
import {once} from './once.js';

const run = promisify(execFile);

export type DebianArch = 'amd64' | 'arm64';
export type DebianKernel = {
	/** The compressed kernel (boot/vmlinuz-<version>), bootable with QEMU's -kernel on both architectures. */
	kernel: string;
	/** The `depmod -b` base directory: modules are in <modulesDir>/lib/modules/<version>/. */
	modulesDir: string;
	/** The kernel release, e.g. 6.1.0-56-arm64. */
	version: string;
	arch: string;
};

const lockFile = '/tmp/sel4-llm-debian-packages.lock';

export function kernelCacheDir(): string {
	return process.env.SEL4LLM_KERNEL_CACHE ? resolve(process.env.SEL4LLM_KERNEL_CACHE) : join(testCacheDir(), 'kernels');
}


// The shell part: resolve the package, download and unpack it into the cache. Runs under flock.
const fetchScript = String.raw`
set -eu
kind=$1 arch=$2 cache=$3
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
native=$(dpkg --print-architecture)
added=""
cleanup() { if [ -n "$added" ]; then $sudo dpkg --remove-architecture "$arch" || true; fi; }
trap cleanup EXIT
if [ "$arch" != "$native" ]; then
	if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
		$sudo dpkg --add-architecture "$arch"; added=1
	fi
	if ! ls /var/lib/apt/lists/*_binary-"$arch"_Packages* >/dev/null 2>&1; then
		for try in 1 2 3 4 5; do
			$sudo apt-get update -qq -o DPkg::Lock::Timeout=120 && break
			[ "$try" = 5 ] && { echo "apt-get update failed" >&2; exit 1; }
			sleep 5
		done
	fi
fi
if [ "$kind" = kernel ]; then
	package=$(apt-cache depends "linux-image-$arch:$arch" | sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -n 1)
	[ -n "$package" ] || { echo "cannot resolve the package behind linux-image-$arch" >&2; exit 1; }
else
	package=busybox-static
fi
version=$(apt-cache policy "$package:$arch" | sed -n 's/^ *Candidate: //p' | head -n 1)
[ -n "$version" ] && [ "$version" != "(none)" ] || { echo "no candidate version of $package:$arch" >&2; exit 1; }
key=$(printf '%s_%s_%s' "$package" "$version" "$arch" | tr ':~+' '___')
dest="$cache/$key"
if [ ! -e "$dest/.complete" ]; then
	rm -rf "$dest" "$dest.partial"
	mkdir -p "$dest.partial/.download"
	chmod 777 "$dest.partial/.download"
	(cd "$dest.partial/.download" && apt-get download -q "$package:$arch=$version" >&2)
	dpkg -x "$dest.partial"/.download/*.deb "$dest.partial"
	rm -rf "$dest.partial/.download"
	if [ "$kind" = kernel ]; then
		release=$(ls "$dest.partial/lib/modules" | head -n 1)
		depmod -b "$dest.partial" "$release"
	fi
	mv "$dest.partial" "$dest"
	touch "$dest/.complete"
fi
echo "KEY=$key"
`;

async function fetchPackage(kind: 'kernel' | 'busybox', arch: DebianArch): Promise<string> {
	const cache = kernelCacheDir();
	mkdirSync(cache, {recursive: true});
	const {stdout} = await run('flock', ['-w', '900', lockFile, 'sh', '-c', fetchScript, 'fetch', kind, arch, cache], {
		maxBuffer: 16 * 1024 * 1024,
		env: {...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C'},
	});
	const key = /^KEY=(.+)$/m.exec(stdout)?.[1];
	if (!key) throw new Error(`could not fetch the Debian ${kind} for ${arch}:\n${stdout}`);
	return join(cache, key);
}

async function nativeKernelPackage(): Promise<{package: string; version: string}> {
	// Under the same lock (shared): another test may have a foreign architecture added for a moment.
	const {stdout} = await run('flock', ['-s', '-w', '900', lockFile, 'apt-cache', 'depends', 'linux-image-amd64'], {env: {...process.env, LC_ALL: 'C'}});
	const name = /Depends: (linux-image-[0-9][^:\s]*)/.exec(stdout)?.[1];
	if (!name) throw new Error(`cannot resolve the package behind linux-image-amd64:\n${stdout}`);
	const policy = await run('flock', ['-s', '-w', '900', lockFile, 'apt-cache', 'policy', name], {env: {...process.env, LC_ALL: 'C'}});
	const version = /Candidate: (\S+)/.exec(policy.stdout)?.[1];
	if (!version) throw new Error(`no candidate version of ${name}`);
	return {package: name, version};
}

/** A cache entry for this package name (and version when known), without asking apt about a foreign arch. */
function cachedEntry(prefix: string): string | undefined {
	const cache = kernelCacheDir();
	if (!existsSync(cache)) return undefined;
	const match = readdirSync(cache)
		.filter((name) => name.startsWith(prefix) && existsSync(join(cache, name, '.complete')))
		.sort()
		.at(-1);
	return match ? join(cache, match) : undefined;
}

function describeKernel(dir: string, arch: DebianArch): DebianKernel {
	const version = readdirSync(join(dir, 'lib', 'modules'))[0];
	if (!version) throw new Error(`no modules in ${dir}`);
	const kernel = join(dir, 'boot', `vmlinuz-${version}`);
	if (!existsSync(kernel)) throw new Error(`no kernel at ${kernel}`);
	return {kernel, modulesDir: dir, version, arch};
}

/**
 * The current Debian 6.1 kernel for `arch`, downloaded and unpacked into <test cache>/kernels/ with modules.dep
 * generated. Cached by package version: a second call (in this or a later process) does not download.
 */
export function debianKernel(arch: DebianArch): Promise<DebianKernel> {
	return once(`kernel:${arch}`, async () => {
		// The amd64 meta package is in the native lists: its ABI names the arm64 package too (same source).
		const native = await nativeKernelPackage();
		const name = native.package.replace(/-amd64$/, `-${arch}`);
		const exact = `${name}_${native.version}_${arch}`.replace(/[:~+]/g, '_');
		const hit = cachedEntry(exact) ?? (arch === 'amd64' ? undefined : cachedEntry(`${name}_`));
		return describeKernel(hit ?? (await fetchPackage('kernel', arch)), arch);
	});
}

/** A statically linked busybox for `arch`: the installed busybox-static on the native arch, a download otherwise. */
export function debianBusybox(arch: DebianArch): Promise<string> {
	return once(`busybox:${arch}`, async () => {
		if (arch === 'amd64' && process.arch === 'x64') {
			for (const candidate of ['/bin/busybox', '/usr/bin/busybox']) {
				if (existsSync(candidate)) {
					const {stdout} = await run('file', ['-L', candidate]).catch(() => ({stdout: ''}));
					if (stdout === '' || /statically linked/.test(stdout)) return candidate;
				}
			}
		}
		const cache = kernelCacheDir();
		const hit = existsSync(cache)
			? readdirSync(cache)
					.filter((entry) => entry.startsWith('busybox-static_') && entry.endsWith(`_${arch}`) && existsSync(join(cache, entry, '.complete')))
					.sort()
					.at(-1)
			: undefined;
		const dir = hit ? join(cache, hit) : await fetchPackage('busybox', arch);
		const binary = join(dir, 'bin', 'busybox');
		if (!existsSync(binary)) throw new Error(`no busybox in ${dir}`);
		return binary;
	});
}
