/**
 * Reading and writing the state. `StateStore` is the only writer: it holds the state lock for
 * the whole command, and every write goes through its backend (backend.ts: the local file,
 * written atomically with a `.backup`, or PostgreSQL), kept in order. docs/state.md describes
 * the guarantees for users.
 */
import { randomUUID } from 'node:crypto';
import { error, hasErrors, type Diagnostic } from '../diagnostics.js';
import { LocalBackend, type HeldLock, type StateBackend } from './backend.js';
import { checkState, encodeState } from './codec.js';
import { StateCipher } from './encryption.js';
import { describe, writeFileAtomic } from './io.js';
import { STATE_FORMAT_VERSION, type StateFile } from './types.js';
import { INFRA_VERSION } from './version.js';

interface Waiter {
  readonly resolve: (diagnostics: readonly Diagnostic[]) => void;
  readonly reject: (bug: unknown) => void;
}

export { backupPathFor, readStateFile } from './backend.js';

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
  /**
   * Where `release` writes the changes the backend could not store (the database went away),
   * so that nothing is lost: the file is named in the error with the command that pushes it
   * back. Absent: no emergency file (the local backend, whose failures are the disk's own).
   */
  readonly emergencyPath?: string;
  /** Encrypts the emergency file as the backend would have; plain text when absent. */
  readonly cipher?: StateCipher;
}

/**
 * The state of one configuration, open for the length of a command. Opened with the lock (the
 * default), it is the only writer of the state until `release`.
 *
 * Writes are serialised and grouped: `persist` and `update` may be called by concurrent apply
 * steps without awaiting each other. Each call's change is applied in call order to the
 * in-memory state at once, and its promise resolves when a write containing that change is
 * stored. Changes that arrive while a write is in progress go out together in the next write (a
 * group commit), so a burst of completed steps costs one fsync (or one transaction), not one
 * each; `serial` counts writes, so it grows by one per write, which is one per call when calls
 * are awaited in turn.
 */
export class StateStore {
  /** Every change accepted so far, written or not. */
  private latest: StateFile;
  /** As last written to (or read from) the backend. */
  private written: StateFile;
  /** Calls whose change is not yet in a write that has started. */
  private waiting: Waiter[] = [];
  private writer: Promise<void> | null = null;
  private closed = false;
  private readonly onExit: (() => void) | null;

  private constructor(
    /** Where the state is kept. */
    readonly backend: StateBackend,
    state: StateFile,
    private readonly lock: HeldLock | null,
    private readonly infraVersion: string,
    private readonly options: OpenOptions,
  ) {
    this.latest = state;
    this.written = state;
    if (lock) {
      // A command that ends with process.exit() (a second Ctrl-C, a fatal error) still frees
      // the lock; only SIGKILL or a crash of the machine leaves a file lock behind, reported as
      // stale (a database lock ends with the session).
      const onExit = (): void => void lock.releaseSync();
      process.on('exit', onExit);
      this.onExit = onExit;
    } else {
      this.onExit = null;
    }
  }

  /**
   * Opens the state file at `path` (the local backend): see `openBackend`.
   */
  static async open(path: string, options: OpenOptions): Promise<{ store: StateStore | null; diagnostics: readonly Diagnostic[] }> {
    return StateStore.openBackend(new LocalBackend(path, options.cipher), options);
  }

  /**
   * Opens the state in `backend`: takes the lock (unless `lock: false`; the local backend then
   * removes temporary files an earlier writer was killed before renaming), and reads the state
   * (empty when nothing was written yet). Fails, with `store: null`, when the lock is held or
   * the state cannot be read; the lock is not kept then and the backend is closed.
   */
  static async openBackend(backend: StateBackend, options: OpenOptions): Promise<{ store: StateStore | null; diagnostics: readonly Diagnostic[] }> {
    const infraVersion = options.infraVersion ?? INFRA_VERSION;
    let lock: HeldLock | null = null;
    if (options.lock ?? true) {
      const acquired = await backend.lock({ operation: options.operation, timeoutMs: options.lockTimeoutMs ?? 0, infraVersion });
      if (!acquired.lock) {
        await backend.close();
        return { store: null, diagnostics: acquired.diagnostics };
      }
      lock = acquired.lock;
    }
    const read = await backend.read();
    if (hasErrors(read.diagnostics)) {
      const released = lock ? await lock.release() : [];
      await backend.close();
      return { store: null, diagnostics: [...read.diagnostics, ...released] };
    }
    return { store: new StateStore(backend, read.state ?? emptyState(infraVersion), lock, infraVersion, options), diagnostics: read.diagnostics };
  }

  /** The local backend's state file, or where a remote state is (`pg schema ...`), for messages. */
  get path(): string {
    return this.backend.location;
  }

  /** The directory providers keep files of this state in (host keys). */
  get dir(): string {
    return this.backend.dir;
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
   * are ignored. Resolves once a write holding `next` (or a later state) is stored, with an
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
   * Replaces the state with `next` keeping its own `serial` and `lineage` (migration, `state
   * push`): the one write where the store does not count. Same results as `persist`.
   */
  async replace(next: StateFile): Promise<readonly Diagnostic[]> {
    this.assertWritable();
    while (this.writer) await this.writer;
    const checked = this.check(next);
    const diagnostics = await this.backend.write(checked, this.written);
    if (hasErrors(diagnostics)) return diagnostics;
    this.written = checked;
    this.latest = checked;
    return diagnostics;
  }

  /**
   * Waits for pending writes, then gives up the lock if it is still ours and closes the backend.
   * When changes could not be stored (the database went away mid-apply) and the store was
   * opened with an `emergencyPath`, they are written there and an error names the file and the
   * command that pushes it back. The store can no longer write afterwards. Idempotent.
   */
  async release(): Promise<readonly Diagnostic[]> {
    if (this.closed) return [];
    this.closed = true;
    while (this.writer) await this.writer;
    if (this.onExit) process.off('exit', this.onExit);
    const emergency = this.latest !== this.written ? await this.writeEmergency() : [];
    const released = this.lock ? await this.lock.release() : [];
    await this.backend.close();
    return [...emergency, ...released];
  }

  private async writeEmergency(): Promise<readonly Diagnostic[]> {
    const path = this.options.emergencyPath;
    if (path === undefined) return [];
    const snapshot = this.check({ ...this.latest, serial: this.written.serial + 1, lineage: this.written.lineage === '' ? randomUUID() : this.written.lineage });
    const cipher = this.options.cipher ?? new StateCipher({ key: null, oldKey: null });
    try {
      await writeFileAtomic(path, cipher.seal(encodeState(snapshot)), { mode: 0o600 });
    } catch (e) {
      return [error('The state could not be saved anywhere', `${this.backend.location} refused the last writes and ${path} could not be written: ${describe(e)}`)];
    }
    return [
      error(
        'The state could not be saved; it was written to an emergency file',
        `${this.backend.location} still holds serial ${this.written.serial}; what this run did since is in
  ${path}
` +
          `(serial ${snapshot.serial}). Nothing is lost. When the backend is reachable again, push it back with:
` +
          `  infra state push ${path}
then run plan or apply again.`,
      ),
    ];
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

  /** `state` checked as every write is, so a stored state can always be read back. */
  private check(state: StateFile): StateFile {
    const checked = checkState({ ...state, format_version: STATE_FORMAT_VERSION, infra_version: this.infraVersion }, this.path);
    if (!checked.state) {
      // The engine built a state this tool could not read back: a bug, not the user's doing.
      throw new Error(`StateStore(${this.path}): refusing to write an invalid state: ${checked.diagnostics.map((d) => d.detail).join('; ')}`);
    }
    return checked.state;
  }

  private async writeLatest(): Promise<readonly Diagnostic[]> {
    const source = this.latest;
    const snapshot = this.check({
      ...source,
      serial: this.written.serial + 1,
      lineage: this.written.lineage === '' ? randomUUID() : this.written.lineage,
    });
    const diagnostics = await this.backend.write(snapshot, this.written);
    if (hasErrors(diagnostics)) return diagnostics;
    this.written = snapshot;
    this.latest = source === this.latest ? snapshot : { ...this.latest, serial: snapshot.serial, lineage: snapshot.lineage, infra_version: snapshot.infra_version };
    return diagnostics;
  }
}
