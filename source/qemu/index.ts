// The QEMU launcher for code and tests: command lines per platform, process control, and the serial watcher.
export {buildQemuCommand, qemuMachines, qemuMemoryMb, socketConsoleNote, upstreamX86Cpu} from './command.js';
export type {QemuCommand, QemuMachine, QemuCommandOptions, SerialSpec, TestArch} from './command.js';
export {judgeKvm, readKvmFacts, x86Alternatives} from './host.js';
export type {KvmFacts, KvmVerdict} from './host.js';
export {startQemu} from './process.js';
export type {QemuProcess} from './process.js';
export {replayFile, replayLog, startBoot} from './boot.js';
export type {BootOptions, BootOutcome, BootResult, BootSession, ReplayResult} from './boot.js';
export {judgeBoot, parseExpectation, SerialWatcher} from './watcher.js';
export type {BootVerdict, Expectation, StageRecord, SignatureRecord, StallRecord, Timeline, WatchEvent, WatcherOptions} from './watcher.js';
export {cleanLine, haltMarkers, stageIds, stageOf, stages, stageTitle, splitHostTime} from './stages.js';
export type {StageId} from './stages.js';
export {compileCatalogue, defaultCatalogueFile, launchScope, readCatalogue} from './catalogue.js';
export type {Catalogue, CompiledEntry} from '../engine/troubleshoot.js';
export {artifactsFile, buildImagesDir, configuredQemuMemory, resolveImages} from './artifacts.js';
export type {ImageSet} from './artifacts.js';
export {formatEntry, formatVerdict, formatTimeline, timelineJson} from './report.js';
