import { expect } from 'chai';
import { useRecordingProject } from '../support/recording-project.js';
import { keepBlueConfig } from '../support/keep-blue-config.js';

const copies = (s: { resources: readonly { address: string; generation: number; live: boolean; kept?: { until: string } }[] }) =>
  s.resources.filter((r) => r.address.startsWith('test_instance') || r.address.startsWith('test_provision')).map((r) => `${r.address}#${r.generation}${r.live ? ' live' : ''}${r.kept ? ' kept' : ''}`);

describe('engine: keep_blue keeps blue for a rollback window', () => {
  const p = useRecordingProject({ 'main.infra': keepBlueConfig('keep_blue = "15m"\nbake = "0s"') });

  it('keeps blue (running, provisioned, not live) after the switch, and the plan shows it kept', async () => {
    expect((await p.cli('apply', '--auto-approve')).code).to.equal(0);
    const r = await p.cli('apply', '--auto-approve', '--var', 'version=v2');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);

    console.log(copies(p.state()));
    const plan = await p.cli('plan', '--var', 'version=v2');
    console.log(plan.stdout);
    const list = await p.cli('state', 'list');
    console.log(list.stdout);
    const rb = await p.cli('rollback', '--auto-approve');
    console.log(rb.stdout, rb.stderr);
    console.log(copies(p.state()));
  });
});
