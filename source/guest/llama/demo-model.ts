// A reproducible tiny llama-architecture GGUF with random weights and a byte-fallback SPM vocabulary, written by
// gguf-py from the pinned llama.cpp source with Debian's python3-numpy. Deterministic by seed and parameters.
import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, renameSync, rmSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {ExitCode, RefusedError, UserError} from '../../errors.js';
import {exec, failureOf} from '../../system/exec.js';

export type DemoModelParams = {
	seed: number;
	/** Embedding width; a multiple of 32 (Q8_0 blocks). */
	embd: number;
	layers: number;
	heads: number;
	/** Feed-forward width; a multiple of 32. */
	ff: number;
	/** Extra word pieces on top of the 3 control tokens and the 256 byte tokens. */
	pieces: number;
	ctx: number;
};

export const tinyModel: DemoModelParams = {seed: 42, embd: 64, layers: 2, heads: 4, ff: 128, pieces: 64, ctx: 256};
/** About 27M parameters: big enough for meaningful tokens/s numbers. */
export const benchModel: DemoModelParams = {seed: 42, embd: 512, layers: 8, heads: 8, ff: 1408, pieces: 4096, ctx: 512};

export function validateParams(params: DemoModelParams): void {
	const problems: string[] = [];
	if (params.embd % 32 !== 0 || params.embd < 32) problems.push('embd must be a positive multiple of 32');
	if (params.ff % 32 !== 0 || params.ff < 32) problems.push('ff must be a positive multiple of 32');
	if (params.heads < 1 || params.embd % params.heads !== 0) problems.push('heads must divide embd');
	if (params.embd % params.heads === 0 && (params.embd / params.heads) % 2 !== 0) problems.push('embd/heads must be even');
	if (params.layers < 1 || params.layers > 64) problems.push('layers must be 1..64');
	if (params.pieces < 0 || params.pieces > 60000) problems.push('pieces must be 0..60000');
	if (params.ctx < 16) problems.push('ctx must be at least 16');
	if (!Number.isInteger(params.seed) || params.seed < 0) problems.push('seed must be a non-negative integer');
	if (problems.length > 0) throw new UserError(`invalid demo model parameters: ${problems.join('; ')}`);
}

export function demoModelKey(params: DemoModelParams, sourceKey: string): string {
	return createHash('sha256')
		.update(JSON.stringify({params, sourceKey, generator: generatorScript}))
		.digest('hex')
		.slice(0, 16);
}

/** The generator, run by /usr/bin/python3 with PYTHONPATH at the source's gguf-py. */
export const generatorScript = String.raw`
import json, sys
import numpy as np
import gguf

p = json.loads(sys.argv[2])
out = sys.argv[1]
rng = np.random.default_rng(p["seed"])

tokens = [b"<unk>", b"<s>", b"</s>"]
types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
scores = [0.0, 0.0, 0.0]
for b in range(256):
    tokens.append(("<0x%02X>" % b).encode())
    types.append(gguf.TokenType.BYTE)
    scores.append(0.0)
letters = "etaoinshrdlucmfwypvbgkqjxz"
seen = set()
words = []
i = 0
while len(words) < p["pieces"]:
    n = 1 + (i % 5)
    k = i
    w = ""
    for _ in range(n):
        w += letters[k % 26]
        k //= 26
    i += 1
    for cand in ("\u2581" + w, w):
        if cand not in seen and len(words) < p["pieces"]:
            seen.add(cand)
            words.append(cand)
for j, w in enumerate(words):
    tokens.append(w.encode("utf-8"))
    types.append(gguf.TokenType.NORMAL)
    scores.append(-float(j) / 10.0 - 1.0)
n_vocab = len(tokens)
E, L, H, F = p["embd"], p["layers"], p["heads"], p["ff"]

w = gguf.GGUFWriter(out, "llama")
w.add_name("sel4llm-demo-seed%d" % p["seed"])
w.add_context_length(p["ctx"])
w.add_embedding_length(E)
w.add_block_count(L)
w.add_feed_forward_length(F)
w.add_head_count(H)
w.add_head_count_kv(H)
w.add_rope_dimension_count(E // H)
w.add_layer_norm_rms_eps(1e-5)
w.add_vocab_size(n_vocab)
w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
w.add_tokenizer_model("llama")
w.add_token_list(tokens)
w.add_token_types(types)
w.add_token_scores(scores)
w.add_unk_token_id(0)
w.add_bos_token_id(1)
w.add_eos_token_id(2)
w.add_add_bos_token(True)
w.add_add_space_prefix(True)

def q8(name, shape):
    a = (rng.standard_normal(shape) * (1.0 / np.sqrt(shape[-1]))).astype(np.float32)
    w.add_tensor(name, gguf.quants.quantize(a, gguf.GGMLQuantizationType.Q8_0), raw_dtype=gguf.GGMLQuantizationType.Q8_0)

def norm(name):
    w.add_tensor(name, np.ones((E,), dtype=np.float32))

q8("token_embd.weight", (n_vocab, E))
for l in range(L):
    norm("blk.%d.attn_norm.weight" % l)
    q8("blk.%d.attn_q.weight" % l, (E, E))
    q8("blk.%d.attn_k.weight" % l, (E, E))
    q8("blk.%d.attn_v.weight" % l, (E, E))
    q8("blk.%d.attn_output.weight" % l, (E, E))
    norm("blk.%d.ffn_norm.weight" % l)
    q8("blk.%d.ffn_gate.weight" % l, (F, E))
    q8("blk.%d.ffn_up.weight" % l, (F, E))
    q8("blk.%d.ffn_down.weight" % l, (E, F))
norm("output_norm.weight")
q8("output.weight", (n_vocab, E))

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
`;

export const systemPython = '/usr/bin/python3';

/** Writes the model to `out` (atomically). `ggufPyDir` is the source tree's gguf-py folder. */
export async function writeDemoModel(out: string, params: DemoModelParams, ggufPyDir: string): Promise<void> {
	validateParams(params);
	if (!existsSync(join(ggufPyDir, 'gguf', '__init__.py'))) {
		throw new UserError(`${ggufPyDir} is not gguf-py (no gguf/__init__.py)`, {exitCode: ExitCode.failed});
	}
	if (!existsSync(systemPython)) {
		throw new UserError(`${systemPython} is missing`, {
			exitCode: ExitCode.refused,
			hint: 'apt-get install -y --no-install-recommends python3 python3-numpy python3-yaml',
		});
	}
	mkdirSync(dirname(out), {recursive: true});
	const partial = `${out}.partial-${process.pid}`;
	rmSync(partial, {force: true});
	const args = ['-c', generatorScript, partial, JSON.stringify(params)];
	const result = await exec([systemPython, ...args], {
		env: {PATH: '/usr/bin:/bin', PYTHONPATH: ggufPyDir, PYTHONHASHSEED: '0', LANG: 'C.UTF-8'},
		tailLines: 15,
	});
	if (!result.ok) {
		rmSync(partial, {force: true});
		if (/No module named 'numpy'/.test(result.stderr + result.stdout)) {
			throw new RefusedError('Debian python3 has no numpy', {hint: 'apt-get install -y --no-install-recommends python3-numpy python3-yaml'});
		}
		throw failureOf(result, 'write the demo model with gguf-py');
	}
	renameSync(partial, out);
}
