// The usb recipe: planned only for x86_64 with target usb, after the x86 build, with the exact usb-image command.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {cli, tempDir, jsonOutput} from '../support/cli.js';

type PlannedStep = {id: string; action: string; reason: string; commands: string[]};

function plan(sets: string[]): PlannedStep[] {
	const workspace = tempDir();
	const result = cli(['plan', 'usb', '--json', '--workspace', workspace, '--set', 'host_setup=skip', ...sets.flatMap((set) => ['--set', set])]);
	assert.equal(result.code, 0, result.stderr);
	return (jsonOutput(result.stdout).result as {steps: PlannedStep[]}).steps;
}

test('x86_64 + usb: the stick image is built after the x86 build, with the lock file for provenance', () => {
	const workspace = tempDir();
	const result = cli(['plan', 'usb', '--json', '--workspace', workspace, '--set', 'host_setup=skip', '--set', 'platform=x86_64', '--set', 'target=usb']);
	const steps = (jsonOutput(result.stdout).result as {steps: PlannedStep[]}).steps;
	const ids = steps.map((step) => step.id);
	assert.ok(ids.indexOf('build.ninja-x86') < ids.indexOf('usb.image'));
	const image = steps.find((step) => step.id === 'usb.image')!;
	assert.equal(image.action, 'run');
	assert.deepEqual(image.commands, [
		`sel4-llm usb-image --workspace=${workspace} --app=llm_vm --lock=${workspace}/sel4-llm.lock.json --output=${workspace}/usb/sel4-llm-x86_64-llm_vm.img`,
	]);
});

test('qemu-arm-virt, or x86_64 for QEMU: no stick image', () => {
	for (const sets of [['platform=qemu-arm-virt'], ['platform=x86_64', 'target=qemu']]) {
		const image = plan(sets).find((step) => step.id === 'usb.image')!;
		assert.equal(image.action, 'skip');
		assert.match(image.reason, /not needed/);
	}
});
