/**
 * The bake of a keep_blue deploy (docs/engine.md "Keeping blue"). A unit that bakes ends with a
 * `bake` step (planner/step-layout.ts): its post-switch checks run again every `bake_interval`
 * until `bake` after its switch, so the next unit starts only once this one baked. A round that
 * fails switches the unit's routes back to its kept blue copy at once (the same steps as `infra
 * rollback`) and fails the step; the green copy traffic left is kept for inspection until the
 * window's end. `infra bake` runs the same rounds for kept copies after an apply
 * (commands/bake.ts). After an apply, kept copies whose window ended during it are destroyed.
 * Each round and each rollback is carried out as a small plan of its own through the same apply,
 * so state is written as for any step.
 */
import { setMaxListeners } from 'node:events';
import { type Diagnostic, error, warning } from '../diagnostics.js';
import { formatDuration, formatUtcClock } from '../duration.js';
import type { DeployUnit, Plan } from '../planner/plan.js';
import { rollbackSteps } from '../planner/rollback.js';
import { StepList } from '../planner/step-list.js';
import type { StateFile, StateInstance } from '../state/types.js';
import type { ApplyEvent, ApplyOptions, ApplyResult, StateWriter } from './apply.js';

/**
 * Carries out a plan made here (a bake round, a rollback, the retirement of kept copies), its
 * events going to `onEvent` (default: the apply's).
 */
export type RunPlan = (plan: Plan, onEvent?: (e: ApplyEvent) => void) => Promise<ApplyResult>;

/** What one bake needs: the unit, its checks, how long and how often, and where it reports. */
export interface BakeRequest {
  /** The plan the rounds and the rollback are made from (its changes, configuration, mode). */
  readonly plan: Plan;
  readonly store: StateWriter;
  readonly unit: DeployUnit;
  /** The post-switch checks each round runs. */
  readonly checks: readonly string[];
  readonly intervalMs: number;
  /** When the bake ends (ms since the epoch). */
  readonly endsAt: number;
  /** Aborted on the first interrupt: the bake ends, the deploy stands. */
  readonly stop?: AbortSignal;
  /** A round's or the bake's own line. */
  readonly say: (message: string) => void;
  /** Failed checks and the rollback's steps, as any step's events. */
  readonly onEvent: (e: ApplyEvent) => void;
  readonly run: RunPlan;
  /** Which routes and checks are blue-green resources themselves (for the rollback's steps). */
  readonly blueGreen: (address: string) => boolean;
}

/** How a bake ended. */
export interface BakeOutcome {
  readonly rounds: number;
  /** Errors of the failed round and of the switch back, or of a round whose checks could not run. */
  readonly diagnostics: readonly Diagnostic[];
  readonly interrupted: boolean;
  /** Set when a round failed: traffic went back to blue (`ok`) or the switch back failed too. */
  readonly failure?: { readonly reason: string; readonly ok: boolean; readonly completed: readonly string[]; readonly failed: readonly string[] };
}

/** The unit's kept blue copy (its instance), as the state has it now. */
export function keptCopyOf(state: StateFile, unit: DeployUnit): (StateInstance & { readonly kept: NonNullable<StateInstance['kept']> }) | undefined {
  const kept = state.resources.find((r) => r.address === unit.address && r.generation === unit.priorGeneration && r.kept?.unit === unit.address && !r.live);
  const green = state.resources.find((r) => r.address === unit.address && r.generation === unit.plannedGeneration && r.live);
  return kept && green ? (kept as StateInstance & { readonly kept: NonNullable<StateInstance['kept']> }) : undefined;
}

/** When the bake of a unit that kept `kept` ends: `bakeMs` after its switch, at most the window. */
export function bakeEnd(kept: { readonly kept: { readonly until: string } }, windowMs: number, bakeMs: number): number {
  const until = Date.parse(kept.kept.until);
  return Math.min(until, until - windowMs + bakeMs);
}

/**
 * Runs rounds of `r.checks` every `r.intervalMs` until `r.endsAt`; the first failing round
 * switches the unit back to its kept blue copy and ends the bake.
 */
export async function runBake(r: BakeRequest): Promise<BakeOutcome> {
  // Every round is an apply of its own, listening on the same signal.
  if (r.stop) setMaxListeners(0, r.stop);
  let rounds = 0;
  while (!r.stop?.aborted) {
    const now = Date.now();
    if (r.endsAt <= now) break;
    if (!(await sleep(Math.min(r.intervalMs, r.endsAt - now), r.stop))) break;
    rounds++;
    const plan = roundPlan(r.plan, r.checks);
    // A round that passes is one line; a failing check prints as any failed step.
    const round = await r.run(plan, (e) => {
      if (e.type === 'failed') r.onEvent(e);
    });
    if (round.ok) {
      r.say(`Bake round ${rounds}: ${plan.steps.length} post-switch check${plan.steps.length === 1 ? '' : 's'} passed (${plan.steps.map((st) => st.address).join(', ')}).`);
      continue;
    }
    if (round.interrupted) break;
    const failedChecks = plan.steps.filter((s) => round.checksFailed?.includes(s.id)).map((s) => s.address);
    // A check that could not run says nothing about green: the bake ends with the error, traffic stays.
    if (failedChecks.length === 0) {
      const keptUntil = keptCopyOf(r.store.state, r.unit)?.kept.until;
      return {
        rounds,
        interrupted: false,
        diagnostics: [
          ...round.diagnostics,
          error(
            'Bake stopped: the post-switch checks could not run',
            `Round ${rounds} of the bake of ${r.unit.address} failed before its checks gave an answer, so traffic stays where it is${keptUntil ? ` and blue stays kept until ${formatUtcClock(keptUntil, true)}` : ''}. Fix the error above, then run infra bake again (or infra rollback).`,
          ),
        ],
      };
    }
    const reason = `${failedChecks.join(', ')} failed during the bake`;
    const back = await switchBack(r, reason);
    return {
      rounds,
      diagnostics: [...round.diagnostics, ...back.diagnostics],
      interrupted: false,
      failure: { reason, ok: back.ok, completed: [...round.completed, ...back.completed], failed: [...round.failed, ...back.failed] },
    };
  }
  return { rounds, diagnostics: [], interrupted: !!r.stop?.aborted };
}

/** A round of the bake: each check once. */
function roundPlan(plan: Plan, checks: readonly string[]): Plan {
  const steps = new StepList();
  for (const c of new Set(checks)) {
    steps.add({ kind: 'verify', operation: 'verify', address: c, color: null, unit: null, afterSwitch: true, after: [], generation: 0, blueGreen: false });
  }
  return { ...plan, units: [], steps: steps.ordered() };
}

/** The unit's routes switched back to its kept blue copy, verified as `infra rollback` does. */
async function switchBack(r: BakeRequest, reason: string): Promise<ApplyResult> {
  const kept = keptCopyOf(r.store.state, r.unit)!;
  const units: DeployUnit[] = [
    {
      address: r.unit.address,
      provisions: r.unit.provisions,
      checks: [],
      routes: r.unit.routes,
      postChecks: r.unit.postChecks,
      priorGeneration: r.unit.plannedGeneration,
      plannedGeneration: r.unit.priorGeneration,
      rollback: { keptUntil: kept.kept.until, ...(kept.kept.checks ? { checks: kept.kept.checks } : {}) },
    },
  ];
  r.onEvent({ type: 'rollback', unit: r.unit.address, reason });
  return r.run({ ...r.plan, mode: 'rollback', units, steps: rollbackSteps(units, r.store.state, r.blueGreen).ordered() });
}

/**
 * The error a failed bake ends an apply (or `infra bake`) with. `notStarted`: the units the
 * apply did not start because of it.
 */
export function bakeFailedSummary(unit: DeployUnit, failure: NonNullable<BakeOutcome['failure']>, keptUntil: string, notStarted: readonly string[]): Diagnostic {
  const later = notStarted.length ? ` Not started, so still on their blue copies: ${notStarted.join(', ')}.` : '';
  return failure.ok
    ? error(
        `Bake failed: traffic switched back to blue`,
        `${failure.reason}. Traffic goes to the kept blue copies again: ${unit.address} (generation ${unit.priorGeneration}), verified by the post-switch checks. The green copies are kept, not routed, until ${formatUtcClock(keptUntil, true)} for inspection (infra rollback would switch forward to them). The configuration still asks for what green runs: fix or revert it, then apply again.${later}`,
      )
    : error(`Bake failed, and switching back to blue failed too`, `${failure.reason}. The state records where traffic goes now (infra state list); run infra rollback to try again.${later}`);
}

/** The warning of a bake an interrupt ended: the deploy stands, blue stays kept. */
export function bakeInterruptedWarning(units: readonly string[], rounds: number, keptUntil: string, notStarted: readonly string[]): Diagnostic {
  const later = notStarted.length ? ` Not started: ${notStarted.join(', ')} (apply again to deploy them).` : '';
  return warning(
    'Bake stopped by an interrupt',
    `The deploy of ${units.join(', ')} stands after ${rounds} bake round${rounds === 1 ? '' : 's'}; blue stays kept until ${formatUtcClock(keptUntil, true)}: infra rollback switches back to it until then, and the next apply after that destroys it.${later}`,
  );
}

/** The bake's opening line: how often, until when, and the window. */
export function bakeStartLine(checks: readonly string[], intervalMs: number, endsAt: number, keptUntil: string): string {
  return `Baking: ${checks.join(', ')} every ${formatDuration(intervalMs)} until ${formatUtcClock(new Date(endsAt).toISOString(), true)}; blue kept until ${formatUtcClock(keptUntil, true)}.`;
}

/** A unit of `plan` that kept blue and is committed (green live, blue kept), with its kept copy. */
interface Kept {
  readonly unit: DeployUnit;
  readonly kept: StateInstance & { readonly kept: NonNullable<StateInstance['kept']> };
}

function keptUnits(plan: Plan, state: StateFile): Kept[] {
  const out: Kept[] = [];
  for (const unit of plan.units) {
    if (!unit.keepBlue || unit.rollback) continue;
    const kept = keptCopyOf(state, unit);
    if (kept) out.push({ unit, kept });
  }
  return out;
}

/**
 * After the plan's steps: the kept copies whose window ended while the apply ran (a bake as long
 * as the window, later units taking longer than it) are destroyed; for the others, one line says
 * until when blue is kept.
 */
export async function retireEndedWindows(o: ApplyOptions, first: ApplyResult, run: RunPlan): Promise<ApplyResult> {
  if (!first.ok) return first;
  const kept = keptUnits(o.plan, o.store.state);
  if (kept.length === 0) return first;
  const say = (message: string): void => o.onEvent?.({ type: 'bake', message } satisfies ApplyEvent);
  const ended = kept.filter((k) => Date.parse(k.kept.kept.until) <= Date.now());
  if (ended.length === 0) {
    say(`Blue kept until ${untilText(kept)}: infra rollback switches back to it until then; the next apply after that destroys it.`);
    return first;
  }
  // Nothing is left to roll back to, and blue goes now.
  say(`Rollback window over for ${ended.map((k) => k.unit.address).join(', ')}: destroying the kept blue.`);
  const retired = await run(retirePlan(o.plan, o.store.state, ended));
  return { ...first, ok: retired.ok, diagnostics: [...first.diagnostics, ...retired.diagnostics], completed: [...first.completed, ...retired.completed], failed: retired.failed };
}

/** Deletes of the kept copies of `ended` (provisions first, then the instance). */
function retirePlan(plan: Plan, state: StateFile, ended: readonly Kept[]): Plan {
  const steps = new StepList();
  for (const k of ended) {
    const copies = state.resources.filter((r) => r.kept?.unit === k.unit.address && r.generation === k.kept.generation && !r.live);
    const provisions = copies.filter((r) => r.address !== k.unit.address);
    const del = (r: StateInstance, after: string[]): string =>
      steps.add({ kind: 'delete', operation: 'delete', address: r.address, color: r.color === null ? null : 'blue', unit: null, afterSwitch: false, after, generation: r.generation, blueGreen: r.color !== null, label: 'kept' });
    const ids = provisions.map((p) => del(p, []));
    del(k.kept, ids);
  }
  return { ...plan, units: [], steps: steps.ordered() };
}

function untilText(kept: readonly Kept[]): string {
  return [...new Set(kept.map((k) => formatUtcClock(k.kept.kept.until, true)))].join(', ');
}

/** Waits `ms`; false when `signal` aborted first. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
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

/** The bake step's `done` details: how many rounds passed. */
export function bakeDetails(rounds: number): string {
  return `${rounds} round${rounds === 1 ? '' : 's'} of post-switch checks passed`;
}

