/**
 * A private BIND for tests: `named` serving the zones it is given, on one loopback address,
 * from a temporary directory, started and stopped by the test (by pid, never by name).
 *
 *   const ns = await startBind({ address: lo.address, zones: [zone('example.test', 1, { www: '192.0.2.10' })] });
 *   ...
 *   await ns.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryOnce } from '../../src/providers/dns_check/query.js';

/** One record of a zone; `name` is relative to the zone (`www`, `@`). */
export interface ZoneRecord {
  readonly name: string;
  readonly type: string;
  readonly value: string;
}

/** A zone BIND serves as primary. */
export interface ZoneSpec {
  readonly name: string;
  readonly serial: number;
  readonly records: readonly ZoneRecord[];
}

/** A zone with an SOA, an NS record and A records for the given names. */
export function zone(name: string, serial: number, addresses: Readonly<Record<string, string>> = {}): ZoneSpec {
  return {
    name,
    serial,
    records: [
      { name: '@', type: 'NS', value: `ns1.${name}.` },
      { name: 'ns1', type: 'A', value: '192.0.2.1' },
      ...Object.entries(addresses).map(([n, value]) => ({ name: n, type: 'A', value })),
    ],
  };
}

export interface BindOptions {
  readonly address: string;
  readonly port?: number;
  readonly zones: readonly ZoneSpec[];
}

/** A running private named. `stop` is idempotent and waits for the process to exit. */
export interface BindServer {
  readonly address: string;
  readonly port: number;
  /** `ADDR:PORT`, as nginx upstreams and dns_check servers write it. */
  readonly endpoint: string;
  readonly dir: string;
  readonly pid: number;
  stop(): Promise<void>;
}

function zoneFile(z: ZoneSpec): string {
  return [
    '$TTL 60',
    `@ IN SOA ns1.${z.name}. hostmaster.${z.name}. ( ${z.serial} 3600 600 86400 60 )`,
    ...z.records.map((r) => `${r.name} IN ${r.type} ${r.value}`),
    '',
  ].join('\n');
}

function namedConf(dir: string, address: string, port: number, zones: readonly ZoneSpec[]): string {
  return `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  lock-file "${dir}/named.lock";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${port} { ${address}; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  tcp-listen-queue 256;
  tcp-clients 1000;
};
controls { };
${zones.map((z) => `zone "${z.name}" { type primary; file "${dir}/${z.name}.zone"; };`).join('\n')}
`;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts named and resolves once it answers the first zone's SOA authoritatively. */
export async function startBind(opts: BindOptions): Promise<BindServer> {
  const port = opts.port ?? 53;
  const dir = await mkdtemp(join(tmpdir(), 'infra-test-bind-'));
  for (const z of opts.zones) await writeFile(join(dir, `${z.name}.zone`), zoneFile(z));
  const conf = join(dir, 'named.conf');
  await writeFile(conf, namedConf(dir, opts.address, port, opts.zones));
  const log = join(dir, 'named.log');
  const fd = openSync(log, 'a');
  // -g: foreground, log to stderr (the log file), so a refused zone is visible in the log.
  const child = spawn('/usr/sbin/named', ['-g', '-4', '-c', conf, '-p', String(port)], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const pid = child.pid;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited(child);
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  if (pid === undefined) {
    await stop();
    throw new Error('named did not start');
  }
  const first = opts.zones[0];
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      const text = await readFile(log, 'utf8').catch(() => '');
      await stop();
      throw new Error(`named exited with ${child.exitCode}:\n${text}`);
    }
    const outcome = await queryOnce({ host: opts.address, port }, first?.name ?? '.', 'SOA', 'udp', 200);
    if (outcome.kind === 'answer' && (first === undefined || outcome.response.flag_aa)) break;
    if (Date.now() > deadline) {
      const text = await readFile(log, 'utf8').catch(() => '');
      await stop();
      throw new Error(`named on ${opts.address}:${port} did not answer within 10s:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { address: opts.address, port, endpoint: `${opts.address}:${port}`, dir, pid, stop };
}
