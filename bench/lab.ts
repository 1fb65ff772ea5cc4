/**
 * The production-path benchmark: examples/dns.infra on the lab (the Linode API emulator with a
 * real Debian host behind every instance, test/support/lab), blue-green deploys of both
 * nameservers under DNS queries at 1,200 per second over UDP and TCP through both load
 * balancers. Prints a Markdown section: wall time of the first apply and of each deploy, queries
 * failed after one retry (goal 0) and first-try losses. Needs root and scripts/setup.sh.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli.js';
import type { Io } from '../src/commands/io.js';
import { startDnsLoad, type LoadStats } from '../src/loadgen/index.js';
import { labUnavailable } from '../test/support/lab/lab.js';
import { startLabEmulator } from '../test/support/lab/lab-emulator.js';
import { makeSshKey } from '../test/support/lab/ssh.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEPLOYS = Number(process.env.BENCH_LAB_DEPLOYS ?? '2');

async function run(): Promise<string> {
  const why = await labUnavailable();
  if (why !== null) throw new Error(`the lab cannot run here: ${why}`);
  const work = mkdtempSync(join(tmpdir(), 'infra-bench-lab-'));
  mkdirSync(join(work, 'config'));
  writeFileSync(join(work, 'config', 'main.infra'), readFileSync(join(root, 'examples', 'dns.infra'), 'utf8').replaceAll('"../ansible/', `"${join(root, 'ansible')}/`));
  // The nameserver module it calls (source = "./modules/nameserver"), beside it.
  mkdirSync(join(work, 'config', 'modules', 'nameserver'), { recursive: true });
  writeFileSync(join(work, 'config', 'modules', 'nameserver', 'main.infra'), readFileSync(join(root, 'examples', 'modules', 'nameserver', 'main.infra'), 'utf8'));
  const key = await makeSshKey(work, 'infra-bench');
  const lab = await startLabEmulator({ createRateLimit: { limit: 100, windowMs: 15_000 } });
  const io = (): Io => ({
    cwd: work,
    env: { ...process.env, NO_COLOR: '1', LINODE_URL: lab.url, LINODE_TOKEN: lab.token },
    out: () => {},
    err: (t) => void process.stderr.write(t),
    color: false,
    errColor: false,
    sources: new Map(),
  });
  const infra = (command: string, ...args: string[]) =>
    main([command, '-C', join(work, 'config'), '--auto-approve', '--var', `authorized_keys=["${key.publicKey}"]`, '--var', `ssh_private_key_file=${key.privateKeyPath}`, ...args], io);
  const rows: string[] = [];
  let firstApplyMs = 0;
  let serial = 2026112701;
  try {
    const t0 = Date.now();
    if ((await infra('apply', '--var', `serial=${serial}`)) !== 0) throw new Error('the first apply failed');
    firstApplyMs = Date.now() - t0;
    const state = JSON.parse(readFileSync(join(work, 'config', 'infra.state.json'), 'utf8'));
    const endpoints = Object.values(state.outputs.nameservers.value as Record<string, string>).map((ip) => `${ip}:53`);
    for (let i = 0; i < DEPLOYS; i++) {
      serial++;
      const load = startDnsLoad({ targets: endpoints, qname: 'example.com', qtype: 'SOA', rate: 1200, durationMs: 300_000, protocols: ['udp', 'tcp'], timeoutMs: 500, retries: 1 });
      await new Promise((r) => setTimeout(r, 500));
      const t1 = Date.now();
      const code = await infra('apply', '--var', `serial=${serial}`);
      const applyMs = Date.now() - t1;
      await new Promise((r) => setTimeout(r, 500));
      const s: LoadStats = await load.stop();
      rows.push(
        `| ${i + 1} | ${code === 0 ? 'ok' : `exit ${code}`} | ${(applyMs / 1000).toFixed(1)} s | ${s.sent} | ${Math.round(s.sent / (s.durationMs / 1000))}/s | **${s.failedAfterRetry}** | ${s.lostFirstTry} | ${s.byProtocol.udp?.lostFirstTry ?? 0} / ${s.byProtocol.tcp?.lostFirstTry ?? 0} | ${s.p50Ms.toFixed(2)} / ${s.p99Ms.toFixed(2)} ms |`,
      );
    }
  } finally {
    await infra('destroy', '--var', `serial=${serial}`);
    await lab.close();
    rmSync(work, { recursive: true, force: true });
  }
  return [
    '## Production path on the lab (issue 11)',
    '',
    `examples/dns.infra against the Linode API emulator whose instances are real Debian hosts (systemd-nspawn, sshd; test/support/lab), provisioned by Ansible over SSH. First apply (18 resources, 4 hosts): **${(firstApplyMs / 1000).toFixed(1)} s**. Then ${DEPLOYS} blue-green deploys of both nameservers (a new serial: ns1 then ns2, each switching its load balancer over SSH) under SOA queries at 1,200/s over UDP and TCP to both load balancers' public addresses; 500 ms per try, one retry.`,
    '',
    '| deploy | result | wall time | queries | rate | failed after retry | lost on first try | first-try losses UDP / TCP | p50 / p99 |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Goal: 0 failed after retry.',
  ].join('\n');
}

run().then(
  (md) => process.stdout.write(md + '\n'),
  (e) => {
    process.stderr.write(String(e?.stack ?? e) + '\n');
    process.exitCode = 1;
  },
);
