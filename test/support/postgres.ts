/**
 * A private PostgreSQL server for tests: `initdb` on a temporary directory owned by the
 * `postgres` user, started with `pg_ctl` on a Unix socket only (a private socket directory and
 * port, `listen_addresses=''`), stopped and removed by `stop`. One per test file keeps tests fast.
 * Needs root (it runs the server as `postgres`) and Debian's postgresql package, which
 * scripts/setup.sh installs; the binaries are looked up on PATH and in /usr/lib/postgresql/N/bin.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running private server. */
export interface PostgresServer {
  /** `postgresql://infra@/postgres?host=SOCKDIR&port=PORT`: what `conn_str` / PG_CONN_STR take. */
  readonly connStr: string;
  readonly socketDir: string;
  readonly port: number;
  /** Starts the server again after `halt` (same data, same socket). */
  start(): void;
  /** Stops the server (fast shutdown: sessions are ended), keeping its data. */
  halt(): void;
  /** Stops the server and removes its directory. Idempotent. */
  stop(): void;
}

/** Finds `name` (initdb, pg_ctl) on PATH or in Debian's versioned directory; null when absent. */
export function postgresBinary(name: string): string | null {
  const onPath = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim() !== '') return onPath.stdout.trim();
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  for (const version of readdirSync(root).sort().reverse()) {
    const candidate = join(root, version, 'bin', name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** Starts a private server; throws (failing the test's `before`) when it cannot. */
export function startPostgres(): PostgresServer {
  const initdb = postgresBinary('initdb');
  const pgCtl = postgresBinary('pg_ctl');
  if (!initdb || !pgCtl) throw new Error('initdb/pg_ctl not found: run scripts/setup.sh (it installs postgresql)');
  const base = mkdtempSync(join(tmpdir(), 'infra-pg-'));
  const data = join(base, 'data');
  const socketDir = join(base, 'sock');
  mkdirSync(socketDir);
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(base, uid, gid);
  chownSync(socketDir, uid, gid);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const asPostgres = (command: string): void => {
    const r = spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', command], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${command} failed (${r.status}): ${r.stdout}${r.stderr}`);
  };
  asPostgres(`${initdb} -D ${data} -A trust -U infra >/dev/null`);
  const start = (): void => asPostgres(`${pgCtl} -D ${data} -o "-k ${socketDir} -p ${port} -c listen_addresses=''" -l ${join(base, 'pg.log')} -w start >/dev/null`);
  let running = false;
  const halt = (): void => {
    if (!running) return;
    asPostgres(`${pgCtl} -D ${data} -m immediate -w stop >/dev/null`);
    running = false;
  };
  start();
  running = true;
  let removed = false;
  return {
    connStr: `postgresql://infra@/postgres?host=${socketDir}&port=${port}`,
    socketDir,
    port,
    start: () => {
      if (running) return;
      start();
      running = true;
    },
    halt,
    stop: () => {
      if (removed) return;
      try {
        halt();
      } finally {
        removed = true;
        rmSync(base, { recursive: true, force: true });
      }
    },
  };
}
