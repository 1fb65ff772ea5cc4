/**
 * Pass "ordering": the edges the step layout cannot add while it walks, because they join
 * steps of different instances laid out at different times.
 */
import { type Units, unitMembers } from './deploy-units.js';
import type { PassResult, TransitiveDeps } from './pass.js';
import type { ResourceChange } from './plan.js';
import { copyKey } from '../addrs/address.js';
import type { Layout } from './step-layout.js';

/**
 * A route to a blue-green instance that is being created goes live only after the checks of
 * that instance passed, as in a deploy: the first deploy is verified too.
 */
export function orderFirstDeployRoutes(pass: PassResult, layout: Layout, changes: ReadonlyMap<string, ResourceChange>, units: Units, tdeps: () => TransitiveDeps): void {
  const { steps, done } = layout;
  const isBg = (a: string): boolean => !!pass.instances.get(a)?.decl.lifecycle.blueGreen;
  // A route whose attributes configure something other than checks (a service address written
  // into a zone) must exist before what it configures; when waiting for its checks would close a
  // loop, the routes that only carry traffic are ordered first and it yields.
  const configures = new Set<string>();
  for (const ev of pass.instances.values()) {
    if (ev.info.schema.role === 'check') continue;
    for (const d of ev.deps) if (pass.instances.get(d)?.info.schema.role === 'route') configures.add(d);
  }
  const ordered = [...changes].sort(([a], [b]) => Number(configures.has(a)) - Number(configures.has(b)));
  for (const [address, c] of ordered) {
    if (c.role !== 'route' || units.unitOf.has(address) || !done.has(address)) continue;
    for (const dep of tdeps().get(address) ?? []) {
      if (!isBg(dep) || layout.unitFinal.has(dep)) continue;
      for (const check of unitMembers(pass, tdeps(), dep).checks) {
        const d = done.get(check);
        if (d && !steps.dependsOn(d, done.get(address)!)) steps.addAfter(done.get(address)!, d);
      }
    }
  }
}

/**
 * The old object of a delete-first replacement goes after the old objects of its dependents
 * that are replaced the same way; the old object of a create-first replacement goes after its
 * dependents have moved to the new object.
 */
export function orderReplacedObjects(layout: Layout, changes: ReadonlyMap<string, ResourceChange>): void {
  const { steps, done } = layout;
  const deleteFirstDel = new Map(layout.deleteFirst.map((x) => [x.address, x.del]));
  for (const other of layout.deleteFirst) {
    for (const d of changes.get(other.address)!.dependencies) {
      const del = deleteFirstDel.get(d);
      if (del !== undefined && d !== other.address) steps.addAfter(del, other.del);
    }
  }
  const dependents = dependentsIndex(changes.values());
  for (const { address, del } of layout.createFirst) {
    for (const other of dependents.get(address) ?? []) {
      const d = done.get(other.address);
      if (d && !steps.dependsOn(d, del)) steps.addAfter(del, d);
    }
  }
}

/** Orphans and leftovers wait until nothing configured points at them any more. */
export function orderRemovedLast(layout: Layout, changes: ReadonlyMap<string, ResourceChange>): void {
  const { steps, done } = layout;
  // Only changes that act (and so have a step) can hold a removed copy back: those depending on
  // it, and for a removed instance every route (it may send traffic there).
  const acting = [...changes.values()].filter((c) => c.actions[0] !== 'no-op' && done.has(c.address));
  const position = new Map(acting.map((c, i) => [c, i]));
  const dependents = dependentsIndex(acting);
  const routes = acting.filter((c) => c.role === 'route');
  for (const c of layout.removed) {
    const id = layout.deleteStep.get(copyKey({ address: c.address, generation: c.priorGeneration }))!;
    const holders = new Set([...(dependents.get(c.address) ?? []), ...(c.role === 'instance' ? routes : [])]);
    for (const other of [...holders].sort((x, y) => position.get(x)! - position.get(y)!)) {
      const d = done.get(other.address)!;
      if (!steps.dependsOn(d, id)) steps.addAfter(id, d);
    }
  }
}

/** Address -> the changes that depend on it, in the order of `changes`. */
function dependentsIndex(changes: Iterable<ResourceChange>): Map<string, ResourceChange[]> {
  const out = new Map<string, ResourceChange[]>();
  for (const c of changes) {
    for (const d of new Set(c.dependencies)) {
      const list = out.get(d);
      if (list) list.push(c);
      else out.set(d, [c]);
    }
  }
  return out;
}
