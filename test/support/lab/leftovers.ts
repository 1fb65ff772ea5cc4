/**
 * Removing what a lab left behind when its process died before `close()` (kill -9, a crash, a
 * test run stopped with Ctrl-C twice): hosts still running, mounts, namespaces, the root
 * namespace's leg, markers. A lab is stale when its owner process is gone (registry.ts); live
 * labs are never touched.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { labIdsWithCgroups, removeLabCgroups } from './cgroups.js';
import { attempt, sleep } from './commands.js';
import type { HostMarker } from './host.js';
import { deleteNetns, listLinks, listNetns } from './network.js';
import {
  LAB_ID,
  LEG_PREFIX,
  NETNS_PREFIX,
  SLICE_COUNT,
  labDir,
  labIds,
  labIsLive,
  processStart,
  sliceFile,
  sliceHolder,
} from './registry.js';
import { mountsBelow, unmount } from './root-fs.js';

/**
 * Removes every stale lab's hosts, mounts, namespaces, leg and markers, and returns the ids it
 * removed. Labs whose owner still runs are left alone. Safe to call at any time; `startLab`
 * calls it first.
 */
export async function cleanStaleLabs(): Promise<string[]> {
  const stale = new Set<string>();
  for (const id of await labIds()) if (!(await labIsLive(id))) stale.add(id);
  // Names can outlive the directory (a cleanup interrupted half-way).
  for (const netns of await listNetns()) {
    const id = idIn(netns, NETNS_PREFIX);
    if (id !== null && !(await labIsLive(id))) stale.add(id);
  }
  for (const link of await listLinks()) {
    const id = idIn(link, LEG_PREFIX);
    if (id !== null && !(await labIsLive(id))) stale.add(id);
  }
  for (const id of await labIdsWithCgroups()) if (!(await labIsLive(id))) stale.add(id);
  for (const id of stale) await removeLab(id);
  for (let n = 0; n < SLICE_COUNT; n++) {
    const holder = await sliceHolder(n);
    if (holder !== null && !(await labIsLive(holder))) await rm(sliceFile(n), { force: true });
  }
  return [...stale].sort();
}

async function removeLab(id: string): Promise<void> {
  const dir = labDir(id);
  const hostsDir = join(dir, 'hosts');
  const hostDirs = await readdir(hostsDir).catch(() => [] as string[]);
  for (const entry of hostDirs) {
    const marker = await readMarker(join(hostsDir, entry, 'host.json'));
    if (marker !== null && (await processStart(marker.pid)) === marker.pidStart) {
      try {
        process.kill(marker.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  if (hostDirs.length > 0) await sleep(200);
  // Whatever still runs in the lab's cgroups (every host process, however it was started) dies here.
  await removeLabCgroups(id);
  for (const netns of await listNetns()) {
    if (netns.startsWith(`${NETNS_PREFIX}${id}-`)) await deleteNetns(netns);
  }
  for (const target of await mountsBelow(dir)) await unmount(target);
  await attempt('ip', ['link', 'del', `${LEG_PREFIX}${id}`]);
  await deleteNetns(`${NETNS_PREFIX}${id}`);
  if ((await mountsBelow(dir)).length === 0) await rm(dir, { recursive: true, force: true });
}

async function readMarker(file: string): Promise<HostMarker | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as HostMarker;
  } catch {
    return null;
  }
}

/** The lab id in `name` when it is `PREFIX<id>` or `PREFIX<id>-<n>`, else null. */
function idIn(name: string, prefix: string): string | null {
  if (!name.startsWith(prefix)) return null;
  const id = name.slice(prefix.length).split('-')[0] ?? '';
  return LAB_ID.test(id) ? id : null;
}
