import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempConfig } from '../support/cli.js';
import { BLUE_GREEN } from '../support/configs.js';
import { bundledChild, childEnv, runChild, stateIn as state, staleLockId, worldCalls, worldObjects as world } from '../support/crash-child.js';

const child = bundledChild('infra-crash-');
const infra = (dir: string, args: string[], env: Record<string, string> = {}) => runChild(child, dir, args, env);

describe('engine: kill -9 at every step boundary of a blue-green apply', function () {
  this.timeout(600_000);

  before(() => child.bundle());
  after(() => child.remove());

  it('re-running apply converges with nothing orphaned, whichever step the process died after', () => {
    // Count the effects of one undisturbed deploy first.
    const probe = tempConfig({ 'main.infra': BLUE_GREEN });
    try {
      expect(infra(probe.dir, ['apply', '--auto-approve']).status).to.equal(0);
      const before = worldCalls(probe.dir).length;
      const r = infra(probe.dir, ['apply', '--auto-approve', '--var', 'version=v2']);
      expect(r.status, r.stderr).to.equal(0);
      const calls = worldCalls(probe.dir).slice(before);
      const effects = calls.filter((c) => c.op !== 'read').length;
      expect(effects).to.be.greaterThan(10);

      for (let k = 1; k <= effects; k++) {
        const cfg = tempConfig({ 'main.infra': BLUE_GREEN });
        try {
          expect(infra(cfg.dir, ['apply', '--auto-approve']).status).to.equal(0);
          const killed = infra(cfg.dir, ['apply', '--auto-approve', '--var', 'version=v2'], { INFRA_TEST_KILL_AFTER: String(k) });
          expect(killed.signal, `run ${k} should have been killed`).to.equal('SIGKILL');
          // The lock of the killed process is stale: remove it as a person would.
          expect(infra(cfg.dir, ['force-unlock', staleLockId(cfg.dir)]).status).to.equal(0);
          const again = infra(cfg.dir, ['apply', '--auto-approve', '--var', 'version=v2']);
          expect(again.status, `after kill at effect ${k}:\n${again.stdout}\n${again.stderr}`).to.equal(0);
          const s = state(cfg.dir);
          // Every object in the world is in state, and the state holds only live, ready objects.
          const recorded = new Set(s.resources.map((x) => `${x.address}#${x.generation}`));
          for (const o of world(cfg.dir)) expect(recorded.has(`${o.address}#${o.generation}`), `untracked ${o.address}#${o.generation} after kill at ${k}`).to.equal(true);
          expect(s.resources.every((x) => x.live && x.status === 'ready'), `after kill at ${k}`).to.equal(true);
          expect(world(cfg.dir).length).to.equal(10);
          const plan = infra(cfg.dir, ['plan', '--var', 'version=v2', '--detailed-exitcode']);
          expect(plan.status, `converged after kill at ${k}:\n${plan.stdout}`).to.equal(0);
        } finally {
          cfg.cleanup();
        }
      }
    } finally {
      probe.cleanup();
    }
  });

  it('Ctrl-C once: no new steps start, the deploy in flight rolls back, state is saved; apply again converges', async () => {
    const cfg = tempConfig({ 'main.infra': BLUE_GREEN });
    try {
      expect(infra(cfg.dir, ['apply', '--auto-approve']).status).to.equal(0);
      const p = spawn(process.execPath, [child.path, 'apply', '--auto-approve', '--var', 'version=v2'], { cwd: cfg.dir, env: childEnv(cfg.dir, { INFRA_TEST_LATENCY_MS: '300' }) });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (err += d));
      const exited = new Promise<number | null>((res) => p.once('exit', (code) => res(code)));
      for (let i = 0; i < 300 && !out.includes('test_provision.ns["a"] (green): Creating...'); i++) await new Promise((r) => setTimeout(r, 50));
      p.kill('SIGINT');
      const code = await exited;
      expect(code).to.equal(1);
      expect(out).to.include('Interrupt received');
      expect(out).to.include('Rolling back the deploy of test_instance.ns["a"]: interrupted');
      expect(err).to.include('Apply interrupted');
      const s = state(cfg.dir);
      expect(s.resources.every((x) => x.live && x.status === 'ready')).to.equal(true);
      expect(s.resources.filter((x) => x.type === 'test_instance').map((x) => x.generation)).to.deep.equal([1, 1]);
      expect(world(cfg.dir).filter((o) => o.generation === 2)).to.deep.equal([]);
      expect(existsSync(join(cfg.dir, 'infra.state.json.lock'))).to.equal(false);
      const again = infra(cfg.dir, ['apply', '--auto-approve', '--var', 'version=v2']);
      expect(again.status, again.stderr).to.equal(0);
    } finally {
      cfg.cleanup();
    }
  });
});
