// Static cross builds of our inference program over libllama, cached by source hash + flags + our program's hash.
import {createHash} from 'node:crypto';
import {copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {ExitCode, UserError} from '../../errors.js';
import {isPlatform, platformIds, platformRecord} from '../../platforms.js';
import {execOk} from '../../system/exec.js';
import {withLock} from './lock.js';
import type {AcquiredSource} from './source.js';

export const payloadArches = ['aarch64', 'x86_64'] as const;
export type PayloadArch = (typeof payloadArches)[number];

/** The seL4 platform a build is for maps to the guest's architecture. */
export function archForPlatform(platform: string): PayloadArch {
	if (isPlatform(platform)) return platformRecord(platform).payloadArch;
	if (platform === 'aarch64' || platform === 'arm64') return 'aarch64';
	if (platform === 'x86_64' || platform === 'amd64') return 'x86_64';
	throw new UserError(`unknown platform "${platform}"`, {hint: `use ${platformIds.map((id) => `${id} (${platformRecord(id).payloadArch})`).join(' or ')}`});
}

export function parseArch(value: string): PayloadArch {
	if ((payloadArches as readonly string[]).includes(value)) return value as PayloadArch;
	return archForPlatform(value);
}

/** The llama.cpp/ggml cache options set for every static build (all checked against the source's CMake files). */
export const commonOptions: Record<string, string> = {
	CMAKE_BUILD_TYPE: 'Release',
	BUILD_SHARED_LIBS: 'OFF',
	GGML_NATIVE: 'OFF',
	GGML_STATIC: 'ON',
	GGML_OPENMP: 'OFF',
	GGML_CCACHE: 'OFF',
	LLAMA_BUILD_TESTS: 'OFF',
	LLAMA_BUILD_TOOLS: 'OFF',
	LLAMA_BUILD_EXAMPLES: 'OFF',
	LLAMA_BUILD_SERVER: 'OFF',
	LLAMA_BUILD_COMMON: 'OFF',
	LLAMA_BUILD_APP: 'OFF',
	LLAMA_OPENSSL: 'OFF',
	// GGML_STATIC alone leaves the executable dynamic: link it fully static.
	CMAKE_EXE_LINKER_FLAGS: '-static',
};

/** x86_64: the seL4 x86 VMM and QEMU's qemu64 CPU have none of these. */
export const x86Options: Record<string, string> = {
	GGML_SSE42: 'OFF',
	GGML_AVX: 'OFF',
	GGML_AVX2: 'OFF',
	GGML_BMI2: 'OFF',
	GGML_FMA: 'OFF',
	GGML_F16C: 'OFF',
};

const armCross = platformRecord('qemu-arm-virt').crossCompiler!;

/** aarch64: a generic ARMv8-A build runs on cortex-a53 and the seL4 VMM's guest. */
export const aarch64Options: Record<string, string> = {
	GGML_CPU_ARM_ARCH: 'armv8-a',
	CMAKE_SYSTEM_NAME: 'Linux',
	CMAKE_SYSTEM_PROCESSOR: 'aarch64',
	CMAKE_C_COMPILER: armCross.gcc,
	CMAKE_CXX_COMPILER: armCross.gxx,
};

/** Options that are CMake's own rather than the source's. */
const cmakeBuiltins = new Set([
	'CMAKE_BUILD_TYPE',
	'BUILD_SHARED_LIBS',
	'CMAKE_EXE_LINKER_FLAGS',
	'CMAKE_SYSTEM_NAME',
	'CMAKE_SYSTEM_PROCESSOR',
	'CMAKE_C_COMPILER',
	'CMAKE_CXX_COMPILER',
]);

export function buildOptions(arch: PayloadArch): Record<string, string> {
	return {...commonOptions, ...(arch === 'x86_64' ? x86Options : aarch64Options)};
}

function cmakeFiles(dir: string, out: string[] = [], depth = 0): string[] {
	if (depth > 6) return out;
	for (const entry of readdirSync(dir, {withFileTypes: true})) {
		if (entry.name === '.git' || entry.name === 'node_modules') continue;
		const path = join(dir, entry.name);
		if (entry.isDirectory()) cmakeFiles(path, out, depth + 1);
		else if (entry.name === 'CMakeLists.txt' || entry.name.endsWith('.cmake')) out.push(path);
	}
	return out;
}

/** Which of the source-specific option names are declared (option() or a CACHE set()) in the source's CMake files. */
export function checkOptionNames(sourceDir: string, names: string[]): {declared: string[]; missing: string[]} {
	const text = cmakeFiles(sourceDir)
		.map((file) => readFileSync(file, 'utf8'))
		.join('\n');
	const declared: string[] = [];
	const missing: string[] = [];
	for (const name of names) {
		if (cmakeBuiltins.has(name)) continue;
		const option = new RegExp(`option\\s*\\(\\s*${name}\\s`);
		const cache = new RegExp(`set\\s*\\(\\s*${name}\\s[^)]*\\bCACHE\\b`);
		const deprecated = new RegExp(`llama_option_depr\\s*\\(\\s*\\w+\\s+${name}\\s`);
		if ((option.test(text) || cache.test(text)) && !deprecated.test(text)) declared.push(name);
		else missing.push(name);
	}
	return {declared, missing};
}

export type BuildRequest = {
	arch: PayloadArch;
	source: AcquiredSource;
	/** Our program's CMake project (overlays/payload). */
	programDir: string;
	cacheDir: string;
	jobs?: number;
	progress?: (line: string) => void;
};

export type BuiltPayload = {
	arch: PayloadArch;
	binary: string;
	key: string;
	cached: boolean;
	options: Record<string, string>;
};

function programHash(programDir: string): string {
	const hash = createHash('sha256');
	for (const name of readdirSync(programDir).sort()) {
		hash.update(name);
		hash.update('\0');
		hash.update(readFileSync(join(programDir, name)));
		hash.update('\0');
	}
	return hash.digest('hex');
}

export function buildKey(request: Pick<BuildRequest, 'arch' | 'source' | 'programDir'>): string {
	const material = JSON.stringify({
		source: request.source.key,
		arch: request.arch,
		options: buildOptions(request.arch),
		program: programHash(request.programDir),
	});
	return createHash('sha256').update(material).digest('hex').slice(0, 20);
}

export const binaryName = 'sel4llm-infer';

export async function buildPayload(request: BuildRequest): Promise<BuiltPayload> {
	const key = buildKey(request);
	return withLock(join(request.cacheDir, 'locks', `build-${request.arch}-${key}`), () => buildLocked(request, key), {
		onWait: () => request.progress?.(`waiting for another build of ${request.arch} with the same key`),
	});
}

async function buildLocked(request: BuildRequest, key: string): Promise<BuiltPayload> {
	const options = buildOptions(request.arch);
	const outDir = join(request.cacheDir, 'bin', `${request.arch}-${key}`);
	const binary = join(outDir, binaryName);
	if (existsSync(binary) && existsSync(join(outDir, 'build.json'))) {
		return {arch: request.arch, binary, key, cached: true, options};
	}
	const {missing} = checkOptionNames(request.source.dir, Object.keys(options));
	if (missing.length > 0) {
		throw new UserError(`the llama.cpp source does not declare ${missing.join(', ')}`, {
			exitCode: ExitCode.refused,
			hint: `the build options were checked against ${request.source.id}; this source is not supported`,
		});
	}
	const progress = request.progress ?? (() => {});
	const buildDir = join(request.cacheDir, 'build', `${request.arch}-${key}`);
	rmSync(buildDir, {recursive: true, force: true});
	mkdirSync(buildDir, {recursive: true});
	const defines = Object.entries(options).map(([name, value]) => `-D${name}=${value}`);
	progress(`cmake ${request.arch}: ${defines.join(' ')}`);
	await execOk(['cmake', '-G', 'Ninja', '-S', request.programDir, '-B', buildDir, `-DLLAMA_SOURCE_DIR=${request.source.dir}`, ...defines],
		{onLine: progress},
	);
	await execOk(['cmake', '--build', buildDir, '--target', binaryName, '--', `-j${request.jobs ?? 2}`], {onLine: progress});
	const built = join(buildDir, binaryName);
	const elf = readElfInfo(built);
	const expected = request.arch === 'x86_64' ? 'x86_64' : 'aarch64';
	if (elf.machine !== expected || !elf.static) {
		throw new UserError(`the built ${binaryName} is ${elf.machine}${elf.static ? '' : ', dynamically linked'}`, {
			exitCode: ExitCode.failed,
			hint: `expected a static ${expected} executable`,
		});
	}
	mkdirSync(outDir, {recursive: true});
	copyFileSync(built, `${binary}.partial`);
	renameSync(`${binary}.partial`, binary);
	writeFileSync(
		join(outDir, 'build.json'),
		`${JSON.stringify({arch: request.arch, source: request.source.id, commit: request.source.commit, options}, null, '\t')}\n`,
	);
	rmSync(buildDir, {recursive: true, force: true});
	return {arch: request.arch, binary, key, cached: false, options};
}

export type ElfInfo = {machine: string; static: boolean};

/** Reads an ELF64 header: the machine, and whether it has no interpreter (PT_INTERP) and so is static. */
export function readElfInfo(path: string): ElfInfo {
	const data = readFileSync(path);
	if (data.length < 64 || data.readUInt32BE(0) !== 0x7f454c46) throw new UserError(`${path} is not an ELF file`);
	if (data[4] !== 2) throw new UserError(`${path} is not a 64-bit ELF file`);
	const machineCode = data.readUInt16LE(18);
	const machine = machineCode === 0x3e ? 'x86_64' : machineCode === 0xb7 ? 'aarch64' : `machine-${machineCode}`;
	const phoff = Number(data.readBigUInt64LE(32));
	const phentsize = data.readUInt16LE(54);
	const phnum = data.readUInt16LE(56);
	let hasInterp = false;
	for (let index = 0; index < phnum; index++) {
		const type = data.readUInt32LE(phoff + index * phentsize);
		if (type === 3) hasInterp = true;
	}
	return {machine, static: !hasInterp};
}
