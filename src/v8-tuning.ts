/**
 * V8 settings for the `infra` process: a command that lives a second or two and builds one large,
 * long-lived tree (the configuration) at start.
 *
 * Allocation-site pretenuring is off. V8 learns which allocation sites make objects that survive
 * and then allocates them in the old generation, but it decides that only once the young
 * generation has grown to its largest - for a 10,000-resource configuration, late in the parse -
 * and then throws away the optimized code that inlined those allocations (the parser's and the
 * evaluator's, some twenty functions at once, seen with `--trace-deopt`) and compiles it again,
 * on the same two cores the command runs on. For a process this short, letting the scavenger
 * copy the tree costs less: 10,000 resources parse and evaluate about a sixth faster
 * (docs/benchmarks.md). The flag is a heuristic the garbage collector reads at every scavenge,
 * so setting it once the process runs takes effect (checked: no pretenuring decision, no
 * dependent-code deoptimization after it).
 */
import { setFlagsFromString } from 'node:v8';

let tuned = false;

/** Applies the settings above; call once, before any configuration is read. */
export function tuneV8ForCommand(): void {
  if (tuned) return;
  tuned = true;
  setFlagsFromString('--no-allocation-site-pretenuring');
}
