/**
 * Reading and writing the state file. `StateStore` is the only writer: it holds the state lock
 * for the whole command, and every write is atomic (io.ts), kept in order, and keeps the
 * previous version as `<path>.backup`. docs/state.md describes the guarantees for users.
 */
import { randomUUID } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { error, hasErrors, type Diagnostic } from '../diagnostics.js';
import { checkState, decodeState, encodeState } from './codec.js';
import { describe, isCode, removeAbandonedTemporaries, writeFileAtomic } from './io.js';
import { acquireLock, type StateLock } from './lock.js';
import { STATE_FORMAT_VERSION, type StateFile } from './types.js';
import { INFRA_VERSION } from './version.js';

interface Waiter {
  readonly resolve: (diagnostics: readonly Diagnostic[]) => void;
  readonly reject: (bug: unknown) => void;
}

/** The state file is readable by its owner only: attributes can say a lot about a system. */
const STATE_FILE_MODE = 0o600;

/** Where the state before the last write is kept. */
export function backupPathFor(statePath: string): string {
  return `${statePath}.backup`;
}

/** The state of a configuration never applied: serial 0, no lineage yet, nothing recorded. */
export function emptyState(infraVersion: string = INFRA_VERSION): StateFile {
  return {
    format_version: STATE_FORMAT_VERSION,
    serial: 0,
    lineage: '',
    infra_version: infraVersion,
    resources: [],
    outputs: {},
  };
}

/**
 * Reads the state file at `path`, without locking. A missing file is `state: null` with no
 * diagnostics (nothing applied yet). An unreadable, corrupt or unsupported file is `state: null`
 * with an error diagnostic naming `path` and the cause (and the backup, when there is one).
 * Never throws for bad input.
 */
export async function readStateFile(path: string): Promise<{ state: StateFile | null; diagnostics: readonly Diagnostic[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (isCode(e, 'ENOENT')) return { state: null, diagnostics: [] };
    return { state: null, diagnostics: [error('Cannot read the state file', `${path}: ${describe(e)}`)] };
  }
  const decoded = decodeState(text, path);
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

/** How `StateStore.open` opens the state. */
export interface OpenOptions {
  /** The command opening the state (`plan`, `apply`, `destroy`, ...), recorded in the lock. */
  readonly operation: string;
  /** Take the lock (default). Read-only commands such as `state list` pass false. */
  readonly lock?: boolean;
  /** 0 (default): fail at once when another holds the lock; otherwise wait up to this long. */
  readonly lockTimeoutMs?: number;
  /** Recorded in the lock and in every state written; defaults to this build's version. */
  readonly infraVersion?: string;
}

/**
 * The state of one configuration, open for the length of a command. Opened with the lock (the
 * default), it is the only writer of the state file until `release`.
 *
 * Writes are serialised and grouped: `persist` and `update` may be called by concurrent apply
 * steps without awaiting each other. Each call's change is applied in call order to the
 * in-memory state at once, and its promise resolves when a write containing that change is on
 * disk. Changes that arrive while a write is in progress go out together in the next write (a
 * group commit), so a burst of completed steps costs one fsync, not one each; `serial` counts
 * writes, so it grows by one per write, which is one per call when calls are awaited in turn.
 */
export class StateStore {
  /** Every change accepted so far, written or not. */
  private latest: StateFile;
  /** As last written to (or read from) disk. */
  private written: StateFile;
  /** Calls whose change is not yet in a write that has started. */
  private waiting: Waiter[] = [];
  private writer: Promise<void> | null = null;
  private closed = false;
  private readonly onExit: (() => void) | null;

  private constructor(
    /** The state file's path. */
    readonly path: string,
    state: StateFile,
    private readonly lock: StateLock | null,
    private readonly infraVersion: string,
  ) {
    this.latest = state;
    this.written = state;
    if (lock) {
      // A command that ends with process.exit() (a second Ctrl-C, a fatal error) still frees
      // the lock; only SIGKILL or a crash of the machine leaves it behind, reported as stale.
      const onExit = (): void => void lock.releaseSync();
      process.on('exit', onExit);
      this.onExit = onExit;
    } else {
      this.onExit = null;
    }
  }

  /**
   * Opens the state at `path`: takes the lock (unless `lock: false`), removes temporary files an
   * earlier writer was killed before renaming, and reads the state (empty when there is no file
   * yet). Fails, with `store: null`, when the lock is held or the state file cannot be read; the
   * lock is not kept then.
   */
  static async open(path: string, options: OpenOptions): Promise<{ store: StateStore | null; diagnostics: readonly Diagnostic[] }> {
    const infraVersion = options.infraVersion ?? INFRA_VERSION;
    let lock: StateLock | null = null;
    if (options.lock ?? true) {
      const acquired = await acquireLock(path, {
        operation: options.operation,
        timeoutMs: options.lockTimeoutMs ?? 0,
        infraVersion,
      });
      if (!acquired.lock) return { store: null, diagnostics: acquired.diagnostics };
      lock = acquired.lock;
      await removeAbandonedTemporaries(path);
    }
    const read = await readStateFile(path);
    if (hasErrors(read.diagnostics)) {
      const released = lock ? await lock.release() : [];
      return { store: null, diagnostics: [...read.diagnostics, ...released] };
    }
    return { store: new StateStore(path, read.state ?? emptyState(infraVersion), lock, infraVersion), diagnostics: read.diagnostics };
  }

  /**
   * The current state: every change passed to `persist` or `update`, including those still being
   * written. Its `serial` and `lineage` are those of the last completed write.
   */
  get state(): StateFile {
    return this.latest;
  }

  /** True when the store holds the lock and may write. */
  get writable(): boolean {
    return this.lock !== null && !this.closed;
  }

  /**
   * Makes `next` the state and writes it. The store owns `serial` (previous + 1 per write),
   * `lineage` (kept; a new UUID on the first write) and `infra_version`: their values in `next`
   * are ignored. Resolves once a write holding `next` (or a later state) is on disk, with an
   * error diagnostic if that write failed; the change stays in memory and goes out with the next
   * write. Calling it on a store opened without the lock, or after `release`, is a bug (throws).
   */
  persist(next: StateFile): Promise<readonly Diagnostic[]> {
    this.assertWritable();
    this.latest = next;
    const done = new Promise<readonly Diagnostic[]>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.writer ??= this.drain();
    return done;
  }

  /**
   * Applies `change` to the current state (including changes still being written) and persists
   * the result: the way for concurrent steps to record their results without losing each
   * other's. `change` must be pure; it runs synchronously, before this returns.
   */
  update(change: (state: StateFile) => StateFile): Promise<readonly Diagnostic[]> {
    this.assertWritable();
    return this.persist(change(this.latest));
  }

  /**
   * Waits for pending writes, then removes the lock if it is still ours. The store can no longer
   * write afterwards. Idempotent.
   */
  async release(): Promise<readonly Diagnostic[]> {
    if (this.closed) return [];
    this.closed = true;
    while (this.writer) await this.writer;
    if (this.onExit) process.off('exit', this.onExit);
    return this.lock ? this.lock.release() : [];
  }

  private assertWritable(): void {
    if (this.closed) throw new Error(`StateStore(${this.path}): written after release`);
    if (!this.lock) throw new Error(`StateStore(${this.path}): opened without the lock, so read-only`);
  }

  /** Writes until no call is waiting; each write carries every change made before it started. */
  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting;
        this.waiting = [];
        let diagnostics: readonly Diagnostic[];
        try {
          diagnostics = await this.writeLatest();
        } catch (bug) {
          // Fail every caller rather than leave them waiting on a write that will never happen.
          for (const waiter of [...batch, ...this.waiting]) waiter.reject(bug);
          this.waiting = [];
          return;
        }
        for (const waiter of batch) waiter.resolve(diagnostics);
      }
    } finally {
      this.writer = null;
    }
  }

  private async writeLatest(): Promise<readonly Diagnostic[]> {
    const source = this.latest;
    const checked = checkState(
      {
        ...source,
        format_version: STATE_FORMAT_VERSION,
        serial: this.written.serial + 1,
        lineage: this.written.lineage === '' ? randomUUID() : this.written.lineage,
        infra_version: this.infraVersion,
      },
      this.path,
    );
    if (!checked.state) {
      // The engine built a state this tool could not read back: a bug, not the user's doing.
      throw new Error(`StateStore(${this.path}): refusing to write an invalid state: ${checked.diagnostics.map((d) => d.detail).join('; ')}`);
    }
    const snapshot = checked.state;
    try {
      await writeFileAtomic(this.path, encodeState(snapshot), {
        mode: STATE_FILE_MODE,
        backupPath: backupPathFor(this.path),
      });
    } catch (e) {
      return [
        error(
          'Failed to write the state file',
          `${this.path}: ${describe(e)}\nThe file still holds serial ${this.written.serial}; ` +
            'the changes since are kept in memory and go out with the next write.',
        ),
      ];
    }
    this.written = snapshot;
    this.latest = source === this.latest ? snapshot : { ...this.latest, serial: snapshot.serial, lineage: snapshot.lineage, infra_version: snapshot.infra_version };
    return [];
  }
}
