/**
 * The Linode API emulator with a real host behind every instance: the "lab emulator".
 *
 *   const { url, token, lab, close } = await startLabEmulator({ token: 'test-token' });
 *   // LINODE_URL=url LINODE_TOKEN=token infra apply ...: each instance created is a lab host
 *   // at its `ipv4[0]` (198.51.100.x), root's authorized_keys = the instance's authorized_keys.
 *   await close();
 *
 * An instance created through the API gets an address from the lab's pool (the lowest free
 * one: a deleted instance's address goes to the next new instance, with new host keys) and a
 * host that starts booting at once: the API says `running` after the emulator's timing, and
 * sshd answers a moment later, as on Linode. Deleting the instance through the API powers the
 * host off, and the instance stays `deleting` until it is off (a 404 means the host is gone);
 * `deleteOutside` removes the instance at once and powers the host off in the background. An
 * address is free again once its instance is gone and its host off.
 * Seeded instances (`emulator.seedInstance`) get a pool address but no host.
 *
 * Addresses of the Networking API (a service address) are routed as Linode's network routes
 * them, and no further: allocation and assignment set a permanent neighbour entry for the address
 * to the host's MAC before the API answers (Linode routes by assignment, not by what guests
 * answer to ARP), so the next packet goes to the assigned host. As on Linode, the guest is not reconfigured: a host
 * answers the address only once something on it brings the address up on its interface (the
 * provider does, over SSH; Network Helper would at the next boot).
 */
import type { EmulatedInstance, HostBackend, LinodeEmulator, LinodeEmulatorOptions } from '../linode-emulator.js';
import { startLinodeEmulator } from '../linode-emulator.js';
import { ip } from './commands.js';
import { startLab, type Lab, type LabHost } from './lab.js';
import { legName } from './network.js';

/** How to start a lab emulator: the emulator's options (its `hosts` is the lab). */
export type LabEmulatorOptions = Omit<LinodeEmulatorOptions, 'hosts'>;

/** A running lab emulator. */
export interface LabEmulator {
  /** The API base, `http://127.0.0.1:PORT/v4` (LINODE_URL, the provider's `url`). */
  readonly url: string;
  /** The token the API accepts (LINODE_TOKEN). */
  readonly token: string;
  readonly emulator: LinodeEmulator;
  readonly lab: Lab;
  /** The host of instance `id` while it has one (booting or running; not after power-off). */
  hostOf(id: number): LabHost | undefined;
  /** Hosts that failed to boot, by instance id (their instances stay, as a broken Linode would). */
  readonly bootErrors: ReadonlyMap<number, Error>;
  /** Resolves with instance `id`'s host once its sshd answers; rejects if it has none or it fails. */
  waitForSsh(id: number, options?: { timeoutMs?: number }): Promise<LabHost>;
  /** Resolves once no host is being made or powered off (after `deleteOutside`, say). */
  idle(): Promise<void>;
  /** Stops the API and closes the lab (every host off, nothing left); idempotent. */
  close(): Promise<void>;
}

/** Starts a lab and an emulator whose instances are the lab's hosts. */
export async function startLabEmulator(options: LabEmulatorOptions = {}): Promise<LabEmulator> {
  const lab = await startLab();
  const hosts = new Map<number, Promise<LabHost | null>>();
  const bootErrors = new Map<number, Error>();
  const poweringOff = new Set<Promise<void>>();
  const booted = new Map<number, LabHost>();

  // Linode's network sends an address to the Linode it is assigned to, whatever the guests
  // answer to ARP: while an address moves both load balancers have it up for a moment, and a
  // guest's ARP request sent from it would otherwise repoint this machine at that guest. So a
  // service address gets a permanent neighbour entry, changed only by an assignment.
  const forgetNeighbour = async (address: string): Promise<void> => {
    await ip(['neigh', 'del', address, 'dev', legName(lab.id)]).catch(() => undefined);
    await ip(['neigh', 'flush', 'to', address, 'dev', legName(lab.id)]).catch(() => undefined);
  };
  const pointNeighbour = async (address: string, id: number): Promise<void> => {
    const to = await hosts.get(id);
    const link = to ? await ip(['-j', 'link', 'show', 'eth0'], to.name).catch(() => null) : null;
    const mac = link ? (JSON.parse(link.stdout) as { address?: string }[])[0]?.address : undefined;
    if (mac) await ip(['neigh', 'replace', address, 'lladdr', mac, 'dev', legName(lab.id), 'nud', 'permanent']).catch(() => undefined);
    else await forgetNeighbour(address);
  };

  const backend: HostBackend = {
    addIpv4: (id, address) => pointNeighbour(address, id),
    removeIpv4: (_id, address) => forgetNeighbour(address),
    // The routing moves in one step: packets go to the new host's MAC from now on.
    moveIpv4: (address, _fromId, toId) => pointNeighbour(address, toId),
    allocateIpv4: () => lab.allocateIpv4(),
    releaseIpv4: (ipv4) => lab.releaseIpv4(ipv4),
    boot(instance: EmulatedInstance, authorizedKeys: readonly string[]) {
      const ipv4 = instance.ipv4[0] as string;
      const booting = lab.boot({ ipv4, authorizedKeys, hostname: instance.label }).then(
        (host) => {
          booted.set(instance.id, host);
          return host;
        },
        (e: unknown) => {
          bootErrors.set(instance.id, e instanceof Error ? e : new Error(String(e)));
          return null;
        },
      );
      hosts.set(instance.id, booting);
    },
    powerOff(instance: EmulatedInstance) {
      const booting = hosts.get(instance.id);
      if (booting === undefined) return Promise.resolve();
      hosts.delete(instance.id);
      const off = booting.then((host) => host?.powerOff()).catch(() => undefined);
      poweringOff.add(off);
      void off.finally(() => poweringOff.delete(off));
      return off;
    },
  };

  let emulator: LinodeEmulator;
  try {
    emulator = await startLinodeEmulator({ ...options, hosts: backend });
  } catch (e) {
    await lab.close();
    throw e;
  }
  let closing: Promise<void> | null = null;

  return {
    url: emulator.url,
    token: emulator.token,
    emulator,
    lab,
    bootErrors,
    hostOf(id) {
      const host = booted.get(id);
      return host !== undefined && host.state !== 'off' ? host : undefined;
    },
    async waitForSsh(id, waitOptions) {
      const booting = hosts.get(id);
      if (booting === undefined) throw new Error(`instance ${id} has no host (never created through the API, or deleted)`);
      const host = await booting;
      if (host === null) throw bootErrors.get(id) ?? new Error(`instance ${id}'s host failed to boot`);
      await host.waitForSsh(waitOptions);
      return host;
    },
    async idle() {
      await Promise.all([...hosts.values(), ...poweringOff]);
    },
    close() {
      closing ??= (async () => {
        await emulator.close();
        await Promise.all([...poweringOff]);
        await lab.close();
      })();
      return closing;
    },
  };
}
