import { expect } from 'chai';
import { keepBlueConfig } from '../support/keep-blue-config.js';
import { useRecordingProject } from '../support/recording-project.js';
import type { StateFile } from '../../src/state/types.js';

/** Every stdout line parsed as JSON (a line that does not parse throws, failing the test). */
function lines(stdout: string): Record<string, any>[] {
  expect(stdout.endsWith('\n'), stdout).to.equal(true);
  return stdout
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>);
}

function liveGeneration(s: StateFile, address: string): number | undefined {
  return s.resources.find((r) => r.address === address && r.live)?.generation;
}

describe('cli: infra rollback -json', () => {
  const p = useRecordingProject({ 'main.infra': keepBlueConfig('keep_blue = "15m"\nbake = "0s"') });
  const deploy = async (): Promise<void> => {
    expect((await p.cli('apply', '--auto-approve')).code).to.equal(0);
    expect((await p.cli('apply', '--auto-approve', '--var', 'version=v2')).code).to.equal(0);
  };
  const until = (): string => p.state().resources.find((x) => x.address === 'test_instance.ns["a"]' && x.kept)!.kept!.until;

  for (const flag of ['-json', '--json']) {
    it(`${flag}: the plan and the switch back as JSON lines, nothing else; the switch names the kept copy`, async () => {
      await deploy();
      const window = until();
      const r = await p.cli('rollback', flag, '-auto-approve', '--target', 'test_instance.ns["a"]');
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      const ls = lines(r.stdout);
      expect(ls.map((l) => l.type)).to.deep.equal([
        'version',
        'infra_planned_rollback',
        'change_summary',
        'switch_start',
        'switch_complete',
        'verify_start',
        'verify_complete',
        'change_summary',
        'outputs',
      ]);
      for (const l of ls) expect(l['@module']).to.equal('infra.ui');
      expect(ls[1]['@message']).to.equal('test_instance.ns["a"]: Plan to switch back to generation 1 (kept blue) from generation 2');
      expect(ls[1].rollback).to.deep.equal({
        resource: {
          addr: 'test_instance.ns["a"]',
          module: '',
          resource: 'test_instance.ns["a"]',
          implied_provider: 'test',
          resource_type: 'test_instance',
          resource_name: 'ns',
          resource_key: 'a',
        },
        to_generation: 1,
        from_generation: 2,
        kept_until: window,
        switches: [{ route: 'test_route.ns["a"]', from: '10.0.0.4 (generation 2)', to: '10.0.0.2 (kept blue, generation 1)' }],
        checks: ['test_check.lb["a"]'],
      });
      expect(ls[2]['@message']).to.equal('Plan: 1 instance to roll back, 0 to add, 0 to destroy.');
      expect(ls[2].changes).to.deep.equal({ add: 0, change: 0, import: 0, remove: 0, operation: 'plan' });
      expect(ls[2].infra_operation).to.equal('rollback');
      expect(ls[3]['@message']).to.equal('test_route.ns["a"] (blue): Switching...');
      expect(ls[3].hook.infra_switch).to.deep.equal({ from: '10.0.0.4 (generation 2)', to: '10.0.0.2 (kept blue, generation 1)' });
      expect(ls[4].hook.infra_switch).to.deep.equal({ from: '10.0.0.4 (generation 2)', to: '10.0.0.2 (kept blue, generation 1)' });
      expect(ls[4].hook.infra_details).to.equal('10.0.0.2 (kept blue, generation 1)');
      expect(ls[4].hook.infra_step.unit).to.equal('test_instance.ns["a"]');
      expect(ls[7]['@message']).to.equal('Rollback complete! Live now: test_instance.ns["a"] generation 1.');
      expect(ls[7].changes.operation).to.equal('apply');
      expect(ls[7].infra_live).to.deep.equal([{ address: 'test_instance.ns["a"]', generation: 1 }]);
      expect(ls[8].outputs.targets.value).to.deep.equal(['10.0.0.2:53', '10.0.0.5:53']);
      expect(liveGeneration(p.state(), 'test_instance.ns["a"]')).to.equal(1);
    });
  }

  it('without -auto-approve: a diagnostic line, exit 1, nothing switched', async () => {
    await deploy();
    p.provider.resetCalls();
    const r = await p.cli('rollback', '-json');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('');
    const ls = lines(r.stdout);
    expect(ls.map((l) => l.type)).to.deep.equal(['version', 'diagnostic']);
    expect(ls[1]['@level']).to.equal('error');
    expect(ls[1].diagnostic).to.deep.equal({
      severity: 'error',
      summary: '-json needs -auto-approve',
      detail: 'With -json there is no one to ask for "yes": add -auto-approve.',
    });
    expect(p.provider.calls.filter((c) => c.op !== 'read')).to.deep.equal([]);
    expect(liveGeneration(p.state(), 'test_instance.ns["a"]')).to.equal(2);
  });

  it('nothing to roll back: the error as a diagnostic line, exit 1', async () => {
    expect((await p.cli('apply', '--auto-approve')).code).to.equal(0);
    const r = await p.cli('rollback', '-json', '-auto-approve');
    expect(r.code).to.equal(1);
    const ls = lines(r.stdout);
    expect(ls.map((l) => l.type)).to.deep.equal(['version', 'diagnostic']);
    expect(ls[1].diagnostic.summary).to.equal('Nothing to roll back');
    expect(ls[1].diagnostic.detail).to.include('lifecycle blue_green { keep_blue = "15m" }');
  });

  it('a post-switch check that fails: infra_rollback and the diagnostic as lines, no summary, exit 1, the kept copy stays kept', async () => {
    await deploy();
    p.provider.fail = (c) => (c.op === 'verify' && c.address === 'test_check.lb["a"]' ? 'blue answers wrong' : undefined);
    const r = await p.cli('rollback', '-json', '-auto-approve', '--target', 'test_instance.ns["a"]');
    expect(r.code).to.equal(1);
    const ls = lines(r.stdout);
    const types = ls.map((l) => l.type);
    expect(types.slice(0, 3)).to.deep.equal(['version', 'infra_planned_rollback', 'change_summary']);
    expect(types).to.include('verify_errored');
    expect(types).to.include('diagnostic');
    expect(types.filter((t) => t === 'change_summary').length).to.equal(1);
    expect(types).to.not.include('outputs');
    const back = ls.find((l) => l.type === 'infra_rollback')!;
    expect(back['@message']).to.equal('Rolling back the deploy of test_instance.ns["a"]: verify test_check.lb["a"] (blue) [test_instance.ns["a"]] failed');
    expect(back.unit).to.equal('test_instance.ns["a"]');
    expect(liveGeneration(p.state(), 'test_instance.ns["a"]')).to.equal(2);
    expect(p.state().resources.find((x) => x.address === 'test_instance.ns["a"]' && x.kept)!.generation).to.equal(1);
  });
});
