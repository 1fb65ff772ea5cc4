import { expect } from 'chai';
import { appliedState, planFixture, planOf, WEB_AND_DB } from './fixture.js';

const WEB = WEB_AND_DB;
const APPLIED = appliedState({ config: WEB });

describe('planner: -replace', () => {
  it('a blue-green instance whose configuration did not change deploys a whole unit, with the reason', () => {
    const p = planOf({ config: WEB, state: APPLIED, replace: ['test_instance.web'] });
    expect(p.units.map((u) => [u.address, u.priorGeneration, u.plannedGeneration])).to.deep.equal([['test_instance.web', 1, 2]]);
    expect(p.changes.find((c) => c.address === 'test_instance.web')!.reasons).to.deep.equal([{ code: 'replace-requested' }]);
    expect(p.steps.map((s) => s.id)).to.deep.equal([
      'create test_instance.web (green)',
      'create test_provision.web (green)',
      'verify test_check.web (green) [test_instance.web]',
      'switch test_route.web (green) [test_instance.web]',
      'delete test_provision.web (blue)',
      'delete test_instance.web (blue)',
    ]);
  });

  it('an ordinary instance is replaced, deleted first without create_before_destroy', () => {
    const p = planOf({ config: WEB, state: APPLIED, replace: ['test_instance.db'] });
    const db = p.changes.find((c) => c.address === 'test_instance.db')!;
    expect([db.actions, db.reasons]).to.deep.equal([['delete', 'create'], [{ code: 'replace-requested' }]]);
    expect(p.units).to.deep.equal([]);
    expect(p.summary).to.deep.equal({ add: 1, change: 0, destroy: 1, blueGreen: 0 });
  });

  it('an address that matches nothing is an error with a suggestion', () => {
    const r = planFixture({ config: WEB, state: APPLIED, replace: ['test_instance.wbe'] });
    expect(r.plan).to.equal(null);
    expect(r.diagnostics.map((d) => [d.summary, d.detail])).to.deep.equal([['No resource instance matches -replace "test_instance.wbe"', 'Did you mean "test_instance.web"?']]);
  });
});
