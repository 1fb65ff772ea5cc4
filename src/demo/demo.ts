/**
 * `npm run demo`: the whole tool, for real, on this machine. Applies examples/local (two BIND
 * nameservers behind two nginx load balancers, provisioned by Ansible), puts DNS load on both
 * endpoints, shows the plan for a new zone serial, applies it as a blue-green deploy under load,
 * reports what the load saw, shows the new serial answering, replaces a load balancer blue-green
 * under load (its service address moves; the endpoints stay the same), and destroys everything.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../cli.js';
import { startDnsLoad, type LoadStats } from '../loadgen/index.js';
import { parseServer, queryOnce } from '../providers/dns_check/query.js';
import { soaSerial } from '../providers/dns_check/records.js';
import { processesMentioning } from '../providers/local/processes.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const example = join(root, 'examples', 'local');

function banner(text: string): void {
  process.stdout.write(`\n\x1b[1m== ${text} ==\x1b[0m\n\n`);
}

async function infra(args: string[]): Promise<number> {
  process.stdout.write(`$ infra ${args.join(' ')}\n`);
  return main(args);
}

function pct(n: number, of: number): string {
  return of === 0 ? '0%' : `${((100 * n) / of).toFixed(3)}%`;
}

function report(stats: LoadStats): void {
  const rows: [string, string][] = [
    ['queries sent', String(stats.sent)],
    ['answered', `${stats.answered} (${pct(stats.answered, stats.sent)})`],
    ['failed after one retry', String(stats.failedAfterRetry)],
    ['lost on first try', String(stats.lostFirstTry)],
    ['latency p50', `${stats.p50Ms.toFixed(2)} ms`],
    ['latency p99', `${stats.p99Ms.toFixed(2)} ms`],
    ['rate', `${Math.round(stats.sent / (stats.durationMs / 1000))} queries/s`],
  ];
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(24)} ${v}\n`);
  for (const [proto, s] of Object.entries(stats.byProtocol)) {
    process.stdout.write(`  ${proto.padEnd(24)} sent ${s!.sent}, answered ${s!.answered}, failed ${s!.failedAfterRetry}, first-try losses ${s!.lostFirstTry}\n`);
  }
  process.stdout.write(`  answers seen (SOA serial -> count): ${JSON.stringify(stats.answersSeen)}\n`);
}

async function serialAt(endpoint: string, proto: 'udp' | 'tcp'): Promise<string> {
  const server = parseServer(endpoint)!;
  const r = await queryOnce(server, 'example.test', 'SOA', proto, 2000);
  if (r.kind !== 'answer') return r.kind;
  return String(soaSerial(r.response) ?? 'no SOA');
}

async function demo(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('The demo runs nameservers and load balancers on loopback addresses of their own, which needs root. Run it as root (sudo npm run demo).\n');
    return 1;
  }
  const work = mkdtempSync(join(tmpdir(), 'infra-demo-'));
  const state = join(work, 'infra.state.json');
  const common = ['-C', example, '--state', state];
  const oldSerial = 2026112701;
  const newSerial = oldSerial + 1;
  let applied = false;
  let code = 1;
  try {
    banner('1. Create the stack: two nameservers behind two load balancers');
    applied = true;
    if ((await infra(['apply', ...common, '--auto-approve', '--var', `serial=${oldSerial}`])) !== 0) return 1;
    const endpoints = JSON.parse(readFileSync(state, 'utf8')).outputs.endpoints.value as string[];
    for (const e of endpoints) process.stdout.write(`  ${e} answers serial ${await serialAt(e, 'udp')} (udp), ${await serialAt(e, 'tcp')} (tcp)\n`);

    banner('2. Put load on both endpoints: >= 1,000 DNS queries per second, UDP and TCP');
    const load = startDnsLoad({ targets: endpoints, qname: 'example.test', qtype: 'SOA', rate: 1200, durationMs: 240_000, protocols: ['udp', 'tcp'], timeoutMs: 500, retries: 1 });
    await new Promise((r) => setTimeout(r, 1000));

    banner(`3. Review: the plan for serial ${newSerial}`);
    if ((await infra(['plan', ...common, '--var', `serial=${newSerial}`])) !== 0) {
      await load.stop();
      return 1;
    }

    banner('4. Apply it: blue-green deploy of ns1, then ns2, under load');
    const applyCode = await infra(['apply', ...common, '--auto-approve', '--var', `serial=${newSerial}`]);
    await new Promise((r) => setTimeout(r, 1000));
    const stats = await load.stop();

    banner('5. What the load saw');
    report(stats);

    banner('6. The new serial answers through the load balancers');
    for (const e of endpoints) process.stdout.write(`  ${e} answers serial ${await serialAt(e, 'udp')} (udp), ${await serialAt(e, 'tcp')} (tcp)\n`);
    code = applyCode === 0 && stats.failedAfterRetry === 0 ? 0 : 1;
    if (stats.failedAfterRetry > 0) process.stdout.write(`\n  ${stats.failedAfterRetry} queries failed after a retry.\n`);

    banner('7. Replace the load balancer of ns1 blue-green, under load: its address moves, the endpoints stay');
    const lbLoad = startDnsLoad({ targets: endpoints, qname: 'example.test', qtype: 'SOA', rate: 1200, durationMs: 240_000, protocols: ['udp', 'tcp'], timeoutMs: 500, retries: 1 });
    await new Promise((r) => setTimeout(r, 1000));
    const lbCode = await infra(['apply', ...common, '--auto-approve', '--var', `serial=${newSerial}`, '-replace=local_host.lb["ns1"]']);
    await new Promise((r) => setTimeout(r, 1000));
    const lbStats = await lbLoad.stop();
    report(lbStats);
    const after = JSON.parse(readFileSync(state, 'utf8')).outputs.endpoints.value as string[];
    const same = JSON.stringify(after) === JSON.stringify(endpoints);
    process.stdout.write(`  endpoints before ${JSON.stringify(endpoints)}, after ${JSON.stringify(after)}: ${same ? 'unchanged' : 'CHANGED'}\n`);
    if (lbCode !== 0 || lbStats.failedAfterRetry > 0 || !same) code = 1;
  } finally {
    if (applied) {
      banner('8. Destroy everything');
      const addresses = existsSync(state)
        ? (JSON.parse(readFileSync(state, 'utf8')).resources as { attributes: { ipv4?: unknown; address?: unknown } }[]).flatMap((r) => [r.attributes.ipv4, r.attributes.address]).filter((a): a is string => typeof a === 'string')
        : [];
      const d = await infra(['destroy', ...common, '--auto-approve']);
      if (d !== 0) code = 1;
      const left = existsSync(state) ? (JSON.parse(readFileSync(state, 'utf8')).resources as unknown[]).length : 0;
      const onLo = execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' });
      const strayAddresses = addresses.filter((a) => onLo.includes(` ${a}/`));
      const strayProcesses = processesMentioning(work);
      if (left === 0 && strayAddresses.length === 0 && strayProcesses.length === 0) {
        rmSync(work, { recursive: true, force: true });
        process.stdout.write('\nNothing left behind: no process, no address, no file.\n');
      } else {
        code = 1;
        process.stdout.write(`\nLeft behind: ${left} objects in ${state}; addresses ${strayAddresses.join(', ') || 'none'}; processes ${strayProcesses.join(', ') || 'none'}.\n`);
      }
    }
  }
  return code;
}

process.exitCode = await demo();
