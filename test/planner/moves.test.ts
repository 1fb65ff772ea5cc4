import { expect } from 'chai';
import { parseAddress } from '../../src/addrs/address.js';
import { planHasChanges } from '../../src/planner/plan.js';
import { renderPlanJson } from '../../src/render/plan-json.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { carryOutPlannedMoves, moveInstances } from '../../src/state/move.js';
import { emptyState } from '../../src/state/store.js';
import { sortInstances } from '../../src/state/query.js';
import type { StateInstance } from '../../src/state/types.js';
import { appliedState, copy, planFixture, planOf, webConfig } from './fixture.js';

/** webConfig with test_instance.web renamed to test_instance.app by a moved block; `image` replaces the image. */
function renamedInstance(image = 'var.image'): string {
  return webConfig('moved {\n  from = test_instance.web\n  to   = test_instance.app\n}\n')
    .replace('resource "test_instance" "web"', 'resource "test_instance" "app"')
    .replace(/test_instance\.web\.ipv4/g, 'test_instance.app.ipv4')
    .replace('image = var.image', `image = ${image}`);
}

function stateOf(resources: readonly StateInstance[]) {
  return { ...emptyState('test'), resources: sortInstances(resources) };
}

function acting(changes: readonly { address: string; actions: readonly string[] }[]): string[] {
  return changes.filter((c) => c.actions.join() !== 'no-op').map((c) => `${c.address} ${c.actions.join()}`);
}

describe('planner: moved and removed blocks', () => {
  const applied = appliedState({ config: webConfig() });

  it('a rename with a moved block plans against the moved state: no create, no destroy, no step, yet something to apply', () => {
    const p = planOf({ config: renamedInstance(), state: applied });
    expect(p.moves).to.deep.equal([{ from: 'test_instance.web', to: 'test_instance.app' }]);
    expect(p.forgets).to.equal(undefined);
    expect(acting(p.changes)).to.deep.equal([]);
    expect(p.steps).to.deep.equal([]);
    expect(p.summary).to.deep.equal({ add: 0, change: 0, destroy: 0, blueGreen: 0 });
    expect(planHasChanges(p)).to.equal(true);
    expect(renderPlanText(p, { color: false })).to.equal(
      [
        'infra will perform the following actions:',
        '',
        '  # test_instance.web has moved to test_instance.app',
        '    resource "test_instance" "app" {',
        '        id   = "computed:id"',
        '        name = "web"',
        '        # (4 unchanged attributes hidden)',
        '    }',
        '',
        'Plan: 0 to add, 0 to change, 0 to destroy.',
        '',
      ].join('\n'),
    );
  });

  it('a moved instance that also changes shows the move above its change, and the deploy acts on the new address', () => {
    const p = planOf({ config: renamedInstance('"debian13"'), state: applied });
    const text = renderPlanText(p, { color: false });
    expect(text).to.include('  # test_instance.web has moved to test_instance.app\n  # test_instance.app must be replaced by blue-green deploy\n');
    expect(p.steps.map((s) => s.id)).to.deep.equal([
      'create test_instance.app (green)',
      'verify test_check.web (green) [test_instance.app]',
      'switch test_route.web (green) [test_instance.app]',
      'delete test_instance.app (blue)',
    ]);
    expect(p.steps.every((s) => !s.address.startsWith('test_instance.web'))).to.equal(true);
  });

  it('the plan JSON names the previous address of a moved instance', () => {
    const json = JSON.parse(renderPlanJson(planOf({ config: renamedInstance(), state: applied })));
    const entry = json.resource_changes.find((c: { address: string }) => c.address === 'test_instance.app');
    expect(entry.previous_address).to.equal('test_instance.web');
    expect(json.resource_changes.find((c: { address: string }) => c.address === 'test_check.web').previous_address).to.equal(undefined);
  });

  it('apply\'s state edit is the state the plan was made against: the next plan moves nothing and changes nothing', () => {
    const p = planOf({ config: renamedInstance(), state: applied });
    const edit = carryOutPlannedMoves(stateOf(applied), p.moves!, p.forgets ?? []);
    expect(edit.diagnostics).to.deep.equal([]);
    expect(edit.state!.resources.map((r) => r.address)).to.deep.equal(['test_check.web', 'test_instance.app', 'test_route.web']);
    const again = planOf({ config: renamedInstance(), state: edit.state!.resources });
    expect(again.moves).to.equal(undefined);
    expect(planHasChanges(again)).to.equal(false);
  });

  it('carrying out a plan\'s moves against a state that no longer holds the source is refused', () => {
    const p = planOf({ config: renamedInstance(), state: applied });
    const moved = carryOutPlannedMoves(stateOf(applied), p.moves!, []).state!;
    const edit = carryOutPlannedMoves(moved, p.moves!, []);
    expect(edit.state).to.equal(null);
    expect(edit.diagnostics.map((d) => d.summary)).to.deep.equal(['No instance test_instance.web in the state']);
  });

  it('follows chained statements (A -> B, B -> C) as Terraform does: A moves to C', () => {
    const config = renamedInstance().replace(/test_instance\.app/g, 'test_instance.edge').replace('resource "test_instance" "app"', 'resource "test_instance" "edge"') +
      'moved {\n  from = test_instance.edge\n  to   = test_instance.last\n}\n';
    const chained = config.replace('resource "test_instance" "edge"', 'resource "test_instance" "last"').replace(/test_instance\.edge\.ipv4/g, 'test_instance.last.ipv4');
    const p = planOf({ config: chained, state: applied });
    expect(p.moves).to.deep.equal([{ from: 'test_instance.web', to: 'test_instance.last' }]);
    expect(acting(p.changes)).to.deep.equal([]);
  });

  it('moves every key of a for_each resource, and a single key to another key', () => {
    const config = (extra: string) => `
resource "test_check" "probe" {
  for_each = toset(["a", "b"])
  target   = each.key
  expect   = null
}
${extra}`;
    const before = appliedState({ config: config('').replace('"probe"', '"old"') });
    const p = planOf({ config: config('moved {\n  from = test_check.old\n  to   = test_check.probe\n}\n'), state: before });
    expect(p.moves).to.deep.equal([
      { from: 'test_check.old["a"]', to: 'test_check.probe["a"]' },
      { from: 'test_check.old["b"]', to: 'test_check.probe["b"]' },
    ]);
    expect(acting(p.changes)).to.deep.equal([]);
    const keyed = appliedState({ config: config('').replace('["a", "b"]', '["a", "x"]') });
    const q = planOf({ config: config('moved {\n  from = test_check.probe["x"]\n  to   = test_check.probe["b"]\n}\n'), state: keyed });
    expect(q.moves).to.deep.equal([{ from: 'test_check.probe["x"]', to: 'test_check.probe["b"]' }]);
    // The object keeps its attributes (target "x"), so the moved instance updates to its new key's value.
    expect(acting(q.changes)).to.deep.equal(['test_check.probe["b"] update']);
    // A chain of instance moves, written last link first: x -> y -> b.
    const chain = planOf({ config: config('moved {\n  from = test_check.probe["y"]\n  to   = test_check.probe["b"]\n}\nmoved {\n  from = test_check.probe["x"]\n  to   = test_check.probe["y"]\n}\n'), state: keyed });
    expect(chain.moves).to.deep.equal([{ from: 'test_check.probe["x"]', to: 'test_check.probe["b"]' }]);
  });

  it('moving onto an address the state already holds stops the plan at the moved block', () => {
    const state = [...applied, copy({ address: 'test_instance.app', generation: 1, attributes: { name: 'web', image: 'debian12' } })];
    const r = planFixture({ config: renamedInstance(), state });
    expect(r.plan).to.equal(null);
    expect(r.diagnostics.map((d) => `${d.range?.start.line}: ${d.summary}\n${d.detail}`)).to.deep.equal([
      '22: Cannot move test_instance.web to test_instance.app: the destination exists\nThe state already holds test_instance.app. Remove it first (infra state rm test_instance.app) if it should be forgotten.',
    ]);
  });

  it('once the state has moved (infra state mv), the block is a no-op', () => {
    const moved = moveInstances(stateOf(applied), parseAddress('test_instance.web').value!, parseAddress('test_instance.app').value!);
    const p = planOf({ config: renamedInstance(), state: moved.state!.resources });
    expect(p.moves).to.equal(undefined);
    expect(planHasChanges(p)).to.equal(false);
  });

  it('a removed block forgets the instance without destroying it, and says so in Terraform\'s words', () => {
    const withExtra = webConfig('resource "test_check" "extra" {\n  target = "x"\n  expect = null\n}\n');
    const state = appliedState({ config: withExtra });
    const p = planOf({ config: webConfig('removed {\n  from = test_check.extra\n}\n'), state });
    expect(p.forgets).to.deep.equal(['test_check.extra']);
    expect(acting(p.changes)).to.deep.equal([]);
    expect(planHasChanges(p)).to.equal(true);
    expect(renderPlanText(p, { color: false })).to.equal(
      [
        'infra will perform the following actions:',
        '',
        '  # test_check.extra will no longer be managed by infra, but will not be destroyed',
        '  # (a removed block is in the configuration)',
        ' . resource "test_check" "extra" {}',
        '',
        'Plan: 0 to add, 0 to change, 0 to destroy.',
        '',
      ].join('\n'),
    );
    const edit = carryOutPlannedMoves(stateOf(state), [], p.forgets!);
    expect(edit.state!.resources.map((r) => r.address)).to.not.include('test_check.extra');
  });
});

describe('planner: moves in the Markdown plan', () => {
  it('a plan that only moves is not "No changes" in Markdown either', async () => {
    const { renderPlanMarkdown } = await import('../../src/render/plan-markdown.js');
    const applied = appliedState({ config: webConfig() });
    const md = renderPlanMarkdown(planOf({ config: renamedInstance(), state: applied }));
    expect(md.split('\n').slice(0, 3)).to.deep.equal(['**Plan: 0 to add, 0 to change, 0 to destroy.**', '', '- `test_instance.web` has moved to `test_instance.app`']);
  });
});
