/**
 * Pass "assemble": the Plan object from the passes' results - changes sorted by address, steps
 * in execution order, outputs, the summary counts and the warnings found on the way.
 */
import type { PlanContext } from './context.js';
import { type DeployUnit, type OutputChange, type Plan, type ResourceChange, hasAction } from './plan.js';
import type { StepList } from './step-list.js';

/** The finished plan. */
export function assemblePlan(ctx: PlanContext, changes: ResourceChange[], units: readonly DeployUnit[], steps: StepList, outputs: OutputChange[]): Plan {
  const { input } = ctx;
  let add = 0;
  let change = 0;
  let destroy = 0;
  // A keep_blue deploy replaces without destroying: its blue is kept for the rollback window.
  const keptBlue = new Set(units.filter((u) => u.keepBlue).flatMap((u) => [u.address, ...u.provisions]));
  for (const c of changes) {
    if (hasAction(c.actions, 'create')) add++;
    if (hasAction(c.actions, 'update')) change++;
    if (hasAction(c.actions, 'delete') && !(c.actions.length === 2 && keptBlue.has(c.address))) destroy++;
  }
  return {
    formatVersion: '1',
    mode: input.mode,
    targets: [...input.targets],
    basis: input.basis,
    drift: input.drift,
    changes: changes.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.priorGeneration - b.priorGeneration)),
    units: [...units],
    steps: steps.ordered(),
    outputs,
    summary: { add, change, destroy, blueGreen: units.length },
    warnings: ctx.diagnostics.filter((d) => d.severity === 'warning'),
  };
}
