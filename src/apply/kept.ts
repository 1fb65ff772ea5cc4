/**
 * Which copies of a deploy unit are live after a switch, and which are kept for a rollback
 * window (`keep_blue`): the state change apply writes each time traffic moves between copies.
 */
import type { DeployUnit } from '../planner/plan.js';
import { copyColor } from '../planner/colors.js';
import { upsertInstance } from '../state/query.js';
import type { KeptMark, StateFile, StateInstance } from '../state/types.js';

/**
 * `state` with the unit's `which` copies (green: `plannedGeneration`, blue: `priorGeneration`)
 * of its instance and provisions live and the others not. A copy that is not live is marked
 * kept when the unit keeps one: the blue that a keep_blue deploy switched away from (its window
 * starts `now`), or in a rollback the copy traffic did not go to (the rollback's window end).
 */
export function switchedState(state: StateFile, unit: DeployUnit, which: 'green' | 'blue', now: Date): StateFile {
  const members = new Set([unit.address, ...unit.provisions]);
  const liveGen = which === 'green' ? unit.plannedGeneration : unit.priorGeneration;
  const keptGen = which === 'green' ? unit.priorGeneration : unit.plannedGeneration;
  let until: string | undefined;
  if (unit.rollback) until = unit.rollback.keptUntil;
  else if (unit.keepBlue && which === 'green') until = new Date(now.getTime() + unit.keepBlue.windowMs).toISOString();
  const mark: KeptMark | undefined = until === undefined ? undefined : { until, unit: unit.address };
  // What last verified the copy traffic leaves: the post-switch checks as recorded before they
  // run against the copy traffic goes to.
  const checks: Record<string, StateInstance['attributes']> = {};
  for (const c of unit.postChecks) {
    const rec = state.resources.find((r) => r.address === c && r.live);
    if (rec) checks[c] = rec.attributes;
  }
  let next = state;
  for (const r of state.resources) {
    if (!members.has(r.address)) continue;
    const shouldBeLive = r.generation === liveGen && r.status === 'ready';
    const color = r.color === null ? null : copyColor(shouldBeLive);
    let kept = !shouldBeLive && mark && r.generation === keptGen && r.status === 'ready' ? mark : undefined;
    // The copy traffic leaves records the checks that verified it; a rollback that failed puts
    // back those the kept copy had.
    if (kept && r.address === unit.address) {
      const stored = unit.rollback && which === 'blue' ? unit.rollback.checks : checks;
      if (stored) kept = { ...kept, checks: stored };
    }
    if (r.live === shouldBeLive && r.color === color && sameMark(r.kept, kept)) continue;
    const { kept: _old, ...rest } = r;
    void _old;
    const updated: StateInstance = kept ? { ...rest, live: shouldBeLive, color, kept } : { ...rest, live: shouldBeLive, color };
    next = upsertInstance(next, updated);
  }
  return next;
}

function sameMark(a: KeptMark | undefined, b: KeptMark | undefined): boolean {
  return a?.until === b?.until && a?.unit === b?.unit && JSON.stringify(a?.checks) === JSON.stringify(b?.checks);
}
