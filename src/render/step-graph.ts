/**
 * The plan's steps seen as a graph and as a numbered sequence: what the deploy pictures
 * (Mermaid, DOT) and the text sequence share.
 */
import type { Step } from '../planner/plan.js';
import { blockOf } from '../addrs/address.js';
import { type DagEdge, dagEdges } from '../graph/dag.js';
import { STEP_KIND_WIDTH, stepDetail, stepKindWord } from './symbols.js';
import type { Paint } from './paint.js';

/** `from` must finish before `to` starts. */
export type StepEdge = DagEdge;

/**
 * The edges of the step graph, from each step's `after`. With `reduce` (the default), an edge
 * implied by a longer path is left out (transitive reduction), so a picture shows the order
 * without a thicket of arrows; the order it describes is the same. Ids that name no step are
 * ignored. Edges are listed by target step, then in `after` order.
 */
export function stepEdges(steps: readonly Step[], options: { readonly reduce?: boolean } = {}): StepEdge[] {
  return dagEdges(steps, options.reduce ?? true);
}

/** A run of consecutive steps of one kind on instances of one resource block. */
export interface StepRun {
  /** 1-based numbers in `plan.steps`. */
  readonly first: number;
  readonly last: number;
  readonly steps: readonly Step[];
}

function runKey(step: Step): string {
  return [step.kind, blockOf(step.address), step.color ?? '', step.unit === null ? '' : 'unit', step.afterSwitch].join('\u0000');
}

/**
 * Consecutive steps of the same kind, colour and resource block (`web.app[0]`, `web.app[1]`, ...)
 * as one run. Steps inside deploy units never merge with steps outside them.
 */
export function stepRuns(steps: readonly Step[]): StepRun[] {
  const runs: { first: number; last: number; steps: Step[] }[] = [];
  steps.forEach((step, i) => {
    const last = runs[runs.length - 1];
    if (last && runKey(last.steps[0]) === runKey(step) && step.kind !== 'switch') {
      last.steps.push(step);
      last.last = i + 1;
    } else {
      runs.push({ first: i + 1, last: i + 1, steps: [step] });
    }
  });
  return runs;
}

/** Widest address padded to in a sequence; longer ones just get a space. */
const MAX_ADDRESS_COLUMN = 48;

function paintDetail(paint: Paint, detail: string): string {
  return detail.replace(/\b(green|blue)\b/g, (c) => (c === 'green' ? paint.green(c) : paint.blue(c)));
}

/**
 * The numbered deploy sequence: every step in plan order, kind padded, address, and what the
 * step does beyond its address (`(green)`, `-> green`, `192.0.2.5:53 -> (green):53`).
 * With `compress`, runs of similar steps (see `stepRuns`) take one line each.
 */
export function sequenceLines(steps: readonly Step[], paint: Paint, options: { readonly compress?: boolean; readonly indent?: string } = {}): string[] {
  const indent = options.indent ?? '  ';
  const rows = options.compress
    ? stepRuns(steps).map((run) => {
        const head = run.steps[0];
        const tail = run.steps[run.steps.length - 1];
        const number = run.first === run.last ? `${run.first}` : `${run.first}-${run.last}`;
        const address = run.steps.length === 1 ? head.address : `${head.address} .. ${tail.address}`;
        const detail = [stepDetail(head), run.steps.length === 1 ? '' : `[${run.steps.length} steps]`].filter(Boolean).join(' ');
        return { number, kind: stepKindWord(head.kind), address, detail };
      })
    : steps.map((step, i) => ({ number: `${i + 1}`, kind: stepKindWord(step.kind), address: step.address, detail: stepDetail(step) }));
  const numberWidth = Math.max(0, ...rows.map((r) => r.number.length));
  const addressWidth = Math.min(MAX_ADDRESS_COLUMN, Math.max(0, ...rows.filter((r) => r.detail).map((r) => r.address.length)));
  return rows.map((r) => {
    const head = `${indent}${r.number.padStart(numberWidth)}. ${paint.kind(r.kind.padEnd(STEP_KIND_WIDTH))}  ${r.address}`;
    return r.detail ? `${head}${' '.repeat(Math.max(1, addressWidth - r.address.length + 2))}${paintDetail(paint, r.detail)}` : head;
  });
}
