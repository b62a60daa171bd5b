// Everything the app command and recipes need: inspect the images, validate, render, write.
import {resolve} from 'node:path';
import {generateApp, type GeneratedApp, type SataOptions} from './generate.js';
import {initrdSizes, kernelLoadedBytes} from './images.js';
import type {Platform} from '../../platforms.js';
import {upstreamGuestImages} from './upstream.js';

export type PrepareOptions = {
	tree: string;
	platform: Platform;
	guestRamMb: number;
	kernel?: string;
	initrd?: string;
	cmdlineExtra?: string;
	headroomMb?: number;
	generator?: string;
	sata?: SataOptions;
};

/** Reads the image sizes and renders the app; throws a UserError for anything that does not fit. */
export async function prepareApp(options: PrepareOptions): Promise<GeneratedApp & {kernelFile: string; initrdFile: string}> {
	const defaults = upstreamGuestImages(resolve(options.tree), options.platform);
	const kernelFile = resolve(options.kernel ?? defaults.kernel);
	const initrdFile = resolve(options.initrd ?? defaults.initrd);
	const kernelBytes = await kernelLoadedBytes(options.platform, kernelFile);
	const {initrdBytes, unpackedBytes} = await initrdSizes(initrdFile);
	const app = await generateApp({
		platform: options.platform,
		guestRamMb: options.guestRamMb,
		kernelFile,
		initrdFile,
		sizes: {kernelBytes, initrdBytes, unpackedBytes, ...(options.headroomMb !== undefined ? {headroomMb: options.headroomMb} : {})},
		...(options.cmdlineExtra !== undefined ? {cmdlineExtra: options.cmdlineExtra} : {}),
		...(options.generator ? {generator: options.generator} : {}),
		...(options.sata ? {sata: options.sata} : {}),
	});
	return {...app, kernelFile, initrdFile};
}

export {appDir, appName, generateApp, guestCmdline, sataDefaults, writeApp} from './generate.js';
export {armLayout, checkGuestRam, ramLimits, x86Resources} from './layout.js';
