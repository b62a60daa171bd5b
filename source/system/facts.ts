// The host facts document: everything doctor knows about a machine, gathered once. Probes read only this,
// so a recorded document (`doctor --facts FILE`) gives the same verdicts as the machine it came from.

export const FACTS_VERSION = 1;

/** How gathering one fact went. A fact that timed out or failed has a null value in the document. */
export type GatherStatus = 'ok' | 'timeout' | 'error';

/** One gathered section or one command run for a fact (`argv` set for commands). */
export type GatherRecord = {status: GatherStatus; ms: number; detail?: string; argv?: string[]};

export type ToolFact = {
	/** Absolute path found on PATH, or null when the program is not there. */
	path: string | null;
	/** Version parsed from its `--version` output, or null. */
	version: string | null;
	/** True when `--version` ran and exited 0 (a launcher that cannot start its interpreter does not). */
	runs: boolean;
	/** First line of the output, or why it did not run (for example "timed out after 3000 ms"). */
	detail?: string;
};

export const toolNames = [
	'git',
	'cmake',
	'ninja',
	'dtc',
	'repo',
	'stack',
	'ghc',
	'qemu-system-aarch64',
	'qemu-system-x86_64',
	'aarch64-linux-gnu-gcc',
] as const;
export type ToolName = (typeof toolNames)[number];

export type CpuFacts = {
	/** 'intel' | 'amd' | 'arm' | 'other', from vendor_id or CPU implementer. */
	vendor: 'intel' | 'amd' | 'arm' | 'other';
	vendorId: string | null;
	model: string | null;
	cores: number;
	/** x86 `flags` or ARM `Features` of the first processor, as listed in /proc/cpuinfo. */
	flags: string[];
};

export type HostFacts = {
	factsVersion: 1;
	gatheredAt: string;
	/** The workspace directory the disk fact refers to. */
	workspace: string;
	host: {arch: string; kernelRelease: string | null; platform: string};
	cpu: CpuFacts | null;
	memory: {totalMiB: number; availableMiB: number} | null;
	kvm: {
		devicePresent: boolean;
		/** This user can open /dev/kvm for reading and writing. */
		accessible: boolean;
		deviceGroup: string | null;
		deviceMode: string | null;
		/** Loaded kvm modules (kvm, kvm_intel, kvm_amd, ...). */
		modules: string[];
		/** Content of /sys/module/kvm_intel/parameters/nested, null when the module is not loaded. */
		nestedIntel: string | null;
		nestedAmd: string | null;
	} | null;
	user: {
		name: string;
		uid: number;
		home: string;
		/** Groups of this process (what counts now). */
		groups: string[];
		/** Groups listing the user in /etc/group (what counts after the next login). */
		configuredGroups: string[];
		/** The PATH entries, to tell whether ~/.local/bin is on it. */
		pathDirs: string[];
	} | null;
	environment: {
		/** Container runtime, e.g. docker, podman, lxc; null when not in a container. */
		container: string | null;
		/** Hypervisor we run under, e.g. kvm, vmware, microsoft; null on bare metal or when unknown. */
		vm: string | null;
		wsl: boolean;
		/** The CPU reports the `hypervisor` flag (we are a guest). */
		hypervisorFlag: boolean;
		/** /sys/class/dmi/id/sys_vendor and product_name, when readable. */
		dmi: string | null;
	} | null;
	iommu: {entries: string[]} | null;
	disk: {path: string; checkedPath: string; freeMiB: number; totalMiB: number} | null;
	os: {id: string | null; idLike: string[]; versionId: string | null; prettyName: string | null; codename: string | null} | null;
	packages: {
		manager: 'dpkg' | null;
		nativeArch: string | null;
		foreignArchs: string[];
		/** Installed packages: name (with `:arch` for foreign architectures) -> version. */
		installed: Record<string, string>;
	} | null;
	python: PythonFacts | null;
	/** A venv at <workspace>/python-venv, when present (what `doctor --fix` creates on externally managed systems). */
	venv: PythonFacts | null;
	/** `python` (without 3): its version, or null when it is not python 3 or absent. */
	pythonIsPython3: boolean | null;
	tools: Record<ToolName, ToolFact> | null;
	privileges: {root: boolean; sudoPresent: boolean; sudoNonInteractive: boolean} | null;
	/** How gathering each fact went (time taken, timeouts, errors). */
	gather: Record<string, GatherRecord>;
};

export type PythonFacts = {
	path: string | null;
	executable: string | null;
	version: string | null;
	/** The interpreter is in a virtual environment. */
	inVenv: boolean;
	/** PEP 668: pip refuses to install into this interpreter outside a venv. */
	externallyManaged: boolean;
	/** Module name -> importable (found by importlib). */
	modules: Record<string, boolean>;
	/** Distribution name -> version, for the pip packages we look for. */
	distributions: Record<string, string | null>;
};

/** The fact sections gathered independently; `--fix` gathers only the sections its commands affect. */
export const factSections = [
	'host',
	'cpu',
	'memory',
	'kvm',
	'user',
	'environment',
	'iommu',
	'disk',
	'os',
	'packages',
	'python',
	'tools',
	'privileges',
] as const;
export type FactSection = (typeof factSections)[number];
