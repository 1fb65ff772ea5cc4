/**
 * The `pg` backend: the states of a configuration's workspaces as rows of a PostgreSQL table
 * that a team shares, as Terraform's pg backend keeps them. Each command uses one connection:
 * its session holds a PostgreSQL advisory lock for the workspace while the command runs (so a
 * process that dies, even by kill -9, loses the lock with its session at once), and a lock row
 * beside it says who holds it. Writes are transactions that refuse a stale serial. The client
 * library (`pg`) is imported only here, and only when a pg backend is configured.
 *
 * Tables, in the configured schema (created when missing):
 *   states(workspace text primary key, serial bigint, lineage text, data text, updated_at)
 *   locks(workspace text primary key, id text, info jsonb, backend_pid int, created_at)
 * `data` is the state's JSON text, or its encrypted envelope (encryption.ts); `serial` and
 * `lineage` are kept in the clear beside it so that a write can check them. docs/state.md.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, ClientConfig } from 'pg';
import { error, warning, type Diagnostic } from '../diagnostics.js';
import type { HeldLock, LockRequest, StateBackend } from './backend.js';
import { DEFAULT_WORKSPACE } from './backend-config.js';
import { decodeState, encodeState } from './codec.js';
import type { StateCipher } from './encryption.js';
import { describe } from './io.js';
import { currentWho, formatLockInfo, type LockInfo } from './lock.js';
import type { StateFile } from './types.js';

const ACQUIRE_FAILED = 'Error acquiring the state lock';
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 1000;

/** How to reach the database and which schema and workspace to use. */
export interface PgLocation {
  readonly connStr: string;
  readonly schema: string;
  readonly workspace: string;
  /** The configuration directory: per-state files of providers (host keys) are kept there. */
  readonly configDir: string;
}

/** A workspace as `infra workspace list` shows it. */
export interface PgWorkspace {
  readonly name: string;
  readonly serial: number;
  readonly resources: number | null;
}

/**
 * Connects and makes sure the schema and tables exist. Failures (no server, bad credentials, no
 * right to create the schema) are an error diagnostic naming the server without its password.
 */
export async function connectPg(location: PgLocation, cipher: StateCipher): Promise<{ backend: PgBackend | null; diagnostics: readonly Diagnostic[] }> {
  const { default: pg } = await import('pg');
  const config = clientConfig(location.connStr);
  const client = new pg.Client(config);
  const backend = new PgBackend(client, location, cipher, describeServer(config));
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    return { backend: null, diagnostics: [error('Cannot connect to the pg backend', `${backend.server}: ${describe(e)}`)] };
  }
  const ready = await backend.ensureTables();
  if (ready.length > 0) {
    await backend.close();
    return { backend: null, diagnostics: ready };
  }
  return { backend, diagnostics: [] };
}

/** The states of one schema, opened on one workspace. */
export class PgBackend implements StateBackend {
  readonly kind = 'pg';
  /** Why the connection broke, once it has. */
  private lost: Error | null = null;
  private closed = false;

  constructor(
    private readonly client: Client,
    readonly where: PgLocation,
    private readonly cipher: StateCipher,
    /** `host:port/database` without credentials, for messages. */
    readonly server: string,
  ) {
    // A server that goes away makes the client emit 'error'; without a listener that would end
    // the process. The next query fails and reports it.
    client.on('error', (e) => {
      this.lost = e;
    });
  }

  get location(): string {
    return `pg schema "${this.where.schema}", workspace "${this.where.workspace}"`;
  }

  /** Per-state files (host keys) stay with the configuration. */
  get dir(): string {
    return this.where.configDir;
  }

  private get states(): string {
    return `${quote(this.where.schema)}.states`;
  }

  private get locks(): string {
    return `${quote(this.where.schema)}.locks`;
  }

  /** Creates the schema and tables when missing; serialised by a transaction lock so two first runs do not race. */
  async ensureTables(): Promise<readonly Diagnostic[]> {
    try {
      const r = await this.client.query<{ states: string | null; locks: string | null }>('SELECT to_regclass($1) AS states, to_regclass($2) AS locks', [this.states, this.locks]);
      if (r.rows[0].states !== null && r.rows[0].locks !== null) return [];
      await this.client.query('BEGIN');
      await this.client.query("SELECT pg_advisory_xact_lock(hashtextextended('infra:ddl', 0))");
      await this.client.query(`CREATE SCHEMA IF NOT EXISTS ${quote(this.where.schema)}`);
      await this.client.query(
        `CREATE TABLE IF NOT EXISTS ${this.states} (workspace text PRIMARY KEY, serial bigint NOT NULL, lineage text NOT NULL, data text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
      );
      await this.client.query(
        `CREATE TABLE IF NOT EXISTS ${this.locks} (workspace text PRIMARY KEY, id text NOT NULL, info jsonb NOT NULL, backend_pid integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
      );
      await this.client.query('COMMIT');
      return [];
    } catch (e) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      return [error('Cannot prepare the pg backend', `${this.server}: could not create schema "${this.where.schema}" and its tables: ${describe(e)}`)];
    }
  }

  async lock(request: LockRequest): Promise<{ lock: HeldLock | null; diagnostics: readonly Diagnostic[] }> {
    const deadline = Date.now() + Math.max(0, request.timeoutMs);
    const id = randomUUID();
    let pollMs = FIRST_POLL_MS;
    try {
      for (;;) {
        const got = await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [this.lockKey(this.where.workspace)]);
        if (got.rows[0].ok) {
          const info: LockInfo = { id, who: currentWho(), pid: process.pid, operation: request.operation, created: new Date().toISOString(), infra_version: request.infraVersion };
          // A row left by a holder whose session died is simply replaced: the advisory lock is what counts.
          await this.client.query(
            `INSERT INTO ${this.locks} (workspace, id, info, backend_pid) VALUES ($1, $2, $3, pg_backend_pid())
             ON CONFLICT (workspace) DO UPDATE SET id = EXCLUDED.id, info = EXCLUDED.info, backend_pid = EXCLUDED.backend_pid, created_at = now()`,
            [this.where.workspace, id, JSON.stringify(info)],
          );
          return { lock: new PgLock(this, info), diagnostics: [] };
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          const holder = await this.lockRow(this.where.workspace);
          return { lock: null, diagnostics: [this.lockedDiagnostic(holder, request.timeoutMs)] };
        }
        await sleep(Math.min(pollMs, remaining));
        pollMs = Math.min(MAX_POLL_MS, Math.round(pollMs * 1.5));
      }
    } catch (e) {
      return { lock: null, diagnostics: [error(ACQUIRE_FAILED, `${this.location} on ${this.server}: ${describe(e)}`)] };
    }
  }

  /** Gives up the advisory lock and removes our lock row (unless someone replaced it). */
  async unlock(info: LockInfo): Promise<readonly Diagnostic[]> {
    if (this.lost || this.closed) return []; // the session is gone, and the lock with it
    try {
      const removed = await this.client.query(`DELETE FROM ${this.locks} WHERE workspace = $1 AND id = $2`, [this.where.workspace, info.id]);
      await this.client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.lockKey(this.where.workspace)]);
      if (removed.rowCount === 0) {
        return [warning('The state lock was already removed', `The lock of this ${info.operation} on ${this.location} was removed while it ran (by infra force-unlock?).`)];
      }
      return [];
    } catch (e) {
      return [warning('Could not release the state lock', `${this.location}: ${describe(e)}\nIt is freed when this process's database session ends.`)];
    }
  }

  async read(): Promise<{ state: StateFile | null; diagnostics: readonly Diagnostic[] }> {
    let rows: { serial: string; data: string }[];
    try {
      rows = (await this.client.query<{ serial: string; data: string }>(`SELECT serial, data FROM ${this.states} WHERE workspace = $1`, [this.where.workspace])).rows;
    } catch (e) {
      return { state: null, diagnostics: [error('Cannot read the state', `${this.location} on ${this.server}: ${describe(e)}`)] };
    }
    if (rows.length === 0 && this.where.workspace !== DEFAULT_WORKSPACE) {
      return {
        state: null,
        diagnostics: [error(`Workspace "${this.where.workspace}" does not exist`, `Create it with: infra workspace new ${this.where.workspace}\nor select another: infra workspace select default`)],
      };
    }
    if (rows.length === 0 || rows[0].data === '') return { state: null, diagnostics: [] };
    const opened = this.cipher.open(rows[0].data, this.location);
    if (opened.text === null) return { state: null, diagnostics: opened.diagnostics };
    return decodeState(opened.text, this.location);
  }

  async write(next: StateFile, previous: StateFile): Promise<readonly Diagnostic[]> {
    const failed = (cause: string): Diagnostic =>
      error(
        'Failed to write the state',
        `${this.location} on ${this.server}: ${cause}\nThe database still holds serial ${previous.serial}; ` +
          'the changes since are kept in memory and go out with the next write.',
      );
    if (this.lost) return [failed(`the connection was lost (${this.lost.message})`)];
    const data = this.cipher.seal(encodeState(next));
    try {
      await this.client.query('BEGIN');
      const current = await this.client.query<{ serial: string; lineage: string }>(`SELECT serial, lineage FROM ${this.states} WHERE workspace = $1 FOR UPDATE`, [this.where.workspace]);
      const stored = current.rows[0];
      const storedSerial = stored ? Number(stored.serial) : 0;
      const storedLineage = stored?.lineage ?? '';
      if (storedSerial !== previous.serial || (storedLineage !== '' && storedLineage !== previous.lineage)) {
        await this.client.query('ROLLBACK');
        return [
          error(
            'The state changed since it was read (stale serial)',
            `${this.location} holds serial ${storedSerial}${storedLineage !== previous.lineage ? ` of lineage ${storedLineage || '(none)'}` : ''}, ` +
              `but this run read serial ${previous.serial}: someone wrote it in between (without the lock, or after a force-unlock). ` +
              'Nothing was written. Run plan again on the current state.',
          ),
        ];
      }
      await this.client.query(
        `INSERT INTO ${this.states} (workspace, serial, lineage, data, updated_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (workspace) DO UPDATE SET serial = EXCLUDED.serial, lineage = EXCLUDED.lineage, data = EXCLUDED.data, updated_at = now()`,
        [this.where.workspace, next.serial, next.lineage, data],
      );
      await this.client.query('COMMIT');
      return [];
    } catch (e) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      return [failed(describe(e))];
    }
  }

  /** Every workspace with a row, and `default` always. */
  async workspaces(): Promise<{ workspaces: PgWorkspace[]; diagnostics: readonly Diagnostic[] }> {
    try {
      const r = await this.client.query<{ workspace: string; serial: string }>(`SELECT workspace, serial FROM ${this.states} ORDER BY workspace`);
      const list = r.rows.map((row) => ({ name: row.workspace, serial: Number(row.serial), resources: null }));
      if (!list.some((w) => w.name === DEFAULT_WORKSPACE)) list.unshift({ name: DEFAULT_WORKSPACE, serial: 0, resources: null });
      return { workspaces: list.sort((a, b) => a.name.localeCompare(b.name)), diagnostics: [] };
    } catch (e) {
      return { workspaces: [], diagnostics: [error('Cannot list workspaces', `${this.server}: ${describe(e)}`)] };
    }
  }

  /** Adds an empty workspace; an existing one is an error. */
  async createWorkspace(name: string): Promise<readonly Diagnostic[]> {
    try {
      const r = name === DEFAULT_WORKSPACE ? { rowCount: 0 } : await this.client.query(`INSERT INTO ${this.states} (workspace, serial, lineage, data) VALUES ($1, 0, '', '') ON CONFLICT DO NOTHING`, [name]);
      if (r.rowCount === 0) return [error(`Workspace "${name}" already exists`, `Select it with: infra workspace select ${name}`)];
      return [];
    } catch (e) {
      return [error('Cannot create the workspace', `${this.server}: ${describe(e)}`)];
    }
  }

  /**
   * Removes workspace `name` and its state, holding its lock meanwhile (a workspace in use is
   * refused, naming the holder). `state` says what it holds, for the caller's emptiness check.
   */
  async deleteWorkspace(name: string, mayDelete: (state: StateFile | null) => readonly Diagnostic[]): Promise<readonly Diagnostic[]> {
    const other = new PgBackend(this.client, { ...this.where, workspace: name }, this.cipher, this.server);
    const held = await other.lock({ operation: 'workspace delete', timeoutMs: 0, infraVersion: 'n/a' });
    if (!held.lock) return held.diagnostics;
    try {
      const read = await other.read();
      if (read.diagnostics.length > 0) return read.diagnostics;
      const refused = mayDelete(read.state);
      if (refused.length > 0) return refused;
      await this.client.query(`DELETE FROM ${this.states} WHERE workspace = $1`, [name]);
      return [];
    } catch (e) {
      return [error('Cannot delete the workspace', `${this.server}: ${describe(e)}`)];
    } finally {
      await held.lock.release();
    }
  }

  /** Whether workspace `name` has a row. */
  async hasWorkspace(name: string): Promise<boolean> {
    const r = await this.client.query(`SELECT 1 FROM ${this.states} WHERE workspace = $1`, [name]);
    return (r.rowCount ?? 0) > 0 || name === DEFAULT_WORKSPACE;
  }

  /**
   * `infra force-unlock ID`: ends the lock of this workspace when its ID is `id`. A holder whose
   * session still runs is disconnected (pg_terminate_backend), which frees its advisory lock; a
   * row left without a session is removed.
   */
  async forceUnlock(id: string): Promise<readonly Diagnostic[]> {
    try {
      const row = await this.lockRow(this.where.workspace);
      if (row === null) return [error('No state lock to remove', `${this.location} is not locked.`)];
      if (row.info.id !== id) {
        return [error('Lock ID does not match', `The state is locked with ID ${row.info.id}, not ${id}.\n\n${formatLockInfo(this.location, row.info)}`)];
      }
      const holding = await this.client.query(
        "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = $1 AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($2, 0)",
        [row.backendPid, this.lockKey(this.where.workspace)],
      );
      const diags: Diagnostic[] = [];
      if ((holding.rowCount ?? 0) > 0) {
        await this.client.query('SELECT pg_terminate_backend($1)', [row.backendPid]);
        diags.push(warning('Disconnected the lock holder', `The session of ${row.info.who} (${row.info.operation}, pid ${row.info.pid}) was still connected; it was ended, which freed its lock. That process can no longer write this state.`));
      }
      await this.client.query(`DELETE FROM ${this.locks} WHERE workspace = $1 AND id = $2`, [this.where.workspace, id]);
      return diags;
    } catch (e) {
      return [error('Could not remove the state lock', `${this.location} on ${this.server}: ${describe(e)}`)];
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.end().catch(() => undefined);
  }

  /** The lock row of `workspace`, or null. Only meaningful while its advisory lock is held: a dead holder's row stays until the next holder replaces it. */
  private async lockRow(workspace: string): Promise<{ info: LockInfo; backendPid: number } | null> {
    const r = await this.client.query<{ info: LockInfo; backend_pid: number }>(`SELECT info, backend_pid FROM ${this.locks} WHERE workspace = $1`, [workspace]);
    if (r.rows.length === 0) return null;
    return { info: r.rows[0].info, backendPid: r.rows[0].backend_pid };
  }

  private lockKey(workspace: string): string {
    return `infra:${this.where.schema}:${workspace}`;
  }

  private lockedDiagnostic(holder: { info: LockInfo } | null, timeoutMs: number): Diagnostic {
    const waited = timeoutMs > 0 ? `Gave up after waiting ${timeoutMs} ms for the lock.\n\n` : '';
    if (holder === null) {
      return error(ACQUIRE_FAILED, `${waited}${this.location} is locked by a session that has not recorded who it is yet (or by another tool). Try again.`);
    }
    return error(
      ACQUIRE_FAILED,
      `${waited}${formatLockInfo(this.location, holder.info)}\n\n` +
        `Another infra process is using this state. Wait for it to finish${timeoutMs > 0 ? '' : ' (or use --lock-timeout to wait for it)'}. ` +
        'The lock ends with its database session, so a holder that died has already freed it; to end a live ' +
        `holder's session, run:\n  infra force-unlock ${holder.info.id}`,
    );
  }
}

/** The advisory lock this process holds; it ends with the session too, so an exit needs nothing. */
class PgLock implements HeldLock {
  private released = false;

  constructor(
    private readonly backend: PgBackend,
    readonly info: LockInfo,
  ) {}

  async release(): Promise<readonly Diagnostic[]> {
    if (this.released) return [];
    this.released = true;
    return this.backend.unlock(this.info);
  }

  releaseSync(): readonly Diagnostic[] {
    this.released = true;
    return [];
  }
}

/** A connection string as node-postgres takes it: a URI as is, libpq's `key=value` form taken apart. */
export function clientConfig(connStr: string): ClientConfig {
  if (/^postgres(ql)?:\/\//.test(connStr)) return { connectionString: connStr };
  const out: Record<string, string | number> = {};
  const re = /(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))/g;
  for (const m of connStr.matchAll(re)) {
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    const key = m[1] === 'dbname' ? 'database' : m[1];
    out[key] = key === 'port' ? Number(value) : value;
  }
  return out as ClientConfig;
}

function describeServer(config: ClientConfig): string {
  if (config.connectionString) {
    // Not WHATWG URL: `postgresql://user@/db?host=/run/sock` (a socket directory) is valid here.
    const m = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?([^/?:]*)(?::(\d+))?(?:\/([^?]*))?(?:\?(.*))?$/.exec(config.connectionString);
    if (!m) return 'the configured server';
    const query = new URLSearchParams(m[4] ?? '');
    return `${m[1] || query.get('host') || 'localhost'}:${m[2] || query.get('port') || '5432'}/${m[3] || 'postgres'}`;
  }
  return `${config.host ?? 'localhost'}:${config.port ?? 5432}/${config.database ?? 'postgres'}`;
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
