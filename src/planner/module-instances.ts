/**
 * Module calls whose instances depend on resources or data sources: flattening (src/evaluate/
 * modules.ts) decides instances before anything is planned, from variables and locals; a call
 * whose `for_each` or `count` reads a resource is decided here instead, from the values the
 * planner knows. The configuration is flattened with such calls left without instances, the
 * instances are evaluated once (as a plan would: refreshed state, planned values, data sources
 * read), and the calls are decided again in those values, until no more can be decided (a
 * nested call may wait on a resource inside a module instance decided the round before). What
 * is still unknown is Terraform's "Invalid for_each argument", at the call's for_each, after the
 * errors the evaluation found (a mistake in what the for_each reads leaves it unknown). The plan
 * keeps the instances so decided (Plan.moduleInstances): apply of a saved plan flattens with them.
 */
import type { Config } from '../config/types.js';
import { type Diagnostic, type Result, hasErrors } from '../diagnostics.js';
import { buildBlockGraph } from '../graph/graph.js';
import { type DecidedModuleInstances, flattenModules } from '../evaluate/modules.js';
import type { EvalScope } from '../evaluate/evaluate.js';
import { type PlanInput, planContext } from './context.js';
import type { DataReadNeeded } from './data-sources.js';
import { evaluateUntilStable } from './instances.js';
import { carryOutMoves } from './moves.js';

/**
 * `given.config` flattened for planning (returned as it is when it has no module calls), or the
 * data sources to read first (`reads`: the caller reads them and plans again).
 */
export function flattenForPlan(given: PlanInput): Result<Config> & { reads?: readonly DataReadNeeded[]; decided?: readonly DecidedModuleInstances[] } {
  const { config, variables, env } = given;
  let flat = flattenModules(config, variables, env, { unknownInstances: 'unknown' });
  if (hasErrors(flat.diagnostics) || undecided(flat.value) === 0) return flat;
  // A destroy plan destroys what the state records and reads no data source: the calls need no instances.
  if (given.mode === 'destroy') return flat;
  let planned: EvalScope | undefined;
  // Errors of the last evaluation: a mistake in what a for_each reads leaves it unknown, and is the cause to show.
  let causes: readonly Diagnostic[] = [];
  // Each round decides at least one more call, or stops.
  for (;;) {
    const known = knownValues({ ...given, config: flat.value });
    if ('reads' in known) return { ...flat, reads: known.reads };
    causes = known.diagnostics.filter((d) => d.severity === 'error');
    if (!known.scope) break;
    planned = known.scope;
    const next = flattenModules(config, variables, env, { unknownInstances: 'unknown', planned });
    if (hasErrors(next.diagnostics)) return next;
    const progress = decided(next.value) > decided(flat.value);
    flat = next;
    if (undecided(next.value) === 0) return next;
    if (!progress) break;
  }
  // -target of other blocks leaves the calls alone (as Terraform's advice to apply first what
  // a for_each reads relies on); the calls still undecided are errors, at their for_each or count.
  const targets = given.targets ?? [];
  const undecidedCalls = [...(flat.value.moduleCalls ?? new Map()).entries()].filter(([, c]) => c.unknown).map(([a]) => a);
  if (targets.length > 0 && !undecidedCalls.some((a) => targets.some((t) => within(t, a) || within(a, t)))) return flat;
  const final = flattenModules(config, variables, env, planned ? { planned } : {});
  return { ...final, diagnostics: [...causes, ...final.diagnostics] };
}

/** `inner` is `outer` or an address inside it (`module.ns["a"].x` inside `module.ns`). */
function within(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
}

/** How many module calls have their instances. */
function decided(config: Config): number {
  let n = 0;
  for (const call of config.moduleCalls?.values() ?? []) if (!call.unknown) n++;
  return n;
}

/** How many module calls have no instances yet. */
function undecided(config: Config): number {
  let n = 0;
  for (const call of config.moduleCalls?.values() ?? []) if (call.unknown) n++;
  return n;
}

/**
 * The values of one evaluation of `input`'s instances, as a scope, with the evaluation's
 * diagnostics; no scope when the block graph cannot be built (a cycle); `reads` when data
 * sources must be read first.
 */
function knownValues(input: PlanInput): { scope: EvalScope | null; diagnostics: readonly Diagnostic[] } | { reads: readonly DataReadNeeded[] } {
  const built = buildBlockGraph(input.config);
  if (!built.graph) return { scope: null, diagnostics: built.diagnostics };
  // Against the state as moved blocks leave it, as the plan itself is made.
  const carried = carryOutMoves(input.refreshOnly ? [] : (input.config.moves ?? []), input.state, []);
  const ctx = planContext(carried ? { ...input, state: carried.state } : input);
  const { pass } = evaluateUntilStable(ctx, built.graph.order);
  const reads: DataReadNeeded[] = [];
  for (const d of pass.data.values()) if (d.needed) reads.push(d.needed);
  if (reads.length > 0) return { reads };
  return { scope: pass.scope.scope, diagnostics: ctx.diagnostics };
}
