/**
 * Fresh loopback addresses for tests that run real servers. Every address comes from
 * 127.199.0.0/16, outside what the project hands out (`local_host` draws from 127.64.0.0/10, the
 * Linode emulator from 127.80.0.0/16), and is added to `lo` only if it is not there yet:
 * `ip addr add` fails on an address that exists, so two test runs racing for the same address
 * cannot both get it.
 */
import { execFile } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** An address added to `lo` by `addLoopbackAddress`; `remove` is idempotent. */
export interface LoopbackAddress {
  readonly address: string;
  remove(): Promise<void>;
}

function addressesOnLo(): Set<string> {
  const lo = networkInterfaces().lo ?? [];
  return new Set(lo.filter((a) => a.family === 'IPv4').map((a) => a.address));
}

/**
 * Adds a random unused 127.199.x.y/32 to `lo` (needs root). Throws when none could be added:
 * a test that cannot get an address cannot run at all.
 */
export async function addLoopbackAddress(): Promise<LoopbackAddress> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const address = `127.199.${1 + Math.floor(Math.random() * 254)}.${1 + Math.floor(Math.random() * 254)}`;
    if (addressesOnLo().has(address)) continue;
    try {
      await run('ip', ['addr', 'add', `${address}/32`, 'dev', 'lo']);
    } catch {
      continue;
    }
    let removed = false;
    return {
      address,
      async remove() {
        if (removed) return;
        removed = true;
        await run('ip', ['addr', 'del', `${address}/32`, 'dev', 'lo']).catch(() => undefined);
      },
    };
  }
  throw new Error('could not add a 127.199.x.y address to lo (tests that run servers need root and iproute2)');
}
