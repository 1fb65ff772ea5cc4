/**
 * The zero-downtime benchmark: DNS queries at >= 1,000 per second through both load balancers of
 * examples/local during full blue-green applies; prints a Markdown section with queries failed
 * after a retry (goal 0) and first-try losses per switch. Needs root and scripts/setup.sh.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli.js';
import type { Io } from '../src/commands/io.js';
import { startDnsLoad, type LoadStats } from '../src/loadgen/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEPLOYS = Number(process.env.BENCH_SWITCH_DEPLOYS ?? '3');

const quiet = (): Io => ({ cwd: root, env: { ...process.env, NO_COLOR: '1' }, out: () => {}, err: (t) => void process.stderr.write(t), color: false, errColor: false, sources: new Map() });

async function run(): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'infra-bench-switch-'));
  const state = join(work, 'infra.state.json');
  const common = ['-C', join(root, 'examples', 'local'), '--state', state];
  const rows: string[] = [];
  try {
    if ((await main(['apply', ...common, '--auto-approve'], quiet)) !== 0) throw new Error('initial apply failed');
    const endpoints = JSON.parse(readFileSync(state, 'utf8')).outputs.endpoints.value as string[];
    let serial = 2026112701;
    for (let i = 0; i < DEPLOYS; i++) {
      serial++;
      const load = startDnsLoad({ targets: endpoints, qname: 'example.test', qtype: 'SOA', rate: 1200, durationMs: 300_000, protocols: ['udp', 'tcp'], timeoutMs: 500, retries: 1 });
      await new Promise((r) => setTimeout(r, 500));
      const t0 = Date.now();
      const code = await main(['apply', ...common, '--auto-approve', '--var', `serial=${serial}`], quiet);
      const applyMs = Date.now() - t0;
      await new Promise((r) => setTimeout(r, 500));
      const s: LoadStats = await load.stop();
      const switches = 2; // ns1 and ns2 each switch their load balancer once
      rows.push(
        `| ${i + 1} | ${code === 0 ? 'ok' : `exit ${code}`} | ${(applyMs / 1000).toFixed(1)} s | ${s.sent} | ${Math.round(s.sent / (s.durationMs / 1000))}/s | **${s.failedAfterRetry}** | ${s.lostFirstTry} (${(s.lostFirstTry / switches).toFixed(1)} per switch) | ${s.byProtocol.udp?.lostFirstTry ?? 0} / ${s.byProtocol.tcp?.lostFirstTry ?? 0} | ${s.p50Ms.toFixed(2)} / ${s.p99Ms.toFixed(2)} ms |`,
      );
    }
  } finally {
    await main(['destroy', ...common, '--auto-approve'], quiet);
    rmSync(work, { recursive: true, force: true });
  }
  return [
    '## Zero-downtime switch (issue 4)',
    '',
    `examples/local, ${DEPLOYS} blue-green applies (each replaces ns1 then ns2, switching each load balancer once) under SOA queries at 1,200/s over UDP and TCP to both load balancers; 500 ms per try, one retry.`,
    '',
    '| apply | result | apply time | queries | rate | failed after retry | lost on first try | first-try losses UDP / TCP | p50 / p99 |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Goal: 0 failed after retry. See docs/providers/nginx_upstream.md for why first-try losses happen and how the switch is sequenced.',
  ].join('\n');
}

run().then(
  (md) => process.stdout.write(md + '\n'),
  (e) => {
    process.stderr.write(String(e?.stack ?? e) + '\n');
    process.exitCode = 1;
  },
);
