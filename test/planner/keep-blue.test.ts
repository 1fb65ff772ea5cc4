import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import type { StateInstance } from '../../src/state/types.js';
import { appliedState, copy, planFixture, planOf, stepLines, webConfig } from './fixture.js';

const settings = (s: string) =>
  webConfig(`
resource "test_provision" "web" {
  host   = test_instance.web
  script = "deploy"
}

resource "test_check" "lb" {
  target = test_route.web.config
}
`).replace('  lifecycle blue_green\n', `  lifecycle blue_green {\n    ${s}\n  }\n`);
const KEEP = settings('keep_blue = "15m"');
const UNTIL = '2026-05-01T12:34:00.000Z';

/** The state after a keep_blue deploy: generation 2 live, generation 1 kept until `until`. */
function keptState(until: string): StateInstance[] {
  const applied = appliedState({ config: KEEP });
  const out: StateInstance[] = [];
  for (const r of applied) {
    if (r.address !== 'test_instance.web' && r.address !== 'test_provision.web') {
      out.push(r);
      continue;
    }
    out.push({ ...r, generation: 1, live: false, color: 'green', kept: { until, unit: 'test_instance.web' } });
    out.push({ ...copy({ address: r.address, generation: 2, dependencies: r.dependencies }), attributes: r.attributes });
  }
  return out;
}

describe('planner: keep_blue', () => {
  it('a keep_blue deploy ends with its bake after its post-switch check: blue is not deleted, nor counted as destroyed', () => {
    const p = planOf({ config: KEEP, state: appliedState({ config: KEEP }), vars: ['image=debian13'] });
    expect(stepLines(p)).to.deep.equal([
      'create test_instance.web (green)',
      'create test_provision.web (green) <- create test_instance.web (green)',
      'verify test_check.web (green) [test_instance.web] <- create test_instance.web (green), create test_provision.web (green)',
      'switch test_route.web (green) [test_instance.web] <- create test_instance.web (green), create test_provision.web (green), verify test_check.web (green) [test_instance.web]',
      'verify test_check.lb (green) [test_instance.web] <- switch test_route.web (green) [test_instance.web]',
      'bake test_instance.web <- verify test_check.lb (green) [test_instance.web]',
    ]);
    expect(p.units[0].keepBlue).to.deep.equal({ windowMs: 900_000, bakeMs: 900_000, bakeIntervalMs: 30_000 });
    expect(p.steps[5].bake).to.deep.equal({ durationMs: 900_000, intervalMs: 30_000, checks: ['test_check.lb'] });
    expect(p.steps[5].operation).to.equal('verify');
    expect(p.summary).to.deep.equal({ add: 2, change: 2, destroy: 0, blueGreen: 1 });
    expect(renderPlanText(p, { color: false }).split('Deploy sequence:\n')[1]).to.equal(
      [
        '  1. create   test_instance.web   (green)',
        '  2. create   test_provision.web  (green)',
        '  3. verify   test_check.web      -> green',
        '  4. switch   test_route.web      computed:ipv4 (blue) -> (green)',
        '  5. verify   test_check.lb       -> green (after switch)',
        '  6. bake     test_instance.web   (15m, checks every 30s)',
        '      then test_instance.web (blue) is kept for 15m after its switch (bake 15m, checks every 30s); infra rollback switches back to it',
        '',
        'Plan: 2 to add, 2 to change, 0 to destroy; 1 blue-green deploy.',
        '',
      ].join('\n'),
    );

  });

  it('bake and bake_interval are read; bake "0s" means no bake', () => {
    const p = planOf({ config: settings('keep_blue = "15m"\n    bake = "0s"\n    bake_interval = "5s"'), state: appliedState({ config: KEEP }), vars: ['image=debian13'] });
    expect(p.units[0].keepBlue).to.deep.equal({ windowMs: 900_000, bakeMs: 0, bakeIntervalMs: 5000 });
    expect(p.steps.map((s) => s.kind)).to.deep.equal(['create', 'create', 'verify', 'switch', 'verify']);
  });

  it('kept copies inside their window are left alone and listed with the window end', () => {
    const p = planOf({ config: KEEP, state: keptState(UNTIL), now: '2026-05-01T12:30:00.000Z' });
    expect(p.steps).to.deep.equal([]);
    expect(p.kept).to.deep.equal([
      { address: 'test_instance.web', generation: 1, until: UNTIL, unit: 'test_instance.web' },
      { address: 'test_provision.web', generation: 1, until: UNTIL, unit: 'test_instance.web' },
    ]);
    expect(renderPlanText(p, { color: false })).to.equal(
      [
        'Kept blue copies (infra rollback switches traffic back to them until their window ends):',
        '  # test_instance.web generation 1 (kept blue, window ends 12:34 UTC)',
        '  # test_provision.web generation 1 (kept blue, window ends 12:34 UTC)',
        '',
        'No changes. Your infrastructure matches the configuration.',
        '',
      ].join('\n'),
    );
  });

  it('without a time to plan for, no window counts as ended', () => {
    expect(planOf({ config: KEEP, state: keptState(UNTIL) }).steps).to.deep.equal([]);
  });

  it('after the window, the plan destroys the kept copies, provision first, and says why in the headline', () => {
    const p = planOf({ config: KEEP, state: keptState(UNTIL), now: '2026-05-01T12:34:00.000Z' });
    expect(stepLines(p)).to.deep.equal(['delete test_provision.web (blue)', 'delete test_instance.web (blue) <- delete test_provision.web (blue)']);
    expect(p.kept).to.equal(undefined);
    expect(p.changes.filter((c) => c.actions[0] === 'delete').map((c) => [c.address, c.priorGeneration, c.reasons])).to.deep.equal([
      ['test_instance.web', 1, [{ code: 'kept-window-ended', until: UNTIL }]],
      ['test_provision.web', 1, [{ code: 'kept-window-ended', until: UNTIL }]],
    ]);
    const text = renderPlanText(p, { color: false });
    expect(text).to.include('  # test_instance.web (kept blue, window ended 12:34 UTC) will be destroyed\n  - resource "test_instance" "web" {');
    expect(text).to.include('Plan: 0 to add, 0 to change, 2 to destroy.');
  });

  it('a target on the instance takes its kept provision along when the window ended', () => {
    const p = planOf({ config: KEEP, state: keptState(UNTIL), now: '2026-05-01T12:35:00.000Z', targets: ['test_instance.web'] });
    expect(stepLines(p)).to.deep.equal(['delete test_provision.web (blue)', 'delete test_instance.web (blue) <- delete test_provision.web (blue)']);
  });

  it('a new deploy of an instance with a kept copy destroys that copy first: one kept copy per instance', () => {
    const p = planOf({ config: KEEP, state: keptState(UNTIL), now: '2026-05-01T12:30:00.000Z', vars: ['image=debian13'] });
    const ids = p.steps.map((s) => s.id);
    expect(ids.slice(0, 3)).to.deep.equal(['delete test_provision.web (blue)', 'delete test_instance.web (blue)', 'create test_instance.web (green)']);
    expect(p.steps[2].after).to.include('delete test_instance.web (blue)');
    expect(p.units.map((u) => [u.priorGeneration, u.plannedGeneration])).to.deep.equal([[2, 3]]);
    expect(p.changes.find((c) => c.address === 'test_instance.web' && c.actions[0] === 'delete')!.reasons).to.deep.equal([
      { code: 'kept-superseded', unit: 'test_instance.web', until: UNTIL },
    ]);
  });

  it('the rollback plan switches the routes back to the kept copy and runs the post-switch checks, nothing else', () => {
    const p = planOf({ config: KEEP, state: keptState(UNTIL), mode: 'rollback', now: '2026-05-01T12:30:00.000Z' });
    expect(p.mode).to.equal('rollback');
    expect(stepLines(p)).to.deep.equal([
      'switch test_route.web (blue) [test_instance.web]',
      'verify test_check.lb (blue) [test_instance.web] <- switch test_route.web (blue) [test_instance.web]',
    ]);
    expect(p.units).to.deep.equal([
      {
        address: 'test_instance.web',
        provisions: ['test_provision.web'],
        checks: [],
        routes: ['test_route.web'],
        postChecks: ['test_check.lb'],
        priorGeneration: 2,
        plannedGeneration: 1,
        rollback: { keptUntil: UNTIL },
      },
    ]);
    expect(p.steps[0].switchTo).to.equal('computed:ipv4 (kept blue, generation 1)');
    expect(p.summary).to.deep.equal({ add: 0, change: 0, destroy: 0, blueGreen: 1 });
  });

  it('rollback with nothing kept, or a target without a kept copy, is an error', () => {
    const none = planFixture({ config: KEEP, state: appliedState({ config: KEEP }), mode: 'rollback' });
    expect(none.plan).to.equal(null);
    expect(none.diagnostics.map((d) => d.summary)).to.deep.equal(['Nothing to roll back']);
    const wrong = planFixture({ config: KEEP, state: keptState(UNTIL), mode: 'rollback', targets: ['test_route.web'] });
    expect(wrong.diagnostics.map((d) => [d.summary, d.detail])).to.deep.equal([['No kept blue copy at test_route.web', 'Kept copies: test_instance.web.']]);
  });
});

describe('config: keep_blue settings', () => {
  const bad = (s: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'infra-keep-'));
    try {
      writeFileSync(join(dir, 'main.infra'), settings(s));
      return loadConfig(dir, { cwd: dir }).diagnostics.map((d) => `${d.summary} at ${d.range?.start.line}:${d.range?.start.column}: ${d.detail}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  it('refuses what is not a duration, zero, a bake longer than the window, a bake without keep_blue', () => {
    expect(bad('keep_blue = "soon"')).to.deep.equal(['Invalid keep_blue at 12:17: keep_blue is a duration such as "30s", "15m" or "1h30m", more than zero.']);
    expect(bad('keep_blue = "0s"')).to.deep.equal(['Invalid keep_blue at 12:17: keep_blue is a duration such as "30s", "15m" or "1h30m", more than zero.']);
    expect(bad('keep_blue = "1m"\n    bake = "2m"')).to.deep.equal(['bake is longer than keep_blue at 13:12: The bake runs inside the rollback window: bake = "2m" but keep_blue = "1m".']);
    expect(bad('bake_interval = "5s"')).to.deep.equal([
      'bake_interval needs keep_blue at 12:21: The bake runs while blue is kept. Add keep_blue = "15m" (how long blue is kept after the switch) to this lifecycle blue_green block.',
    ]);
    expect(bad('keep_blue = "15m"\n    bake = "-1s"')).to.deep.equal(['Invalid bake at 13:12: bake is a duration such as "30s", "15m" or "1h30m" ("0s": no bake).']);
  });

  it('lifecycle blue_green without a block keeps working, and keeps no blue', () => {
    expect(planOf({ config: webConfig(), state: appliedState({ config: webConfig() }), vars: ['image=debian13'] }).units[0].keepBlue).to.equal(undefined);
  });
});
