// GGUF header and metadata reader, and the checks a model must pass before anything is built: the magic, a known
// version, an architecture llama.cpp runs, tensors present, and a size that fits the guest's RAM and initrd layout.
import {closeSync, fstatSync, openSync, readSync} from 'node:fs';
import {basename} from 'node:path';
import {ExitCode, UserError} from '../errors.js';
import {inputFile} from '../system/input-file.js';

export const ggufMagic = 0x46554747; // "GGUF" read as a little-endian u32

export type GgufValue = number | bigint | boolean | string | GgufValue[] | {type: string; count: number};

export type GgufHeader = {
	version: number;
	tensorCount: number;
	metadata: Map<string, GgufValue>;
	fileSize: number;
	architecture: string | undefined;
	name: string | undefined;
	/** general.file_type, when given. */
	fileType: number | undefined;
	contextLength: number | undefined;
	embeddingLength: number | undefined;
	blockCount: number | undefined;
	headCount: number | undefined;
	headCountKv: number | undefined;
};

/** Arrays longer than this are summarised (type and count) instead of read, e.g. a 150k-entry token list. */
const arrayLimit = 64;

class Reader {
	private buffer = Buffer.alloc(0);
	private bufferStart = 0;
	position = 0;

	constructor(
		private readonly fd: number,
		readonly size: number,
		private readonly file: string,
	) {}

	private ensure(length: number): void {
		const end = this.position + length;
		if (end > this.size) throw truncated(this.file, this.position);
		if (this.position >= this.bufferStart && end <= this.bufferStart + this.buffer.length) return;
		const want = Math.min(Math.max(length, 1 << 20), this.size - this.position);
		this.buffer = Buffer.alloc(want);
		const got = readSync(this.fd, this.buffer, 0, want, this.position);
		if (got < length) throw truncated(this.file, this.position);
		this.buffer = this.buffer.subarray(0, got);
		this.bufferStart = this.position;
	}

	private take(length: number): Buffer {
		this.ensure(length);
		const offset = this.position - this.bufferStart;
		this.position += length;
		return this.buffer.subarray(offset, offset + length);
	}

	u8(): number {
		return this.take(1).readUInt8(0);
	}
	u32(): number {
		return this.take(4).readUInt32LE(0);
	}
	u64(): bigint {
		return this.take(8).readBigUInt64LE(0);
	}
	/** A u64 that must fit a safe integer (counts, lengths). */
	count(what: string, max: number): number {
		const value = this.u64();
		if (value > BigInt(max)) {
			throw new UserError(`${basename(this.file)}: ${what} ${value} is implausible at byte ${this.position - 8}`, {
				exitCode: ExitCode.invalidInput,
				hint: 'the file is not a valid GGUF model or is damaged',
			});
		}
		return Number(value);
	}
	string(): string {
		const length = this.count('string length', 64 << 20);
		return this.take(length).toString('utf8');
	}
	skip(length: number): void {
		if (this.position + length > this.size) throw truncated(this.file, this.position);
		this.position += length;
	}
	value(type: number): GgufValue {
		const data = (length: number): Buffer => this.take(length);
		switch (type) {
			case 0:
				return data(1).readUInt8(0);
			case 1:
				return data(1).readInt8(0);
			case 2:
				return data(2).readUInt16LE(0);
			case 3:
				return data(2).readInt16LE(0);
			case 4:
				return data(4).readUInt32LE(0);
			case 5:
				return data(4).readInt32LE(0);
			case 6:
				return data(4).readFloatLE(0);
			case 7:
				return data(1).readUInt8(0) !== 0;
			case 8:
				return this.string();
			case 9: {
				const itemType = this.u32();
				const count = this.count('array length', 1 << 30);
				if (count > arrayLimit) {
					const width = fixedWidth(itemType);
					if (width !== undefined) this.skip(width * count);
					else for (let index = 0; index < count; index++) this.value(itemType);
					return {type: typeName(itemType), count};
				}
				const items: GgufValue[] = [];
				for (let index = 0; index < count; index++) items.push(this.value(itemType));
				return items;
			}
			case 10:
				return data(8).readBigUInt64LE(0);
			case 11:
				return data(8).readBigInt64LE(0);
			case 12:
				return data(8).readDoubleLE(0);
			default:
				throw new UserError(`${basename(this.file)}: unknown metadata value type ${type} at byte ${this.position - 4}`, {
					exitCode: ExitCode.invalidInput,
					hint: 'the file is not a valid GGUF model or is damaged',
				});
		}
	}
}

function fixedWidth(type: number): number | undefined {
	return ({0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8} as Record<number, number>)[type];
}

function typeName(type: number): string {
	return (
		['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'][type] ?? `type${type}`
	);
}

function truncated(file: string, at: number): UserError {
	return new UserError(`${basename(file)} is truncated (the GGUF header ends early at byte ${at})`, {
		exitCode: ExitCode.invalidInput,
		hint: 'download the model again; its size should match the publisher’s',
	});
}

function asNumber(value: GgufValue | undefined): number | undefined {
	if (typeof value === 'number') return value;
	if (typeof value === 'bigint') return Number(value);
	return undefined;
}

function readMagic(fd: number): number {
	const buffer = Buffer.alloc(4);
	return readSync(fd, buffer, 0, 4, 0) === 4 ? buffer.readUInt32LE(0) : -1;
}

/** Reads the header and metadata of a GGUF file (never the tensor data). */
export function readGgufHeader(file: string): GgufHeader {
	inputFile(file, 'the model', {hint: 'give the path of a .gguf file'});
	let fd: number;
	try {
		fd = openSync(file, 'r');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new UserError(`cannot open the model ${file}: ${code === 'ENOENT' ? 'no such file' : code}`, {
			exitCode: ExitCode.invalidInput,
			hint: 'give the path of a .gguf file',
		});
	}
	try {
		const size = fstatSync(fd).size;
		const reader = new Reader(fd, size, file);
		// A short file that does not even start like GGUF is something else, not a cut-off model.
		if (size < 4 || (size < 24 && readMagic(fd) !== ggufMagic)) {
			throw new UserError(`${basename(file)} is not a GGUF file`, {
				exitCode: ExitCode.invalidInput,
				hint: 'llama.cpp needs a .gguf model; convert other formats with llama.cpp’s convert_hf_to_gguf.py',
			});
		}
		if (size < 24) throw truncated(file, size);
		const magic = reader.u32();
		if (magic !== ggufMagic) {
			throw new UserError(`${basename(file)} is not a GGUF file (bad magic)`, {
				exitCode: ExitCode.invalidInput,
				hint: 'llama.cpp needs a .gguf model; convert other formats with llama.cpp’s convert_hf_to_gguf.py',
			});
		}
		const version = reader.u32();
		if (version < 2 || version > 3) {
			throw new UserError(`${basename(file)} is GGUF version ${version}; this llama.cpp reads versions 2 and 3`, {
				exitCode: ExitCode.invalidInput,
			});
		}
		const tensorCount = reader.count('tensor count', 1 << 24);
		const kvCount = reader.count('metadata count', 1 << 20);
		const metadata = new Map<string, GgufValue>();
		for (let index = 0; index < kvCount; index++) {
			const key = reader.string();
			const type = reader.u32();
			metadata.set(key, reader.value(type));
		}
		const architecture = metadata.get('general.architecture');
		const arch = typeof architecture === 'string' ? architecture : undefined;
		const name = metadata.get('general.name');
		const key = (suffix: string): number | undefined => (arch ? asNumber(metadata.get(`${arch}.${suffix}`)) : undefined);
		return {
			version,
			tensorCount,
			metadata,
			fileSize: size,
			architecture: arch,
			name: typeof name === 'string' ? name : undefined,
			fileType: asNumber(metadata.get('general.file_type')),
			contextLength: key('context_length'),
			embeddingLength: key('embedding_length'),
			blockCount: key('block_count'),
			headCount: key('attention.head_count'),
			headCountKv: key('attention.head_count_kv'),
		};
	} finally {
		closeSync(fd);
	}
}

/** Architectures the pinned llama.cpp loads that make sense on a small CPU-only guest (a subset, on purpose). */
export const knownArchitectures = [
	'llama',
	'qwen2',
	'qwen3',
	'gemma',
	'gemma2',
	'gemma3',
	'phi2',
	'phi3',
	'stablelm',
	'gpt2',
	'smollm3',
	'granite',
	'olmo',
	'olmo2',
	'mistral3',
	'falcon',
	'mamba',
	'starcoder2',
	'internlm2',
	'minicpm',
	'exaone',
	'deepseek2',
	'lfm2',
];

export type ModelLayout = 'initrd' | 'disk';

export type ModelCheck = {
	header: GgufHeader;
	/** Estimated guest RAM the model needs in this layout, MiB. */
	neededRamMb: number;
	/** How the estimate was made. */
	estimate: string;
};

/** MiB the guest kernel, busybox userland and our program need besides the model (measured ~40 MiB; kept generous). */
export const guestBaseMb = 96;

/** KV cache (f16 keys and values) for a context, in MiB, from the header's dimensions. */
export function kvCacheMb(header: GgufHeader, context: number): number {
	const layers = header.blockCount ?? 0;
	const embd = header.embeddingLength ?? 0;
	const heads = header.headCount ?? 1;
	const kvHeads = header.headCountKv ?? heads;
	const kvWidth = heads > 0 ? (embd / heads) * kvHeads : embd;
	return (layers * context * kvWidth * 2 * 2) / (1 << 20);
}

/**
 * Validates a model for a guest: GGUF header, known architecture, tensors present, and RAM. With the model in the
 * initrd, the kernel holds the packed initrd and the unpacked file at once while unpacking, so it needs twice the
 * file; on a disk the model is read through the page cache.
 */
export function checkModel(
	file: string,
	options: {guestRamMb: number; layout: ModelLayout; context?: number; initrdMaxMb?: number},
): ModelCheck {
	const header = readGgufHeader(file);
	const name = basename(file);
	if (!header.architecture) {
		throw new UserError(`${name} has no general.architecture`, {exitCode: ExitCode.invalidInput});
	}
	if (!knownArchitectures.includes(header.architecture)) {
		throw new UserError(`${name} is a "${header.architecture}" model, which sel4-llm does not support`, {
			exitCode: ExitCode.invalidInput,
			hint: `supported architectures: ${knownArchitectures.join(', ')}`,
		});
	}
	if (header.tensorCount === 0) {
		throw new UserError(`${name} has no tensors (a vocabulary-only file?)`, {exitCode: ExitCode.invalidInput});
	}
	const modelMb = header.fileSize / (1 << 20);
	const context = Math.min(options.context ?? 1024, header.contextLength ?? 1024);
	const kv = kvCacheMb(header, context);
	const copies = options.layout === 'initrd' ? 2 : 1;
	const neededRamMb = Math.ceil(guestBaseMb + modelMb * copies + kv + modelMb * 0.05);
	const estimate = `${guestBaseMb} MiB base + ${copies} x ${modelMb.toFixed(1)} MiB model + ${kv.toFixed(1)} MiB KV cache (context ${context}) + 5% compute buffers`;
	if (options.layout === 'initrd' && options.initrdMaxMb !== undefined && modelMb > options.initrdMaxMb) {
		throw new UserError(`${name} (${modelMb.toFixed(0)} MiB) does not fit the initrd limit of ${options.initrdMaxMb} MiB`, {
			exitCode: ExitCode.refused,
			hint: 'put the model on a disk labelled SEL4LLM-MODELS, raise the VM app’s initrd size, or choose a smaller model',
		});
	}
	if (neededRamMb > options.guestRamMb) {
		throw new UserError(
			`${name} needs about ${neededRamMb} MiB of guest RAM in the ${options.layout} layout; the guest has ${options.guestRamMb} MiB`,
			{
				exitCode: ExitCode.refused,
				hint: `estimate: ${estimate}`,
				nextSteps: [
					`raise the guest RAM: --set guest_ram_mb=${Math.ceil(neededRamMb / 64) * 64}`,
					options.layout === 'initrd' ? 'or put the model on a disk (half the RAM)' : 'or choose a smaller or more quantized model',
				],
			},
		);
	}
	return {header, neededRamMb, estimate};
}
