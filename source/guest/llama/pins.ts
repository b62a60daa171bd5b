// The pinned llama.cpp source: the release bundled in one node-llama-cpp npm package (reachable through the npm
// registry, works offline once cached), or an upstream git tag for users who prefer it.

export type NpmSource = {
	kind: 'npm';
	/** npm package that ships llama.cpp as llama/gitRelease.bundle. */
	package: string;
	version: string;
	/** The package tarball's dist.integrity in the registry (sha512, base64). */
	integrity: string;
	/** sha256 of llama/gitRelease.bundle inside the tarball. */
	bundleSha256: string;
	/** The commit the bundle's HEAD points at. */
	commit: string;
	/** llama.cpp release named by the package (llama/llama.cpp.info.json). */
	release: string;
};

export type GitSource = {
	kind: 'git';
	url: string;
	tag: string;
	/** Expected commit of the tag, when known; checked after cloning. */
	commit?: string;
};

export type LlamaSource = NpmSource | GitSource;

export const defaultLlamaSource: NpmSource = {
	kind: 'npm',
	package: 'node-llama-cpp',
	version: '3.22.1',
	integrity: 'sha512-bltIipuWmc123H7tMIgDGKSsSrhmhlQYeVUC48XTjVW7XGJJiJJyCdlTMzQ/LiWoPkGDpcL4FviDpgw7qfTiDw==',
	bundleSha256: '5f5d1105d5df040738d87b8290e5d17e7362131cdcfdb0831618e0ea528b4a51',
	commit: 'de3ff815ea7d559ee917f063901b8986f038abc6',
	release: 'v0.5.0',
};

export const upstreamGitUrl = 'https://github.com/ggml-org/llama.cpp.git';

/** A short stable id of a source for cache keys and the lock file. */
export function sourceId(source: LlamaSource): string {
	return source.kind === 'npm' ? `npm:${source.package}@${source.version}` : `git:${source.url}#${source.tag}`;
}
