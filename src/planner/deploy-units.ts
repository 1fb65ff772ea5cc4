/**
 * Pass "deploy units": which blue-green instances deploy, and the resources each deploy touches
 * (its provisions, the checks that verify the new copy, the routes switched to it, the checks
 * through those routes). Also the rule that a blue-green resource has a check and a route.
 */
import { error } from '../diagnostics.js';
import { transitiveDeps } from '../graph/dag.js';
import type { Role } from '../providers/contract.js';
import type { PlanContext } from './context.js';
import { placementHosts } from './placement.js';
import type { PassResult, TransitiveDeps } from './pass.js';
import type { DeployUnit } from './plan.js';
import type { Selection } from './targets.js';

/** The transitive dependencies of every instance of `pass`. */
export function instanceClosure(pass: PassResult): TransitiveDeps {
  return transitiveDeps(pass.instances.keys(), (a) => pass.instances.get(a)?.deps);
}

/**
 * Blue-green instances that need a deploy: changed themselves, or a provision of theirs changed;
 * except an unfinished first deploy (`unfinishedFirstDeploy`), which is continued in place.
 */
export function unitsNeeded(pass: PassResult, forced: ReadonlySet<string>): Set<string> {
  const out = new Set(forced);
  const candidates = new Set<string>();
  for (const ev of pass.instances.values()) {
    if (!ev.decl.lifecycle.blueGreen || !ev.prior) continue;
    if (ev.kind === 'update' || ev.kind === 'replace') candidates.add(ev.address);
  }
  for (const ev of pass.instances.values()) {
    if (ev.info.schema.role !== 'provision' || ev.kind === 'no-op') continue;
    for (const d of ev.deps) {
      const host = pass.instances.get(d);
      if (host?.decl.lifecycle.blueGreen && host.prior) candidates.add(d);
    }
  }
  let tdeps: TransitiveDeps | undefined;
  for (const a of candidates) if (!unfinishedFirstDeploy(pass, (tdeps ??= instanceClosure(pass)), a)) out.add(a);
  return out;
}

/**
 * Whether blue-green instance `address` is an unfinished first deploy: it has a live copy, but
 * none of the routes of its unit has one - a first apply made the copy and stopped before any
 * route to it was made (its provisioning failed), so nothing routes traffic to it yet and there
 * is nothing to switch away from. Such an instance is not deployed as a unit (a green copy,
 * verified, then switched to): its changes and its provisions' are planned as in a first apply,
 * on the copy there is (or replacing it in place when the instance itself must be replaced), so
 * checks that need what the switch would make (a zone naming the service address) are ordered
 * as in a first apply. Once any route of it has a live copy, changes deploy it blue-green again.
 */
export function unfinishedFirstDeploy(pass: PassResult, tdeps: TransitiveDeps, address: string): boolean {
  if (!pass.instances.get(address)?.prior) return false;
  const { routes } = unitMembers(pass, tdeps, address);
  return routes.length > 0 && routes.every((r) => !pass.instances.get(r)?.prior);
}

/** The members of a deploy unit, by role. */
export interface UnitMembers {
  readonly provisions: string[];
  readonly checks: string[];
  readonly routes: string[];
  readonly postChecks: string[];
}

/** The members of the deploy unit of blue-green instance `address`. */
export function unitMembers(pass: PassResult, tdeps: TransitiveDeps, address: string): UnitMembers {
  let index = memberIndexes.get(tdeps);
  if (!index || index.pass !== pass) {
    index = memberIndex(pass, tdeps);
    memberIndexes.set(tdeps, index);
  }
  const routes = index.routesOf.get(address) ?? [];
  const post = new Set(routes.flatMap((t) => index.checksOf.get(t) ?? []));
  const inOrder = (xs: Iterable<string>): string[] => [...xs].sort((x, y) => index.position.get(x)! - index.position.get(y)!);
  return {
    provisions: [...(index.provisionsOf.get(address) ?? [])],
    checks: (index.checksOf.get(address) ?? []).filter((c) => !post.has(c)),
    routes: [...routes],
    postChecks: inOrder(post),
  };
}

/** Who would be in whose unit, found once per pass: each instance's provisions, and the checks and routes that depend on it. */
interface MemberIndex {
  readonly pass: PassResult;
  readonly position: ReadonlyMap<string, number>;
  /** Address -> provisions that refer to it directly, and routes placed on it (placement.ts). */
  readonly provisionsOf: ReadonlyMap<string, string[]>;
  /** Address -> checks / routes that depend on it, directly or not. */
  readonly checksOf: ReadonlyMap<string, string[]>;
  readonly routesOf: ReadonlyMap<string, string[]>;
}
const memberIndexes = new WeakMap<TransitiveDeps, MemberIndex>();

function memberIndex(pass: PassResult, tdeps: TransitiveDeps): MemberIndex {
  const position = new Map<string, number>();
  const provisionsOf = new Map<string, string[]>();
  const checksOf = new Map<string, string[]>();
  const routesOf = new Map<string, string[]>();
  const add = (m: Map<string, string[]>, key: string, a: string): void => {
    const list = m.get(key);
    if (list) list.push(a);
    else m.set(key, [a]);
  };
  for (const [a, ev] of pass.instances) {
    position.set(a, position.size);
    const role: Role = ev.info.schema.role;
    if (role === 'provision') for (const d of ev.deps) add(provisionsOf, d, a);
    else if (role === 'check') for (const d of tdeps.get(a)!) add(checksOf, d, a);
    else if (role === 'route') {
      // A route is provisioning of the host it lives on, and a route of what it sends traffic to.
      const hosts = placementHosts(ev, (x) => pass.instances.get(x)?.deps);
      for (const d of tdeps.get(a)!) add(hosts.has(d) ? provisionsOf : routesOf, d, a);
    }
  }
  return { pass, position, provisionsOf, checksOf, routesOf };
}

/** A blue-green resource must be verified by a check and reached through a route. */
export function checkBlueGreenShape(ctx: PlanContext, pass: PassResult, closure: () => TransitiveDeps): void {
  if (!ctx.input.config.resources.some((r) => r.lifecycle.blueGreen)) return;
  const tdeps = closure();
  const reported = new Set<string>();
  for (const ev of pass.instances.values()) {
    const bg = ev.decl.lifecycle.blueGreen;
    if (!bg || reported.has(ev.decl.address)) continue;
    const m = unitMembers(pass, tdeps, ev.address);
    const missing: [boolean, string, string][] = [
      [m.checks.length === 0, 'no check to verify it', `A blue-green deploy verifies the new copy before traffic is switched to it. Declare a check (such as dns_check) whose configuration refers to ${ev.address}.`],
      [m.routes.length === 0, 'no route pointing at it', `A blue-green deploy switches traffic from the old copy to the new one. Declare a route (such as nginx_upstream) whose configuration refers to ${ev.address}.`],
    ];
    for (const [lacks, what, detail] of missing) {
      if (!lacks) continue;
      reported.add(ev.decl.address);
      ctx.diagnostics.push(error(`Blue-green resource ${ev.address} has ${what}`, detail, bg.range));
    }
  }
}

/** The deploy units of a plan, and the unit each member belongs to (the first that claims it). */
export interface Units {
  readonly units: readonly DeployUnit[];
  readonly unitOf: ReadonlyMap<string, string>;
}

/**
 * One unit per forced blue-green instance in scope, by address. With --target, a unit's members
 * join the selection, so a deploy is never cut in half.
 */
export function deployUnits(pass: PassResult, forced: ReadonlySet<string>, tdeps: () => TransitiveDeps, selection: Selection): Units {
  const units: DeployUnit[] = [];
  const unitOf = new Map<string, string>();
  for (const address of [...forced].sort()) {
    const ev = pass.instances.get(address);
    if (!ev || !selection.inScope(address)) continue;
    const m = unitMembers(pass, tdeps(), address);
    const keepBlue = ev.decl.lifecycle.blueGreen?.keepBlue;
    units.push({ address, ...m, priorGeneration: ev.prior!.generation, plannedGeneration: ev.generation, ...(keepBlue ? { keepBlue } : {}) });
    for (const a of [...m.provisions, ...m.checks, ...m.routes, ...m.postChecks]) {
      if (unitOf.has(a) && unitOf.get(a) !== address) continue;
      unitOf.set(a, address);
      selection.include(a, { code: 'in-deploy-unit', unit: address });
    }
  }
  return { units, unitOf };
}

/** The unit's members: the instance itself first, then provisions, checks, routes, post-checks. */
export function membersOfUnit(u: DeployUnit): string[] {
  return [u.address, ...u.provisions, ...u.checks, ...u.routes, ...u.postChecks];
}
