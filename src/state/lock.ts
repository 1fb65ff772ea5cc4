/**
 * The state lock: a file `<state path>.lock` created exclusively (O_EXCL), holding who took it,
 * when, for which operation, and an ID. Whoever creates the file holds the lock; nobody else
 * may write the state until it is removed, by its holder (`release`) or by a person who names
 * its ID (`infra force-unlock ID`). A lock left by a crashed process is reported as stale but
 * never removed automatically: a person checks first that nothing is half-done.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { error, warning, type Diagnostic } from '../diagnostics.js';
import { describe, isCode, isRunning } from './io.js';
import { INFRA_VERSION } from './version.js';

/** What the lock file holds (JSON, these field names). */
export interface LockInfo {
  /** Random UUID; `infra force-unlock ID` must name it. */
  readonly id: string;
  /** `user@hostname` of the holder. */
  readonly who: string;
  readonly pid: number;
  /** The command holding it: `plan`, `apply`, `destroy`, ... */
  readonly operation: string;
  /** ISO 8601. */
  readonly created: string;
  readonly infra_version: string;
}

/** How `acquireLock` takes the lock. */
export interface AcquireOptions {
  /** Recorded in the lock so that whoever is kept out knows what they are waiting for. */
  readonly operation: string;
  /** 0 (default): fail at once when the state is locked; otherwise wait up to this long. */
  readonly timeoutMs?: number;
  readonly infraVersion?: string;
}

/** The lock file's path for the state file at `statePath`. */
export function lockPathFor(statePath: string): string {
  return `${statePath}.lock`;
}

const ACQUIRE_FAILED = 'Error acquiring the state lock';
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 1000;

/** A lock this process holds. */
export class StateLock {
  private released = false;

  /** Made by `acquireLock` once the lock file at `path` holding `info` has been created. */
  constructor(
    readonly path: string,
    readonly info: LockInfo,
  ) {}

  /**
   * Removes the lock file if it is still ours (its ID matches). A lock removed or replaced by
   * someone else (`force-unlock`) is left alone and reported as a warning. Idempotent.
   */
  async release(): Promise<readonly Diagnostic[]> {
    if (this.released) return [];
    this.released = true;
    const current = await readLock(this.path);
    const problem = this.notOurs(current);
    if (problem) return [problem];
    try {
      await unlink(this.path);
      return [];
    } catch (e) {
      return [notReleased(this.path, e)];
    }
  }

  /** `release` for a process 'exit' handler, where nothing asynchronous runs any more. */
  releaseSync(): readonly Diagnostic[] {
    if (this.released) return [];
    this.released = true;
    let current: LockRead;
    try {
      current = parseLock(readFileSync(this.path, 'utf8'));
    } catch (e) {
      current = isCode(e, 'ENOENT') ? { kind: 'missing' } : { kind: 'unreadable', cause: describe(e) };
    }
    const problem = this.notOurs(current);
    if (problem) return [problem];
    try {
      unlinkSync(this.path);
      return [];
    } catch (e) {
      return [notReleased(this.path, e)];
    }
  }

  private notOurs(current: LockRead): Diagnostic | undefined {
    if (current.kind === 'missing') {
      return warning(
        'The state lock was already removed',
        `${this.path} was removed while this ${this.info.operation} held it (by infra force-unlock?).`,
      );
    }
    if (current.kind === 'unreadable') {
      return warning('The state lock was left in place', `${this.path} could not be read: ${current.cause}`);
    }
    if (current.info.id !== this.info.id) {
      return warning(
        'The state lock now belongs to someone else and was left in place',
        `This ${this.info.operation} held lock ${this.info.id}, but ${this.path} now holds lock ` +
          `${current.info.id} (${current.info.who}, ${current.info.operation}): ours was force-unlocked.`,
      );
    }
    return undefined;
  }
}

/**
 * Takes the lock on the state at `statePath`. When another holds it, fails at once (or, with
 * `timeoutMs`, after polling with backoff until the time is up) with a diagnostic that shows the
 * holder's lock info, whether the holder is a dead process on this host, and how to remove a
 * stale lock. Never throws for an outside failure.
 */
export async function acquireLock(
  statePath: string,
  options: AcquireOptions,
): Promise<{ lock: StateLock | null; diagnostics: readonly Diagnostic[] }> {
  const path = lockPathFor(statePath);
  const timeoutMs = Math.max(0, options.timeoutMs ?? 0);
  const deadline = Date.now() + timeoutMs;
  const id = randomUUID();
  const who = currentWho();
  let pollMs = FIRST_POLL_MS;
  for (;;) {
    const info: LockInfo = {
      id,
      who,
      pid: process.pid,
      operation: options.operation,
      // When the lock was taken, not when we started waiting for it.
      created: new Date().toISOString(),
      infra_version: options.infraVersion ?? INFRA_VERSION,
    };
    const created = await createLockFile(path, info);
    if (created === 'created') return { lock: new StateLock(path, info), diagnostics: [] };
    if (created !== 'exists') return { lock: null, diagnostics: [error(ACQUIRE_FAILED, `Could not create ${path}: ${created.cause}`)] };
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const holder = await readLock(path);
      // Released between our attempt and the read: try again rather than report a lock nobody holds.
      if (holder.kind === 'missing') continue;
      return { lock: null, diagnostics: [lockedDiagnostic(path, holder, timeoutMs)] };
    }
    await sleep(Math.min(pollMs, remaining));
    pollMs = Math.min(MAX_POLL_MS, Math.round(pollMs * 1.5));
  }
}

/**
 * Reads the lock on the state at `statePath`: `null` when the state is not locked. An unreadable
 * lock file is an error diagnostic.
 */
export async function readLockInfo(
  statePath: string,
): Promise<{ info: LockInfo | null; diagnostics: readonly Diagnostic[] }> {
  const path = lockPathFor(statePath);
  const current = await readLock(path);
  if (current.kind === 'held') return { info: current.info, diagnostics: [] };
  if (current.kind === 'missing') return { info: null, diagnostics: [] };
  return { info: null, diagnostics: [unreadableLock(path, current.cause)] };
}

/**
 * `infra force-unlock ID`: removes the lock on the state at `statePath` only when its ID is `id`,
 * so a person cannot remove a lock they have not looked at. No lock, an unreadable lock or
 * another ID is an error diagnostic (naming the actual ID). Removing the lock of a process that
 * is still running on this host is allowed (the person named its ID) but warned about.
 */
export async function forceUnlock(statePath: string, id: string): Promise<readonly Diagnostic[]> {
  const path = lockPathFor(statePath);
  const current = await readLock(path);
  if (current.kind === 'missing') {
    return [error('No state lock to remove', `There is no lock file ${path}: the state is not locked.`)];
  }
  if (current.kind === 'unreadable') return [unreadableLock(path, current.cause)];
  if (current.info.id !== id) {
    return [
      error(
        'Lock ID does not match',
        `The state is locked with ID ${current.info.id}, not ${id}.\n\n${formatLockInfo(path, current.info)}`,
      ),
    ];
  }
  try {
    await unlink(path);
  } catch (e) {
    if (!isCode(e, 'ENOENT')) return [error('Could not remove the state lock', `${path}: ${describe(e)}`)];
  }
  if (holderState(current.info) !== 'running') return [];
  return [
    warning(
      'Removed the lock of a running process',
      `Process ${current.info.pid} (${current.info.operation}) is still running on this host and may still write the state.`,
    ),
  ];
}

/** The lock info as people read it, in error messages and `force-unlock` output. */
export function formatLockInfo(path: string, info: LockInfo): string {
  return [
    'Lock Info:',
    `  ID:        ${info.id}`,
    `  Path:      ${path}`,
    `  Operation: ${info.operation}`,
    `  Who:       ${info.who}`,
    `  PID:       ${info.pid}`,
    `  Version:   ${info.infra_version}`,
    `  Created:   ${info.created}`,
  ].join('\n');
}

type LockRead =
  | { readonly kind: 'held'; readonly info: LockInfo }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly cause: string };

/** Creates the lock file holding `info`; 'exists' when someone else holds the lock. */
async function createLockFile(path: string, info: LockInfo): Promise<'created' | 'exists' | { cause: string }> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o644);
  } catch (e) {
    return isCode(e, 'EEXIST') ? 'exists' : { cause: describe(e) };
  }
  try {
    await handle.writeFile(`${JSON.stringify(info, null, 2)}\n`);
    await handle.close();
    return 'created';
  } catch (e) {
    await handle.close().catch(() => undefined);
    // We did create it: remove it so that a half-written lock does not keep everyone out.
    await unlink(path).catch(() => undefined);
    return { cause: describe(e) };
  }
}

/** Attempts at reading a lock file that is empty or half-written. */
const READ_ATTEMPTS = 5;

async function readLock(path: string): Promise<LockRead> {
  let last: LockRead = { kind: 'missing' };
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    try {
      last = parseLock(await readFile(path, 'utf8'));
    } catch (e) {
      if (isCode(e, 'ENOENT')) return { kind: 'missing' };
      return { kind: 'unreadable', cause: describe(e) };
    }
    if (last.kind !== 'unreadable') return last;
    // The holder creates the file and then writes it, so a reader may see it empty for a moment.
    await sleep(10 * (attempt + 1));
  }
  return last;
}

function parseLock(text: string): LockRead {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { kind: 'unreadable', cause: text.trim() === '' ? 'the file is empty' : describe(e) };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { kind: 'unreadable', cause: 'not a JSON object' };
  }
  const o = data as Record<string, unknown>;
  const strings = ['id', 'who', 'operation', 'created', 'infra_version'] as const;
  for (const k of strings) {
    if (typeof o[k] !== 'string') return { kind: 'unreadable', cause: `"${k}" is missing or not a string` };
  }
  if (typeof o.pid !== 'number' || !Number.isInteger(o.pid)) {
    return { kind: 'unreadable', cause: '"pid" is missing or not an integer' };
  }
  return {
    kind: 'held',
    info: {
      id: o.id as string,
      who: o.who as string,
      pid: o.pid,
      operation: o.operation as string,
      created: o.created as string,
      infra_version: o.infra_version as string,
    },
  };
}

function lockedDiagnostic(path: string, holder: LockRead, timeoutMs: number): Diagnostic {
  const waited = timeoutMs > 0 ? `Gave up after waiting ${timeoutMs} ms for the lock.\n\n` : '';
  if (holder.kind !== 'held') {
    return error(
      ACQUIRE_FAILED,
      `${waited}The lock file ${path} exists but could not be read: ` +
        `${holder.kind === 'unreadable' ? holder.cause : 'it vanished'}.\n` +
        'If no infra process is using this state, delete that file by hand.',
    );
  }
  const { info } = holder;
  const unlock = `  infra force-unlock ${info.id}`;
  const advice =
    holderState(info) === 'dead'
      ? `The lock is stale: process ${info.pid} on this host, which took it for ${info.operation}, is no ` +
        'longer running (it crashed or was killed). Check that nothing it was doing is half-done, ' +
        `then remove the lock with:\n${unlock}`
      : `Another infra process is using this state. Wait for it to finish` +
        `${timeoutMs > 0 ? '' : ' (or use --lock-timeout to wait for it)'}. ` +
        `If it is gone and the lock was left behind, remove the lock with:\n${unlock}`;
  return error(ACQUIRE_FAILED, `${waited}${formatLockInfo(path, info)}\n\n${advice}`);
}

function unreadableLock(path: string, cause: string): Diagnostic {
  return error(
    'The state lock file could not be read',
    `${path}: ${cause}\nIf no infra process is using this state, delete that file by hand.`,
  );
}

function notReleased(path: string, e: unknown): Diagnostic {
  return warning('Could not remove the state lock', `${path}: ${describe(e)}\nDelete it by hand.`);
}

/**
 * Whether the process that took a lock still runs. Only a lock taken on this host can be
 * checked; a pid on another machine says nothing here.
 */
function holderState(info: LockInfo): 'running' | 'dead' | 'unknown' {
  const at = info.who.lastIndexOf('@');
  if (at < 0 || info.who.slice(at + 1) !== hostname()) return 'unknown';
  return isRunning(info.pid) ? 'running' : 'dead';
}

/** `user@hostname` of this process, as lock holders are shown. */
export function currentWho(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for our uid (common in containers).
    user = process.env.USER ?? process.env.LOGNAME ?? `uid${process.getuid?.() ?? '?'}`;
  }
  return `${user}@${hostname()}`;
}
