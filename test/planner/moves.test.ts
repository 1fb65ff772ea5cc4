import { expect } from 'chai';
import { parseAddress } from '../../src/addrs/address.js';
import { moveInstances } from '../../src/state/move.js';
import { emptyState } from '../../src/state/store.js';
import { sortInstances } from '../../src/state/query.js';
import { appliedState, planFixture, webConfig } from './fixture.js';

const EDGE = `
moved {
  from = test_route.web
  to   = test_route.edge
}
`;

describe('planner: moved and removed blocks', () => {
  const applied = appliedState({ config: webConfig() });
  const renamed = webConfig(EDGE).replace('resource "test_route" "web"', 'resource "test_route" "edge"');

  it('a moved block the state has not followed stops the plan instead of destroying the old instance', () => {
    const r = planFixture({ config: renamed, state: applied });
    expect(r.plan).to.equal(null);
    expect(r.diagnostics.map((d) => `${d.range?.start.line}: ${d.summary}\n${d.detail}`)).to.deep.equal([
      "23: test_route.web has moved to test_route.edge, but the state still holds test_route.web\nThis version does not yet carry out moved blocks in the plan; planning without it would destroy test_route.web and create test_route.edge. Run\n  infra state mv 'test_route.web' 'test_route.edge'\nfirst (it touches nothing but the state); the block may stay and is then a no-op.",
    ]);
  });

  it('once the state has moved, the block is a no-op and nothing is destroyed or created', () => {
    const state = { ...emptyState('test'), resources: sortInstances(applied) };
    const moved = moveInstances(state, parseAddress('test_route.web').value!, parseAddress('test_route.edge').value!);
    const r = planFixture({ config: renamed, state: moved.state!.resources });
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.plan!.changes.map((c) => c.address)).to.include('test_route.edge');
    expect(r.plan!.changes.filter((c) => c.actions.join() !== 'no-op').map((c) => `${c.address} ${c.actions.join()}`)).to.deep.equal([]);
  });

  it('a removed block whose source is still in the state names infra state rm', () => {
    const r = planFixture({ config: webConfig('removed {\n  from = test_route.web\n}\n').replace(/resource "test_route"[^}]*}/, ''), state: applied });
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal(['test_route.web is removed, but the state still holds it']);
    expect(r.diagnostics[0].detail).to.include("infra state rm 'test_route.web'");
  });
});
