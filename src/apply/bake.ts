/**
 * The bake after a keep_blue deploy (docs/engine.md "Keeping blue"): once every step of the plan
 * is done, apply keeps running the post-switch checks of the units that kept blue, every
 * `bake_interval`, for `bake` after each switch. A round that fails switches those units' routes
 * back to the kept blue copies at once (the same steps as `infra rollback`) and the apply fails;
 * the green copy traffic left is kept for inspection until the window's end. A bake that lasts
 * the whole window destroys the kept copies at its end. Each round and the rollback are carried
 * out as small plans of their own through the same apply, so state is written as for any step.
 */
import { setMaxListeners } from 'node:events';
import { type Diagnostic, error, warning } from '../diagnostics.js';
import { formatDuration, formatUtcClock } from '../duration.js';
import type { DeployUnit, Plan } from '../planner/plan.js';
import { rollbackSteps } from '../planner/rollback.js';
import { StepList } from '../planner/step-list.js';
import type { StateFile, StateInstance } from '../state/types.js';
import type { ApplyEvent, ApplyOptions, ApplyResult } from './apply.js';

/**
 * Carries out a plan made here (a bake round, a rollback, the retirement of kept copies), its
 * events going to `onEvent` (default: the apply's).
 */
export type RunPlan = (plan: Plan, onEvent?: (e: ApplyEvent) => void) => Promise<ApplyResult>;

interface Baking {
  readonly unit: DeployUnit & { readonly keepBlue: NonNullable<DeployUnit['keepBlue']> };
  /** The kept blue copy of the unit's instance. */
  readonly kept: StateInstance & { readonly kept: NonNullable<StateInstance['kept']> };
  readonly bakeEnd: number;
}

/** The units of `plan` that kept blue and are committed (green live, blue kept), as state has them now. */
function bakingUnits(plan: Plan, state: StateFile): Baking[] {
  const out: Baking[] = [];
  for (const u of plan.units) {
    if (!u.keepBlue || u.rollback) continue;
    const kept = state.resources.find((r) => r.address === u.address && r.generation === u.priorGeneration && r.kept?.unit === u.address);
    const green = state.resources.find((r) => r.address === u.address && r.generation === u.plannedGeneration && r.live);
    if (!kept || !green) continue;
    const switchedAt = Date.parse(kept.kept!.until) - u.keepBlue.windowMs;
    out.push({ unit: u as Baking['unit'], kept: kept as Baking['kept'], bakeEnd: switchedAt + u.keepBlue.bakeMs });
  }
  return out;
}

/** Runs the bake after `first` (the plan's own steps) and returns the apply's result. */
export async function bakeAndRetire(o: ApplyOptions, first: ApplyResult, run: RunPlan): Promise<ApplyResult> {
  if (!first.ok) return first;
  // Every round is an apply of its own, listening on the same signals.
  for (const signal of [o.stop, o.kill]) if (signal) setMaxListeners(0, signal);
  const baking = bakingUnits(o.plan, o.store.state);
  if (baking.length === 0) return first;
  const say = (message: string): void => o.onEvent?.({ type: 'bake', message } satisfies ApplyEvent);
  const last = Math.max(...baking.map((b) => b.bakeEnd));
  const names = baking.map((b) => b.unit.address).join(', ');
  const interval = Math.min(...baking.map((b) => b.unit.keepBlue.bakeIntervalMs));
  if (last > Date.now()) say(`Baking ${names}: post-switch checks every ${formatDuration(interval)} until ${formatUtcClock(new Date(last).toISOString(), true)}; blue kept until ${untilText(baking)}.`);
  let rounds = 0;
  while (!o.stop?.aborted) {
    const now = Date.now();
    const active = baking.filter((b) => b.bakeEnd > now);
    if (active.length === 0) break;
    const wait = Math.min(Math.min(...active.map((b) => b.unit.keepBlue.bakeIntervalMs)), Math.max(...active.map((b) => b.bakeEnd)) - now);
    if (!(await sleep(wait, o.stop))) break;
    rounds++;
    const plan = roundPlan(o.plan, active);
    // A round that passes is one line; a failing check prints as any failed step.
    const round = await run(plan, (e) => {
      if (e.type === 'failed' || e.type === 'interrupt') o.onEvent?.(e);
    });
    if (round.ok) {
      say(`Bake round ${rounds}: ${plan.steps.length} post-switch check${plan.steps.length === 1 ? '' : 's'} passed (${plan.steps.map((st) => st.address).join(', ')}).`);
      continue;
    }
    if (round.interrupted) break;
    const failedChecks = new Set(plan.steps.filter((s) => round.failed.includes(s.id)).map((s) => s.address));
    return failedBake(o, first, round, failedChecks, active, run);
  }
  const diagnostics: Diagnostic[] = [...first.diagnostics];
  if (o.stop?.aborted) {
    diagnostics.push(warning('Bake stopped by an interrupt', `The deploy stands after ${rounds} bake round${rounds === 1 ? '' : 's'}; blue stays kept until ${untilText(baking)}: infra rollback switches back to it until then, and the next apply after that destroys it.`));
    return { ...first, diagnostics };
  }
  const ended = baking.filter((b) => Date.parse(b.kept.kept.until) <= Date.now());
  if (rounds > 0) say(`Bake passed: ${rounds} round${rounds === 1 ? '' : 's'} of post-switch checks.`);
  if (ended.length === 0) {
    say(`Blue kept until ${untilText(baking)}: infra rollback switches back to it until then; the next apply after that destroys it.`);
    return { ...first, diagnostics };
  }
  // The bake covered the whole window: nothing is left to roll back to, and blue goes now.
  say(`Rollback window over for ${ended.map((b) => b.unit.address).join(', ')}: destroying the kept blue.`);
  const retired = await run(retirePlan(o.plan, o.store.state, ended));
  return { ...first, ok: retired.ok, diagnostics: [...diagnostics, ...retired.diagnostics], completed: [...first.completed, ...retired.completed], failed: retired.failed };
}

/** A round of the bake: the post-switch checks of the active units, each once. */
function roundPlan(plan: Plan, active: readonly Baking[]): Plan {
  const steps = new StepList();
  const seen = new Set<string>();
  for (const b of active) {
    for (const c of b.unit.postChecks) {
      if (seen.has(c)) continue;
      seen.add(c);
      steps.add({ kind: 'verify', operation: 'verify', address: c, color: null, unit: null, afterSwitch: true, after: [], generation: 0, blueGreen: false });
    }
  }
  return { ...plan, units: [], steps: steps.ordered() };
}

/** A failed round: the failed units switch back to their kept blue copies, and the apply fails. */
async function failedBake(o: ApplyOptions, first: ApplyResult, round: ApplyResult, failedChecks: ReadonlySet<string>, active: readonly Baking[], run: RunPlan): Promise<ApplyResult> {
  const failing = active.filter((b) => b.unit.postChecks.some((c) => failedChecks.has(c)));
  const units: DeployUnit[] = failing.map((b) => ({
    address: b.unit.address,
    provisions: b.unit.provisions,
    checks: [],
    routes: b.unit.routes,
    postChecks: b.unit.postChecks,
    priorGeneration: b.unit.plannedGeneration,
    plannedGeneration: b.unit.priorGeneration,
    rollback: { keptUntil: b.kept.kept.until, ...(b.kept.kept.checks ? { checks: b.kept.kept.checks } : {}) },
  }));
  const bg = new Set(o.plan.steps.filter((s) => s.blueGreen).map((s) => s.address));
  const reason = `${[...failedChecks].join(', ')} failed during the bake`;
  for (const u of units) o.onEvent?.({ type: 'rollback', unit: u.address, reason });
  const back = await run({ ...o.plan, mode: 'rollback', units, steps: rollbackSteps(units, o.store.state, (a) => bg.has(a)).ordered() });
  const where = failing.map((b) => `${b.unit.address} (generation ${b.unit.priorGeneration})`).join(', ');
  const summary: Diagnostic = back.ok
    ? error(
        `Bake failed: traffic switched back to blue`,
        `${reason}. Traffic goes to the kept blue copies again: ${where}, verified by the post-switch checks. The green copies are kept, not routed, until ${untilText(failing)} for inspection (infra rollback would switch forward to them). The configuration still asks for what green runs: fix or revert it, then apply again.`,
      )
    : error(`Bake failed, and switching back to blue failed too`, `${reason}. The state records where traffic goes now (infra state list); run infra rollback to try again.`);
  return {
    ok: false,
    diagnostics: [...first.diagnostics, ...round.diagnostics, ...back.diagnostics, summary],
    completed: [...first.completed, ...round.completed, ...back.completed],
    failed: [...round.failed, ...back.failed],
    rolledBack: failing.map((b) => ({ unit: b.unit.address, reason })),
    interrupted: false,
  };
}

/** Deletes of the kept copies of `ended` (provisions first, then the instance). */
function retirePlan(plan: Plan, state: StateFile, ended: readonly Baking[]): Plan {
  const steps = new StepList();
  for (const b of ended) {
    const copies = state.resources.filter((r) => r.kept?.unit === b.unit.address && r.generation === b.kept.generation && !r.live);
    const provisions = copies.filter((r) => r.address !== b.unit.address);
    const del = (r: StateInstance, after: string[]): string =>
      steps.add({ kind: 'delete', operation: 'delete', address: r.address, color: r.color === null ? null : 'blue', unit: null, afterSwitch: false, after, generation: r.generation, blueGreen: r.color !== null, label: 'kept' });
    const ids = provisions.map((p) => del(p, []));
    del(b.kept, ids);
  }
  return { ...plan, units: [], steps: steps.ordered() };
}

function untilText(baking: readonly Baking[]): string {
  const ends = [...new Set(baking.map((b) => formatUtcClock(b.kept.kept.until, true)))];
  return ends.join(', ');
}

/** Waits `ms`; false when `signal` aborted first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.max(0, ms));
    const onAbort = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
