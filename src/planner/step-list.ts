/**
 * Steps under construction: ids made unique and readable, `after` edges added as found, and
 * the finished list in a valid execution order (graph/dag.ts).
 */
import { reaches, topologicalOrder } from '../graph/dag.js';
import type { Step } from './plan.js';

/** A step to add; `label` only adds to its id (`(leftover 2)`). */
export interface StepInit extends Omit<Step, 'id'> {
  readonly label?: string;
}

interface Entry {
  readonly id: string;
  readonly step: StepInit;
  readonly after: string[];
  /** `after` as a set, so adding an edge twice stays cheap on wide graphs. */
  readonly afterSet: Set<string>;
}

/** The steps of a plan being laid out; `ordered()` gives the finished list. */
export class StepList {
  private readonly steps: Entry[] = [];
  private readonly byId = new Map<string, Entry>();

  /** Adds a step; returns its id. */
  add(step: StepInit): string {
    const parts = [step.kind, step.address];
    if (step.color) parts.push(`(${step.color})`);
    if (step.label) parts.push(`(${step.label} ${step.generation})`);
    if (step.kind === 'switch' || (step.kind === 'verify' && step.unit)) parts.push(`[${step.unit}]`);
    let id = parts.join(' ');
    for (let n = 2; this.byId.has(id); n++) id = `${parts.join(' ')} #${n}`;
    const after = [...new Set(step.after)];
    const entry = { id, step, after, afterSet: new Set(after) };
    this.steps.push(entry);
    this.byId.set(id, entry);
    return id;
  }

  /** Makes step `id` wait for step `before`. */
  addAfter(id: string, before: string): void {
    const e = this.byId.get(id)!;
    if (!e.afterSet.has(before) && id !== before) {
      e.after.push(before);
      e.afterSet.add(before);
    }
  }

  /** True when `a` (transitively) waits for `b`. */
  dependsOn(a: string, b: string): boolean {
    return reaches(a, b, (x) => this.byId.get(x)?.after);
  }

  /** Steps in a valid execution order (ties in creation order), each `after` in that order too. */
  ordered(): Step[] {
    const position = new Map(this.steps.map((e, i) => [e.id, i]));
    const order = topologicalOrder(this.steps);
    if (order.length !== this.steps.length) throw new Error('planner bug: step graph has a cycle');
    return order.map((i) => {
      const e = this.steps[i];
      const { label: _label, ...rest } = e.step;
      void _label;
      return { ...rest, id: e.id, after: [...e.after].sort((x, y) => position.get(x)! - position.get(y)!) };
    });
  }
}
