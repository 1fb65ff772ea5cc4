import { expect } from 'chai';
import { appliedState, copy, planFixture, planOf, stepLines, WEB_AND_DB } from './fixture.js';

const WEB = WEB_AND_DB;

/** What apply leaves after the first apply of WEB. */
const APPLIED = appliedState({ config: WEB });
describe('planner: (configuration, state) -> plan', () => {
  it('an empty state: everything is created, checks verify, routes go live after the checks', () => {
    const p = planOf({ config: WEB });
    expect(stepLines(p)).to.deep.equal([
      'create test_instance.web (green)',
      'verify test_check.web <- create test_instance.web (green)',
      'create test_route.web <- create test_instance.web (green), verify test_check.web',
      'create test_provision.web <- create test_instance.web (green)',
      'create test_instance.db',
    ]);
    expect(p.steps.map((s) => [s.kind, s.operation, s.blueGreen])).to.deep.equal([
      ['create', 'create', true],
      ['verify', 'create', false],
      ['create', 'create', false],
      ['create', 'create', false],
      ['create', 'create', false],
    ]);
    expect(p.summary).to.deep.equal({ add: 5, change: 0, destroy: 0, blueGreen: 0 });
  });

  it('the state as applied: no changes', () => {
    const p = planOf({ config: WEB, state: APPLIED });
    expect(p.steps).to.deep.equal([]);
    expect(p.changes.map((c) => c.actions[0])).to.deep.equal(['no-op', 'no-op', 'no-op', 'no-op', 'no-op']);
  });

  it('a changed image deploys a unit: its members, their reasons, what each step asks of the provider', () => {
    const p = planOf({ config: WEB, state: APPLIED, vars: ['image=debian13'] });
    expect(p.units).to.deep.equal([
      { address: 'test_instance.web', provisions: ['test_provision.web'], checks: ['test_check.web'], routes: ['test_route.web'], postChecks: [], priorGeneration: 1, plannedGeneration: 2 },
    ]);
    expect(p.changes.filter((c) => c.reasons.length).map((c) => [c.address, c.reasons])).to.deep.equal([
      ['test_check.web', [{ code: 'in-deploy-unit', unit: 'test_instance.web' }]],
      ['test_provision.web', [{ code: 'in-deploy-unit', unit: 'test_instance.web' }]],
      ['test_route.web', [{ code: 'in-deploy-unit', unit: 'test_instance.web' }]],
    ]);
    expect(p.steps.map((s) => `${s.id}: ${s.operation}`)).to.deep.equal([
      'create test_instance.web (green): create',
      'create test_provision.web (green): create',
      'verify test_check.web (green) [test_instance.web]: verify',
      'switch test_route.web (green) [test_instance.web]: update',
      'delete test_provision.web (blue): delete',
      'delete test_instance.web (blue): delete',
    ]);
  });

  it('a provision that changed redeploys its instance, and says so', () => {
    const p = planOf({ config: WEB.replace('script = "deploy"', 'script = "deploy 2"'), state: APPLIED });
    const web = p.changes.find((c) => c.address === 'test_instance.web')!;
    expect([web.actions, web.blueGreen, web.reasons]).to.deep.equal([['create', 'delete'], true, [{ code: 'provisioning-changed', provisions: ['test_provision.web'] }]]);
  });

  it('a route with nothing to switch from is created by its switch step', () => {
    const config = `${WEB}\nresource "test_route" "extra" {\n  targets = [test_instance.web.ipv4]\n}\n`;
    const p = planOf({ config, state: APPLIED, vars: ['image=debian13'] });
    expect(p.steps.filter((s) => s.kind === 'switch').map((s) => [s.id, s.operation])).to.deep.equal([
      ['switch test_route.web (green) [test_instance.web]', 'update'],
      ['switch test_route.extra (green) [test_instance.web]', 'create'],
    ]);
  });

  it('an instance no route reaches yet (a first apply that stopped before its route) is replaced in place, not deployed as a unit', () => {
    const state = APPLIED.filter((c) => c.address !== 'test_route.web');
    const p = planOf({ config: WEB, state, vars: ['image=debian13'] });
    expect(p.units).to.deep.equal([]);
    expect(p.steps.map((s) => s.id).filter((id) => /test_(instance|route)\.web/.test(id))).to.deep.equal([
      'create test_instance.web (green)',
      'create test_route.web',
      'delete test_instance.web (blue)',
    ]);
  });

  it('a check outside a unit is updated by its verify step', () => {
    const p = planOf({ config: WEB.replace('expect = null', 'expect = "ok"'), state: APPLIED });
    expect(p.steps.map((s) => [s.id, s.kind, s.operation])).to.deep.equal([['verify test_check.web', 'verify', 'update']]);
  });

  it('a target pulls in what it depends on, with reasons', () => {
    const p = planOf({ config: WEB, targets: ['test_provision.web'] });
    expect(p.changes.filter((c) => c.actions[0] !== 'no-op').map((c) => [c.address, c.reasons])).to.deep.equal([
      ['test_instance.web', [{ code: 'target-depends-on', target: 'test_provision.web' }]],
      ['test_provision.web', [{ code: 'targeted' }]],
    ]);
  });

  it('a target that matches nothing is an error with a suggestion', () => {
    const r = planFixture({ config: WEB, targets: ['test_instance.wbe'] });
    expect(r.plan).to.equal(null);
    expect(r.diagnostics.map((d) => [d.summary, d.detail])).to.deep.equal([['No resource matches --target "test_instance.wbe"', 'Did you mean "test_instance.web"?']]);
  });

  it('orphans and leftovers are deleted, leftovers first, with codes for their reasons', () => {
    const state = [...APPLIED, copy({ address: 'test_instance.old', attributes: { name: 'old' } }), copy({ address: 'test_instance.web', generation: 2, live: false, status: 'creating' })];
    const p = planOf({ config: WEB, state });
    expect(p.changes.filter((c) => c.actions[0] === 'delete').map((c) => [c.address, c.priorGeneration, c.reasons])).to.deep.equal([
      ['test_instance.old', 0, [{ code: 'not-in-configuration' }]],
      ['test_instance.web', 2, [{ code: 'leftover', generation: 2, status: 'creating' }]],
    ]);
    expect(stepLines(p)).to.deep.equal(['delete test_instance.old', 'delete test_instance.web (green) (leftover 2)']);
  });

  it('prevent_destroy stops a plan that would replace the instance', () => {
    const config = WEB.replace('resource "test_instance" "db" {\n  name = "db"\n}', 'resource "test_instance" "db" {\n  name  = "db"\n  image = "debian13"\n\n  lifecycle {\n    prevent_destroy = true\n  }\n}');
    const r = planFixture({ config, state: APPLIED });
    expect(r.plan).to.equal(null);
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal(['Instance test_instance.db cannot be destroyed']);
  });
});
