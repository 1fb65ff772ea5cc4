/**
 * The zero-downtime benchmark. First the switch alone: one nginx_upstream switched back and
 * forth many times by the provider under UDP queries, with each `switch` ("nftables", "reload").
 * Then DNS queries at >= 2,000 per second through both load balancers of examples/local during
 * full blue-green applies, with each `switch`; prints a Markdown section with queries failed after
 * a retry (goal 0) and first-try losses per switch and transport (goal 0 too). Needs root and
 * scripts/setup.sh.
 *
 * Two loads run at once during the applies: UDP, rotating TCP (connections retired after a
 * second) and persistent TCP whose client honours edns-tcp-keepalive (RFC 7828), at
 * BENCH_SWITCH_RATE (default 2,100/s); and persistent TCP whose client never leaves a connection
 * by itself, at 300/s.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli.js';
import type { Io } from '../src/commands/io.js';
import { startDnsLoad, type LoadStats, type ProtocolStats } from '../src/loadgen/index.js';
import type { OperationContext } from '../src/providers/contract.js';
import { queryOnce } from '../src/providers/dns_check/query.js';
import { provider } from '../src/providers/nginx_upstream/index.js';
import { startSwitchRig } from '../test/support/switch-rig.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEPLOYS = Number(process.env.BENCH_SWITCH_DEPLOYS ?? '3');
const RATE = Number(process.env.BENCH_SWITCH_RATE ?? '2100');
const STUBBORN_RATE = 300;
/** The drain bound the applies run with (INFRA_DRAIN_TIMEOUT): what the clients that ignore keepalive cost per switch. */
const DRAIN_TIMEOUT = process.env.INFRA_DRAIN_TIMEOUT ?? '10s';
/** ns1 and ns2 each switch their load balancer once per apply. */
const SWITCHES = 2;

/** Runs the CLI in-process; keeps the lines that tell how long the old path took to drain. */
function io(drainLines: string[]): () => Io {
  return () => ({
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', INFRA_DRAIN_TIMEOUT: DRAIN_TIMEOUT },
    out: (t) => {
      for (const line of t.split('\n')) if (/old path drained|still carries traffic|Retired/.test(line)) drainLines.push(line.trim());
    },
    err: (t) => void process.stderr.write(t),
    color: false,
    errColor: false,
    sources: new Map(),
  });
}

function cell(s: ProtocolStats | undefined): string {
  if (!s) return '-';
  const closed = s.lostFirstTryClosed > 0 ? `, ${s.lostFirstTryClosed} closed` : '';
  return `${s.lostFirstTry} (${(s.lostFirstTry / SWITCHES).toFixed(1)}${closed}) / ${s.failedAfterRetry}`;
}

/** Persistent connections opened / closed by the other side (with queries outstanding or not). */
function conns(s: LoadStats): string {
  return s.persistentConnections ? `${s.persistentConnections.opened} / ${s.persistentConnections.closedByPeer}` : '-';
}

/** The applies' table rows for one `switch` of examples/local's upstreams ("nftables" or "reload"). */
async function applies(mode: string): Promise<{ rows: string[]; drains: string[] }> {
  const work = mkdtempSync(join(tmpdir(), 'infra-bench-switch-'));
  const state = join(work, 'infra.state.json');
  const common = ['-C', join(root, 'examples', 'local'), '--state', state, '--var', `switch=${mode}`];
  const rows: string[] = [];
  const drains: string[] = [];
  const ignored: string[] = [];
  try {
    if ((await main(['apply', ...common, '--auto-approve'], io(ignored))) !== 0) throw new Error('initial apply failed');
    const endpoints = JSON.parse(readFileSync(state, 'utf8')).outputs.endpoints.value as string[];
    let serial = 2026112701;
    for (let i = 0; i < DEPLOYS; i++) {
      serial++;
      const base = { targets: endpoints, qname: 'example.test', qtype: 'SOA' as const, durationMs: 300_000, timeoutMs: 500, retries: 1 };
      const load = startDnsLoad({ ...base, rate: RATE, protocols: ['udp', 'tcp', 'tcp-persistent'], persistentConnectionsPerTarget: 4 });
      const stubborn = startDnsLoad({ ...base, rate: STUBBORN_RATE, protocols: ['tcp-persistent'], persistentConnectionsPerTarget: 2, honourKeepalive: false });
      await new Promise((r) => setTimeout(r, 1000));
      const lines: string[] = [];
      const t0 = Date.now();
      const code = await main(['apply', ...common, '--auto-approve', '--var', `serial=${serial}`], io(lines));
      const applyMs = Date.now() - t0;
      await new Promise((r) => setTimeout(r, 1000));
      const s: LoadStats = await load.stop();
      const k: LoadStats = await stubborn.stop();
      const seconds = s.durationMs / 1000;
      drains.push(...lines.map((l) => `${mode}, apply ${i + 1}: ${l}`));
      rows.push(
        `| ${mode} | ${i + 1} | ${code === 0 ? 'ok' : `exit ${code}`} | ${(applyMs / 1000).toFixed(1)} s | ${s.sent + k.sent} | ${Math.round((s.sent + k.sent) / seconds)}/s | **${s.failedAfterRetry + k.failedAfterRetry}** | ${cell(s.byProtocol.udp)} | ${cell(s.byProtocol.tcp)} | ${cell(s.byProtocol['tcp-persistent'])} | ${cell(k.byProtocol['tcp-persistent'])} | ${conns(s)}; ${conns(k)} | ${s.p50Ms.toFixed(2)} / ${s.p99Ms.toFixed(2)} ms |`,
      );
    }
  } finally {
    await main(['destroy', ...common, '--auto-approve'], io(ignored));
    rmSync(work, { recursive: true, force: true });
  }
  return { rows, drains };
}

/**
 * The switch alone, many times: one nginx_upstream switched back and forth between two BINDs by
 * the provider, under UDP queries each from a fresh port, with each `switch`.
 */
async function switchesAlone(mode: string, switches: number): Promise<{ queries: number; lost: number; seconds: number }> {
  const { blue, green, nginx, lb, stop } = await startSwitchRig();
  const upstream = provider.resourceTypes['nginx_upstream'];
  const ctx: OperationContext = { stateDir: '/nonexistent', lineage: 'bench', providerConfig: {}, log: () => undefined, signal: new AbortController().signal, env: process.env };
  const config = (servers: string[]) => ({ lb: nginx.lb(lb), servers, listen: 53, name: null, switch: mode });
  try {
    let state = (await upstream.create({ address: 'nginx_upstream.bench', generation: 0, config: config([blue.endpoint]), configDir: '.' }, ctx)).state!;
    let queries = 0;
    let lost = 0;
    let running = true;
    const t0 = Date.now();
    // Each query from a fresh socket (queryOnce), as resolvers pick a new port per query.
    const senders = Array.from({ length: 8 }, async () => {
      while (running) {
        const outcome = await queryOnce({ host: lb, port: 53 }, 'example.test', 'SOA', 'udp', 2000);
        queries++;
        if (outcome.kind !== 'answer') lost++;
      }
    });
    for (let i = 0; i < switches; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const r = await upstream.update({ address: 'nginx_upstream.bench', generation: 0, prior: state, config: config([i % 2 === 0 ? green.endpoint : blue.endpoint]), configDir: '.' }, ctx);
      if (r.diagnostics.length > 0) throw new Error(r.diagnostics.map((d) => d.summary).join('; '));
      state = r.state!;
    }
    await new Promise((r) => setTimeout(r, 200));
    running = false;
    await Promise.all(senders);
    const seconds = (Date.now() - t0) / 1000;
    await upstream.delete({ address: 'nginx_upstream.bench', generation: 0, prior: state }, ctx);
    return { queries, lost, seconds };
  } finally {
    await stop();
  }
}

const MODES = ['nftables', 'reload'];
const ALONE_SWITCHES = 30;

async function run(): Promise<string> {
  const alone: string[] = [];
  for (const mode of MODES) {
    const r = await switchesAlone(mode, ALONE_SWITCHES);
    alone.push(`| \`${mode}\` | ${ALONE_SWITCHES} | ${r.queries} | ${Math.round(r.queries / r.seconds)}/s | **${r.lost}** (${(r.lost / ALONE_SWITCHES).toFixed(2)} per switch) |`);
  }
  const rows: string[] = [];
  const drains: string[] = [];
  for (const mode of MODES) {
    const r = await applies(mode);
    rows.push(...r.rows);
    drains.push(...r.drains);
  }
  return [
    '## Zero-downtime switch (issues 4 and 15)',
    '',
    `The switch alone: one \`nginx_upstream\` switched ${ALONE_SWITCHES} times between two BINDs by the provider (200 ms apart), under UDP SOA queries from 8 senders, each query from a fresh port, 2 s to answer; nginx with 2 workers.`,
    '',
    '| switch | switches | queries | rate | lost on first try |',
    '|---|---|---|---|---|',
    ...alone,
    '',
    `Whole applies: examples/local with each \`switch\` (\`--var switch=...\`), ${DEPLOYS} blue-green applies (each replaces ns1 then ns2, switching each load balancer once: ${SWITCHES} switches per apply) under SOA queries to both load balancers: ${RATE.toLocaleString('en')}/s spread evenly over UDP (32 source ports), rotating TCP (4 connections per target, each retired after 1 s) and persistent TCP (4 connections per target kept open for the whole run, queries back to back, edns-tcp-keepalive honoured), plus ${STUBBORN_RATE}/s of persistent TCP whose client ignores keepalive signals (2 connections per target); 500 ms per try, one retry on a fresh connection. Drain bound (INFRA_DRAIN_TIMEOUT): ${DRAIN_TIMEOUT}.`,
    '',
    'Each transport: lost on first try (per switch; how many of them by their connection closing, the rest timed out) / failed after retry.',
    '',
    '| switch | apply | result | apply time | queries | rate | failed after retry | UDP | TCP, rotating | TCP, persistent | TCP, persistent, ignores keepalive | persistent connections opened / cut by the other side (honouring; ignoring) | p50 / p99 |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...(drains.length > 0 ? ['What the applies said about draining:', '', ...drains.map((l) => `- \`${l}\``), ''] : []),
    'Goal: 0 failed after retry, and 0 lost on the first try. See docs/engine.md ("Draining blue") and docs/providers/nginx_upstream.md for how the old path is closed.',
  ].join('\n');
}

run().then(
  (md) => process.stdout.write(md + '\n'),
  (e) => {
    process.stderr.write(String(e?.stack ?? e) + '\n');
    process.exitCode = 1;
  },
);
