/**
 * File-system primitives the state layer relies on for its guarantees: an atomic replace that
 * keeps the previous version as a backup, and the clean-up of temporary files a killed writer
 * left behind. These throw Node's errors; the store turns them into diagnostics.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, link, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** How `writeFileAtomic` writes. */
export interface AtomicWriteOptions {
  /** File mode of the new file (the state holds attribute values: 0o600). */
  readonly mode: number;
  /** Where the file's previous content is kept, replaced atomically too; no backup when absent. */
  readonly backupPath?: string;
}

/**
 * Replaces the file at `path` with `content` so that, whatever moment the process or the
 * machine stops at, `path` holds either the complete old content or the complete new one:
 * the content goes to a temporary file in the same directory, is fsynced, is renamed over
 * `path` (rename is atomic within a file system), and the directory is fsynced so that the
 * rename itself survives a power loss. Before the rename, the old file is hard-linked (copied
 * where links are not supported) to `backupPath`, so the backup holds the version before the
 * current one (or, when the writer stopped between the two renames, the current one: never a
 * torn or older one). A killed writer may leave a temporary file behind, never a torn `path`;
 * `removeAbandonedTemporaries` clears those.
 */
export async function writeFileAtomic(path: string, content: string, options: AtomicWriteOptions): Promise<void> {
  const temporary = temporaryPathFor(path);
  try {
    const handle = await open(temporary, 'wx', options.mode);
    try {
      // The umask may have narrowed the mode; chmod makes it exactly what was asked.
      await handle.chmod(options.mode);
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.backupPath !== undefined) await keepBackup(path, options.backupPath);
    await rename(temporary, path);
  } catch (e) {
    await unlink(temporary).catch(() => undefined);
    throw e;
  }
  await syncDirectory(dirname(path));
}

/**
 * Removes temporary files that writers of `path` left when they were killed mid-write (those
 * whose process is no longer running). Call it only while holding the state lock, when no
 * other writer can be at work. Returns the paths removed.
 */
export async function removeAbandonedTemporaries(path: string): Promise<string[]> {
  const dir = dirname(path);
  const prefixes = [`${basename(path)}.tmp-`, `${basename(path)}.backup.tmp-`];
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const prefix = prefixes.find((p) => entry.startsWith(p));
    if (prefix === undefined) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || isRunning(pid)) continue;
    try {
      await unlink(join(dir, entry));
      removed.push(join(dir, entry));
    } catch {
      // Gone already, or not ours to remove: either way nothing to report.
    }
  }
  return removed;
}

/** True when the Node error `e` has the errno code `code` (`ENOENT`, `EEXIST`, ...). */
export function isCode(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

/** An error's message, for the detail of a diagnostic (Node's messages name the path). */
export function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** True when a process with `pid` exists on this machine (EPERM: it does, under another user). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return !isCode(e, 'ESRCH');
  }
}

/** `<path>.tmp-<pid>-<random>`: the pid lets a later writer tell an abandoned file from a live one. */
function temporaryPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

async function keepBackup(path: string, backupPath: string): Promise<void> {
  const temporary = temporaryPathFor(backupPath);
  try {
    await link(path, temporary);
  } catch (e) {
    if (isCode(e, 'ENOENT')) return; // first write: there is nothing to back up
    try {
      await copyFile(path, temporary);
    } catch (copyError) {
      if (isCode(copyError, 'ENOENT')) return;
      throw copyError;
    }
  }
  try {
    await rename(temporary, backupPath);
  } catch (e) {
    await unlink(temporary).catch(() => undefined);
    throw e;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms and file systems cannot open or fsync a directory; the rename still happened.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
