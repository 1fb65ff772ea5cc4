import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useRecordingProject } from '../support/recording-project.js';
import { BLUE_GREEN } from '../support/configs.js';

describe('cli: -replace', function () {
  this.timeout(60_000);
  const project = useRecordingProject({ 'main.infra': BLUE_GREEN }, { per: 'suite', applied: true });
  const cli = project.cli;

  it('plan -replace=ADDR shows one blue-green deploy of an unchanged instance, with the reason', async () => {
    const r = await cli('plan', '-replace=test_instance.ns["a"]', '-detailed-exitcode');
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.include('replacement requested (-replace)');
    expect(r.stdout).to.include('1 blue-green deploy.');
    expect(r.code).to.equal(2);
  });

  it('an address that matches nothing is an error with did-you-mean', async () => {
    const r = await cli('plan', '--replace', 'test_instance.nz["a"]');
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.include('No resource instance matches -replace "test_instance.nz["a"]"');
    expect(r.stderr).to.include('Did you mean "test_instance.ns["a"]"?');
  });

  it('a saved plan carries the replacement; apply carries it out and the next plan has nothing to do', async () => {
    const before = JSON.parse(readFileSync(join(project.dir, 'infra.state.json'), 'utf8'));
    const gen = (s: { resources: { address: string; live: boolean; generation: number }[] }) => s.resources.find((x) => x.address === 'test_instance.ns["a"]' && x.live)!.generation;
    expect((await cli('plan', '-replace=test_instance.ns["a"]', '-out=r.plan')).code).to.equal(0);
    const show = await cli('show', 'r.plan');
    expect(show.stdout).to.include('replacement requested (-replace)');
    const a = await cli('apply', 'r.plan');
    expect(a.stderr).to.equal('');
    expect(a.code).to.equal(0);
    const after = JSON.parse(readFileSync(join(project.dir, 'infra.state.json'), 'utf8'));
    expect(gen(after)).to.equal(gen(before) + 1);
    const p = await cli('plan', '-detailed-exitcode');
    expect(p.code).to.equal(0);
  });
});
