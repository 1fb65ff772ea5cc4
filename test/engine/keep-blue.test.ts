import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatUtcClock } from '../../src/duration.js';
import type { StateFile } from '../../src/state/types.js';
import { keepBlueConfig } from '../support/keep-blue-config.js';
import { useRecordingProject } from '../support/recording-project.js';
import { runCli } from '../support/cli.js';

/** The instance and provision copies: `address#generation live|kept`. */
function copies(s: StateFile): string[] {
  return s.resources
    .filter((r) => r.type === 'test_instance' || r.type === 'test_provision')
    .map((r) => `${r.address}#${r.generation}${r.live ? ' live' : ''}${r.kept ? ' kept' : ''}`);
}

const AFTER_DEPLOY = [
  'test_instance.ns["a"]#1 kept',
  'test_instance.ns["a"]#2 live',
  'test_instance.ns["b"]#1 kept',
  'test_instance.ns["b"]#2 live',
  'test_provision.ns["a"]#1 kept',
  'test_provision.ns["a"]#2 live',
  'test_provision.ns["b"]#1 kept',
  'test_provision.ns["b"]#2 live',
];

/** The copies when traffic of a went back to its kept blue and b stays on green, its blue kept. */
const A_ON_BLUE_B_ON_GREEN = [
  'test_instance.ns["a"]#1 live',
  'test_instance.ns["a"]#2 kept',
  'test_instance.ns["b"]#1 kept',
  'test_instance.ns["b"]#2 live',
  'test_provision.ns["a"]#1 live',
  'test_provision.ns["a"]#2 kept',
  'test_provision.ns["b"]#1 kept',
  'test_provision.ns["b"]#2 live',
];

describe('engine: keep_blue, a rollback window', () => {
  describe('without a bake', () => {
    const p = useRecordingProject({ 'main.infra': keepBlueConfig('keep_blue = "15m"\nbake = "0s"') });
    const deploy = async () => {
      expect((await p.cli('apply', '--auto-approve')).code).to.equal(0);
      const r = await p.cli('apply', '--auto-approve', '--var', 'version=v2');
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      return r;
    };

    it('keeps blue running, provisioned and not routed; plan and state list show it with its window end', async () => {
      const r = await deploy();
      const s = p.state();
      expect(copies(s)).to.deep.equal(AFTER_DEPLOY);
      const until = s.resources.find((x) => x.kept)!.kept!.until;
      expect(Date.parse(until) - Date.now()).to.be.within(14 * 60_000, 15 * 60_000);
      expect(s.resources.filter((x) => x.kept).map((x) => x.kept!.unit)).to.deep.equal(['test_instance.ns["a"]', 'test_instance.ns["b"]', 'test_instance.ns["a"]', 'test_instance.ns["b"]']);
      // Nothing was destroyed: every kept copy still exists.
      expect(p.provider.calls.filter((c) => c.op === 'delete')).to.deep.equal([]);
      expect(p.provider.objects.length).to.equal(14);
      expect(r.stdout).to.include('Apply complete! Resources: 4 added, 6 changed, 0 destroyed; 2 blue-green deploys.');
      const clock = formatUtcClock(s.resources.find((x) => x.address === 'test_instance.ns["b"]' && x.kept)!.kept!.until, true);
      expect(r.stdout).to.include(`Blue kept until ${formatUtcClock(until, true)}${clock === formatUtcClock(until, true) ? '' : `, ${clock}`}: infra rollback switches back to it until then; the next apply after that destroys it.`);

      const plan = await p.cli('plan', '--var', 'version=v2', '--detailed-exitcode');
      expect(plan.code).to.equal(0);
      const byAddress = (a: string) => formatUtcClock(s.resources.find((x) => x.address === a && x.kept)!.kept!.until);
      expect(plan.stdout).to.equal(
        [
          'Kept blue copies (infra rollback switches traffic back to them until their window ends):',
          ...['test_instance.ns["a"]', 'test_instance.ns["b"]', 'test_provision.ns["a"]', 'test_provision.ns["b"]'].map((a) => `  # ${a} generation 1 (kept blue, window ends ${byAddress(a)})`),
          '',
          'No changes. Your infrastructure matches the configuration.',
          '',
        ].join('\n'),
      );
      const list = await p.cli('state', 'list');
      const end = (a: string) => formatUtcClock(s.resources.find((x) => x.address === a && x.kept)!.kept!.until, true);
      expect(list.stdout.split('\n').filter((l) => l.startsWith('test_instance') || l.startsWith('test_provision'))).to.deep.equal([
        `test_instance.ns["a"]  (blue g1, kept, window ends ${end('test_instance.ns["a"]')})`,
        'test_instance.ns["a"]  (blue g2)',
        `test_instance.ns["b"]  (blue g1, kept, window ends ${end('test_instance.ns["b"]')})`,
        'test_instance.ns["b"]  (blue g2)',
        `test_provision.ns["a"]  (g1, kept, window ends ${end('test_provision.ns["a"]')})`,
        'test_provision.ns["a"]',
        `test_provision.ns["b"]  (g1, kept, window ends ${end('test_provision.ns["b"]')})`,
        'test_provision.ns["b"]',
      ]);
    });

    it('infra rollback switches the routes back at once (no create, no delete), verified; a second one switches forward', async () => {
      await deploy();
      const until = p.state().resources.find((x) => x.address === 'test_instance.ns["a"]' && x.kept)!.kept!.until;
      p.provider.resetCalls();
      const r = await p.cli('rollback', '--auto-approve', '--target', 'test_instance.ns["a"]');
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      const clock = formatUtcClock(until, true);
      expect(r.stdout).to.equal(
        [
          'infra will switch traffic back to kept blue copies (nothing is created or destroyed):',
          '',
          '  # test_instance.ns["a"]: back to generation 1 (kept blue) from generation 2',
          '      switch test_route.ns["a"]: 10.0.0.4 (generation 2) -> 10.0.0.2 (kept blue, generation 1)',
          '      verify test_check.lb["a"] (post-switch check)',
          `    generation 2 is then kept, not routed, until ${clock} (infra rollback again switches forward to it)`,
          '',
          'Plan: 1 instance to roll back, 0 to add, 0 to destroy.',
          '',
          'test_route.ns["a"] (blue): Switching...',
          /test_route.ns\["a"\] \(blue\): Switched after [0-9.]+s \(traffic now to 10.0.0.2 \(kept blue, generation 1\)\)/,
          'test_check.lb["a"] (blue): Verifying...',
          /test_check.lb\["a"\] \(blue\): Verified after [0-9.]+s/,
          '',
          /Rollback complete after [0-9.]+s! Live now: test_instance.ns\["a"\] generation 1./,
          '',
        ]
          .map((x) => (typeof x === 'string' ? x : `<${x.source}>`))
          .join('\n')
          .replace(/<([^>]*)>/g, (_m, src: string) => (r.stdout.match(new RegExp(src))?.[0] ?? `<no match for ${src}>`)),
      );
      expect(p.provider.calls.filter((c) => c.op !== 'read').map((c) => `${c.op} ${c.address}`)).to.deep.equal(['update test_route.ns["a"]', 'verify test_check.lb["a"]']);
      expect(p.provider.calls.find((c) => c.op === 'update')!.config).to.deep.equal({ targets: ['10.0.0.2:53'] });
      // Blue is verified with what verified it before the deploy (v1), not with what the configuration asks of green.
      expect(p.provider.calls.find((c) => c.op === 'verify')!.config).to.deep.equal({ target: 'upstream { 10.0.0.2:53 }', expect: 'v1' });
      expect(copies(p.state())).to.deep.equal(A_ON_BLUE_B_ON_GREEN);
      // The window is the deploy's: the copy traffic left is kept until the same end.
      expect(p.state().resources.find((x) => x.address === 'test_instance.ns["a"]' && x.kept)!.kept!.until).to.equal(until);
      expect(p.state().outputs.targets.value).to.deep.equal(['10.0.0.2:53', '10.0.0.5:53']);
      const forward = await p.cli('rollback', '--auto-approve', '--target', 'test_instance.ns["a"]');
      expect(forward.code).to.equal(0);
      expect(copies(p.state())).to.deep.equal(AFTER_DEPLOY);
      expect(p.provider.objects.length).to.equal(14);
    });

    it('a saved plan of a keep_blue deploy keeps blue when applied', async () => {
      expect((await p.cli('apply', '--auto-approve')).code).to.equal(0);
      expect((await p.cli('plan', '--var', 'version=v2', '--out', 'deploy.plan')).code).to.equal(0);
      const r = await p.cli('apply', 'deploy.plan', '--var', 'version=v2');
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      expect(copies(p.state())).to.deep.equal(AFTER_DEPLOY);
    });

    it('infra rollback asks first; anything but yes changes nothing', async () => {
      await deploy();
      p.provider.resetCalls();
      const r = await runCli(['rollback'], { cwd: p.dir, answer: 'no' });
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include("Do you want to switch traffic back?\n  Only 'yes' will be accepted to approve.");
      expect(r.stderr).to.equal('\nRollback cancelled.\n');
      expect(p.provider.calls.filter((c) => c.op !== 'read')).to.deep.equal([]);
      expect(copies(p.state())).to.deep.equal(AFTER_DEPLOY);
      const noTerminal = await p.cli('rollback');
      expect(noTerminal.code).to.equal(1);
      expect(noTerminal.stderr).to.include('Error: No terminal to ask for approval');
    });

    it('infra rollback without a kept copy says so and changes nothing', async () => {
      expect((await p.cli('apply', '--auto-approve')).code).to.equal(0);
      const r = await p.cli('rollback', '--auto-approve');
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('Error: Nothing to roll back');
      expect(r.stderr).to.include('lifecycle blue_green { keep_blue = "15m" }');
    });

    it('a rollback whose post-switch check fails puts traffic back where it was and keeps the kept copy', async () => {
      await deploy();
      p.provider.fail = (c) => (c.op === 'verify' && c.address === 'test_check.lb["a"]' ? 'blue answers wrong' : undefined);
      const r = await p.cli('rollback', '--auto-approve', '--target', 'test_instance.ns["a"]');
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include('Rolling back the deploy of test_instance.ns["a"]: verify test_check.lb["a"] (blue) [test_instance.ns["a"]] failed');
      expect(r.stderr).to.include('Rollback failed after');
      expect(copies(p.state())).to.deep.equal(AFTER_DEPLOY);
      expect(p.provider.objects.length).to.equal(14);
      const route = p.state().resources.find((x) => x.address === 'test_route.ns["a"]')!;
      expect(route.attributes.targets).to.deep.equal(['10.0.0.4:53']);
    });

    it('a new deploy destroys the kept copy first and keeps its own blue: one kept copy per instance', async () => {
      await deploy();
      const plan = await p.cli('plan', '--var', 'version=v3');
      expect(plan.stdout).to.match(/# test_instance.ns\["a"\] \(kept blue, window until \d\d:\d\d UTC; test_instance.ns\["a"\] deploys again and keeps only its newest blue\) will be destroyed/);
      const r = await p.cli('apply', '--auto-approve', '--var', 'version=v3');
      expect(r.code, r.stderr).to.equal(0);
      expect(copies(p.state())).to.deep.equal([
        'test_instance.ns["a"]#2 kept',
        'test_instance.ns["a"]#3 live',
        'test_instance.ns["b"]#2 kept',
        'test_instance.ns["b"]#3 live',
        'test_provision.ns["a"]#2 kept',
        'test_provision.ns["a"]#3 live',
        'test_provision.ns["b"]#2 kept',
        'test_provision.ns["b"]#3 live',
      ]);
      expect(p.provider.objects.length).to.equal(14);
    });

    it('after the window the next plan shows the kept copies destroyed, and apply destroys them', async () => {
      await deploy();
      // The window ends: move it into the past in the state, as time would.
      const s = p.state();
      const past = new Date(Date.now() - 60_000).toISOString();
      writeFileSync(join(p.dir, 'infra.state.json'), JSON.stringify({ ...s, resources: s.resources.map((x) => (x.kept ? { ...x, kept: { ...x.kept, until: past } } : x)) }));
      const plan = await p.cli('plan', '--var', 'version=v2');
      expect(plan.stdout).to.include(`  # test_instance.ns["a"] (kept blue, window ended ${formatUtcClock(past)}) will be destroyed\n  - resource "test_instance" "ns" {`);
      expect(plan.stdout).to.include('Plan: 0 to add, 0 to change, 4 to destroy.');
      const r = await p.cli('apply', '--auto-approve', '--var', 'version=v2');
      expect(r.code, r.stderr).to.equal(0);
      expect(copies(p.state())).to.deep.equal(['test_instance.ns["a"]#2 live', 'test_instance.ns["b"]#2 live', 'test_provision.ns["a"]#2 live', 'test_provision.ns["b"]#2 live']);
      expect(p.provider.objects.length).to.equal(10);
    });

    it('a kept copy deleted outside is dropped by refresh: there is nothing to roll back to', async () => {
      await deploy();
      const w = p.provider.objects.find((o) => o.address === 'test_instance.ns["a"]' && o.generation === 1)!;
      expect(w).to.not.equal(undefined);
      p.provider.deleteCopyOutside('test_instance.ns["a"]', 1);
      const r = await p.cli('rollback', '--auto-approve', '--target', 'test_instance.ns["a"]');
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('Error: No kept blue copy at test_instance.ns["a"]');
      const plan = await p.cli('plan', '--var', 'version=v2');
      expect(plan.stdout).to.not.include('# test_instance.ns["a"] generation 1 (kept blue');
      expect(plan.stdout).to.include('# test_instance.ns["b"] generation 1 (kept blue');
    });
  });

  describe('with a bake', () => {
    const p = useRecordingProject({ 'main.infra': keepBlueConfig('keep_blue = "20s"\nbake = "300ms"\nbake_interval = "100ms"') });

    it('a post-switch check that fails in the last unit\'s bake switches that unit back to blue and fails the apply; the unit before stays', async () => {
      expect((await p.cli('apply', '--auto-approve')).code).to.equal(0);
      let lbB = 0;
      // The check passes after the switch, fails in the second bake round, and passes against blue.
      p.provider.fail = (c) => (c.op === 'verify' && c.address === 'test_check.lb["b"]' && ++lbB === 3 ? 'green went bad' : undefined);
      const started = Date.now();
      const r = await p.cli('apply', '--auto-approve', '--var', 'version=v2');
      expect(Date.now() - started).to.be.lessThan(10_000);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/test_instance.ns\["b"\]: Baking: test_check.lb\["b"\] every 100ms until \d\d:\d\d:\d\d UTC; blue kept until \d\d:\d\d:\d\d UTC./);
      expect(r.stdout).to.include('test_instance.ns["b"]: Bake round 1: 1 post-switch check passed (test_check.lb["b"]).');
      expect(r.stdout).to.not.include('test_instance.ns["b"]: Bake round 2:');
      expect(r.stdout).to.include('test_check.lb["b"]: Failed after');
      expect(r.stdout).to.include('Rolling back the deploy of test_instance.ns["b"]: test_check.lb["b"] failed during the bake');
      expect(r.stdout).to.match(/test_route.ns\["b"\] \(blue\): Switched after [0-9.]+s \(traffic now to 10.0.0.3 \(kept blue, generation 1\)\)/);
      expect(r.stderr).to.include('Error: Bake failed: traffic switched back to blue');
      expect(r.stderr).to.include('Traffic goes to the kept blue copies again: test_instance.ns["b"] (generation 1), verified by the post-switch checks.');
      expect(r.stderr).to.not.include('Not started');
      // b went back to blue; a stays on green with its blue kept; nothing was destroyed.
      expect(copies(p.state())).to.deep.equal([
        'test_instance.ns["a"]#1 kept',
        'test_instance.ns["a"]#2 live',
        'test_instance.ns["b"]#1 live',
        'test_instance.ns["b"]#2 kept',
        'test_provision.ns["a"]#1 kept',
        'test_provision.ns["a"]#2 live',
        'test_provision.ns["b"]#1 live',
        'test_provision.ns["b"]#2 kept',
      ]);
      expect(p.state().resources.find((x) => x.address === 'test_route.ns["b"]')!.attributes.targets).to.deep.equal(['10.0.0.3:53']);
      expect(p.provider.objects.length).to.equal(14);
      expect(lbB).to.equal(4);
    });
  });

  describe('with a bake as long as the window', () => {
    const p = useRecordingProject({ 'main.infra': keepBlueConfig('keep_blue = "500ms"\nbake_interval = "200ms"') });

    it('apply bakes through the window, then destroys the kept blue', async () => {
      expect((await p.cli('apply', '--auto-approve')).code).to.equal(0);
      const r = await p.cli('apply', '--auto-approve', '--var', 'version=v2');
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/test_instance.ns\["a"\]: Baked after [0-9.]+s \(\d+ rounds of post-switch checks passed\)/);
      expect(r.stdout).to.match(/test_instance.ns\["b"\]: Baked after [0-9.]+s \(\d+ rounds of post-switch checks passed\)/);
      expect(r.stdout).to.include('Rollback window over for test_instance.ns["a"], test_instance.ns["b"]: destroying the kept blue.');
      expect(copies(p.state())).to.deep.equal(['test_instance.ns["a"]#2 live', 'test_instance.ns["b"]#2 live', 'test_provision.ns["a"]#2 live', 'test_provision.ns["b"]#2 live']);
      expect(p.provider.objects.length).to.equal(10);
      const verifies = p.provider.calls.filter((c) => c.op === 'verify' && c.address === 'test_check.lb["b"]').length;
      expect(verifies).to.be.greaterThan(2);
    });
  });
});

/** The non-read provider calls as `op address#generation`, in the order they were made. */
function effects(calls: readonly { op: string; address: string; generation: number }[]): string[] {
  return calls.filter((c) => c.op !== 'read').map((c) => `${c.op} ${c.address}#${c.generation}`);
}

describe('engine: the bake between deploy units (keep_blue, bake)', () => {
  const BAKE = 'keep_blue = "15m"\nbake = "300ms"\nbake_interval = "100ms"';

  describe('one unit at a time', () => {
    const p = useRecordingProject({ 'main.infra': keepBlueConfig(BAKE) }, { applied: true });

    it('the plan has a bake step per unit after its post-switch check, and the next unit waits for it', async () => {
      const r = await p.cli('plan', '--var', 'version=v2');
      expect(r.code).to.equal(0);
      const sequence = r.stdout.slice(r.stdout.indexOf('Deploy sequence:'));
      expect(sequence).to.equal(
        [
          'Deploy sequence:',
          '   1. create   test_instance.ns["a"]   (green)',
          '   2. create   test_provision.ns["a"]  (green)',
          '   3. verify   test_check.ns["a"]      -> green',
          '   4. switch   test_route.ns["a"]      10.0.0.2 (blue) -> (green)',
          '   5. verify   test_check.lb["a"]      -> green (after switch)',
          '   6. bake     test_instance.ns["a"]   (300ms, checks every 100ms)',
          '   7. create   test_instance.ns["b"]   (green)',
          '   8. create   test_provision.ns["b"]  (green)',
          '   9. verify   test_check.ns["b"]      -> green',
          '  10. switch   test_route.ns["b"]      10.0.0.3 (blue) -> (green)',
          '  11. verify   test_check.lb["b"]      -> green (after switch)',
          '  12. bake     test_instance.ns["b"]   (300ms, checks every 100ms)',
          '      then test_instance.ns["a"] (blue) is kept for 15m after its switch (bake 300ms, checks every 100ms); infra rollback switches back to it',
          '      then test_instance.ns["b"] (blue) is kept for 15m after its switch (bake 300ms, checks every 100ms); infra rollback switches back to it',
          '',
          'Plan: 4 to add, 6 to change, 0 to destroy; 2 blue-green deploys.',
          '',
        ].join('\n'),
      );
      const json = JSON.parse((await p.cli('plan', '-json', '--var', 'version=v2')).stdout);
      const step = (id: string) => json.infra_deploy_sequence.find((s: { id: string }) => s.id === id);
      expect(step('bake test_instance.ns["a"]')).to.deep.equal({
        id: 'bake test_instance.ns["a"]',
        kind: 'bake',
        address: 'test_instance.ns["a"]',
        color: null,
        unit: 'test_instance.ns["a"]',
        after_switch: false,
        after: ['verify test_check.lb["a"] (green) [test_instance.ns["a"]]'],
        switch_from: null,
        switch_to: null,
        generation: 0,
        bake: { duration_ms: 300, interval_ms: 100, checks: ['test_check.lb["a"]'] },
      });
      expect(step('create test_instance.ns["b"] (green)').after).to.deep.equal(['bake test_instance.ns["a"]']);
    });

    it("unit b's create starts only after unit a's bake rounds passed", async () => {
      p.provider.resetCalls();
      const r = await p.cli('apply', '--auto-approve', '--var', 'version=v2');
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      const calls = effects(p.provider.calls);
      const createB = calls.indexOf('create test_instance.ns["b"]#2');
      expect(createB).to.be.greaterThan(0);
      // The post-switch check, then at least two bake rounds (300ms, every 100ms), all before b starts.
      expect(calls.slice(0, createB).filter((c) => c === 'verify test_check.lb["a"]#0').length).to.be.greaterThan(2);
      expect(calls.slice(createB).filter((c) => c === 'verify test_check.lb["a"]#0')).to.deep.equal([]);
      const out = r.stdout.split('\n');
      const at = (line: string | RegExp) => out.findIndex((l) => (typeof line === 'string' ? l === line : line.test(l)));
      expect(at('test_instance.ns["a"]: Baking...')).to.be.greaterThan(at(/^test_check.lb\["a"\] \(green\): Verified after/));
      expect(at('test_instance.ns["a"]: Bake round 1: 1 post-switch check passed (test_check.lb["a"]).')).to.be.greaterThan(at('test_instance.ns["a"]: Baking...'));
      expect(at(/^test_instance.ns\["a"\]: Baked after [0-9.]+s \(\d+ rounds of post-switch checks passed\)$/)).to.be.greaterThan(at('test_instance.ns["a"]: Bake round 2: 1 post-switch check passed (test_check.lb["a"]).'));
      expect(at('test_instance.ns["b"] (green): Creating...')).to.be.greaterThan(at(/^test_instance.ns\["a"\]: Baked after/));
      expect(at('test_instance.ns["b"]: Bake round 1: 1 post-switch check passed (test_check.lb["b"]).')).to.be.greaterThan(at('test_instance.ns["b"] (green): Creating...'));
      expect(copies(p.state())).to.deep.equal(AFTER_DEPLOY);
    });

    it('a check failing in unit a\'s bake switches a back to blue, and unit b never starts', async () => {
      let lbA = 0;
      // Passes after the switch and in the first round, fails in the second, passes against blue.
      p.provider.fail = (c) => (c.op === 'verify' && c.address === 'test_check.lb["a"]' && ++lbA === 3 ? 'green went bad' : undefined);
      p.provider.resetCalls();
      const r = await p.cli('apply', '--auto-approve', '--var', 'version=v2');
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include('test_instance.ns["a"]: Bake round 1: 1 post-switch check passed (test_check.lb["a"]).');
      expect(r.stdout).to.not.include('Bake round 2');
      expect(r.stdout).to.include('Rolling back the deploy of test_instance.ns["a"]: test_check.lb["a"] failed during the bake');
      expect(r.stdout).to.match(/test_route.ns\["a"\] \(blue\): Switched after [0-9.]+s \(traffic now to 10.0.0.2 \(kept blue, generation 1\)\)/);
      expect(r.stdout).to.match(/test_instance.ns\["a"\]: Failed after [0-9.]+s: Check test_check.lb\["a"\] failed against the switched route/);
      expect(r.stdout).to.not.include('test_instance.ns["b"] (green): Creating...');
      expect(r.stderr).to.include('Error: Bake failed: traffic switched back to blue');
      expect(r.stderr).to.include(
        'test_check.lb["a"] failed during the bake. Traffic goes to the kept blue copies again: test_instance.ns["a"] (generation 1), verified by the post-switch checks.',
      );
      expect(r.stderr).to.include('Not started, so still on their blue copies: test_instance.ns["b"].');
      expect(r.stderr).to.include('Apply failed after');
      expect(effects(p.provider.calls).filter((c) => c.includes('ns["b"]') && !c.startsWith('verify test_check'))).to.deep.equal([]);
      expect(copies(p.state())).to.deep.equal([
        'test_instance.ns["a"]#1 live',
        'test_instance.ns["a"]#2 kept',
        'test_instance.ns["b"]#1 live',
        'test_provision.ns["a"]#1 live',
        'test_provision.ns["a"]#2 kept',
        'test_provision.ns["b"]#1 live',
      ]);
      expect(p.state().resources.find((x) => x.address === 'test_route.ns["a"]')!.attributes.targets).to.deep.equal(['10.0.0.2:53']);
      expect(p.state().outputs.targets.value).to.deep.equal(['10.0.0.2:53', '10.0.0.3:53']);
      expect(lbA).to.equal(4);
    });

    it('a saved plan carries the bake steps and its apply bakes', async () => {
      expect((await p.cli('plan', '--var', 'version=v2', '--out', 'deploy.plan')).code).to.equal(0);
      const saved = JSON.parse(readFileSync(join(p.dir, 'deploy.plan'), 'utf8'));
      expect(saved.plan.steps.filter((s: { kind: string }) => s.kind === 'bake').map((s: { id: string; bake: unknown }) => [s.id, s.bake])).to.deep.equal([
        ['bake test_instance.ns["a"]', { durationMs: 300, intervalMs: 100, checks: ['test_check.lb["a"]'] }],
        ['bake test_instance.ns["b"]', { durationMs: 300, intervalMs: 100, checks: ['test_check.lb["b"]'] }],
      ]);
      const r = await p.cli('apply', 'deploy.plan', '--var', 'version=v2');
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      expect(r.stdout).to.include('test_instance.ns["b"]: Bake round 1: 1 post-switch check passed (test_check.lb["b"]).');
      expect(copies(p.state())).to.deep.equal(AFTER_DEPLOY);
    });

    it('a saved plan whose bake step lost its settings is refused before anything runs', async () => {
      expect((await p.cli('plan', '--var', 'version=v2', '--out', 'deploy.plan')).code).to.equal(0);
      const saved = JSON.parse(readFileSync(join(p.dir, 'deploy.plan'), 'utf8'));
      const i = saved.plan.steps.findIndex((s: { kind: string }) => s.kind === 'bake');
      saved.plan.steps[i].bake = { durationMs: 300 };
      writeFileSync(join(p.dir, 'deploy.plan'), JSON.stringify(saved));
      p.provider.resetCalls();
      const r = await p.cli('apply', 'deploy.plan', '--var', 'version=v2');
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include(`  plan.steps[${i}] (test_instance.ns["a"]).bake: expected an object of durationMs and intervalMs (whole numbers > 0) and checks (a list of addresses), got {"durationMs":300}`);
      expect(effects(p.provider.calls)).to.deep.equal([]);
    });
  });

  describe('max_parallel = 2', () => {
    const p = useRecordingProject({ 'main.infra': keepBlueConfig(`${BAKE}\nmax_parallel = 2`) }, { applied: true });

    it('both units deploy at once and bake at once, each its own bake step', async () => {
      const json = JSON.parse((await p.cli('plan', '-json', '--var', 'version=v2')).stdout);
      const bakes = json.infra_deploy_sequence.filter((s: { kind: string }) => s.kind === 'bake').map((s: { id: string }) => s.id);
      expect(bakes).to.deep.equal(['bake test_instance.ns["a"]', 'bake test_instance.ns["b"]']);
      expect(json.infra_deploy_sequence.find((s: { id: string }) => s.id === 'create test_instance.ns["b"] (green)').after).to.deep.equal([]);
      p.provider.resetCalls();
      const r = await p.cli('apply', '--auto-approve', '--var', 'version=v2');
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      const calls = effects(p.provider.calls);
      // b was created before a's bake ended, and both checks ran in rounds.
      const lastA = calls.lastIndexOf('verify test_check.lb["a"]#0');
      expect(calls.indexOf('create test_instance.ns["b"]#2')).to.be.lessThan(lastA);
      for (const x of ['a', 'b']) {
        expect(calls.filter((c) => c === `verify test_check.lb["${x}"]#0`).length, x).to.be.greaterThan(2);
        expect(r.stdout).to.include(`test_instance.ns["${x}"]: Bake round 1: 1 post-switch check passed (test_check.lb["${x}"]).`);
      }
      expect(copies(p.state())).to.deep.equal(AFTER_DEPLOY);
    });
  });
});
