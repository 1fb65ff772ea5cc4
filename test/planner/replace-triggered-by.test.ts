import { expect } from 'chai';
import { renderPlanText } from '../../src/render/plan-text.js';
import { terraformActionReason } from '../../src/render/plan-json-reasons.js';
import { appliedState, planFixture, planOf } from './fixture.js';

const CONFIG = `
variable "db_size" {
  default = "small"
}

variable "db_name" {
  default = "db"
}

resource "test_instance" "db" {
  name = var.db_name
  size = var.db_size
}

resource "test_instance" "web" {
  name = "web"

  lifecycle blue_green
  lifecycle {
    replace_triggered_by = [test_instance.db]
  }
}

resource "test_check" "web" {
  target = test_instance.web.ipv4
  expect = null
}

resource "test_route" "web" {
  targets = [test_instance.web.ipv4]
}

resource "test_instance" "cache" {
  count = 2
  name  = "cache-\${count.index}"

  lifecycle {
    replace_triggered_by = [test_instance.db.name]
  }
}

resource "test_instance" "worker" {
  count = 2
  name  = "worker-\${count.index}"

  lifecycle {
    replace_triggered_by = [test_instance.cache[count.index].id]
  }
}
`;
const APPLIED = appliedState({ config: CONFIG });

describe('planner: replace_triggered_by', () => {
  it('an update of the referenced resource replaces the instance; for a blue-green one, that is its deploy', () => {
    const p = planOf({ config: CONFIG, state: APPLIED, vars: ['db_size=large'] });
    const web = p.changes.find((c) => c.address === 'test_instance.web')!;
    expect([web.actions, web.blueGreen, web.reasons]).to.deep.equal([['create', 'delete'], true, [{ code: 'replace-triggered-by', triggers: ['test_instance.db'] }]]);
    expect(p.units.map((u) => u.address)).to.deep.equal(['test_instance.web']);
    expect(terraformActionReason(p, web)).to.equal('replace_by_triggers');
    // The cache watches db's name only, which did not change.
    expect(p.changes.filter((c) => c.address.startsWith('test_instance.cache') || c.address.startsWith('test_instance.worker')).map((c) => c.actions)).to.deep.equal([['no-op'], ['no-op'], ['no-op'], ['no-op']]);
    expect(web.dependencies).to.deep.equal(['test_instance.db']);
  });

  it("a change of the referenced attribute replaces every instance that names it; the plan text says why", () => {
    const p = planOf({ config: CONFIG, state: APPLIED, vars: ['db_name=database'] });
    const cache = p.changes.filter((c) => c.address.startsWith('test_instance.cache'));
    expect(cache.map((c) => [c.address, c.actions, c.reasons])).to.deep.equal([
      ['test_instance.cache[0]', ['delete', 'create'], [{ code: 'replace-triggered-by', triggers: ['test_instance.db.name'] }]],
      ['test_instance.cache[1]', ['delete', 'create'], [{ code: 'replace-triggered-by', triggers: ['test_instance.db.name'] }]],
    ]);
    // cache's replacement makes its id unknown: each worker follows its own cache instance.
    const workers = p.changes.filter((c) => c.address.startsWith('test_instance.worker'));
    expect(workers.map((c) => [c.address, c.actions, c.reasons, c.dependencies])).to.deep.equal([
      ['test_instance.worker[0]', ['delete', 'create'], [{ code: 'replace-triggered-by', triggers: ['test_instance.cache[count.index].id'] }], ['test_instance.cache[0]']],
      ['test_instance.worker[1]', ['delete', 'create'], [{ code: 'replace-triggered-by', triggers: ['test_instance.cache[count.index].id'] }], ['test_instance.cache[1]']],
    ]);
    const text = renderPlanText(p, { color: false });
    expect(text).to.include('  # test_instance.cache[0] must be replaced\n  # (due to changes in replace_triggered_by: test_instance.db.name)\n');
  });

  it('nothing changes when nothing it names changes', () => {
    const p = planOf({ config: CONFIG, state: APPLIED });
    expect(p.steps).to.deep.equal([]);
  });

  it('an entry naming an undeclared resource is an error at the entry', () => {
    const r = planFixture({ config: CONFIG.replace('replace_triggered_by = [test_instance.db]', 'replace_triggered_by = [test_instance.dbb]') });
    expect(r.diagnostics.map((d) => [d.summary, d.detail, d.range?.start.line, d.range?.start.column])).to.deep.equal([
      ['Reference to undeclared resource "test_instance.dbb" in replace_triggered_by', 'Did you mean "test_instance.db"?', 20, 29],
    ]);
  });
});
