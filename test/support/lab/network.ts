/**
 * The lab's network: one L2 segment on a bridge inside the lab's own network namespace.
 *
 *   root namespace                lab namespace infra-lab-<id>          host namespaces
 *   il-<id> 198.51.100.G/26 <-veth-> leg ─┐
 *                                         br0 ── h<n> <-veth-> eth0 198.51.100.X/26 (infra-lab-<id>-<n>)
 *
 * This machine reaches the hosts on-link through `il-<id>` (G is the slice's first address + 1);
 * hosts reach each other over the bridge and this machine through G, their default route. No
 * forwarding or NAT is set up anywhere: nothing in the lab can reach beyond this segment.
 */
import { access } from 'node:fs/promises';
import { attempt, ip, run, sleep } from './commands.js';
import { LEG_PREFIX, NETNS_PREFIX, NETWORK, SLICE_PREFIX_LENGTH } from './registry.js';

/** The lab namespace's name. */
export function labNetnsName(id: string): string {
  return `${NETNS_PREFIX}${id}`;
}

/** The root-namespace leg's interface name (11 characters; Linux allows 15). */
export function legName(id: string): string {
  return `${LEG_PREFIX}${id}`;
}

/** Host `n`'s namespace name (also its nspawn machine name). */
export function hostNetnsName(id: string, n: number): string {
  return `${NETNS_PREFIX}${id}-${n}`;
}

/**
 * Makes the lab namespace, its bridge and this machine's leg with `gateway`/26. On failure
 * whatever was made is removed again and the error is thrown.
 */
export async function createLabNetwork(id: string, gateway: string): Promise<void> {
  const netns = labNetnsName(id);
  const leg = legName(id);
  try {
    await ip(['netns', 'add', netns]);
    await ip(['link', 'set', 'lo', 'up'], netns);
    await ip(['link', 'add', 'br0', 'type', 'bridge'], netns);
    await ip(['link', 'set', 'br0', 'up'], netns);
    await ip(['link', 'add', leg, 'type', 'veth', 'peer', 'name', 'leg', 'netns', netns]);
    await ip(['link', 'set', 'leg', 'master', 'br0', 'up'], netns);
    await ip(['addr', 'add', `${gateway}/${SLICE_PREFIX_LENGTH}`, 'dev', leg]);
    await ip(['link', 'set', leg, 'up']);
  } catch (e) {
    await removeLabNetwork(id);
    throw e;
  }
}

/** Removes the leg and the lab namespace (with whatever is left in it); idempotent. */
export async function removeLabNetwork(id: string): Promise<void> {
  await attempt('ip', ['link', 'del', legName(id)]);
  await deleteNetns(labNetnsName(id));
  await waitForLinkGone(legName(id));
}

/**
 * Makes host `n`'s namespace with `eth0` = `ipv4`/26 on the lab's bridge and a default route via
 * `gateway`. On failure the namespace is removed again and the error is thrown.
 */
export async function createHostNetwork(id: string, n: number, ipv4: string, gateway: string): Promise<string> {
  const netns = hostNetnsName(id, n);
  const lab = labNetnsName(id);
  try {
    await ip(['netns', 'add', netns]);
    await ip(['link', 'add', `h${n}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns], lab);
    await ip(['link', 'set', `h${n}`, 'master', 'br0', 'up'], lab);
    await ip(['link', 'set', 'lo', 'up'], netns);
    await ip(['addr', 'add', `${ipv4}/${SLICE_PREFIX_LENGTH}`, 'dev', 'eth0'], netns);
    await ip(['link', 'set', 'eth0', 'up'], netns);
    await ip(['route', 'add', 'default', 'via', gateway], netns);
    // A host's /proc/sys is read-only under nspawn; a load balancer that takes over a moving
    // address binds it before it arrives (linode_service_address), so allow that from here.
    await run('ip', ['netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv4.ip_nonlocal_bind=1']);
  } catch (e) {
    await deleteNetns(netns);
    throw e;
  }
  return netns;
}

/**
 * Deletes a namespace made with `ip netns add`, SIGKILLing any process still in it first (a
 * host's processes, when its nspawn could not take them down); idempotent. Its veth pairs go
 * with it.
 */
export async function deleteNetns(netns: string): Promise<void> {
  if (!(await netnsExists(netns))) return;
  for (let round = 0; round < 3; round++) {
    const pids = await netnsPids(netns);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(100);
  }
  await attempt('ip', ['netns', 'del', netns]);
}

/** The processes whose network namespace is `netns`. */
export async function netnsPids(netns: string): Promise<number[]> {
  try {
    const { stdout } = await run('ip', ['netns', 'pids', netns]);
    return stdout.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number);
  } catch {
    return [];
  }
}

/** True when `/run/netns/NETNS` exists. */
export async function netnsExists(netns: string): Promise<boolean> {
  try {
    await access(`/run/netns/${netns}`);
    return true;
  } catch {
    return false;
  }
}

/** Every namespace name `ip netns list` shows. */
export async function listNetns(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/** Every interface name in the root namespace. */
export async function listLinks(): Promise<string[]> {
  const { stdout } = await run('ip', ['-o', 'link', 'show']);
  return stdout
    .split('\n')
    .map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1] ?? '')
    .filter((n) => n !== '');
}

/** A namespace's veths disappear asynchronously after `ip netns del`: wait (bounded) for `link`. */
async function waitForLinkGone(link: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (!(await listLinks()).includes(link)) return;
    await sleep(50);
  }
}

/** `NETWORK.<last>`, e.g. `198.51.100.10`. */
export function address(last: number): string {
  return `${NETWORK}.${last}`;
}
