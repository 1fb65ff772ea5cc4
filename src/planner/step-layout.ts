/**
 * Pass "step layout": the steps of a normal plan. Deletes of removed copies first, then one
 * walk in dependency order in which a deploy unit is a single node: whatever a unit's members
 * need from outside it is laid out before the unit, whatever needs them after it. A unit is
 * create green -> provision -> verify -> switch -> post-switch verify -> delete blue; any other
 * change is its create, update, or replacement in the order its lifecycle asks for.
 */
import { copyKey } from '../addrs/address.js';
import { stateValues } from '../state/sensitive.js';
import { NEW_COPY, SERVING, describeTarget, recordedColor } from './colors.js';
import { type PlanContext, liveCopy } from './context.js';
import { type Units, membersOfUnit } from './deploy-units.js';
import type { PassResult, TransitiveDeps } from './pass.js';
import type { DeployUnit, ResourceChange, StepKind } from './plan.js';
import type { Removed } from './changes.js';
import { StepList } from './step-list.js';

/** What the layout made, for the ordering passes (ordering.ts). */
export interface Layout {
  readonly steps: StepList;
  /** Instance address -> the step its dependents wait for. */
  readonly done: Map<string, string>;
  /** Unit address -> its last step (the delete of blue). */
  readonly unitFinal: Map<string, string>;
  /** `copyKey` -> the delete step of a removed copy. */
  readonly deleteStep: Map<string, string>;
  /** Instance address -> the delete steps of removed copies at it. */
  readonly deletesAt: Map<string, string[]>;
  /** Removed copies' changes, by address. */
  readonly removed: readonly ResourceChange[];
  /** Replacements that delete first / create first: the address and its delete step. */
  readonly deleteFirst: { readonly address: string; readonly del: string }[];
  readonly createFirst: { readonly address: string; readonly del: string }[];
  /** Each laid-out unit's last step and max_parallel, in layout order. */
  readonly unitIds: { readonly address: string; readonly final: string; readonly max: number }[];
}

/** Lays out the steps of every change, units as one node each. */
export function layoutSteps(ctx: PlanContext, pass: PassResult, changes: ReadonlyMap<string, ResourceChange>, removed: Removed, units: Units, tdeps: () => TransitiveDeps): Layout {
  const layout: Layout = {
    steps: new StepList(),
    done: new Map(),
    unitFinal: new Map(),
    deleteStep: new Map(),
    deletesAt: new Map(),
    removed: [...removed.changes].sort((a, b) => (a.address < b.address ? -1 : 1)),
    deleteFirst: [],
    createFirst: [],
    unitIds: [],
  };
  layoutRemoved(ctx, layout, removed.leftovers);
  const unitByAddress = new Map(units.units.map((u) => [u.address, u]));
  const nodeOf = (a: string): string => units.unitOf.get(a) ?? a;
  const membersOf = (n: string): string[] => {
    const u = unitByAddress.get(n);
    return u ? membersOfUnit(u) : [n];
  };
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const place = (n: string): void => {
    if (placed.has(n) || visiting.has(n)) return;
    visiting.add(n);
    // Units are placed in the order orderUnits found; from a unit only what is not a unit is pulled in.
    const fromUnit = unitByAddress.has(n);
    for (const m of membersOf(n)) for (const d of pass.instances.get(m)?.deps ?? []) if (nodeOf(d) !== n && !(fromUnit && unitByAddress.has(nodeOf(d)))) place(nodeOf(d));
    visiting.delete(n);
    placed.add(n);
    const u = unitByAddress.get(n);
    if (u) layoutUnit(ctx, pass, layout, u);
    else if (pass.instances.has(n)) layoutChange(pass, layout, changes.get(n)!);
  };
  for (const u of units.units.length ? orderUnits(pass, units.units, tdeps()) : []) place(u.address);
  for (const a of topoInstances(pass)) place(nodeOf(a));
  return layout;
}

/** Deletes of leftovers and orphans; dependents' deletes go before their dependencies' deletes. */
function layoutRemoved(ctx: PlanContext, layout: Layout, leftovers: ReadonlySet<string>): void {
  for (const c of layout.removed) {
    const copy = { address: c.address, generation: c.priorGeneration };
    const recorded = ctx.copies.get(c.address)?.find((r) => r.generation === c.priorGeneration);
    const color = recorded ? recordedColor(recorded) : null;
    const id = layout.steps.add({
      kind: 'delete',
      address: c.address,
      color,
      unit: null,
      afterSwitch: false,
      after: [],
      generation: c.priorGeneration,
      label: leftovers.has(copyKey(copy)) ? 'leftover' : undefined,
      operation: 'delete',
      blueGreen: color !== null,
    });
    layout.deleteStep.set(copyKey(copy), id);
    layout.deletesAt.set(c.address, [...(layout.deletesAt.get(c.address) ?? []), id]);
  }
  // Each removed copy's delete waits for the deletes of the removed copies that depended on it:
  // one look at each recorded dependency, not a scan of every removed copy per copy.
  const dependents = new Map<string, ResourceChange[]>();
  for (const other of layout.removed) {
    for (const d of new Set(other.dependencies)) {
      const list = dependents.get(d);
      if (list) list.push(other);
      else dependents.set(d, [other]);
    }
  }
  for (const c of layout.removed) {
    const id = layout.deleteStep.get(copyKey({ address: c.address, generation: c.priorGeneration }))!;
    for (const other of dependents.get(c.address) ?? []) {
      if (other !== c) layout.steps.addAfter(id, layout.deleteStep.get(copyKey({ address: other.address, generation: other.priorGeneration }))!);
    }
  }
}

/** The steps of one deploy unit; units go one at a time unless max_parallel allows more. */
function layoutUnit(ctx: PlanContext, pass: PassResult, layout: Layout, u: DeployUnit): void {
  const { steps } = layout;
  const ev = pass.instances.get(u.address)!;
  const green = NEW_COPY;
  const members = new Set(membersOfUnit(u));
  const external = (a: string): string[] =>
    [...(pass.instances.get(a)?.deps ?? [])].filter((d) => !members.has(d)).map((d) => layout.done.get(d)).filter((x): x is string => !!x);
  const gate: string[] = [];
  const max = ev.decl.lifecycle.blueGreen?.maxParallel ?? 1;
  if (layout.unitIds.length >= max) gate.push(layout.unitIds[layout.unitIds.length - max].final);
  // Leftover copies at the same address go first.
  gate.push(...(layout.deletesAt.get(u.address) ?? []));
  const common = { unit: u.address, afterSwitch: false } as const;
  // The unit's own instance is a blue-green copy; a member is one only if its block is blue-green too.
  const bg = (a: string): boolean => a === u.address || !!pass.instances.get(a)?.decl.lifecycle.blueGreen;
  const cR = steps.add({ ...common, kind: 'create', operation: 'create', blueGreen: true, address: u.address, color: green, after: [...gate, ...external(u.address)], generation: u.plannedGeneration });
  // A provision waits for the unit's provisions it depends on (a route placed on the host waits
  // for the playbook that installs what it configures); provisions are in dependency order.
  const cPs: string[] = [];
  for (const [i, p] of u.provisions.entries()) {
    const deps = pass.instances.get(p)?.deps;
    const earlier = u.provisions.slice(0, i).flatMap((q, j) => (deps?.has(q) ? [cPs[j]] : []));
    cPs.push(steps.add({ ...common, kind: 'create', operation: 'create', blueGreen: bg(p), address: p, color: green, after: [cR, ...earlier, ...external(p)], generation: u.plannedGeneration }));
  }
  const vCs = u.checks.map((c) => steps.add({ ...common, kind: 'verify', operation: 'verify', blueGreen: bg(c), address: c, color: green, after: [cR, ...cPs, ...external(c)], generation: 0 }));
  const sTs = u.routes.map((t) =>
    steps.add({
      ...common,
      kind: 'switch',
      // A route that does not exist yet (its create failed in an earlier apply) has nothing to
      // switch from: creating it is the switch.
      operation: liveCopy(ctx, t) ? 'update' : 'create',
      blueGreen: bg(t),
      address: t,
      color: green,
      after: [cR, ...cPs, ...vCs, ...external(t)],
      generation: 0,
      switchFrom: describeTarget(ev.prior ? stateValues(ev.prior) : null, SERVING),
      switchTo: describeTarget(ev.after, NEW_COPY),
      ...movedAddress(ctx, pass, t),
    }),
  );
  const vPs = u.postChecks.map((c) => steps.add({ ...common, kind: 'verify', operation: 'verify', blueGreen: bg(c), address: c, color: green, afterSwitch: true, after: [...sTs, ...external(c)], generation: 0 }));
  // keep_blue: blue is kept for its rollback window instead of destroyed (kept.ts, apply/kept.ts).
  // The unit then ends with its bake, or without one with its last post-switch check (or
  // switch), which waits for the others, so what comes after the unit waits for all of them
  // through that one step: a release that fails its bake never reaches the next unit.
  const dR = u.keepBlue ? bakeOrLast(steps, u, vPs.length ? vPs : sTs) : deleteBlue(ctx, layout, u, bg, [...sTs, ...vPs]);
  for (const m of members) layout.done.set(m, dR);
  layout.unitFinal.set(u.address, dR);
  layout.unitIds.push({ address: u.address, final: dR, max });
}

/**
 * The end of a keep_blue unit: its bake step after `ids` (its post-switch checks) when it bakes
 * (`bake` above zero, post-switch checks to run), else the last of `ids`.
 */
function bakeOrLast(steps: StepList, u: DeployUnit, ids: readonly string[]): string {
  const k = u.keepBlue!;
  if (k.bakeMs === 0 || u.postChecks.length === 0) return lastOf(steps, ids);
  return steps.add({
    kind: 'bake',
    operation: 'verify',
    address: u.address,
    color: null,
    unit: u.address,
    afterSwitch: false,
    after: [...ids],
    generation: 0,
    blueGreen: false,
    bake: { durationMs: k.bakeMs, intervalMs: k.bakeIntervalMs, checks: [...u.postChecks] },
  });
}

/** The last of `ids`, made to wait for the others. */
function lastOf(steps: StepList, ids: readonly string[]): string {
  const last = ids[ids.length - 1];
  for (const id of ids.slice(0, -1)) steps.addAfter(last, id);
  return last;
}

/** The deletes of blue's provisioning and blue at the end of unit `u`; returns the last. */
function deleteBlue(ctx: PlanContext, layout: Layout, u: DeployUnit, bg: (a: string) => boolean, after: readonly string[]): string {
  const common = { unit: u.address, afterSwitch: false, kind: 'delete', operation: 'delete', color: SERVING } as const;
  const dPs = u.provisions
    .filter((p) => liveCopy(ctx, p) !== undefined)
    .map((p) => layout.steps.add({ ...common, blueGreen: bg(p), address: p, after: [...after], generation: liveCopy(ctx, p)!.generation }));
  return layout.steps.add({ ...common, blueGreen: true, address: u.address, after: [...after, ...dPs], generation: u.priorGeneration });
}

/** For a route whose switch moves an address (`movesAddress` in its schema): that address, when recorded. */
function movedAddress(ctx: PlanContext, pass: PassResult, route: string): { movesAddress?: string } {
  const attr = pass.instances.get(route)?.info.schema.movesAddress;
  const value = attr === undefined ? undefined : liveCopy(ctx, route)?.attributes[attr];
  return typeof value === 'string' ? { movesAddress: value } : {};
}

/** The steps of a change outside any unit: its create, update or replacement. */
function layoutChange(pass: PassResult, layout: Layout, c: ResourceChange): void {
  if (c.actions[0] === 'no-op') return;
  const { steps } = layout;
  const address = c.address;
  const ev = pass.instances.get(address)!;
  const deps = [...ev.deps].map((d) => layout.done.get(d)).filter((x): x is string => !!x);
  // Leftover copies at this address are removed before a new object takes the address.
  deps.push(...(layout.deletesAt.get(address) ?? []));
  const role = ev.info.schema.role;
  const bg = !!ev.decl.lifecycle.blueGreen;
  const color = bg ? NEW_COPY : null;
  const oldColor = bg ? SERVING : null;
  const common = { address, unit: null, afterSwitch: false, blueGreen: bg } as const;
  if (c.actions[0] === 'delete') {
    const del = steps.add({ ...common, kind: 'delete', operation: 'delete', color: oldColor, after: [], generation: c.priorGeneration });
    layout.done.set(address, steps.add({ ...common, kind: createKind(role, 'create'), operation: 'create', color, after: [del, ...deps], generation: c.plannedGeneration }));
    layout.deleteFirst.push({ address, del });
  } else if (c.actions[0] === 'create') {
    const id = steps.add({ ...common, kind: createKind(role, 'create'), operation: 'create', color, after: deps, generation: c.plannedGeneration });
    layout.done.set(address, id);
    if (c.actions.length === 2) {
      layout.createFirst.push({ address, del: steps.add({ ...common, kind: 'delete', operation: 'delete', color: oldColor, after: [id], generation: c.priorGeneration }) });
    }
  } else {
    layout.done.set(address, steps.add({ ...common, kind: createKind(role, 'update'), operation: 'update', color: null, after: deps, generation: c.plannedGeneration }));
  }
}

/** A check's create and update verify it. */
function createKind(role: string, kind: 'create' | 'update'): StepKind {
  return role === 'check' ? 'verify' : kind;
}

/** Instance addresses in dependency order (dependencies first), ties in evaluation order. */
function topoInstances(pass: PassResult): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const root of pass.instances.keys()) {
    if (seen.has(root)) continue;
    seen.add(root);
    // Iterative post-order: chains of instances can be deeper than the call stack.
    const stack: { a: string; deps: string[]; i: number }[] = [{ a: root, deps: [...(pass.instances.get(root)?.deps ?? [])], i: 0 }];
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.i < top.deps.length) {
        const d = top.deps[top.i++];
        if (!seen.has(d)) {
          seen.add(d);
          stack.push({ a: d, deps: [...(pass.instances.get(d)?.deps ?? [])], i: 0 });
        }
        continue;
      }
      if (pass.instances.has(top.a)) out.push(top.a);
      stack.pop();
    }
  }
  return out;
}

/**
 * A unit goes after the units it needs: those whose instance (or provisioning) its instance or
 * provisioning depends on, and those whose routes they read (a zone that names the service
 * address a load balancer's unit makes or moves). Routes placed on the unit's host are left out:
 * they are made on green with whatever their targets are then. Ties by address.
 */
function orderUnits(pass: PassResult, units: readonly DeployUnit[], deps: ReadonlyMap<string, ReadonlySet<string>>): DeployUnit[] {
  const out: DeployUnit[] = [];
  const seen = new Set<string>();
  const own = (u: DeployUnit): string[] => [u.address, ...u.provisions.filter((p) => pass.instances.get(p)?.info.schema.role !== 'route')];
  const needs = (u: DeployUnit, other: DeployUnit): boolean =>
    other !== u && own(u).some((m) => [...own(other), ...other.routes].some((t) => deps.get(m)?.has(t)));
  const visit = (u: DeployUnit): void => {
    if (seen.has(u.address)) return;
    seen.add(u.address);
    for (const other of units) if (needs(u, other)) visit(other);
    out.push(u);
  };
  for (const u of [...units].sort((a, b) => (a.address < b.address ? -1 : 1))) visit(u);
  return out;
}
