import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { join } from 'node:path';
import { tempConfig } from '../support/cli.js';
import { BLUE_GREEN } from '../support/configs.js';
import type { StateFile } from '../../src/state/types.js';
import type { WorldObject } from '../support/recording-provider.js';

// The child is bundled once (as the CLI itself is), so each of the many runs starts quickly.
const bundleDir = mkdtempSync(join(tmpdir(), 'infra-crash-'));
const child = join(bundleDir, 'cli-child.mjs');

function infra(dir: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [child, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', INFRA_TEST_WORLD: join(dir, 'world.json'), ...env },
  });
}

function world(dir: string): WorldObject[] {
  const p = join(dir, 'world.json');
  return existsSync(p) ? Object.values((JSON.parse(readFileSync(p, 'utf8')) as { objects: Record<string, WorldObject> }).objects) : [];
}

function state(dir: string): StateFile {
  return JSON.parse(readFileSync(join(dir, 'infra.state.json'), 'utf8')) as StateFile;
}

describe('engine: kill -9 at every step boundary of a blue-green apply', function () {
  this.timeout(600_000);

  before(async () => {
    await build({
      entryPoints: [join(process.cwd(), 'test', 'support', 'cli-child.ts')],
      outfile: child,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'warning',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
  });
  after(() => rmSync(bundleDir, { recursive: true, force: true }));

  it('re-running apply converges with nothing orphaned, whichever step the process died after', () => {
    // Count the effects of one undisturbed deploy first.
    const probe = tempConfig({ 'main.infra': BLUE_GREEN });
    try {
      expect(infra(probe.dir, ['apply', '--auto-approve']).status).to.equal(0);
      const before = (JSON.parse(readFileSync(join(probe.dir, 'world.json'), 'utf8')) as { calls: unknown[] }).calls.length;
      const r = infra(probe.dir, ['apply', '--auto-approve', '--var', 'version=v2']);
      expect(r.status, r.stderr).to.equal(0);
      const calls = (JSON.parse(readFileSync(join(probe.dir, 'world.json'), 'utf8')) as { calls: { op: string }[] }).calls.slice(before);
      const effects = calls.filter((c) => c.op !== 'read').length;
      expect(effects).to.be.greaterThan(10);

      for (let k = 1; k <= effects; k++) {
        const cfg = tempConfig({ 'main.infra': BLUE_GREEN });
        try {
          expect(infra(cfg.dir, ['apply', '--auto-approve']).status).to.equal(0);
          const killed = infra(cfg.dir, ['apply', '--auto-approve', '--var', 'version=v2'], { INFRA_TEST_KILL_AFTER: String(k) });
          expect(killed.signal, `run ${k} should have been killed`).to.equal('SIGKILL');
          // The lock of the killed process is stale: remove it as a person would.
          const lock = JSON.parse(readFileSync(join(cfg.dir, 'infra.state.json.lock'), 'utf8')) as { id: string };
          expect(infra(cfg.dir, ['force-unlock', lock.id]).status).to.equal(0);
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
      const p = spawn(process.execPath, [child, 'apply', '--auto-approve', '--var', 'version=v2'], {
        cwd: cfg.dir,
        env: { ...process.env, NO_COLOR: '1', INFRA_TEST_WORLD: join(cfg.dir, 'world.json'), INFRA_TEST_LATENCY_MS: '300' },
      });
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
