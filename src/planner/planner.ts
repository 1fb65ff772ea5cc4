/**
 * The planner: a pure, synchronous function from (configuration, variables, refreshed state) to
 * a Plan. No I/O beyond what providers' deterministic `plan` hooks and the language's file
 * functions read. All effects live in apply.
 *
 * A plan is made by an ordered list of passes, each one concern in its own file (docs/engine.md
 * draws them):
 *
 *   moves.ts (moved/removed/import blocks, on the state) -> block graph (graph/graph.ts)
 *     -> instances.ts (with diff.ts, and data-sources.ts for data blocks: reads it needs end the
 *        plan early, asking the caller for them) -> deploy-units.ts (shape)
 *   normal:  targets.ts -> deploy-units.ts -> changes.ts -> step-layout.ts -> ordering.ts -> outputs.ts
 *   destroy: targets.ts -> destroy.ts -> outputs.ts
 *   rollback (infra rollback): rollback.ts
 *   then assemble.ts.
 */
import { blockOf } from '../addrs/address.js';
import { type Diagnostic, didYouMean, error, hasErrors } from '../diagnostics.js';
import { buildBlockGraph } from '../graph/graph.js';
import { flattenForPlan } from './module-instances.js';
import { stateValues, storedForm } from '../state/sensitive.js';
import { assemblePlan } from './assemble.js';
import { configuredChanges, removedChanges } from './changes.js';
import { type PlanContext, type PlanInput, planContext } from './context.js';
import { checkBlueGreenShape, deployUnits, instanceClosure } from './deploy-units.js';
import { destroySteps } from './destroy.js';
import { evaluateUntilStable } from './instances.js';
import { addImports, carryOutMoves } from './moves.js';
import type { PassResult, TransitiveDeps } from './pass.js';
import { orderFirstDeployRoutes, orderRemovedLast, orderReplacedObjects } from './ordering.js';
import { destroyedOutputs, plannedOutputs } from './outputs.js';
import { checkResourceValidations } from '../evaluate/variables.js';
import type { DataSourceRead, Plan } from './plan.js';
import type { DataReadNeeded } from './data-sources.js';
import { layoutSteps } from './step-layout.js';
import { StepList } from './step-list.js';
import { blocksInScope, resolveReplace, selectForApply, selectForDestroy } from './targets.js';
import { copyKey } from '../addrs/address.js';
import { keptCopies, keptCopiesDestroyed } from './kept.js';
import { rollbackLayout } from './rollback.js';

export type { PlanInput, TypeInfo } from './context.js';
export type { DataReadNeeded, DataReadResult, DataTypeInfo } from './data-sources.js';
export { hasAction } from './plan.js';
export { describeTarget } from './colors.js';

// How secrets are stored and compared is state's business (state/sensitive.ts); these are
// re-exported for callers that know them from here.
export { storedForm, stateValues };

/**
 * Computes the plan, or diagnostics explaining why there is none. When `reads` is not empty the
 * plan is null: those data sources have known arguments but no read in `input.dataReads`; the
 * caller reads them and plans again (diagnostics of such a round are not final and are dropped).
 */
export function plan(given: PlanInput): { plan: Plan | null; diagnostics: Diagnostic[]; reads?: readonly DataReadNeeded[]; config?: PlanInput['config'] } {
  // Module calls are flattened here, some of them with the values the planner knows
  // (module-instances.ts); a caller that flattened them already gets its configuration back.
  const flat = flattenForPlan(given);
  if (flat.reads) return { plan: null, diagnostics: [...flat.diagnostics], reads: flat.reads };
  if (hasErrors(flat.diagnostics)) return { plan: null, diagnostics: [...flat.diagnostics] };
  const input = flat.value === given.config ? given : { ...given, config: flat.value };
  // moved/removed blocks first: every other pass plans against the state as they leave it.
  const moveDiagnostics: Diagnostic[] = [];
  // (-refresh-only accepts drift and nothing else, so it leaves them for the next plan.)
  const carried = carryOutMoves(input.refreshOnly ? [] : (input.config.moves ?? []), input.state, moveDiagnostics);
  if (!carried) return { plan: null, diagnostics: moveDiagnostics };
  const imports = input.refreshOnly || input.mode === 'destroy' ? [] : (input.imports ?? []);
  const importRanges = new Map((input.config.imports ?? []).map((i) => [i.to, i.range]));
  const state = addImports(imports, carried.state, importRanges, moveDiagnostics);
  if (!state) return { plan: null, diagnostics: moveDiagnostics };
  const ctx = planContext({ ...input, state });
  ctx.diagnostics.push(...moveDiagnostics);
  const reads: DataReadNeeded[] = [];
  const result = planPasses(ctx, reads);
  if (reads.length > 0) return { plan: null, diagnostics: ctx.diagnostics, reads };
  if (hasErrors(ctx.diagnostics) || !result) return { plan: null, diagnostics: ctx.diagnostics };
  const carriedOut = {
    ...(flat.decided ? { moduleInstances: flat.decided } : {}),
    ...(carried.moves.length ? { moves: carried.moves } : {}),
    ...(carried.forgets.length ? { forgets: carried.forgets } : {}),
    ...(imports.length ? { imports } : {}),
  };
  return { plan: { ...result, ...carriedOut }, diagnostics: ctx.diagnostics, config: input.config };
}

/** The passes, in order; each one stops the plan when it found errors. */
function planPasses(ctx: PlanContext, reads: DataReadNeeded[]): Plan | null {
  const { config } = ctx.input;
  const built = buildBlockGraph(config);
  ctx.diagnostics.push(...built.diagnostics);
  if (!built.graph) return null;
  checkKnownTypes(ctx);
  if (ctx.input.mode === 'normal') resolveReplace(ctx);
  if (hasErrors(ctx.diagnostics)) return null;
  const { pass, forced } = evaluateUntilStable(ctx, built.graph.order, blocksInScope(ctx, built.graph));
  for (const d of pass.data.values()) if (d.needed) reads.push(d.needed);
  if (reads.length > 0 || hasErrors(ctx.diagnostics)) return null;
  const planned = planModes(ctx, pass, forced);
  // A destroy reads no data source (what it destroys is in the state) and records none.
  return planned && pass.data.size > 0 && ctx.input.mode !== 'destroy' ? { ...planned, data: dataSourceReads(pass) } : planned;
}

/** The plan of the mode asked for, from the evaluated pass. */
function planModes(ctx: PlanContext, pass: PassResult, forced: Set<string>): Plan | null {
  checkImportTargets(ctx, pass);
  if (hasErrors(ctx.diagnostics)) return null;
  const tdeps = lazy(() => instanceClosure(pass));
  checkBlueGreenShape(ctx, pass, tdeps);
  if (hasErrors(ctx.diagnostics)) return null;
  if (ctx.input.refreshOnly) return assemblePlan(ctx, [], [], new StepList(), []);
  if (ctx.input.mode === 'rollback') return rollbackPlan(ctx, pass, tdeps);
  return ctx.input.mode === 'destroy' ? destroyPlan(ctx) : normalPlan(ctx, pass, forced, tdeps);
}

/** The plan's record of every data source instance, by address. */
function dataSourceReads(pass: PassResult): DataSourceRead[] {
  return [...pass.data.values()]
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
    .map((d) => ({
      address: d.address,
      type: d.decl.type,
      name: d.decl.name,
      index: d.index,
      provider: d.provider,
      values: d.value,
      ...(d.deferred ? { deferred: d.deferred } : {}),
      dependencies: [...d.deps].sort(),
      ...(d.directDeps ? { directDependencies: [...d.directDeps].sort() } : {}),
    }));
}

/** Every resource block names a type some provider has; every data block a data source type. */
function checkKnownTypes(ctx: PlanContext): void {
  const { config, typeNames } = ctx.input;
  const dataNames = ctx.input.dataTypeNames ?? [];
  for (const decl of config.dataSources ?? []) {
    if (!ctx.input.dataTypes?.(decl.type)) {
      ctx.diagnostics.push(
        error(`Unknown data source type "${decl.type}"`, didYouMean(decl.type, dataNames) ?? (dataNames.length ? `Known data source types: ${dataNames.join(', ')}` : 'No provider offers data sources.'), decl.typeRange),
      );
    }
  }
  for (const decl of config.resources) {
    if (!ctx.input.types(decl.type)) {
      ctx.diagnostics.push(error(`Unknown resource type "${decl.type}"`, didYouMean(decl.type, typeNames) ?? `Known types: ${typeNames.join(', ')}`, decl.typeRange));
    }
  }
}

/**
 * Every object an import block adopts is an instance the configuration has: an import to a key
 * that for_each or count does not produce would adopt the object only to destroy it.
 */
function checkImportTargets(ctx: PlanContext, pass: PassResult): void {
  if (ctx.input.refreshOnly || ctx.input.mode === 'destroy') return;
  for (const i of ctx.input.imports ?? []) {
    if (pass.instances.has(i.address)) continue;
    const decl = ctx.input.config.imports?.find((d) => d.to === i.address);
    const keys = [...pass.instances.keys()].filter((a) => a !== blockOf(a) && blockOf(a) === blockOf(i.address));
    ctx.diagnostics.push(
      error(
        'Configuration for import target does not exist',
        `The configuration has no instance ${i.address}${keys.length ? `; it has ${keys.join(', ')}` : ''}. Importing it would adopt the object only to destroy it.`,
        decl?.range,
      ),
    );
  }
}

/** A plan that makes the configuration real. */
function normalPlan(ctx: PlanContext, pass: PassResult, forced: ReadonlySet<string>, tdeps: () => TransitiveDeps): Plan | null {
  const selection = selectForApply(ctx, pass, tdeps);
  if (!selection) return null;
  const units = deployUnits(pass, forced, tdeps, selection);
  const changes = configuredChanges(ctx, pass, forced, selection, units);
  const removed = removedChanges(ctx, pass, selection, new Set(units.units.map((u) => u.address)));
  if (hasErrors(ctx.diagnostics)) return null;
  const layout = layoutSteps(ctx, pass, changes, removed, units, tdeps);
  orderFirstDeployRoutes(pass, layout, changes, units, tdeps);
  orderReplacedObjects(layout, changes);
  orderRemovedLast(layout, changes);
  const outputs = plannedOutputs(ctx, pass);
  ctx.diagnostics.push(...checkResourceValidations(ctx.input.config, pass.scope.scope).map((v) => v.diagnostic));
  const plan = assemblePlan(ctx, [...changes.values(), ...removed.changes], units.units, layout.steps, outputs);
  const kept = keptCopies(ctx, new Set(removed.changes.map((c) => copyKey({ address: c.address, generation: c.priorGeneration }))));
  const keptDestroyed = keptCopiesDestroyed(ctx, removed.changes);
  return { ...plan, ...(kept.length ? { kept } : {}), ...(keptDestroyed.length ? { keptDestroyed } : {}) };
}

/** The plan of `infra rollback`: switches back to kept blue copies (rollback.ts). */
function rollbackPlan(ctx: PlanContext, pass: PassResult, tdeps: () => TransitiveDeps): Plan | null {
  const layout = rollbackLayout(ctx, pass, tdeps);
  if (!layout) return null;
  return assemblePlan(ctx, layout.changes, layout.units, layout.steps, []);
}

/** A plan that destroys what state records (or the targets and their dependents). */
function destroyPlan(ctx: PlanContext): Plan | null {
  const selection = selectForDestroy(ctx);
  if (!selection) return null;
  const destroyed = destroySteps(ctx, selection);
  if (!destroyed) return null;
  const plan = assemblePlan(ctx, destroyed.changes, [], destroyed.steps, destroyedOutputs(ctx));
  const deleted = destroyed.changes.filter((c) => (c.actions as readonly string[]).includes('delete'));
  const kept = keptCopies(ctx, new Set(deleted.map((c) => copyKey({ address: c.address, generation: c.priorGeneration }))));
  const keptDestroyed = keptCopiesDestroyed(ctx, deleted, true);
  return { ...plan, ...(kept.length ? { kept } : {}), ...(keptDestroyed.length ? { keptDestroyed } : {}) };
}

/** A value computed on first use. */
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}
