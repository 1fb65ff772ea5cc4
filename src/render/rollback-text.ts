/**
 * The plan of `infra rollback` as text: per instance, the copy traffic goes back to, the copy it
 * leaves, the switches and the checks that verify them. A pure function of the plan.
 */
import { formatUtcClock } from '../duration.js';
import type { Plan } from '../planner/plan.js';
import { makePaint } from './paint.js';

/** The rollback plan as text; lines end with `\n`. */
export function renderRollbackText(plan: Plan, opts: { readonly color: boolean }): string {
  const paint = makePaint(opts.color);
  const out: string[] = ['infra will switch traffic back to kept blue copies (nothing is created or destroyed):', ''];
  for (const u of plan.units) {
    const steps = plan.steps.filter((s) => s.unit === u.address);
    const until = u.rollback ? formatUtcClock(u.rollback.keptUntil, true) : '';
    out.push(paint.bold(`  # ${u.address}: back to generation ${u.plannedGeneration} (kept blue) from generation ${u.priorGeneration}`));
    for (const s of steps) {
      if (s.kind === 'switch') out.push(`      switch ${s.address}: ${s.switchFrom} -> ${s.switchTo}`);
      else out.push(`      verify ${s.address} (post-switch check)`);
    }
    out.push(`    generation ${u.priorGeneration} is then kept, not routed, until ${until} (infra rollback again switches forward to it)`, '');
  }
  const n = plan.units.length;
  out.push(`Plan: ${n} instance${n === 1 ? '' : 's'} to roll back, 0 to add, 0 to destroy.`);
  return `${out.join('\n')}\n`;
}
