/**
 * Looking at nginx's processes on this machine through /proc: which master a pid file names,
 * and which workers it has. This is how a reload is confirmed: nginx answers a SIGHUP at once
 * and does the work afterwards, so success is new workers appearing, not the signal arriving.
 */
import { readdir, readFile } from 'node:fs/promises';

/** True when a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, it just is not ours.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process title (`nginx: master process ...`), or '' when it is gone. */
export async function processTitle(pid: number): Promise<string> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw.replace(/\0+$/, '').replace(/\0/g, ' ');
}

/** Pids of the processes whose parent is `ppid`, in ascending order. */
export async function childrenOf(ppid: number): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const children: number[] = [];
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        const stat = await readFile(`/proc/${e}/stat`, 'utf8').catch(() => '');
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[1]) === ppid) children.push(Number(e));
      }),
  );
  return children.sort((a, b) => a - b);
}
