// The init-build.sh commands per platform/app/target (golden), and the refusal of every pair upstream rejects.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {apps, BuildChoiceError, buildDirName, checkBuildChoice, imagePaths, initBuildCommand, validApps} from '../../source/sync/build-commands.js';
import {platformIds as platforms} from '../../source/platforms.js';

test('golden: the exact init-build.sh command for each platform and target', () => {
	const golden: Array<[platform: string, app: string, target: string, command: string]> = [
		['qemu-arm-virt', 'llm_vm', 'qemu', '../init-build.sh -DPLATFORM=qemu-arm-virt -DAARCH64=TRUE -DCAMKES_VM_APP=llm_vm -DSIMULATION=TRUE'],
		['qemu-arm-virt', 'vm_minimal', 'qemu', '../init-build.sh -DPLATFORM=qemu-arm-virt -DAARCH64=TRUE -DCAMKES_VM_APP=vm_minimal -DSIMULATION=TRUE'],
		['qemu-arm-virt', 'vm_introspect', 'qemu', '../init-build.sh -DPLATFORM=qemu-arm-virt -DAARCH64=TRUE -DCAMKES_VM_APP=vm_introspect -DSIMULATION=TRUE'],
		['x86_64', 'llm_vm', 'qemu', '../init-build.sh -DCAMKES_VM_APP=llm_vm_x86 -DSIMULATION=TRUE'],
		['x86_64', 'llm_vm', 'usb', '../init-build.sh -DCAMKES_VM_APP=llm_vm_x86'],
		['x86_64', 'minimal_64', 'qemu', '../init-build.sh -DCAMKES_VM_APP=minimal_64 -DSIMULATION=TRUE'],
		['x86_64', 'minimal_64', 'usb', '../init-build.sh -DCAMKES_VM_APP=minimal_64'],
		['x86_64', 'optiplex9020', 'usb', '../init-build.sh -DCAMKES_VM_APP=optiplex9020'],
	];
	for (const [platform, app, target, command] of golden) {
		assert.equal(initBuildCommand({platform, app, target}).join(' '), command, `${platform} ${app} ${target}`);
	}
	// Never a PLATFORM for x86 (x86 ignores it), never the old guide's values.
	for (const app of validApps('x86_64')) {
		for (const target of ['qemu', 'usb']) assert.ok(!initBuildCommand({platform: 'x86_64', app, target}).some((arg) => arg.startsWith('-DPLATFORM')));
	}
});

test('build directories and image names', () => {
	assert.equal(buildDirName('qemu-arm-virt', 'llm_vm'), 'build-qemu-arm-virt-llm_vm');
	assert.equal(buildDirName('x86_64', 'minimal_64'), 'build-x86_64-minimal_64');
	assert.deepEqual(imagePaths('qemu-arm-virt'), ['images/capdl-loader-image-arm-qemu-arm-virt']);
	assert.deepEqual(imagePaths('x86_64'), ['images/kernel-x86_64-pc99', 'images/capdl-loader-image-x86_64-pc99']);
});

test('the valid apps per platform', () => {
	assert.deepEqual(validApps('qemu-arm-virt'), ['vm_minimal', 'vm_cross_connector', 'vm_introspect', 'vm_multi', 'llm_vm']);
	assert.deepEqual(validApps('x86_64'), ['minimal_64', 'optiplex9020', 'zmq_samples', 'cma34cr_centos', 'cma34cr_ubuntu', 'llm_vm']);
});

test('table: every invalid app/platform pair is refused, naming the valid apps', () => {
	const names = [...new Set(apps.map((info) => info.app)), 'vm_virtio', 'not_an_app'];
	let refused = 0;
	for (const platform of platforms) {
		const valid = validApps(platform);
		for (const app of names) {
			for (const target of platform === 'x86_64' ? ['qemu', 'usb'] : ['qemu']) {
				if (valid.includes(app)) {
					assert.doesNotThrow(() => checkBuildChoice({platform, app, target}));
					continue;
				}
				refused++;
				assert.throws(
					() => initBuildCommand({platform, app, target}),
					(error: unknown) => {
						assert.ok(error instanceof BuildChoiceError);
						assert.match(error.message, new RegExp(`"${app}"`));
						assert.equal(error.hint, `apps for ${platform}: ${valid.join(', ')}`);
						return true;
					},
					`${platform} ${app} must be refused`,
				);
			}
		}
	}
	// qemu-arm-virt: 17 names - 5 valid; x86_64: (17 - 6 valid) x 2 targets.
	assert.equal(refused, 12 + 22);
});

test('the refusal says why', () => {
	const why = (platform: string, app: string, target = 'qemu') => {
		try {
			checkBuildChoice({platform, app, target});
			return 'accepted';
		} catch (error) {
			return (error as Error).message;
		}
	};
	assert.match(why('qemu-arm-virt', 'vm_virtio_net'), /does not support qemu-arm-virt \(upstream accepts: exynos5422, tx2, zcu102\)/);
	assert.match(why('x86_64', 'vm_minimal'), /is an Arm app/);
	assert.match(why('qemu-arm-virt', 'minimal_64'), /is an x86 app/);
	assert.match(why('x86_64', 'minimal'), /32-bit \(ia32\)/);
	assert.match(why('qemu-arm-virt', 'vm_virtio'), /there is no vm_virtio/);
	assert.match(why('qemu-arm-virt', 'llm_vm', 'usb'), /target usb needs platform x86_64/);
	assert.match(why('tk1', 'vm_minimal'), /unknown platform "tk1"/);
	assert.match(why('x86_64', 'llm_vm', 'sdcard'), /unknown target "sdcard"/);
});
