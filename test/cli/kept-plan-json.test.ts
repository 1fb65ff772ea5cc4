import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { keepBlueConfig } from '../support/keep-blue-config.js';
import { useRecordingProject } from '../support/recording-project.js';

describe('cli: kept blue copies in the plan JSON (infra_kept)', () => {
  const p = useRecordingProject({ 'main.infra': keepBlueConfig('keep_blue = "15m"\nbake = "0s"') });
  const deploy = async (): Promise<void> => {
    expect((await p.cli('apply', '--auto-approve')).code).to.equal(0);
    expect((await p.cli('apply', '--auto-approve', '--var', 'version=v2')).code).to.equal(0);
  };
  const planJson = async (...args: string[]): Promise<Record<string, any>> => {
    const r = await p.cli('plan', '--json', ...args);
    expect(r.code, r.stderr).to.equal(0);
    return JSON.parse(r.stdout) as Record<string, any>;
  };
  /** The window end of each kept copy in the state (each instance's deploy kept its own copies). */
  const windows = (): Map<string, string> => new Map(p.state().resources.filter((x) => x.kept).map((x) => [x.address, x.kept!.until]));
  /** The four kept copies of generation 1, with their state's window ends (or `until` for all). */
  const kept = (until: string | Map<string, string>, destroy: boolean, reason: string | null) =>
    ['test_instance.ns["a"]', 'test_instance.ns["b"]', 'test_provision.ns["a"]', 'test_provision.ns["b"]'].map((address) => ({
      address,
      generation: 1,
      unit: address.replace('test_provision', 'test_instance'),
      until: typeof until === 'string' ? until : until.get(address)!,
      destroy,
      destroy_reason: reason,
    }));

  it('a state without kept copies: no infra_kept', async () => {
    expect((await p.cli('apply', '--auto-approve')).code).to.equal(0);
    const doc = await planJson('--var', 'version=v2');
    expect(doc).to.not.have.property('infra_kept');
  });

  it('windows open: every kept copy with its window end, none destroyed, no change for them', async () => {
    await deploy();
    const until = windows();
    expect(until.size).to.equal(4);
    const doc = await planJson('--var', 'version=v2');
    expect(doc.infra_kept).to.deep.equal(kept(until, false, null));
    expect(doc.resource_changes.filter((c: any) => c.change.actions[0] !== 'no-op')).to.deep.equal([]);
  });

  it('windows ended: infra_kept says they are destroyed, and resource_changes deletes each kept copy, deposed, with infra_kept', async () => {
    await deploy();
    const s = p.state();
    const past = new Date(Date.now() - 60_000).toISOString();
    writeFileSync(join(p.dir, 'infra.state.json'), JSON.stringify({ ...s, resources: s.resources.map((x) => (x.kept ? { ...x, kept: { ...x.kept, until: past } } : x)) }));
    const doc = await planJson('--var', 'version=v2');
    expect(doc.infra_kept).to.deep.equal(kept(past, true, 'window_ended'));
    const deletes = doc.resource_changes.filter((c: any) => c.change.actions[0] === 'delete');
    expect(deletes.map((c: any) => [c.address, c.deposed, c.change.actions, c.action_reason, c.infra_kept])).to.deep.equal(
      kept(past, true, 'window_ended').map((k) => [k.address, '1', ['delete'], undefined, { generation: 1, unit: k.unit, until: past, destroy_reason: 'window_ended' }]),
    );
    expect(deletes[0].infra_reasons[0]).to.match(/^kept blue, window ended \d\d:\d\d UTC$/);
    expect(doc.infra_summary.destroy).to.equal(4);
  });

  it('a new deploy supersedes the kept copies: destroy_reason superseded', async () => {
    await deploy();
    const until = windows();
    expect(until.size).to.equal(4);
    const doc = await planJson('--var', 'version=v3');
    expect(doc.infra_kept).to.deep.equal(kept(until, true, 'superseded'));
    const deletes = doc.resource_changes.filter((c: any) => c.change.actions.length === 1 && c.change.actions[0] === 'delete');
    expect(deletes.map((c: any) => `${c.address} ${c.deposed} ${c.infra_kept.destroy_reason}`)).to.deep.equal(
      ['test_instance.ns["a"] 1 superseded', 'test_instance.ns["b"] 1 superseded', 'test_provision.ns["a"] 1 superseded', 'test_provision.ns["b"] 1 superseded'],
    );
  });

  it('an instance left the configuration: its kept copies are destroyed, not_in_configuration; the others stay kept', async () => {
    await deploy();
    const until = windows();
    const file = join(p.dir, 'main.infra');
    writeFileSync(file, readFileSync(file, 'utf8').replace('toset(["a", "b"])', 'toset(["a"])'));
    const doc = await planJson('--var', 'version=v2');
    const expected = kept(until, false, null).map((k) => (k.address.endsWith('["b"]') ? { ...k, destroy: true, destroy_reason: 'not_in_configuration' } : k));
    expect(doc.infra_kept).to.deep.equal(expected);
    const deposed = doc.resource_changes.filter((c: any) => c.deposed !== undefined);
    expect(deposed.map((c: any) => `${c.address} ${c.deposed} ${c.change.actions} ${c.infra_kept.destroy_reason}`)).to.deep.equal([
      'test_instance.ns["b"] 1 delete not_in_configuration',
      'test_provision.ns["b"] 1 delete not_in_configuration',
    ]);
  });

  it('a destroy plan destroys every kept copy: destroy_reason destroy', async () => {
    await deploy();
    const until = windows();
    const doc = await planJson('--destroy');
    expect(doc.infra_kept).to.deep.equal(kept(until, true, 'destroy'));
    const deposed = doc.resource_changes.filter((c: any) => c.deposed !== undefined);
    expect(deposed.map((c: any) => `${c.address} ${c.deposed} ${c.infra_kept.destroy_reason}`)).to.deep.equal([
      'test_instance.ns["a"] 1 destroy',
      'test_instance.ns["b"] 1 destroy',
      'test_provision.ns["a"] 1 destroy',
      'test_provision.ns["b"] 1 destroy',
    ]);
  });

  it('a targeted destroy destroys the kept copies of its target and lists the others as kept', async () => {
    await deploy();
    const until = windows();
    const doc = await planJson('--destroy', '--target', 'test_instance.ns["a"]');
    expect(doc.infra_kept).to.deep.equal(kept(until, false, null).map((k) => (k.unit === 'test_instance.ns["a"]' ? { ...k, destroy: true, destroy_reason: 'destroy' } : k)));
  });

  it('a saved plan shows the same infra_kept (infra show -json), and applies', async () => {
    await deploy();
    const until = windows();
    expect(until.size).to.equal(4);
    expect((await p.cli('plan', '--var', 'version=v3', '--out', 'deploy.plan')).code).to.equal(0);
    const r = await p.cli('show', '-json', 'deploy.plan');
    expect(r.code, r.stderr).to.equal(0);
    expect((JSON.parse(r.stdout) as Record<string, any>).infra_kept).to.deep.equal(kept(until, true, 'superseded'));
    // The saved plan (its kept-superseded reasons) reads back and applies.
    const applied = await p.cli('apply', 'deploy.plan', '--var', 'version=v3');
    expect(applied.stderr).to.equal('');
    expect(applied.code).to.equal(0);
    expect(p.state().resources.filter((x) => x.kept).map((x) => `${x.address}#${x.generation}`)).to.deep.equal([
      'test_instance.ns["a"]#2',
      'test_instance.ns["b"]#2',
      'test_provision.ns["a"]#2',
      'test_provision.ns["b"]#2',
    ]);
  });
});
