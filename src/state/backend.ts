/**
 * Where the state lives. A backend reads and writes whole states of one workspace and holds its
 * lock; `StateStore` (store.ts) is the only caller and owns serials, ordering and grouping.
 * `local` is today's file (io.ts writes, lock.ts locks); `pg` (pg-backend.ts) is a PostgreSQL
 * schema shared by a team. Both pass state text through a `StateCipher` (encryption.ts).
 */
import { access, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { error, hasErrors, type Diagnostic } from '../diagnostics.js';
import { decodeState, encodeState } from './codec.js';
import { StateCipher, PLAIN } from './encryption.js';
import { describe, isCode, removeAbandonedTemporaries, writeFileAtomic } from './io.js';
import { acquireLock } from './lock.js';
import type { StateFile } from './types.js';

/** How a backend takes its lock. */
export interface LockRequest {
  /** The command taking it, shown to whoever is kept out. */
  readonly operation: string;
  /** 0: fail at once when another holds the lock; otherwise wait up to this long. */
  readonly timeoutMs: number;
  readonly infraVersion: string;
}

/** A lock a backend holds for this process. */
export interface HeldLock {
  /** Gives the lock up (when still ours); warnings when it was taken away. Idempotent. */
  release(): Promise<readonly Diagnostic[]>;
  /** `release` for a process 'exit' handler, where nothing asynchronous runs any more. */
  releaseSync(): readonly Diagnostic[];
}

/** The state of one workspace in one place. */
export interface StateBackend {
  /** `local` or `pg`. */
  readonly kind: 'local' | 'pg';
  /** Where the state is, for messages: a file's path, or `pg schema "infra", workspace "default"`. */
  readonly location: string;
  /** The directory providers keep per-state files in (host keys): the state file's, or the configuration's. */
  readonly dir: string;
  /** Takes the lock; `lock: null` with an error naming the holder when another has it. */
  lock(request: LockRequest): Promise<{ lock: HeldLock | null; diagnostics: readonly Diagnostic[] }>;
  /** The stored state; `state: null` without diagnostics when nothing was written yet. */
  read(): Promise<{ state: StateFile | null; diagnostics: readonly Diagnostic[] }>;
  /**
   * Stores `next` (already checked, with its final serial). `previous` is the state this process
   * last read or wrote: a backend shared by several machines refuses the write, with an error,
   * when what is stored is no longer `previous` (a stale serial). Failures are diagnostics; the
   * stored state is then unchanged.
   */
  write(next: StateFile, previous: StateFile): Promise<readonly Diagnostic[]>;
  /** Ends connections. Idempotent. */
  close(): Promise<void>;
}

/** The state file is readable by its owner only: attributes can say a lot about a system. */
const STATE_FILE_MODE = 0o600;

/** Where the state before the last write is kept. */
export function backupPathFor(statePath: string): string {
  return `${statePath}.backup`;
}

/**
 * Reads the state file at `path`, without locking, decrypting it with `cipher` when it is
 * encrypted. A missing file is `state: null` with no diagnostics (nothing applied yet). An
 * unreadable, corrupt, undecryptable or unsupported file is `state: null` with an error diagnostic
 * naming `path` and the cause (and the backup, when there is one). Never throws for bad input.
 */
export async function readStateFile(
  path: string,
  cipher: StateCipher = new StateCipher(PLAIN),
): Promise<{ state: StateFile | null; diagnostics: readonly Diagnostic[] }> {
  let stored: string;
  try {
    stored = await readFile(path, 'utf8');
  } catch (e) {
    if (isCode(e, 'ENOENT')) return { state: null, diagnostics: [] };
    return { state: null, diagnostics: [error('Cannot read the state file', `${path}: ${describe(e)}`)] };
  }
  const opened = cipher.open(stored, path);
  if (opened.text === null) return { state: null, diagnostics: opened.diagnostics };
  const decoded = decodeState(opened.text, path);
  if (!hasErrors(decoded.diagnostics)) return decoded;
  const backup = backupPathFor(path);
  const backupExists = await access(backup).then(
    () => true,
    () => false,
  );
  if (!backupExists) return decoded;
  const hint =
    `The state before the last write is kept in ${backup}; if ${path} cannot be repaired, ` +
    'check the backup and copy it over the state file.';
  return {
    state: null,
    diagnostics: decoded.diagnostics.map((d) => (d.severity === 'error' ? { ...d, detail: `${d.detail ?? ''}\n\n${hint}` } : d)),
  };
}

/**
 * The state file: atomic writes keeping a `.backup`, a `.lock` file beside it. Only one machine
 * writes it, so `write` does not compare serials (the lock already keeps writers apart).
 */
export class LocalBackend implements StateBackend {
  readonly kind = 'local';
  readonly dir: string;

  constructor(
    /** The state file's path. */
    readonly path: string,
    readonly cipher: StateCipher = new StateCipher(PLAIN),
  ) {
    this.dir = dirname(path);
  }

  get location(): string {
    return this.path;
  }

  async lock(request: LockRequest): Promise<{ lock: HeldLock | null; diagnostics: readonly Diagnostic[] }> {
    const acquired = await acquireLock(this.path, { operation: request.operation, timeoutMs: request.timeoutMs, infraVersion: request.infraVersion });
    if (acquired.lock) await removeAbandonedTemporaries(this.path);
    return acquired;
  }

  read(): Promise<{ state: StateFile | null; diagnostics: readonly Diagnostic[] }> {
    return readStateFile(this.path, this.cipher);
  }

  async write(next: StateFile, previous: StateFile): Promise<readonly Diagnostic[]> {
    try {
      await writeFileAtomic(this.path, this.cipher.seal(encodeState(next)), { mode: STATE_FILE_MODE, backupPath: backupPathFor(this.path) });
      return [];
    } catch (e) {
      return [
        error(
          'Failed to write the state file',
          `${this.path}: ${describe(e)}\nThe file still holds serial ${previous.serial}; ` +
            'the changes since are kept in memory and go out with the next write.',
        ),
      ];
    }
  }

  async close(): Promise<void> {}
}
