/**
 * A control group per host. `systemd-nspawn --keep-unit` without a systemd on this machine
 * makes the container's cgroup tree inside the cgroup it was started in (`payload/`,
 * `supervisor/`): two hosts started from one process would share - and fight over - one tree,
 * and units fail at random with `status=219/CGROUP`. So each host's nspawn starts in a cgroup of
 * its own, `<hierarchy>/infra-lab-<id>/<n>`, in every hierarchy systemd writes to (cgroup2
 * mounts and the v1 `name=systemd` one); the other v1 controllers nspawn mounts read-only.
 *
 * The tree also says which processes belong to a host, however they were started: powering off
 * SIGKILLs whatever is left in it, then removes it.
 */
import { readdir, readFile, mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from './commands.js';
import { LAB_ID, NETNS_PREFIX } from './registry.js';

/** The mount points of the cgroup hierarchies systemd writes to. */
export async function trackingHierarchies(): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const found: string[] = [];
  for (const line of info.split('\n')) {
    const [before, after] = line.split(' - ');
    if (before === undefined || after === undefined) continue;
    const mountPoint = before.split(' ')[4];
    const [fsType, , superOptions = ''] = after.split(' ');
    if (mountPoint === undefined) continue;
    if (fsType === 'cgroup2' || (fsType === 'cgroup' && superOptions.split(',').includes('name=systemd'))) found.push(mountPoint);
  }
  return found;
}

/** Lab `id`'s cgroup directory in hierarchy `hierarchy`. */
export function labCgroup(hierarchy: string, id: string): string {
  return join(hierarchy, `${NETNS_PREFIX}${id}`);
}

/** Makes host `n`'s cgroups (one per tracking hierarchy) and returns their directories. */
export async function makeHostCgroups(id: string, n: number): Promise<string[]> {
  const paths = (await trackingHierarchies()).map((h) => join(labCgroup(h, id), String(n)));
  for (const path of paths) await mkdir(path, { recursive: true });
  return paths;
}

/** The processes in a cgroup and every cgroup below it. */
export async function processesIn(path: string): Promise<number[]> {
  const pids: number[] = [];
  const walk = async (dir: string): Promise<void> => {
    const procs = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
    pids.push(...procs.split('\n').filter((s) => /^\d+$/.test(s)).map(Number));
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name));
  };
  await walk(path);
  return pids;
}

/**
 * SIGKILLs every process in the cgroup tree at `path`, then removes the tree (deepest first);
 * idempotent. Throws when the tree cannot be removed (a process that will not die).
 */
export async function removeCgroupTree(path: string): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const pids = await processesIn(path);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    if (await removeDirectories(path)) return;
    await sleep(50);
  }
  throw new Error(`cannot remove the cgroup ${path}: processes in it do not die (${(await processesIn(path)).join(' ')})`);
}

/** rmdir of a cgroup tree, deepest first; true when it is gone. */
async function removeDirectories(path: string): Promise<boolean> {
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
  let all = true;
  for (const e of entries) if (e.isDirectory() && !(await removeDirectories(join(path, e.name)))) all = false;
  if (!all) return false;
  try {
    await rmdir(path);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Removes lab `id`'s cgroups (and whatever runs in them) in every hierarchy. */
export async function removeLabCgroups(id: string): Promise<void> {
  for (const h of await trackingHierarchies()) await removeCgroupTree(labCgroup(h, id));
}

/** The lab ids that have cgroups. */
export async function labIdsWithCgroups(): Promise<string[]> {
  const ids = new Set<string>();
  for (const h of await trackingHierarchies()) {
    for (const name of await readdir(h).catch(() => [] as string[])) {
      const id = name.startsWith(NETNS_PREFIX) ? name.slice(NETNS_PREFIX.length) : '';
      if (LAB_ID.test(id)) ids.add(id);
    }
  }
  return [...ids];
}
