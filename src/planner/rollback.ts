/**
 * The plan of `infra rollback`: for every blue-green instance with a kept blue copy (or those
 * `--target` names), switch its routes back to the kept copy and run the post-switch checks
 * through them. Nothing is created, provisioned or destroyed; the copy traffic leaves becomes
 * the kept copy until the same window end (apply/kept.ts), so a second rollback switches forward.
 */
import { didYouMean, error } from '../diagnostics.js';
import { stateValues } from '../state/sensitive.js';
import type { StateFile, StateInstance } from '../state/types.js';
import { describeTarget, SERVING } from './colors.js';
import { type PlanContext, liveCopy } from './context.js';
import { unitMembers } from './deploy-units.js';
import { isKeptCopy } from './kept.js';
import type { PassResult, TransitiveDeps } from './pass.js';
import type { DeployUnit, ResourceChange } from './plan.js';
import { StepList } from './step-list.js';
import { resolveTargets } from './targets.js';

/** What `assemblePlan` needs for a rollback plan, or null (with diagnostics) when there is nothing to roll back. */
export interface RollbackLayout {
  readonly changes: ResourceChange[];
  readonly units: DeployUnit[];
  readonly steps: StepList;
}

/** The kept copies of blue-green instances (not of their provisions), by instance address. */
function keptInstances(ctx: PlanContext): Map<string, StateInstance> {
  const out = new Map<string, StateInstance>();
  for (const r of ctx.input.state.resources) if (isKeptCopy(r) && r.kept.unit === r.address) out.set(r.address, r);
  return out;
}

/** Lays out the rollback of every selected instance with a kept copy, one instance after another. */
export function rollbackLayout(ctx: PlanContext, pass: PassResult, tdeps: () => TransitiveDeps): RollbackLayout | null {
  const kept = keptInstances(ctx);
  if (kept.size === 0) {
    ctx.diagnostics.push(
      error('Nothing to roll back', 'No blue-green instance has a kept blue copy. A deploy keeps blue only with lifecycle blue_green { keep_blue = "15m" }; infra state list shows the kept copies.'),
    );
    return null;
  }
  let selected = [...kept.keys()].sort();
  if (ctx.input.targets.length) {
    const resolved = resolveTargets(ctx, [...new Set([...pass.instances.keys(), ...kept.keys()])]);
    if (!resolved) return null;
    const none = [...resolved].filter((a) => !kept.has(a));
    selected = selected.filter((a) => resolved.has(a));
    if (selected.length === 0) {
      ctx.diagnostics.push(error(`No kept blue copy at ${ctx.input.targets.join(', ')}`, didYouMean(none[0] ?? '', kept.keys()) ?? `Kept copies: ${[...kept.keys()].sort().join(', ')}.`));
      return null;
    }
  }
  const units: DeployUnit[] = [];
  for (const address of selected) {
    const copy = kept.get(address)!;
    const live = liveCopy(ctx, address);
    if (!live || !pass.instances.has(address)) {
      ctx.diagnostics.push(error(`Cannot roll back ${address}`, live ? `${address} is no longer in the configuration.` : `${address} has no live copy to switch from.`));
      continue;
    }
    const m = unitMembers(pass, tdeps(), address);
    for (const t of m.routes) if (!liveCopy(ctx, t)) ctx.diagnostics.push(error(`Cannot roll back ${address}`, `Its route ${t} is not in the state.`));
    units.push({
      address,
      provisions: m.provisions,
      checks: [],
      routes: m.routes,
      postChecks: m.postChecks,
      priorGeneration: live.generation,
      plannedGeneration: copy.generation,
      rollback: { keptUntil: copy.kept!.until, ...(copy.kept!.checks ? { checks: copy.kept!.checks } : {}) },
    });
  }
  const steps = rollbackSteps(units, ctx.input.state, (a) => !!pass.instances.get(a)?.decl.lifecycle.blueGreen);
  if (ctx.diagnostics.some((d) => d.severity === 'error')) return null;
  return { changes: currentChanges(ctx, pass, units), units, steps };
}

/**
 * The steps of rollback units (`DeployUnit.rollback`), one unit after another: switch each route
 * to the kept copy (`plannedGeneration`), then run the post-switch checks through them. Used by
 * `infra rollback`'s plan and by a bake that failed (apply/bake.ts). `blueGreen` tells which
 * routes and checks are blue-green resources themselves.
 */
export function rollbackSteps(units: readonly DeployUnit[], state: StateFile, blueGreen: (address: string) => boolean): StepList {
  const steps = new StepList();
  let previous: string[] = [];
  for (const u of units) {
    const at = (g: number): StateInstance | undefined => state.resources.find((r) => r.address === u.address && r.generation === g);
    const from = at(u.priorGeneration);
    const to = at(u.plannedGeneration);
    const common = { unit: u.address, color: SERVING, generation: 0 } as const;
    const switches = u.routes.map((t) =>
      steps.add({
        ...common,
        kind: 'switch',
        operation: 'update',
        blueGreen: blueGreen(t),
        address: t,
        afterSwitch: false,
        after: previous,
        switchFrom: describeTarget(from ? stateValues(from) : null, `generation ${u.priorGeneration}`),
        switchTo: describeTarget(to ? stateValues(to) : null, `kept blue, generation ${u.plannedGeneration}`),
      }),
    );
    const checks = u.postChecks.map((c) => steps.add({ ...common, kind: 'verify', operation: 'verify', blueGreen: blueGreen(c), address: c, afterSwitch: true, after: switches }));
    previous = checks.length ? checks : switches;
  }
  return steps;
}

/**
 * One no-op change per configured instance, as the state has it now, so apply evaluates routes
 * and checks with the world as it is; a rolled-back instance is its kept copy.
 */
function currentChanges(ctx: PlanContext, pass: PassResult, units: readonly DeployUnit[]): ResourceChange[] {
  const keptOf = new Map(units.map((u) => [u.address, ctx.copies.get(u.address)!.find((r) => r.generation === u.plannedGeneration)!]));
  const out: ResourceChange[] = [];
  for (const ev of pass.instances.values()) {
    const kept = keptOf.get(ev.address);
    out.push({
      address: ev.address,
      type: ev.decl.type,
      name: ev.decl.name,
      index: ev.index,
      provider: ev.info.provider,
      role: ev.info.schema.role,
      actions: ['no-op'],
      blueGreen: false,
      before: ev.prior ? stateValues(ev.prior) : null,
      after: kept ? stateValues(kept) : ev.prior ? stateValues(ev.prior) : ev.after,
      replacePaths: [],
      reasons: [],
      priorGeneration: ev.prior?.generation ?? 0,
      plannedGeneration: kept?.generation ?? ev.prior?.generation ?? 0,
      dependencies: [...ev.deps].sort(),
    });
  }
  return out;
}
