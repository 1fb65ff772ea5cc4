/**
 * The processes of a local host: every process started for it writes a pid file somewhere under
 * its directory (named.pid, nginx.pid, ...), and destroying the host stops them by those files.
 * A pid is only trusted while it still looks like ours (its command line names the directory,
 * or it runs inside it), so a pid the kernel has since reused for something else is never killed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Every `*.pid` file under `dir`, at any depth, sorted. Missing directory: none. */
export async function findPidFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && e.name.endsWith('.pid')) found.push(p);
    }
  };
  await walk(dir);
  return found.sort();
}

/** True when `pid` is a live process (not a zombie waiting to be reaped). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Field 3 (after the parenthesised command name) is the state; Z and X are dead.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return stat !== '' && state !== 'Z' && state !== 'X';
}

/** True when process `pid` looks like one started for `dir`: its command line contains it, or its cwd is inside it. */
export async function belongsTo(pid: number, dir: string): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (cmdline.replace(/\0/g, ' ').includes(dir)) return true;
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
  return cwd === dir || cwd.startsWith(`${dir}/`);
}

/** All descendants of `roots` (children, grandchildren, ...), from the process table as it is now. */
async function descendants(roots: readonly number[]): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(ppid)) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift() as number) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

export interface StopResult {
  /** Pids that were running and are gone now. */
  readonly stopped: readonly number[];
  /** Pids still alive after SIGKILL (should not happen), with why. */
  readonly problems: readonly string[];
}

/**
 * Stops every process a pid file under `dir` names, with its descendants (nginx's workers, a
 * shell's children): SIGTERM, up to `graceMs` to exit, then SIGKILL. Stale pid files (dead or
 * reused pids) are skipped.
 */
export async function stopProcesses(dir: string, graceMs = 5000): Promise<StopResult> {
  const mains: number[] = [];
  for (const file of await findPidFiles(dir)) {
    const pid = Number.parseInt((await readFile(file, 'utf8').catch(() => '')).trim(), 10);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || mains.includes(pid)) continue;
    if ((await isAlive(pid)) && (await belongsTo(pid, dir))) mains.push(pid);
  }
  if (mains.length === 0) return { stopped: [], problems: [] };
  const targets = [...mains, ...(await descendants(mains))];
  const signal = (sig: NodeJS.Signals, pid: number): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  };
  for (const pid of targets) signal('SIGTERM', pid);
  const alive = async (): Promise<number[]> => {
    const out: number[] = [];
    for (const pid of targets) if (await isAlive(pid)) out.push(pid);
    return out;
  };
  const deadline = Date.now() + graceMs;
  let remaining = await alive();
  while (remaining.length > 0 && Date.now() < deadline) {
    await sleep(50);
    remaining = await alive();
  }
  for (const pid of remaining) signal('SIGKILL', pid);
  for (let i = 0; i < 40 && remaining.length > 0; i++) {
    await sleep(50);
    remaining = await alive();
  }
  return {
    stopped: targets.filter((p) => !remaining.includes(p)),
    problems: remaining.map((p) => `process ${p} is still running after SIGKILL`),
  };
}

/**
 * Processes whose command line contains `text` (a host's directory, a playbook's path): how a
 * demo or a test shows that nothing it started is still running.
 */
export function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) out.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
