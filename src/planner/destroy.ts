/**
 * Pass "destroy ordering": the steps of a destroy plan - one delete per recorded copy in scope,
 * each after the deletes of everything that depends on it.
 */
import { blockOf } from '../addrs/address.js';
import { error, hasErrors } from '../diagnostics.js';
import type { StateInstance } from '../state/types.js';
import { deletion } from './changes.js';
import { recordedColor } from './colors.js';
import type { PlanContext } from './context.js';
import type { ResourceChange } from './plan.js';
import { StepList } from './step-list.js';
import type { Selection } from './targets.js';

/** The changes and steps of a destroy plan; null when prevent_destroy forbids it. */
export function destroySteps(ctx: PlanContext, selection: Selection): { changes: ResourceChange[]; steps: StepList } | null {
  const doomed = ctx.input.state.resources.filter((r) => selection.inScope(r.address));
  const changes = doomed.map((inst) => deletion(inst, selection.reasonsOf(inst.address)));
  for (const inst of doomed) {
    const decl = ctx.byBlock.get(blockOf(inst.address));
    if (decl?.lifecycle.preventDestroy) {
      ctx.diagnostics.push(error(`Instance ${inst.address} cannot be destroyed`, 'It has lifecycle.prevent_destroy set. Remove it from the configuration first.', decl.range));
    }
  }
  if (hasErrors(ctx.diagnostics)) return null;
  const steps = new StepList();
  const ids = new Map<StateInstance, string>();
  const sorted = [...doomed].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.generation - b.generation));
  for (const inst of sorted) {
    ids.set(inst, steps.add({ kind: 'delete', operation: 'delete', blueGreen: inst.color !== null, address: inst.address, color: recordedColor(inst), unit: null, afterSwitch: false, after: [], generation: inst.generation }));
  }
  // Reverse dependency order: an instance goes after everything that depends on it.
  for (const inst of sorted) {
    for (const other of sorted) {
      if (other !== inst && other.dependencies.includes(inst.address)) steps.addAfter(ids.get(inst)!, ids.get(other)!);
    }
  }
  return { changes, steps };
}
