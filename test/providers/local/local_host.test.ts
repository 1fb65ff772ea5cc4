import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { execa } from 'execa';
import type { Json } from '../../../src/evaluate/value.js';
import { DEFAULT_CLAIMS_DIR, claimAddress, listClaims, readClaim, type ClaimOwner } from '../../../src/providers/local/claims.js';
import { cleanupAll, hostDir, localHost } from '../../../src/providers/local/host.js';
import { loopbackAddresses } from '../../../src/providers/local/loopback.js';
import { isAlive } from '../../../src/providers/local/processes.js';
import { requireRoot } from '../../support/root.js';
import { testContext, type TestContext } from './context.js';

async function onLo(ipv4: string): Promise<boolean> {
  const addrs = await loopbackAddresses();
  if (typeof addrs === 'string') throw new Error(addrs);
  return addrs.has(ipv4);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Starts a detached process that writes its pid file itself, as the daemons do. */
async function startDummy(script: string, args: string[], cwd: string, pidFile: string): Promise<number> {
  const child = spawn('sh', ['-c', script, 'dummy', ...args], { cwd, detached: true, stdio: 'ignore' });
  child.unref();
  for (let i = 0; i < 100; i++) {
    const text = await readFile(pidFile, 'utf8').catch(() => '');
    if (text.trim() !== '') return Number(text.trim());
    await sleep(20);
  }
  throw new Error(`dummy did not write ${pidFile}`);
}

describe('local_host', function () {
  let ctx: TestContext;

  before(async function () {
    requireRoot('local_host tests');
    ctx = await testContext('local-host');
  });

  after(async function () {
    await ctx?.dispose();
  });

  it('creates a host with its own loopback address and directory, and destroys it with its processes', async function () {
    const address = 'local_host.ns["ns1"]';
    const created = await localHost.create({ address, generation: 1, config: {}, configDir: ctx.stateDir }, ctx);
    expect(created.diagnostics).to.deep.equal([]);
    const state = created.state as { ipv4: string; dir: string; connection: string };
    expect(state.connection).to.equal('local');
    expect(state.ipv4).to.match(/^127\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.\d+\.\d+$/);
    expect(state.dir).to.equal(hostDir(ctx.stateDir, ctx.lineage, address, 1));
    expect(state.dir.startsWith(join(ctx.stateDir, '.infra', 'hosts', 'local_host.ns_ns1_.g1-'))).to.equal(true);
    expect(await onLo(state.ipv4)).to.equal(true);
    expect((await readClaim(state.ipv4))?.dir).to.equal(state.dir);

    const read = await localHost.read({ address, generation: 1, prior: state }, ctx);
    expect(read).to.deep.equal({ state, diagnostics: [] });

    // One process recognised by its cwd, one by its command line (with a child of its own).
    const first = await startDummy('echo $$ > first.pid; exec sleep 300', [], state.dir, join(state.dir, 'first.pid'));
    await mkdir(join(state.dir, 'sub'));
    const second = await startDummy('echo $$ > "$1/sub/second.pid"; sleep 300; :', [state.dir], ctx.stateDir, join(state.dir, 'sub', 'second.pid'));
    expect(await isAlive(first)).to.equal(true);
    expect(await isAlive(second)).to.equal(true);

    const deleted = await localHost.delete({ address, generation: 1, prior: state }, ctx);
    expect(deleted.diagnostics).to.deep.equal([]);
    expect(await isAlive(first)).to.equal(false);
    expect(await isAlive(second)).to.equal(false);
    expect(await onLo(state.ipv4)).to.equal(false);
    expect(await exists(state.dir)).to.equal(false);
    expect(await readClaim(state.ipv4)).to.equal(null);

    expect(await localHost.read({ address, generation: 1, prior: state }, ctx)).to.deep.equal({ state: null, diagnostics: [] });
    expect(await localHost.delete({ address, generation: 1, prior: state }, ctx)).to.deep.equal({ diagnostics: [] });
  });

  it('leaves a process alone whose pid was reused by something else', async function () {
    const created = await localHost.create({ address: 'local_host.reuse', generation: 0, config: {}, configDir: ctx.stateDir }, ctx);
    const state = created.state as { ipv4: string; dir: string };
    const stranger = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    stranger.unref();
    try {
      await writeFile(join(state.dir, 'stale.pid'), `${stranger.pid}\n`);
      expect((await localHost.delete({ address: 'local_host.reuse', generation: 0, prior: state }, ctx)).diagnostics).to.deep.equal([]);
      expect(await isAlive(stranger.pid as number)).to.equal(true);
    } finally {
      stranger.kill('SIGKILL');
    }
  });

  it('clears a directory left by an interrupted create, and deletes with no recorded attributes', async function () {
    const address = 'local_host.crashed';
    const first = (await localHost.create({ address, generation: 3, config: {}, configDir: ctx.stateDir }, ctx)).state as { ipv4: string; dir: string };
    // The state never learnt about `first`; the engine creates again.
    const second = (await localHost.create({ address, generation: 3, config: {}, configDir: ctx.stateDir }, ctx)).state as { ipv4: string; dir: string };
    expect(second.dir).to.equal(first.dir);
    if (first.ipv4 !== second.ipv4) {
      expect(await onLo(first.ipv4)).to.equal(false);
      expect(await readClaim(first.ipv4)).to.equal(null);
    }
    // A record in state "creating" without attributes: delete still finds the host by its identity.
    expect((await localHost.delete({ address, generation: 3, prior: {} }, ctx)).diagnostics).to.deep.equal([]);
    expect(await onLo(second.ipv4)).to.equal(false);
    expect(await exists(second.dir)).to.equal(false);
  });

  it('gives hosts created at the same time distinct addresses', async function () {
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        localHost.create({ address: `local_host.many[${i}]`, generation: 1, config: {}, configDir: ctx.stateDir }, ctx),
      ),
    );
    const states = results.map((r) => r.state as { ipv4: string; dir: string });
    expect(new Set(states.map((s) => s.ipv4)).size).to.equal(16);
    expect(new Set(states.map((s) => s.dir)).size).to.equal(16);
    for (const s of states) expect(await onLo(s.ipv4)).to.equal(true);
    expect(await cleanupAll(ctx.stateDir)).to.deep.equal([]);
    for (const s of states) expect(await onLo(s.ipv4)).to.equal(false);
    expect((await listClaims()).filter((c) => c.owner.stateDir === ctx.stateDir)).to.deep.equal([]);
  });

  it('reports a host whose directory is gone as deleted outside', async function () {
    const created = (await localHost.create({ address: 'local_host.drift', generation: 0, config: {}, configDir: ctx.stateDir }, ctx)).state as Record<
      string,
      Json
    >;
    await rm(created['dir'] as string, { recursive: true });
    expect(await localHost.read({ address: 'local_host.drift', generation: 0, prior: created }, ctx)).to.deep.equal({ state: null, diagnostics: [] });
    expect((await localHost.delete({ address: 'local_host.drift', generation: 0, prior: created }, ctx)).diagnostics).to.deep.equal([]);
    expect(await onLo(created['ipv4'] as string)).to.equal(false);
  });

  it('explains, without root, why it needs root and what to do', async function () {
    const child = fileURLToPath(new URL('./children/not-root.ts', import.meta.url));
    const { stdout } = await execa(process.execPath, ['--import=tsx/esm', child, ctx.stateDir]);
    expect(JSON.parse(stdout)).to.deep.equal({
      created: {
        state: null,
        diagnostics: [
          {
            severity: 'error',
            summary: 'local_host needs root to add a loopback address',
            detail:
              'Each local_host gets its own 127.x.y.z address on the loopback interface ("ip addr add ADDR/32 dev lo"), ' +
              'and its servers listen on port 53 of that address; both need root (CAP_NET_ADMIN, CAP_NET_BIND_SERVICE). ' +
              'Run infra as root, for example "sudo infra apply".',
          },
        ],
      },
      // Nothing of that host exists: deleting it is a success, root or not.
      deleted: { diagnostics: [] },
    });
  });

  it('plans connection = "local"', function () {
    expect(localHost.plan?.({ address: 'local_host.x', generation: 0, config: {}, prior: null, configDir: '/' })).to.deep.equal({
      planned: { connection: 'local' },
      diagnostics: [],
    });
  });
});

describe('loopback address claims', function () {
  let claimsDir: string;
  const owner = (n: number): ClaimOwner => ({
    dir: `/nowhere/${n}`,
    stateDir: '/nowhere',
    lineage: 'test',
    address: `local_host.x[${n}]`,
    generation: 0,
    pid: process.pid,
    createdAt: '2025-01-01T00:00:00.000Z',
  });

  beforeEach(async function () {
    claimsDir = await mkdtemp(join(tmpdir(), 'infra-claims-'));
  });
  afterEach(async function () {
    await rm(claimsDir, { recursive: true, force: true });
  });

  it('never gives one address to two claimants, even when they try the same candidates at once', async function () {
    const sequence = () => {
      let i = 0;
      return () => `127.64.0.${++i}`;
    };
    const got = await Promise.all(Array.from({ length: 20 }, (_, n) => claimAddress(owner(n), { claimsDir, pick: sequence() })));
    expect(new Set(got).size).to.equal(20);
    expect([...got].sort()).to.deep.equal(Array.from({ length: 20 }, (_, i) => `127.64.0.${i + 1}`).sort());
    const claims = await listClaims(claimsDir);
    expect(claims.map((c) => c.owner.dir).sort()).to.deep.equal(Array.from({ length: 20 }, (_, n) => `/nowhere/${n}`).sort());
  });

  it('skips addresses already on the loopback interface and gives up when nothing is free', async function () {
    const got = await claimAddress(owner(1), { claimsDir, pick: (() => { let i = 0; return () => `127.64.0.${++i}`; })(), taken: new Set(['127.64.0.1', '127.64.0.2']) });
    expect(got).to.equal('127.64.0.3');
    expect(await claimAddress(owner(2), { claimsDir, pick: () => '127.64.0.3', attempts: 5 })).to.equal(null);
  });

  it('uses the machine-wide registry under /run by default', function () {
    expect(DEFAULT_CLAIMS_DIR).to.equal('/run/infra-local/claims');
  });
});
