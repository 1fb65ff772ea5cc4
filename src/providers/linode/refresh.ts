/**
 * Batched refresh. The contract reads one instance at a time, but asking Linode once per instance
 * would cost a request (and a share of the rate limit) per instance. Instead every read looks the
 * instance up in one listing of all instances carrying the state's tag (`X-Filter:
 * {"tags": "infra:<lineage>"}`, 500 per page), and that listing is shared by the reads of one
 * refresh pass:
 *
 * - a pass is recognised by its `ctx.signal`: the engine hands every read of one refresh the same
 *   signal, and a new one to the next refresh, so a second refresh in the same process (a plan
 *   after an apply, a test calling the CLI twice) asks Linode again;
 * - reads of a pass running at the same time wait for the same request, and reads arriving one
 *   after the other reuse the finished listing for up to `refresh_reuse_ms` (default 10 s);
 * - every create, update and delete by this process makes existing listings stale, so the
 *   provider never answers from a listing older than its own changes; a failed listing is not
 *   kept;
 * - `forgetListings()` makes every listing stale, for a caller that wants the next read to ask.
 *
 * Listings are kept per (signal, API address, token, lineage), in memory only.
 */
import { createHash } from 'node:crypto';
import type { Linode } from '@linode/api-v4';
import type { LinodeApi } from './client.js';
import { stateTag } from './naming.js';
import type { Attempted } from './retry.js';

interface Listing {
  readonly result: Promise<Attempted<ReadonlyMap<number, Linode>>>;
  /** The writes counter when the listing was asked for. */
  readonly epoch: number;
  /** Set when the request finished. */
  finishedAt: number | null;
}

const passes = new WeakMap<AbortSignal, Map<string, Listing>>();
/** Counts changes per state (and one global count for `forgetListings`). */
const writes = new Map<string, number>();
let forgotten = 0;

/** The state's instances by id: shared within a refresh pass as described above. */
export function stateListing(api: LinodeApi, lineage: string, signal: AbortSignal): Promise<Attempted<ReadonlyMap<number, Linode>>> {
  const key = listingKey(api, lineage);
  const epoch = forgotten + (writes.get(key) ?? 0);
  let listings = passes.get(signal);
  if (!listings) {
    listings = new Map();
    passes.set(signal, listings);
  }
  const known = listings.get(key);
  const fresh = known && known.epoch === epoch && (known.finishedAt === null || Date.now() - known.finishedAt <= api.settings.refreshReuseMs);
  if (known && fresh) return known.result;

  const listing: Listing = {
    epoch,
    finishedAt: null,
    result: api.listInstances({ tags: stateTag(lineage) }, 'list the instances of this state').then((r) =>
      r.ok ? { ok: true as const, value: new Map(r.value.map((i) => [i.id, i])) } : r,
    ),
  };
  listings.set(key, listing);
  const owner = listings;
  void listing.result.then((r) => {
    listing.finishedAt = Date.now();
    if (!r.ok && owner.get(key) === listing) owner.delete(key);
  });
  return listing.result;
}

/** Makes the listings of one state stale: called after every change this process makes to it. */
export function forgetListing(api: LinodeApi, lineage: string): void {
  const key = listingKey(api, lineage);
  writes.set(key, (writes.get(key) ?? 0) + 1);
}

/** Makes every listing stale, so the next read asks the API again. */
export function forgetListings(): void {
  forgotten++;
}

function listingKey(api: LinodeApi, lineage: string): string {
  // The token only tells accounts apart here; its hash never leaves this module.
  const account = createHash('sha256').update(api.settings.token).digest('hex').slice(0, 16);
  return `${api.settings.apiRoot}\n${account}\n${lineage}`;
}
