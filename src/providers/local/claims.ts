/**
 * Machine-wide registry of the loopback addresses local hosts use, so that two states (or two
 * test runs) on one machine never pick the same address. A claim is a file named after the
 * address in `/run/infra-local/claims/`, created atomically and exclusively (written aside and
 * hard-linked into place, so it is never seen half-written) and holding its owner. /run is
 * cleared at boot, like the loopback addresses themselves, so the registry never outlives them.
 */
import { randomInt } from 'node:crypto';
import { link, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where claims live unless a caller (a test) says otherwise. */
export const DEFAULT_CLAIMS_DIR = '/run/infra-local/claims';

/**
 * Addresses are drawn from 127.64.0.0/10 (127.64.0.0 - 127.127.255.255): far from 127.0.0.1 and
 * the 127.0.x.y addresses tools tend to use, with 4 million choices so that random picks rarely
 * meet. 127.80.0.0/16 is left to the Linode emulator.
 */
const RANGE_START = (127 << 24) | (64 << 16);
const RANGE_SIZE = 1 << 22;
const RESERVED_SECOND_OCTET = 80;

/** Who holds a claim: enough to find and clean up the host without its state file. */
export interface ClaimOwner {
  /** The host's working directory; a claim is released only by the holder of this directory. */
  readonly dir: string;
  readonly stateDir: string;
  readonly lineage: string;
  /** Resource address, for people reading the registry. */
  readonly address: string;
  readonly generation: number;
  /** Process that made the claim, and when. */
  readonly pid: number;
  readonly createdAt: string;
}

export interface Claim {
  readonly ipv4: string;
  readonly owner: ClaimOwner;
}

export interface ClaimOptions {
  readonly claimsDir?: string;
  /** Addresses to skip besides claimed ones: those already on the loopback interface. */
  readonly taken?: ReadonlySet<string>;
  /** Candidate generator (tests force collisions with it); random in the range by default. */
  readonly pick?: () => string;
  /** Candidates tried before giving up. */
  readonly attempts?: number;
}

/** A random address of the range that is not in the reserved /16 and ends neither in 0 nor 255. */
export function randomCandidate(): string {
  for (;;) {
    const n = RANGE_START + randomInt(RANGE_SIZE);
    const octets = [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    if (octets[1] === RESERVED_SECOND_OCTET || octets[3] === 0 || octets[3] === 255) continue;
    return octets.join('.');
  }
}

/**
 * Claims a free address for `owner` and returns it, or `null` when none was found in
 * `attempts` tries (the registry is full of stale claims, or `pick` keeps returning taken ones).
 * File-system errors (no permission on /run) are thrown; callers report them.
 */
export async function claimAddress(owner: ClaimOwner, options: ClaimOptions = {}): Promise<string | null> {
  const dir = options.claimsDir ?? DEFAULT_CLAIMS_DIR;
  const pick = options.pick ?? randomCandidate;
  const attempts = options.attempts ?? 1000;
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const content = `${JSON.stringify(owner, null, 2)}\n`;
  const staging = join(dir, `.staging-${process.pid}-${randomInt(1 << 30)}`);
  await writeFile(staging, content, { mode: 0o644 });
  try {
    for (let i = 0; i < attempts; i++) {
      const ipv4 = pick();
      if (options.taken?.has(ipv4)) continue;
      try {
        // link() fails with EEXIST when someone holds the address: the exclusive step.
        await link(staging, join(dir, ipv4));
        return ipv4;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    return null;
  } finally {
    await unlink(staging).catch(() => undefined);
  }
}

/** The owner of the claim on `ipv4`, or null when the address is not claimed (or unreadable). */
export async function readClaim(ipv4: string, claimsDir = DEFAULT_CLAIMS_DIR): Promise<ClaimOwner | null> {
  try {
    return parseOwner(await readFile(join(claimsDir, ipv4), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Releases the claim on `ipv4` if `dir` holds it; another owner's claim on the same address (it
 * was released and claimed again) is left alone. Returns whether a claim was removed.
 */
export async function releaseClaim(ipv4: string, dir: string, claimsDir = DEFAULT_CLAIMS_DIR): Promise<boolean> {
  const owner = await readClaim(ipv4, claimsDir);
  if (owner?.dir !== dir) return false;
  try {
    await unlink(join(claimsDir, ipv4));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Every claim in the registry, sorted by address. */
export async function listClaims(claimsDir = DEFAULT_CLAIMS_DIR): Promise<Claim[]> {
  let names: string[];
  try {
    names = await readdir(claimsDir);
  } catch {
    return [];
  }
  const claims: Claim[] = [];
  for (const name of names.filter((n) => !n.startsWith('.')).sort()) {
    const owner = await readClaim(name, claimsDir);
    if (owner) claims.push({ ipv4: name, owner });
  }
  return claims;
}

function parseOwner(text: string): ClaimOwner | null {
  try {
    const v = JSON.parse(text) as Partial<ClaimOwner>;
    return typeof v === 'object' && v !== null && typeof v.dir === 'string' ? (v as ClaimOwner) : null;
  } catch {
    return null;
  }
}
