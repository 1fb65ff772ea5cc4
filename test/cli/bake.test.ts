import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatUtcClock } from '../../src/duration.js';
import type { StateFile } from '../../src/state/types.js';
import { keepBlueConfig } from '../support/keep-blue-config.js';
import { useRecordingProject } from '../support/recording-project.js';

/** The instance copies: `address#generation live|kept`. */
function copies(s: StateFile): string[] {
  return s.resources.filter((r) => r.type === 'test_instance').map((r) => `${r.address}#${r.generation}${r.live ? ' live' : ''}${r.kept ? ' kept' : ''}`);
}

/** Every stdout line parsed as JSON (a line that does not parse throws, failing the test). */
function lines(stdout: string): Record<string, any>[] {
  expect(stdout.endsWith('\n'), stdout).to.equal(true);
  return stdout
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>);
}

const V2 = ['--var', 'version=v2'];
const DEPLOYED = ['test_instance.ns["a"]#1 kept', 'test_instance.ns["a"]#2 live', 'test_instance.ns["b"]#1 kept', 'test_instance.ns["b"]#2 live'];

describe('cli: infra bake', () => {
  // The apply does not bake: infra bake does it afterwards.
  const p = useRecordingProject({ 'main.infra': keepBlueConfig('keep_blue = "15m"\nbake = "0s"\nbake_interval = "100ms"') });
  const deploy = async (): Promise<void> => {
    expect((await p.cli('apply', '--auto-approve')).code).to.equal(0);
    expect((await p.cli('apply', '--auto-approve', ...V2)).code).to.equal(0);
    p.provider.resetCalls();
  };
  const until = (a: string): string => formatUtcClock(p.state().resources.find((x) => x.address === a && x.kept)!.kept!.until, true);

  it('runs the post-switch checks in rounds until --for ends, then says until when blue is kept; the lock is released', async () => {
    await deploy();
    const started = Date.now();
    const r = await p.cli('bake', '--for', '350ms', ...V2);
    expect(Date.now() - started).to.be.lessThan(5_000);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const out = r.stdout.split('\n');
    for (const x of ['a', 'b']) {
      expect(out).to.include(`test_instance.ns["${x}"]: Baking...`);
      expect(out.some((l) => new RegExp(`^test_instance\\.ns\\["${x}"\\]: Baking: test_check\\.lb\\["${x}"\\] every 100ms until \\d\\d:\\d\\d:\\d\\d UTC; blue kept until ${until(`test_instance.ns["${x}"]`)}\\.$`).test(l)), r.stdout).to.equal(true);
      expect(out).to.include(`test_instance.ns["${x}"]: Bake round 1: 1 post-switch check passed (test_check.lb["${x}"]).`);
      expect(out).to.include(`test_instance.ns["${x}"]: Bake round 3: 1 post-switch check passed (test_check.lb["${x}"]).`);
      expect(out.some((l) => new RegExp(`^test_instance\\.ns\\["${x}"\\]: Baked after [0-9.]+s \\([34] rounds of post-switch checks passed\\)$`).test(l)), r.stdout).to.equal(true);
    }
    expect(out[out.length - 2]).to.equal(`Bake complete. Blue kept: test_instance.ns["a"] until ${until('test_instance.ns["a"]')}, test_instance.ns["b"] until ${until('test_instance.ns["b"]')}; infra rollback switches back to it until then.`);
    // Only checks ran: nothing created, switched or destroyed.
    const effects = p.provider.calls.filter((c) => c.op !== 'read');
    expect([...new Set(effects.map((c) => `${c.op} ${c.address}`))].sort()).to.deep.equal(['verify test_check.lb["a"]', 'verify test_check.lb["b"]']);
    expect(effects.length).to.be.within(6, 8);
    expect(copies(p.state())).to.deep.equal(DEPLOYED);
    expect(existsSync(join(p.dir, 'infra.state.json.lock'))).to.equal(false);
  });

  it('a failing round switches that instance back to its kept copy (exit 1); the other goes on baking', async () => {
    await deploy();
    let lbA = 0;
    // Fails in the first round, passes against blue after the switch back.
    p.provider.fail = (c) => (c.op === 'verify' && c.address === 'test_check.lb["a"]' && ++lbA === 1 ? 'green went bad' : undefined);
    const r = await p.cli('bake', '--for', '300ms', ...V2);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include('Rolling back the deploy of test_instance.ns["a"]: test_check.lb["a"] failed during the bake');
    expect(r.stdout).to.match(/test_route.ns\["a"\] \(blue\): Switched after [0-9.]+s \(traffic now to 10.0.0.2 \(kept blue, generation 1\)\)/);
    expect(r.stdout).to.match(/test_instance.ns\["a"\]: Failed after [0-9.]+s: Check test_check.lb\["a"\] failed against the switched route/);
    expect(r.stdout).to.include('test_instance.ns["b"]: Bake round 2: 1 post-switch check passed (test_check.lb["b"]).');
    expect(r.stdout).to.not.include('Bake complete.');
    expect(r.stderr).to.include('Error: Bake failed: traffic switched back to blue');
    expect(r.stderr).to.include('test_check.lb["a"] failed during the bake. Traffic goes to the kept blue copies again: test_instance.ns["a"] (generation 1), verified by the post-switch checks.');
    expect(copies(p.state())).to.deep.equal(['test_instance.ns["a"]#1 live', 'test_instance.ns["a"]#2 kept', 'test_instance.ns["b"]#1 kept', 'test_instance.ns["b"]#2 live']);
    expect(p.state().resources.find((x) => x.address === 'test_route.ns["a"]')!.attributes.targets).to.deep.equal(['10.0.0.2:53']);
    expect(p.state().outputs.targets.value).to.deep.equal(['10.0.0.2:53', '10.0.0.5:53']);
    expect(lbA).to.equal(2);
    expect(existsSync(join(p.dir, 'infra.state.json.lock'))).to.equal(false);
  });

  it('a check whose configuration no longer matches what verified green stops the bake without switching (exit 1)', async () => {
    await deploy();
    // Without --var version=v2 the checks would expect v1 of green.
    const r = await p.cli('bake', '--for', '300ms', '--target', 'test_instance.ns["a"]');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('Error: test_check.lb["a"]: "expect" is not what the reviewed plan said');
    expect(r.stderr).to.include('Error: Bake stopped: the post-switch checks could not run');
    expect(r.stderr).to.include(`Round 1 of the bake of test_instance.ns["a"] failed before its checks gave an answer, so traffic stays where it is and blue stays kept until ${until('test_instance.ns["a"]')}.`);
    expect(r.stdout).to.not.include('Rolling back');
    expect(p.provider.calls.filter((c) => c.op !== 'read')).to.deep.equal([]);
    expect(copies(p.state())).to.deep.equal(DEPLOYED);
  });

  it('--target of something not kept says so (exit 1); nothing kept at all is a message and exit 0', async () => {
    expect((await p.cli('apply', '--auto-approve')).code).to.equal(0);
    const none = await p.cli('bake');
    expect(none.stderr).to.equal('');
    expect(none.code).to.equal(0);
    expect(none.stdout).to.equal('No blue-green instance has a kept blue copy: there is nothing to bake. A deploy keeps blue only with lifecycle blue_green { keep_blue = "15m" }.\n');
    expect((await p.cli('apply', '--auto-approve', ...V2)).code).to.equal(0);
    p.provider.resetCalls();
    const r = await p.cli('bake', '--target', 'test_route.ns["a"]', ...V2);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.equal('Error: No kept blue copy at test_route.ns["a"]\nKept copies: test_instance.ns["a"], test_instance.ns["b"].\n');
    expect(p.provider.calls.filter((c) => c.op !== 'read')).to.deep.equal([]);
    const bad = await p.cli('bake', '--for', 'soon');
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('Error: Invalid --for: "soon"');
  });

  for (const flag of ['-json', '--json']) {
    it(`${flag}: bake events as JSON lines, like apply -json`, async () => {
      await deploy();
      const r = await p.cli('bake', flag, '--for', '250ms', '--target', 'test_instance.ns["a"]', ...V2);
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      const ls = lines(r.stdout);
      for (const l of ls) expect(l['@module']).to.equal('infra.ui');
      const types = ls.map((l) => l.type);
      expect(types[0]).to.equal('version');
      expect(types[1]).to.equal('bake_start');
      expect(types.slice(-2)).to.deep.equal(['bake_complete', 'infra_bake']);
      expect(types.slice(2, -2).every((t) => t === 'infra_bake')).to.equal(true);
      expect(ls[1]['@message']).to.equal('test_instance.ns["a"]: Baking...');
      expect(ls[1].hook.action).to.equal('bake');
      expect(ls[1].hook.infra_step).to.deep.equal({ id: 'bake test_instance.ns["a"]', kind: 'bake', color: null, unit: 'test_instance.ns["a"]', generation: 0, rollback: false });
      const round = ls.find((l) => l['@message'] === 'test_instance.ns["a"]: Bake round 1: 1 post-switch check passed (test_check.lb["a"]).')!;
      expect(round.unit).to.equal('test_instance.ns["a"]');
      expect(ls[ls.length - 2].hook.infra_details).to.match(/^[23] rounds of post-switch checks passed$/);
      expect(ls[ls.length - 1]['@message']).to.equal(`Bake complete. Blue kept: test_instance.ns["a"] until ${until('test_instance.ns["a"]')}; infra rollback switches back to it until then.`);
    });
  }
});
