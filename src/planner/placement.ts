/**
 * Routes placed on a host: a route type may name the attribute that says where the route lives
 * (`placement`: `lb` of nginx_upstream), as opposed to what it sends traffic to. When the host
 * it lives on is replaced blue-green, the route is provisioning of the green copy - created on
 * green before the checks, deleted with blue - and only a deploy of what it sends traffic to
 * switches it. Found from the resource references written in the placement attribute, and the
 * instances those reach.
 */
import { blockOf } from '../addrs/address.js';
import type { ResourceDecl } from '../config/types.js';
import { referencesOf } from '../evaluate/references.js';
import type { ResourceTypeSchema } from '../providers/contract.js';
import { type PlanContext, liveCopy } from './context.js';
import type { Evaluated } from './pass.js';

/** The blocks (`type.name`) referenced by the placement attribute of `decl`; empty when it has none. */
export function placementBlocks(decl: ResourceDecl, schema: ResourceTypeSchema): Set<string> {
  const out = new Set<string>();
  if (schema.role !== 'route' || schema.placement === undefined) return out;
  for (const item of decl.body.items) {
    if (item.kind !== 'Attribute' || item.name !== schema.placement) continue;
    const refs = referencesOf(item.expr);
    // `each.value` is an instance of what for_each iterates.
    if (decl.forEach && refs.some((r) => r.kind === 'each' && r.name === 'value')) refs.push(...referencesOf(decl.forEach));
    for (const r of refs) if (r.kind === 'resource' && r.type !== undefined) out.add(`${r.type}.${r.name}`);
  }
  return out;
}

/**
 * The instances route `ev` lives on: its direct dependencies named in its placement attribute,
 * and everything those depend on (the load balancer behind `ansible_playbook.lb["ns1"].host`).
 */
export function placementHosts(ev: Pick<Evaluated, 'decl' | 'info' | 'deps'>, depsOf: (address: string) => ReadonlySet<string> | undefined): Set<string> {
  const blocks = placementBlocks(ev.decl, ev.info.schema);
  const out = new Set<string>();
  if (blocks.size === 0) return out;
  const stack = [...ev.deps].filter((d) => blocks.has(blockOf(d)));
  while (stack.length > 0) {
    const a = stack.pop()!;
    if (out.has(a)) continue;
    out.add(a);
    for (const d of depsOf(a) ?? []) stack.push(d);
  }
  return out;
}

/**
 * The generation of a placed route's copy: the planned generation of the blue-green host it
 * lives on when that host deploys, is new or is replaced in place, else the route's live copy's, so a change made
 * outside the host's deploy (a switch of what the route sends traffic to) acts on the copy
 * that is live. Undefined when the route lives on no blue-green host.
 */
export function placedGeneration(
  ctx: PlanContext,
  ev: Pick<Evaluated, 'decl' | 'info' | 'deps' | 'address'>,
  instances: ReadonlyMap<string, Evaluated>,
  forced: ReadonlySet<string>,
): number | undefined {
  const hosts = placementHosts(ev, (a) => instances.get(a)?.deps);
  const host = [...hosts].sort().find((h) => instances.get(h)?.decl.lifecycle.blueGreen);
  if (host === undefined) return undefined;
  const hostLive = liveCopy(ctx, host);
  const h = instances.get(host)!;
  if (forced.has(host) || !hostLive || h.kind === 'replace') return h.generation;
  return liveCopy(ctx, ev.address)?.generation ?? hostLive.generation;
}
