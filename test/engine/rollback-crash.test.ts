import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempConfig } from '../support/cli.js';
import { bundledChild, childEnv, runChild, stateIn as state, staleLockId, worldCalls as calls, worldObjects as world } from '../support/crash-child.js';
import { keepBlueConfig } from '../support/keep-blue-config.js';

const child = bundledChild('infra-rollback-crash-');
const CONFIG = keepBlueConfig('keep_blue = "15m"\nbake = "0s"');
const infra = (dir: string, args: string[], env: Record<string, string> = {}) => runChild(child, dir, args, env);

/** Every object in the world is in state; whatever is not live is a kept copy, ready. */
function expectTracked(dir: string, when: string): void {
  const s = state(dir);
  const recorded = new Set(s.resources.map((x) => `${x.address}#${x.generation}`));
  for (const o of world(dir)) expect(recorded.has(`${o.address}#${o.generation}`), `untracked ${o.address}#${o.generation} ${when}`).to.equal(true);
  for (const x of s.resources) expect(x.status === 'ready' && (x.live || x.kept !== undefined), `${x.address}#${x.generation} ${x.status} live=${x.live} ${when}`).to.equal(true);
  expect(world(dir).length, when).to.equal(s.resources.length);
}

/** Runs `killed` with a kill after effect k, unlocks, applies again and checks convergence. */
function killAndConverge(dir: string, killed: string[], k: number): void {
  const r = infra(dir, killed, { INFRA_TEST_KILL_AFTER: String(k) });
  expect(r.signal, `${killed.join(' ')} should have been killed at effect ${k}`).to.equal('SIGKILL');
  expect(infra(dir, ['force-unlock', staleLockId(dir)]).status).to.equal(0);
  const again = infra(dir, ['apply', '--auto-approve', '--var', 'version=v2']);
  expect(again.status, `after kill at effect ${k}:\n${again.stdout}\n${again.stderr}`).to.equal(0);
  expectTracked(dir, `after kill at effect ${k} of ${killed[0]}`);
  const plan = infra(dir, ['plan', '--var', 'version=v2', '--detailed-exitcode']);
  expect(plan.status, `converged after kill at ${k}:\n${plan.stdout}`).to.equal(0);
}

/** The number of effects (calls other than read) `args` makes after `setup` ran in a fresh folder. */
function effectsOf(setup: string[][], args: string[]): number {
  const probe = tempConfig({ 'main.infra': CONFIG });
  try {
    for (const a of setup) expect(infra(probe.dir, a).status).to.equal(0);
    const before = calls(probe.dir).length;
    const r = infra(probe.dir, args);
    expect(r.status, r.stderr).to.equal(0);
    return calls(probe.dir).slice(before).filter((c) => c.op !== 'read').length;
  } finally {
    probe.cleanup();
  }
}

describe('engine: kill -9 at every effect of a keep_blue deploy and of infra rollback', function () {
  this.timeout(600_000);

  before(() => child.bundle());
  after(() => child.remove());

  const FIRST = ['apply', '--auto-approve'];
  const DEPLOY = ['apply', '--auto-approve', '--var', 'version=v2'];
  const ROLLBACK = ['rollback', '--auto-approve'];

  it('a killed rollback: the next apply converges, with every copy tracked and kept copies still kept', () => {
    const effects = effectsOf([FIRST, DEPLOY], ROLLBACK);
    expect(effects).to.equal(4);
    for (let k = 1; k <= effects; k++) {
      const cfg = tempConfig({ 'main.infra': CONFIG });
      try {
        expect(infra(cfg.dir, FIRST).status).to.equal(0);
        expect(infra(cfg.dir, DEPLOY).status).to.equal(0);
        killAndConverge(cfg.dir, ROLLBACK, k);
      } finally {
        cfg.cleanup();
      }
    }
  });

  it('a killed rollback: running rollback again finishes it', () => {
    for (const k of [1, 3]) {
      const cfg = tempConfig({ 'main.infra': CONFIG });
      try {
        expect(infra(cfg.dir, FIRST).status).to.equal(0);
        expect(infra(cfg.dir, DEPLOY).status).to.equal(0);
        expect(infra(cfg.dir, ROLLBACK, { INFRA_TEST_KILL_AFTER: String(k) }).signal).to.equal('SIGKILL');
        expect(infra(cfg.dir, ['force-unlock', staleLockId(cfg.dir)]).status).to.equal(0);
        const again = infra(cfg.dir, ROLLBACK);
        expect(again.status, `${again.stdout}\n${again.stderr}`).to.equal(0);
        expectTracked(cfg.dir, `after a second rollback (kill at ${k})`);
        const s = state(cfg.dir);
        // Whatever the first run got to, every instance ends on one copy with the other kept.
        for (const a of ['test_instance.ns["a"]', 'test_instance.ns["b"]']) {
          expect(s.resources.filter((x) => x.address === a).map((x) => (x.live ? 'live' : 'kept')).sort(), a).to.deep.equal(['kept', 'live']);
        }
        const routes = s.resources.filter((x) => x.type === 'test_route').map((x) => (x.attributes.targets as string[])[0]);
        const live = s.resources.filter((x) => x.type === 'test_instance' && x.live).map((x) => `${x.attributes.ipv4 as string}:53`);
        expect(routes).to.deep.equal(live);
        expect(world(cfg.dir).filter((o) => o.type === 'test_route').map((o) => (o.attributes.targets as string[])[0])).to.deep.equal(live);
      } finally {
        cfg.cleanup();
      }
    }
  });

  /** Starts `args` in a child, sends Ctrl-C once `line` is printed; its exit code and output. */
  async function interruptAt(dir: string, args: string[], line: string): Promise<{ code: number | null; out: string; err: string }> {
    const p = spawn(process.execPath, [child.path, ...args], { cwd: dir, env: childEnv(dir) });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((res) => p.once('exit', (code) => res(code)));
    for (let i = 0; i < 300 && !out.includes(line); i++) await new Promise((r) => setTimeout(r, 50));
    p.kill('SIGINT');
    return { code: await exited, out, err };
  }

  it('Ctrl-C during a unit\'s bake ends it: that deploy stands, blue stays kept, later units do not start, the lock is released', async () => {
    const cfg = tempConfig({ 'main.infra': keepBlueConfig('keep_blue = "15m"\nbake_interval = "200ms"') });
    try {
      expect(infra(cfg.dir, FIRST).status).to.equal(0);
      const r = await interruptAt(cfg.dir, DEPLOY, 'test_instance.ns["a"]: Bake round 2:');
      expect(r.code, `${r.out}\n${r.err}`).to.equal(1);
      expect(r.err).to.include('Warning: Bake stopped by an interrupt');
      expect(r.err).to.include('Not started: test_instance.ns["b"] (apply again to deploy them).');
      expect(r.err).to.include('Apply interrupted after');
      expect(r.out).to.not.include('test_instance.ns["b"] (green): Creating...');
      expectTracked(cfg.dir, 'after Ctrl-C in the bake');
      expect(state(cfg.dir).resources.filter((x) => x.kept).map((x) => `${x.address}#${x.generation}`)).to.deep.equal(['test_instance.ns["a"]#1', 'test_provision.ns["a"]#1']);
      expect(existsSync(join(cfg.dir, 'infra.state.json.lock'))).to.equal(false);
    } finally {
      cfg.cleanup();
    }
  });

  it('Ctrl-C during the last unit\'s bake ends it and the apply is complete (exit 0)', async () => {
    const cfg = tempConfig({ 'main.infra': keepBlueConfig('keep_blue = "15m"\nbake_interval = "200ms"') });
    try {
      expect(infra(cfg.dir, FIRST).status).to.equal(0);
      const r = await interruptAt(cfg.dir, [...DEPLOY, '--target', 'test_instance.ns["b"]'], 'test_instance.ns["b"]: Bake round 2:');
      expect(r.code, `${r.out}\n${r.err}`).to.equal(0);
      expect(r.err).to.include('Warning: Bake stopped by an interrupt');
      expect(r.err).to.not.include('Not started');
      expect(r.out).to.include('Apply complete!');
      expect(state(cfg.dir).resources.filter((x) => x.kept).map((x) => `${x.address}#${x.generation}`)).to.deep.equal(['test_instance.ns["b"]#1', 'test_provision.ns["b"]#1']);
      expect(existsSync(join(cfg.dir, 'infra.state.json.lock'))).to.equal(false);
    } finally {
      cfg.cleanup();
    }
  });

  it('Ctrl-C during infra bake ends it: exit 0, blue stays kept, the lock is released', async () => {
    const cfg = tempConfig({ 'main.infra': keepBlueConfig('keep_blue = "15m"\nbake = "0s"\nbake_interval = "200ms"') });
    try {
      expect(infra(cfg.dir, FIRST).status).to.equal(0);
      expect(infra(cfg.dir, DEPLOY).status).to.equal(0);
      const r = await interruptAt(cfg.dir, ['bake', '--var', 'version=v2'], 'test_instance.ns["b"]: Bake round 2:');
      expect(r.code, `${r.out}\n${r.err}`).to.equal(0);
      expect(r.err).to.include('Warning: Bake stopped by an interrupt');
      expect(r.err).to.match(/The deploy of test_instance.ns\["a"\], test_instance.ns\["b"\] stands after [23] bake rounds; blue stays kept until \d\d:\d\d:\d\d UTC/);
      expect(r.out).to.not.include('Bake complete.');
      expectTracked(cfg.dir, 'after Ctrl-C in infra bake');
      expect(state(cfg.dir).resources.filter((x) => x.kept).length).to.equal(4);
      expect(existsSync(join(cfg.dir, 'infra.state.json.lock'))).to.equal(false);
    } finally {
      cfg.cleanup();
    }
  });

  it('a killed keep_blue deploy: the next apply converges, nothing untracked', () => {
    const effects = effectsOf([FIRST], DEPLOY);
    expect(effects).to.be.greaterThan(8);
    for (let k = 1; k <= effects; k++) {
      const cfg = tempConfig({ 'main.infra': CONFIG });
      try {
        expect(infra(cfg.dir, FIRST).status).to.equal(0);
        killAndConverge(cfg.dir, DEPLOY, k);
      } finally {
        cfg.cleanup();
      }
    }
  });
});
