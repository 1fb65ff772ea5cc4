import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { type TestFolder, useRecordingProvider } from '../support/recording-project.js';
import { BLUE_GREEN } from '../support/configs.js';

describe('engine: graph errors and lifecycle rules', () => {
  const recording = useRecordingProvider();
  let cfg: TestFolder;
  const run = (files: Record<string, string>, ...args: string[]) => {
    cfg = recording.folder(files);
    return runCli(args, { cwd: cfg.dir });
  };

  it('names every resource on a cycle, in a stable order, with where each refers to the next', async () => {
    const r = await run(
      {
        'main.infra': [
          'resource "test_instance" "c" {\n  name = test_instance.a.name\n}\n',
          'resource "test_instance" "a" {\n  name = test_instance.b.name\n}\n',
          'resource "test_instance" "b" {\n  name = test_instance.c.name\n}\n',
        ].join('\n'),
      },
      'validate',
    );
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('main.infra:5:1: Error: Cycle: test_instance.a -> test_instance.b -> test_instance.c -> test_instance.a');
    expect(r.stderr).to.include('test_instance.a refers to test_instance.b at main.infra:6:10');
    expect(r.stderr).to.include('test_instance.c refers to test_instance.a at main.infra:2:10');
  });

  it('suggests the nearest resource type for an unknown one', async () => {
    const r = await run({ 'main.infra': 'resource "test_instanse" "a" {\n}\n' }, 'validate');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('main.infra:1:10: Error: Unknown resource type "test_instanse"');
    expect(r.stderr).to.include('Did you mean "test_instance"?');
  });

  it('ignore_changes keeps the recorded value; create_before_destroy replaces create-first', async () => {
    const base = (size: string, image: string) =>
      `resource "test_instance" "a" {\n  size  = "${size}"\n  image = "${image}"\n\n  lifecycle {\n    ignore_changes        = [size]\n    create_before_destroy = true\n  }\n}\n`;
    const r = await run({ 'main.infra': base('s', 'i1') }, 'apply', '--auto-approve');
    expect(r.code).to.equal(0);
    writeFileSync(join(cfg!.dir, 'main.infra'), base('large', 'i1'));
    const same = await runCli(['plan', '--detailed-exitcode'], { cwd: cfg!.dir });
    expect(same.code, same.stdout).to.equal(0);
    writeFileSync(join(cfg!.dir, 'main.infra'), base('large', 'i2'));
    const plan = JSON.parse((await runCli(['plan', '--json'], { cwd: cfg!.dir })).stdout);
    expect(plan.resource_changes[0].change.actions).to.deep.equal(['create', 'delete']);
    expect(plan.infra_deploy_sequence.map((s: { kind: string }) => s.kind)).to.deep.equal(['create', 'delete']);
  });

  it('max_parallel = 2 lets two deploy units roll at once', async () => {
    const r = await run({ 'main.infra': BLUE_GREEN.replace('lifecycle blue_green', 'lifecycle blue_green {\n    max_parallel = 2\n  }') }, 'apply', '--auto-approve');
    expect(r.code).to.equal(0);
    const plan = JSON.parse((await runCli(['plan', '--json', '--var', 'version=v2'], { cwd: cfg!.dir })).stdout);
    const b = plan.infra_deploy_sequence.find((s: { id: string }) => s.id === 'create test_instance.ns["b"] (green)');
    expect(b.after).to.deep.equal([]);
  });
});
