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
  const sorted = [...doomed].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.generation - b.generation));
  const ids = new Map<StateInstance, string>();
  const copiesAt = new Map<string, StateInstance[]>();
  for (const inst of sorted) {
    ids.set(inst, steps.add({ kind: 'delete', operation: 'delete', blueGreen: inst.color !== null, address: inst.address, color: recordedColor(inst), unit: null, afterSwitch: false, after: [], generation: inst.generation }));
    const list = copiesAt.get(inst.address);
    if (list) list.push(inst);
    else copiesAt.set(inst.address, [inst]);
  }
  // Reverse dependency order: an instance goes after everything that depends on it. One look
  // at each recorded dependency keeps this linear in the size of the state.
  for (const other of sorted) {
    for (const d of new Set(other.dependencies)) {
      for (const inst of copiesAt.get(d) ?? []) if (inst !== other) steps.addAfter(ids.get(inst)!, ids.get(other)!);
    }
  }
  return { changes, steps };
}
