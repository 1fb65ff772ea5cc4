import { expect } from 'chai';
import type { StateFile } from '../../src/state/types.js';
import { BLUE_GREEN } from '../support/configs.js';
import { useRecordingProject } from '../support/recording-project.js';

describe('engine: blue-green plan and apply with the recording provider', () => {
  const project = useRecordingProject({ 'main.infra': BLUE_GREEN });
  const cli = project.cli;

  it('creates everything on the first apply, in dependency order', async () => {
    const r = await cli('apply', '--auto-approve');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include('Apply complete! Resources: 10 added, 0 changed, 0 destroyed; 0 blue-green deploys.');
    const state = project.state();
    expect(state.resources.map((x) => `${x.address}#${x.generation}`)).to.deep.equal([
      'test_check.lb["a"]#0',
      'test_check.lb["b"]#0',
      'test_check.ns["a"]#0',
      'test_check.ns["b"]#0',
      'test_instance.ns["a"]#1',
      'test_instance.ns["b"]#1',
      'test_provision.ns["a"]#1',
      'test_provision.ns["b"]#1',
      'test_route.ns["a"]#0',
      'test_route.ns["b"]#0',
    ]);
    expect(state.resources.every((x) => x.live && x.status === 'ready')).to.equal(true);
    expect(project.provider.objects.length).to.equal(10);
    const creates = project.provider.calls.filter((c) => c.op === 'create').map((c) => c.address);
    expect(creates.indexOf('test_instance.ns["a"]')).to.be.lessThan(creates.indexOf('test_provision.ns["a"]'));
    expect(creates.indexOf('test_route.ns["a"]')).to.be.lessThan(creates.indexOf('test_check.lb["a"]'));
    // Even the first deploy is verified before traffic is routed to it.
    expect(creates.indexOf('test_check.ns["a"]')).to.be.lessThan(creates.indexOf('test_route.ns["a"]'));
    expect(state.outputs.targets.value).to.deep.equal(state.resources.filter((x) => x.type === 'test_route').map((x) => (x.attributes.targets as string[])[0]));
  });

  it('plans a change as two deploy units, one at a time, create -> verify -> switch -> destroy', async () => {
    expect((await cli('apply', '--auto-approve')).code).to.equal(0);
    const r = await cli('plan', '--var', 'version=v2', '--json');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.infra_summary).to.deep.equal({ add: 4, change: 6, destroy: 4, blue_green: 2 });
    const steps = plan.infra_deploy_sequence.map((s: { id: string }) => s.id);
    expect(steps).to.deep.equal([
      'create test_instance.ns["a"] (green)',
      'create test_provision.ns["a"] (green)',
      'verify test_check.ns["a"] (green) [test_instance.ns["a"]]',
      'switch test_route.ns["a"] (green) [test_instance.ns["a"]]',
      'verify test_check.lb["a"] (green) [test_instance.ns["a"]]',
      'delete test_provision.ns["a"] (blue)',
      'delete test_instance.ns["a"] (blue)',
      'create test_instance.ns["b"] (green)',
      'create test_provision.ns["b"] (green)',
      'verify test_check.ns["b"] (green) [test_instance.ns["b"]]',
      'switch test_route.ns["b"] (green) [test_instance.ns["b"]]',
      'verify test_check.lb["b"] (green) [test_instance.ns["b"]]',
      'delete test_provision.ns["b"] (blue)',
      'delete test_instance.ns["b"] (blue)',
    ]);
    const byId = new Map(plan.infra_deploy_sequence.map((s: { id: string }) => [s.id, s]));
    expect((byId.get('create test_instance.ns["b"] (green)') as { after: string[] }).after).to.include('delete test_instance.ns["a"] (blue)');
    expect((byId.get('verify test_check.lb["a"] (green) [test_instance.ns["a"]]') as { after_switch: boolean }).after_switch).to.equal(true);
  });

  it('applies a blue-green deploy: green live, blue gone, route moved', async () => {
    expect((await cli('apply', '--auto-approve')).code).to.equal(0);
    const before = project.state();
    const oldIp = before.resources.find((x) => x.address === 'test_instance.ns["a"]')!.attributes.ipv4;
    const r = await cli('apply', '--auto-approve', '--var', 'version=v2');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const after = project.state();
    const ns = after.resources.filter((x) => x.type === 'test_instance');
    // Generation 2 was green (the new copy) while it was deployed; serving now, it is blue.
    expect(ns.map((x) => [x.address, x.generation, x.color, x.live])).to.deep.equal([
      ['test_instance.ns["a"]', 2, 'blue', true],
      ['test_instance.ns["b"]', 2, 'blue', true],
    ]);
    const newIp = ns[0].attributes.ipv4;
    expect(newIp).to.not.equal(oldIp);
    const route = after.resources.find((x) => x.address === 'test_route.ns["a"]')!;
    expect(route.attributes.targets).to.deep.equal([`${newIp}:53`]);
    // The switch says where traffic went: the address green got, not the plan's placeholder.
    const switched = r.stdout.split('\n').filter((l) => l.startsWith('test_route.ns["a"] (green): Switched'));
    expect(switched.map((l) => l.replace(/after [\d.]+s/, 'after Ns'))).to.deep.equal([`test_route.ns["a"] (green): Switched after Ns (traffic now to ${newIp as string} (green))`]);
    expect(project.provider.objects.filter((o) => o.type === 'test_instance').map((o) => o.generation)).to.deep.equal([2, 2]);
    // The second plan is empty.
    const again = await cli('plan', '--var', 'version=v2', '--detailed-exitcode');
    expect(again.code, again.stdout).to.equal(0);
    expect(again.stdout).to.include('No changes.');
  });
});

describe('engine: rollback of a failed deploy unit', () => {
  const project = useRecordingProject({ 'main.infra': BLUE_GREEN }, { applied: true });
  beforeEach(() => project.provider.resetCalls());

  const deploy = () => project.cli('apply', '--auto-approve', '--var', 'version=v2');

  /** Blue serves exactly as before: generation 1 live, the route's targets untouched. */
  function expectBlueUntouched(before: StateFile) {
    const after = project.state();
    const pick = (s: StateFile, a: string) => s.resources.filter((x) => x.address === a);
    expect(pick(after, 'test_instance.ns["a"]').map((x) => [x.generation, x.live, x.status])).to.deep.equal([[1, true, 'ready']]);
    expect(pick(after, 'test_provision.ns["a"]').map((x) => [x.generation, x.live])).to.deep.equal([[1, true]]);
    expect(pick(after, 'test_route.ns["a"]')[0].attributes.targets).to.deep.equal(pick(before, 'test_route.ns["a"]')[0].attributes.targets);
    // Nothing green remains in the world either.
    expect(project.provider.objects.filter((o) => o.generation === 2)).to.deep.equal([]);
    const route = project.provider.objects.find((o) => o.address === 'test_route.ns["a"]')!;
    expect(route.attributes.targets).to.deep.equal(pick(before, 'test_route.ns["a"]')[0].attributes.targets);
  }

  const cases: { name: string; rule: (c: { op: string; address: string; generation: number }) => boolean; switched: boolean }[] = [
    { name: 'create of green fails', rule: (c) => c.op === 'create' && c.address === 'test_instance.ns["a"]', switched: false },
    { name: 'provisioning green fails', rule: (c) => c.op === 'create' && c.address === 'test_provision.ns["a"]', switched: false },
    { name: 'verify of green fails', rule: (c) => c.op === 'verify' && c.address === 'test_check.ns["a"]', switched: false },
    { name: 'the switch fails', rule: (c) => c.op === 'update' && c.address === 'test_route.ns["a"]', switched: false },
    { name: 'the check through the route fails', rule: (c) => c.op === 'verify' && c.address === 'test_check.lb["a"]', switched: true },
  ];
  for (const c of cases) {
    it(`${c.name}: green destroyed, blue untouched, nothing else started`, async () => {
      const before = project.state();
      project.provider.fail = (call) => (c.rule(call) ? 'injected failure' : undefined);
      const r = await deploy();
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('Rolled back: test_instance.ns["a"]');
      expectBlueUntouched(before);
      // ns b was never touched: its unit waits for a's.
      expect(project.provider.calls.filter((x) => x.address.endsWith('["b"]') && x.op !== 'read')).to.deep.equal([]);
      if (c.switched) {
        const updates = project.provider.calls.filter((x) => x.op === 'update' && x.address === 'test_route.ns["a"]');
        expect(updates.length).to.equal(2); // switched to green, then back to blue
      }
      // Once the fault is gone, the same deploy goes through.
      project.provider.fail = () => undefined;
      const again = await deploy();
      expect(again.stderr).to.equal('');
      expect(again.code).to.equal(0);
    });
  }

  it('a failed destroy of blue keeps it in state; the next apply removes it', async () => {
    project.provider.fail = (call) => (call.op === 'delete' && call.address === 'test_instance.ns["a"]' && call.generation === 1 ? 'busy' : undefined);
    const r = await deploy();
    expect(r.code).to.equal(1);
    const s = project.state();
    const copies = s.resources.filter((x) => x.address === 'test_instance.ns["a"]').map((x) => [x.generation, x.live]);
    expect(copies).to.deep.equal([[1, false], [2, true]]);
    project.provider.fail = () => undefined;
    const plan = await project.cli('plan', '--var', 'version=v2');
    expect(plan.stdout).to.include('left over from an interrupted apply');
    const again = await deploy();
    expect(again.code).to.equal(0);
    expect(project.state().resources.filter((x) => x.address === 'test_instance.ns["a"]').map((x) => x.generation)).to.deep.equal([2]);
    expect(project.provider.objects.filter((o) => o.type === 'test_instance').map((o) => `${o.address}#${o.generation}`).sort()).to.deep.equal(['test_instance.ns["a"]#2', 'test_instance.ns["b"]#2']);
  });
});
