/**
 * Pass "changes": the resource changes of a normal plan - one per configured instance, with its
 * actions decided from its diff, the targets and the deploy units; and one delete per copy in
 * state that the configuration no longer has or that an interrupted apply left over.
 * `prevent_destroy` is enforced here.
 */
import { blockOf, copyKey } from '../addrs/address.js';
import { error } from '../diagnostics.js';
import { stateValues } from '../state/sensitive.js';
import type { StateInstance } from '../state/types.js';
import type { PlanContext } from './context.js';
import type { Units } from './deploy-units.js';
import type { Evaluated, PassResult } from './pass.js';
import { type Actions, type Reason, type ResourceChange, hasAction } from './plan.js';
import type { Selection } from './targets.js';
import { keptDisposition } from './kept.js';

/** The change of every configured instance, by address, in evaluation order. */
export function configuredChanges(ctx: PlanContext, pass: PassResult, forced: ReadonlySet<string>, selection: Selection, units: Units): Map<string, ResourceChange> {
  const changes = new Map<string, ResourceChange>();
  for (const ev of pass.instances.values()) {
    const inScope = selection.inScope(ev.address);
    const unit = forced.has(ev.address) && inScope ? ev.address : units.unitOf.get(ev.address) ?? null;
    const actions = actionsOf(ev, inScope ? ev.kind : 'no-op', unit);
    if (hasAction(actions, 'delete') && ev.decl.lifecycle.preventDestroy && !ev.decl.lifecycle.blueGreen) {
      ctx.diagnostics.push(
        error(
          `Instance ${ev.address} cannot be destroyed`,
          'It has lifecycle.prevent_destroy set, but the plan would replace it. Remove prevent_destroy, or change the configuration so it is not replaced.',
          ev.decl.range,
        ),
      );
    }
    changes.set(ev.address, {
      address: ev.address,
      type: ev.decl.type,
      name: ev.decl.name,
      index: ev.index,
      provider: ev.info.provider,
      role: ev.info.schema.role,
      actions,
      blueGreen: unit === ev.address,
      before: ev.prior ? stateValues(ev.prior) : null,
      after: ev.after,
      replacePaths: ev.replacePaths,
      reasons: reasonsOf(ctx, pass, ev, unit, selection, units),
      priorGeneration: ev.prior?.generation ?? 0,
      plannedGeneration: hasAction(actions, 'create') ? ev.generation : ev.prior?.generation ?? ev.generation,
      dependencies: [...ev.deps].sort(),
      ...(ev.directDeps ? { directDependencies: [...ev.directDeps].sort() } : {}),
    });
  }
  return changes;
}

/** The actions of a configured instance whose diff says `kind`, in deploy unit `unit` (or none). */
function actionsOf(ev: Evaluated, kind: Evaluated['kind'], unit: string | null): Actions {
  const isProvisionInUnit = unit !== null && unit !== ev.address && ev.info.schema.role === 'provision';
  if (isProvisionInUnit) return ev.prior ? ['create', 'delete'] : ['create'];
  if (kind === 'create') return ['create'];
  if (kind === 'update') return ['update'];
  if (kind === 'replace') return unit !== null || ev.decl.lifecycle.createBeforeDestroy || ev.decl.lifecycle.blueGreen ? ['create', 'delete'] : ['delete', 'create'];
  return ['no-op'];
}

function reasonsOf(ctx: PlanContext, pass: PassResult, ev: Evaluated, unit: string | null, selection: Selection, units: Units): Reason[] {
  const r = [...selection.reasonsOf(ev.address)];
  if (unit && unit !== ev.address) r.push({ code: 'in-deploy-unit', unit });
  if (ev.prior && ev.prior.status !== 'ready') r.push({ code: 'recorded-status', status: ev.prior.status });
  if (ev.prior && ev.kind === 'replace' && selection.inScope(ev.address) && ctx.replace.has(ev.address)) r.push({ code: 'replace-requested' });
  if (ev.prior && ev.triggeredBy.length > 0 && selection.inScope(ev.address)) r.push({ code: 'replace-triggered-by', triggers: ev.triggeredBy });
  if (unit === ev.address && ev.kind === 'replace' && ev.changedPaths.length === 0 && ev.replacePaths.length === 0 && !ctx.replace.has(ev.address)) {
    const own = units.units.find((u) => u.address === ev.address);
    const changedProvisions = own?.provisions.filter((p) => pass.instances.get(p)?.kind !== 'no-op') ?? [];
    if (changedProvisions.length) r.push({ code: 'provisioning-changed', provisions: changedProvisions });
  }
  return r;
}

/** Deletes of copies the configuration no longer has and of leftovers, with the leftovers' copy keys. */
export interface Removed {
  readonly changes: readonly ResourceChange[];
  /** `copyKey`s of the copies that are not live: left over from an interrupted apply. */
  readonly leftovers: ReadonlySet<string>;
}

/**
 * Instances in state that the configuration no longer has, leftovers of interrupted runs, and
 * kept blue copies whose time is up (kept.ts; `deploying`: the instances this plan deploys).
 */
export function removedChanges(ctx: PlanContext, pass: PassResult, selection: Selection, deploying: ReadonlySet<string> = new Set()): Removed {
  const changes: ResourceChange[] = [];
  const leftovers = new Set<string>();
  for (const inst of ctx.input.state.resources) {
    let reason: Reason;
    const kept = inst.live ? undefined : keptDisposition(ctx, inst, deploying, (a) => pass.instances.has(a));
    if (kept === 'keep') continue;
    if (kept) reason = kept;
    else if (!inst.live) reason = { code: 'leftover', generation: inst.generation, status: inst.status };
    else if (!pass.instances.has(inst.address)) reason = { code: 'not-in-configuration' };
    else continue;
    // A kept copy goes with its unit: a target on the instance takes its kept provisions along.
    if (!selection.inScope(inst.address) && !(kept && inst.kept && selection.inScope(inst.kept.unit))) continue;
    const decl = ctx.byBlock.get(blockOf(inst.address));
    if (inst.live && decl?.lifecycle.preventDestroy) {
      ctx.diagnostics.push(error(`Instance ${inst.address} cannot be destroyed`, 'It has lifecycle.prevent_destroy set, but it is no longer in the configuration.', decl.range));
    }
    changes.push(deletion(inst, [reason]));
    if (!inst.live && !kept) leftovers.add(copyKey(inst));
  }
  return { changes, leftovers };
}

/** The change that destroys a recorded object. */
export function deletion(inst: StateInstance, reasons: readonly Reason[]): ResourceChange {
  return {
    address: inst.address,
    type: inst.type,
    name: inst.name,
    index: inst.index,
    provider: inst.provider,
    role: inst.role,
    actions: ['delete'],
    blueGreen: false,
    before: stateValues(inst),
    after: null,
    replacePaths: [],
    reasons,
    priorGeneration: inst.generation,
    plannedGeneration: inst.generation,
    dependencies: [...inst.dependencies],
  };
}
