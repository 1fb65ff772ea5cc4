/**
 * Where labs keep their markers, and how a lab claims its share of 198.51.100.0/24.
 *
 * Everything a lab makes is named after its id (8 hex digits): the directory `LAB_BASE/<id>/`
 * (its `owner.json` names the process that owns the lab; every mount of the lab is below it),
 * network namespaces `infra-lab-<id>` and `infra-lab-<id>-<n>`, and the root namespace's veth
 * `il-<id>`. A lab whose owner process is gone (its pid is dead, or reused by another process)
 * is stale: `cleanStaleLabs` (leftovers.ts) removes what it left.
 *
 * Address slices: 198.51.100.0/24 is cut into SLICE_COUNT slices of 64 addresses; a lab claims
 * one by creating `LAB_BASE/slice-<n>` exclusively (its content is the lab id), so two labs on
 * one machine never route the same address.
 */
import { mkdir, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** Directory of every lab's markers and mounts (on tmpfs where /run is one: gone at reboot). */
export const LAB_BASE = '/run/infra-lab';
/** Prefix of every network namespace a lab makes. */
export const NETNS_PREFIX = 'infra-lab-';
/** Prefix of the one interface a lab puts in the root network namespace. */
export const LEG_PREFIX = 'il-';
/** How many labs can run at once: 198.51.100.0/24 in slices of SLICE_SIZE addresses. */
export const SLICE_COUNT = 4;
/** Addresses per slice. */
export const SLICE_SIZE = 64;
/** A slice's prefix length (the hosts' and the leg's netmask). */
export const SLICE_PREFIX_LENGTH = 26;
/** The first three octets of every lab address (TEST-NET-2). */
export const NETWORK = '198.51.100';

/** What `owner.json` holds. */
export interface LabOwner {
  readonly id: string;
  readonly pid: number;
  /** The owner's start time in clock ticks since boot (`/proc/PID/stat` field 22): tells a reused pid apart. */
  readonly pidStart: string;
  readonly createdAt: string;
}

/** A fresh lab id: 8 hex digits. */
export function newLabId(): string {
  return randomBytes(4).toString('hex');
}

/** Matches the ids in names the lab makes. */
export const LAB_ID = /^[0-9a-f]{8}$/;

/** Lab `id`'s directory: `owner.json`, and `hosts/<n>/` with each host's root and marker. */
export function labDir(id: string): string {
  return join(LAB_BASE, id);
}

/** The start time of a process, or null when there is no such process. */
export async function processStart(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Writes this process's owner marker for lab `id` (creating its directory). */
export async function writeOwner(id: string): Promise<LabOwner> {
  const pidStart = await processStart(process.pid);
  if (pidStart === null) throw new Error(`cannot read /proc/${process.pid}/stat (the lab needs Linux /proc)`);
  const owner: LabOwner = { id, pid: process.pid, pidStart, createdAt: new Date().toISOString() };
  await mkdir(labDir(id), { recursive: true, mode: 0o700 });
  await writeFile(join(labDir(id), 'owner.json'), `${JSON.stringify(owner)}\n`);
  return owner;
}

/** The owner marker of lab `id`, or null when it has none (or an unreadable one). */
export async function readOwner(id: string): Promise<LabOwner | null> {
  try {
    const owner = JSON.parse(await readFile(join(labDir(id), 'owner.json'), 'utf8')) as LabOwner;
    return typeof owner.pid === 'number' && typeof owner.pidStart === 'string' ? owner : null;
  } catch {
    return null;
  }
}

/** True when lab `id` has an owner marker whose process still runs. */
export async function labIsLive(id: string): Promise<boolean> {
  const owner = await readOwner(id);
  if (owner === null) return false;
  return (await processStart(owner.pid)) === owner.pidStart;
}

/** The ids of the labs that have a directory under LAB_BASE. */
export async function labIds(): Promise<string[]> {
  try {
    return (await readdir(LAB_BASE)).filter((n) => LAB_ID.test(n));
  } catch {
    return [];
  }
}

/**
 * Claims a free address slice for lab `id` (whose owner marker must exist already, so a claim
 * is never mistaken for a leftover). Throws when every slice is taken by a live lab.
 */
export async function claimSlice(id: string): Promise<number> {
  for (let n = 0; n < SLICE_COUNT; n++) {
    const file = sliceFile(n);
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${id}\n`);
      await handle.close();
      return n;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error(
    `all ${SLICE_COUNT} lab address slices of ${NETWORK}.0/24 are in use by running labs (${LAB_BASE}/slice-*): ` +
      'close one, or remove the leftovers of dead ones with "npm run lab -- clean"',
  );
}

/** Gives slice `n` back, if lab `id` holds it. */
export async function releaseSlice(n: number, id: string): Promise<void> {
  if ((await sliceHolder(n)) === id) await rm(sliceFile(n), { force: true });
}

/** The lab id holding slice `n`, or null. */
export async function sliceHolder(n: number): Promise<string | null> {
  try {
    return (await readFile(sliceFile(n), 'utf8')).trim();
  } catch {
    return null;
  }
}

/** The claim file of slice `n` (its content: the holder's lab id). */
export function sliceFile(n: number): string {
  return join(LAB_BASE, `slice-${n}`);
}

/** The first address of slice `n` as a number 0..255 of the last octet. */
export function sliceBase(n: number): number {
  return n * SLICE_SIZE;
}
