/**
 * The team-state benchmark: a 10,000-resource state read (open) and written through the pg
 * backend against a real PostgreSQL on a private socket (test/support/postgres.ts), beside the
 * local file, in one run; and lock round trips (take the advisory lock, read, release). Prints a
 * Markdown section. Needs PostgreSQL's server binaries (scripts/setup.sh) and root.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import { resolveStateSettings } from '../src/state/backend-config.js';
import { openStateStore } from '../src/state/open.js';
import type { StateFile } from '../src/state/types.js';
import { startPostgres } from '../test/support/postgres.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 5;
const ROUND_TRIPS = 50;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(f: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function run(): Promise<string> {
  // The 10,000-resource configuration and state the engine benchmark plans.
  const out = execFileSync(process.execPath, ['--import=tsx/esm', 'bench/case.ts', 'plan-setup', '10000'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const setupDir = String((JSON.parse(out.trim().split('\n').pop()!) as { dir: string }).dir);
  const state = JSON.parse(readFileSync(join(setupDir, 'state.json'), 'utf8')) as StateFile;
  const bytes = readFileSync(join(setupDir, 'state.json')).length;
  rmSync(setupDir, { recursive: true, force: true });

  const server = startPostgres();
  const work = mkdtempSync(join(tmpdir(), 'infra-bench-pg-'));
  try {
    const env = { PG_CONN_STR: server.connStr };
    const settingsOf = (backend: 'local' | 'pg') => {
      const dir = join(work, backend);
      execFileSync('mkdir', ['-p', dir]);
      writeFileSync(
        join(dir, 'main.infra'),
        backend === 'pg' ? 'infra {\n  backend "pg" {\n    schema_name = "bench"\n  }\n}\n' : 'variable "x" {\n  default = 1\n}\n',
      );
      const config = loadConfig(dir, { cwd: dir }).config!;
      return resolveStateSettings(config, dir, {}, dir, env).settings!;
    };
    const rows: string[] = [];
    const results: Record<string, { read: number; write: number }> = {};
    for (const backend of ['local', 'pg'] as const) {
      const settings = settingsOf(backend);
      const first = await openStateStore(settings, { operation: 'bench' });
      await first.store!.replace(state);
      await first.store!.release();
      const reads: number[] = [];
      const writes: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        let store: Awaited<ReturnType<typeof openStateStore>>['store'] = null;
        reads.push(await time(async () => void (store = (await openStateStore(settings, { operation: 'bench', lock: false })).store)));
        await store!.release();
        const writer = (await openStateStore(settings, { operation: 'bench' })).store!;
        writes.push(await time(async () => void (await writer.update((s) => ({ ...s, outputs: { run: { value: i, sensitive: false } } })))));
        await writer.release();
      }
      results[backend] = { read: median(reads), write: median(writes) };
    }
    const pg = settingsOf('pg');
    const trips: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) {
      trips.push(await time(async () => void (await (await openStateStore(pg, { operation: 'bench' })).store!.release())));
    }
    const f = (x: number) => `${x.toFixed(0)} ms`;
    rows.push(
      '## Team state: the pg backend (issue 14)',
      '',
      `A state of 10,000 resources (${(bytes / 2 ** 20).toFixed(1)} MiB of JSON), median of ${RUNS}; PostgreSQL 15 on a private Unix socket of this machine.`,
      '',
      '| backend | read (open without the lock) | write (one update, a transaction that checks the serial) |',
      '|---|---|---|',
      `| local file | ${f(results.local!.read)} | ${f(results.local!.write)} |`,
      `| pg | ${f(results.pg!.read)} (${(results.pg!.read / results.local!.read).toFixed(1)}x) | ${f(results.pg!.write)} (${(results.pg!.write / results.local!.write).toFixed(1)}x) |`,
      '',
      `Lock round trip on pg (connect, take the advisory lock and its row, read the 10,000-resource state, release, disconnect): median **${f(median(trips))}** of ${ROUND_TRIPS}, fastest ${f(Math.min(...trips))}.`,
    );
    return rows.join('\n');
  } finally {
    server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

run().then(
  (md) => process.stdout.write(md + '\n'),
  (e) => {
    process.stderr.write(String(e?.stack ?? e) + '\n');
    process.exitCode = 1;
  },
);
