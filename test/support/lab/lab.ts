/**
 * The lab: real Debian hosts (systemd as PID 1, sshd, this machine's packages) on one machine,
 * each in its own network namespace on a bridge of the lab's own, with addresses from
 * 198.51.100.0/24 (docs/lab.md). Needs root, `systemd-nspawn` (systemd-container) and `sshd`
 * (openssh-server); not a running systemd on this machine.
 *
 *   const lab = await startLab();
 *   const host = await lab.boot({ authorizedKeys: [publicKey] });
 *   await host.waitForSsh();            // ssh -i KEY root@host.ipv4 ...
 *   await lab.close();                  // every host off; namespaces, veths, mounts gone
 */
import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeHostCgroups, removeLabCgroups } from './cgroups.js';
import { attempt, run } from './commands.js';
import { startHost, type BootOptions, type LabHost } from './host.js';
import { cleanStaleLabs } from './leftovers.js';
import { address, createHostNetwork, createLabNetwork, hostNetnsName, labNetnsName, legName, netnsExists, removeLabNetwork } from './network.js';
import { SLICE_PREFIX_LENGTH, claimSlice, labDir, newLabId, releaseSlice, sliceBase, writeOwner } from './registry.js';

export type { BootOptions, LabHost } from './host.js';

/** First host address in a slice, counted from the slice's first address. */
const FIRST_HOST_OFFSET = 10;
/** Last usable host address in a slice (the slice's broadcast address is offset 63). */
const LAST_HOST_OFFSET = 62;

/** A running lab. */
export interface Lab {
  /** 8 hex digits; every name the lab makes contains it (registry.ts). */
  readonly id: string;
  /** The lab's network namespace (holds the bridge `br0`). */
  readonly netns: string;
  /** The lab's share of 198.51.100.0/24, e.g. `198.51.100.0/26`. */
  readonly subnet: string;
  /** This machine's address on the lab (the hosts' default route), e.g. `198.51.100.1`. */
  readonly gateway: string;
  /** Hosts not powered off yet, in boot order. */
  readonly hosts: readonly LabHost[];
  /** Every address a host may get, in the order the pool hands them out. */
  readonly pool: readonly string[];
  /**
   * Takes the lowest free address of the pool (so a freed address is the next one handed out,
   * as Linode reuses addresses). Throws when the pool is exhausted.
   */
  allocateIpv4(): string;
  /** Gives an address from `allocateIpv4` back; an address a running host still holds stays taken. */
  releaseIpv4(ipv4: string): void;
  /**
   * Makes a host and starts booting it; resolves once systemd is starting (well before sshd
   * answers: see `LabHost.waitForSsh`). An `ipv4` from `allocateIpv4` stays the caller's to
   * release; without one, the host takes one from the pool and frees it at power-off. Throws
   * (leaving nothing behind) when the address is not the lab's or another running host has it.
   */
  boot(options: BootOptions): Promise<LabHost>;
  /** Powers off every host and removes the lab's namespaces, veths, mounts and markers; idempotent. */
  close(): Promise<void>;
}

/**
 * Why the lab cannot run on this machine (not root, a missing command), or null when it can.
 * Tests skip with this reason.
 */
export async function labUnavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'the lab needs root (network namespaces, mounts, systemd-nspawn): run the tests as root';
  const missing: string[] = [];
  for (const [command, pkg] of [
    ['systemd-nspawn', 'systemd-container'],
    ['sshd', 'openssh-server'],
    ['ssh', 'openssh-client'],
    ['ip', 'iproute2'],
  ] as const) {
    if (!(await attempt('sh', ['-c', 'command -v "$1"', 'sh', command]))) missing.push(`${command} (${pkg})`);
  }
  for (const file of ['/lib/systemd/systemd', '/lib/systemd/system/ssh.service']) {
    try {
      await access(file);
    } catch {
      missing.push(file);
    }
  }
  if (missing.length > 0) return `the lab needs ${missing.join(', ')}: run "npm run setup" (scripts/setup.sh) as root`;
  return null;
}

/**
 * Starts a lab: removes stale labs' leftovers (leftovers.ts), claims an address slice, makes the
 * lab's namespace, bridge and this machine's leg. Throws with the reason when the lab cannot
 * run (see `labUnavailable`), leaving nothing behind.
 */
export async function startLab(): Promise<Lab> {
  const unavailable = await labUnavailable();
  if (unavailable !== null) throw new Error(unavailable);
  await cleanStaleLabs();

  const id = newLabId();
  await writeOwner(id);
  let slice: number;
  try {
    slice = await claimSlice(id);
  } catch (e) {
    await rm(labDir(id), { recursive: true, force: true });
    throw e;
  }
  const base = sliceBase(slice);
  const gateway = address(base + 1);
  try {
    await createLabNetwork(id, gateway);
  } catch (e) {
    await releaseSlice(slice, id);
    await rm(labDir(id), { recursive: true, force: true });
    throw e;
  }

  const pool: string[] = [];
  for (let offset = FIRST_HOST_OFFSET; offset <= LAST_HOST_OFFSET; offset++) pool.push(address(base + offset));
  /** Addresses handed out by allocateIpv4, or taken by a host booted without one. */
  const allocated = new Set<string>();
  /** Addresses of hosts not yet off, to the host's name. */
  const held = new Map<string, string>();
  const hosts: LabHost[] = [];
  let nextHost = 1;
  let closing: Promise<void> | null = null;
  /** Boots under way: `close` waits for them, so a host started meanwhile is powered off too. */
  const booting = new Set<Promise<unknown>>();

  const forgetNeighbour = async (ipv4: string): Promise<void> => {
    // The next host with this address has another MAC: stale ARP entries here and in the other
    // hosts would make it unreachable for seconds.
    await attempt('ip', ['neigh', 'flush', 'to', ipv4, 'dev', legName(id)]);
    for (const other of hosts) {
      if (other.state !== 'off' && (await netnsExists(other.name))) await attempt('ip', ['-n', other.name, 'neigh', 'flush', 'to', ipv4]);
    }
  };

  const lab: Lab = {
    id,
    netns: labNetnsName(id),
    subnet: `${address(base)}/${SLICE_PREFIX_LENGTH}`,
    gateway,
    pool,
    get hosts() {
      return hosts.filter((h) => h.state !== 'off');
    },
    allocateIpv4() {
      const free = pool.find((a) => !allocated.has(a) && !held.has(a));
      if (free === undefined) throw new Error(`lab ${id}: all ${pool.length} addresses of ${lab.subnet} are in use`);
      allocated.add(free);
      return free;
    },
    releaseIpv4(ipv4) {
      allocated.delete(ipv4);
    },
    boot(options) {
      if (closing !== null) return Promise.reject(new Error(`lab ${id} is closed`));
      const started = bootHost(options);
      booting.add(started);
      void started.then(
        () => booting.delete(started),
        () => booting.delete(started),
      );
      return started;
    },
    close() {
      closing ??= (async () => {
        await Promise.allSettled([...booting]);
        await Promise.all(hosts.map((h) => h.powerOff()));
        await removeLabNetwork(id);
        await removeLabCgroups(id);
        await releaseSlice(slice, id);
        await run('rm', ['-rf', '--one-file-system', labDir(id)]);
      })();
      return closing;
    },
  };

  const bootHost = async (options: BootOptions): Promise<LabHost> => {
    let ipv4: string;
    let ownsAddress = false;
    if (options.ipv4 === undefined) {
      ipv4 = lab.allocateIpv4();
      ownsAddress = true;
    } else {
      ipv4 = options.ipv4;
      if (!pool.includes(ipv4)) throw new Error(`lab ${id}: ${ipv4} is not a host address of ${lab.subnet} (${pool[0]} - ${pool[pool.length - 1]})`);
      const holder = held.get(ipv4);
      if (holder !== undefined) throw new Error(`lab ${id}: ${ipv4} belongs to ${holder}, which is still running`);
    }
    const n = nextHost++;
    const name = hostNetnsName(id, n);
    held.set(ipv4, name);
    const hostname = options.hostname ?? `host-${ipv4.replaceAll('.', '-')}`;
    const release = (): void => {
      held.delete(ipv4);
      if (ownsAddress) allocated.delete(ipv4);
    };
    let host: LabHost;
    try {
      await forgetNeighbour(ipv4);
      const dir = join(labDir(id), 'hosts', String(n));
      await mkdir(dir, { recursive: true });
      const netns = await createHostNetwork(id, n, ipv4, gateway);
      const cgroups = await makeHostCgroups(id, n);
      host = await startHost({
        cgroups,
        name,
        dir,
        netns,
        ipv4,
        hostname,
        authorizedKeys: options.authorizedKeys,
        onOff: () => {
          release();
          void forgetNeighbour(ipv4);
        },
      });
    } catch (e) {
      release();
      throw e;
    }
    hosts.push(host);
    return host;
  };
  return lab;
}
