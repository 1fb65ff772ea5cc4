/**
 * Apply progress as lines of text: one line when a step starts and one when it ends, with
 * elapsed time, "Still creating..." for long steps, and provider output indented beneath.
 */
import { Chalk } from 'chalk';
import type { ApplyEvent } from '../apply/apply.js';
import type { Step } from '../planner/plan.js';

const VERB: Record<Step['kind'], [string, string, string]> = {
  create: ['Creating...', 'Creation complete', 'creating'],
  update: ['Modifying...', 'Modifications complete', 'modifying'],
  delete: ['Destroying...', 'Destruction complete', 'destroying'],
  verify: ['Verifying...', 'Verified', 'verifying'],
  switch: ['Switching...', 'Switched', 'switching'],
  bake: ['Baking...', 'Baked', 'baking'],
};

export function formatElapsed(ms: number): string {
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - m * 60)}s`;
}

function label(step: Step): string {
  return step.color ? `${step.address} (${step.color})` : step.address;
}

/** A function turning apply events into printed lines (undefined: nothing to print). */
export function progressPrinter(opts: { color: boolean; verbose?: boolean }): (e: ApplyEvent) => string | undefined {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  return (e) => {
    switch (e.type) {
      case 'start': {
        const verb = e.step.kind === 'switch' && e.rollback ? 'Switching back...' : VERB[e.step.kind][0];
        return `${c.bold(label(e.step))}: ${e.rollback ? c.yellow('[rollback] ') : ''}${verb}`;
      }
      case 'done': {
        const extra = e.step.kind === 'switch' && e.details && !e.rollback ? ` (traffic now to ${e.details})` : e.step.kind === 'bake' && e.details ? ` (${e.details})` : '';
        return `${c.bold(label(e.step))}: ${e.rollback ? c.yellow('[rollback] ') : ''}${c.green(VERB[e.step.kind][1])} after ${formatElapsed(e.elapsedMs)}${extra}`;
      }
      case 'failed':
        return `${c.bold(label(e.step))}: ${c.red(`Failed after ${formatElapsed(e.elapsedMs)}`)}${e.diagnostics[0] ? `: ${e.diagnostics[0].summary}` : ''}`;
      case 'still':
        return `${c.bold(label(e.step))}: Still ${VERB[e.step.kind][2]}... [${formatElapsed(e.elapsedMs)} elapsed]`;
      case 'log':
        return `${c.dim(`${label(e.step)}: │ `)}${e.line}`;
      case 'rollback':
        return c.yellow(`Rolling back the deploy of ${e.unit}: ${e.reason}`);
      case 'bake':
        return e.step ? `${c.bold(label(e.step))}: ${c.cyan(e.message)}` : c.cyan(e.message);
      case 'interrupt':
        return c.yellow(
          e.hard
            ? 'Interrupted again: state is saved, stopping now.'
            : 'Interrupt received: no new steps start; in-flight deploys finish or roll back. Press Ctrl-C again to stop at once.',
        );
    }
  };
}
