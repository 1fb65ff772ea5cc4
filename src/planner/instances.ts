/**
 * Pass "instances": every configured instance evaluated in dependency order against the
 * planned values so far, with the instances it read (its dependencies) and its diff (diff.ts).
 * Repeated until the set of blue-green instances to deploy stops growing: forcing a deploy makes
 * the instance's computed attributes unknown, which can change its dependents in turn.
 */
import { blockOf, instanceAddress as formatInstance } from '../addrs/address.js';
import type { ResourceDecl } from '../config/types.js';
import { type Diagnostic, type SourceRange, error, hasErrors } from '../diagnostics.js';
import { type EvalScope, evaluateExpr } from '../evaluate/evaluate.js';
import { Sensitive, Unknown, containsUnknown, isObject, valueEquals, type Value } from '../evaluate/value.js';
import { stateValues } from '../state/sensitive.js';
import { decodeBody, expandInstances, instanceAddress, instanceScope } from '../evaluate/resource.js';
import { CONDITION_FAILED, checkRules } from '../evaluate/conditions.js';
import { localDiagnostics } from '../evaluate/locals.js';
import type { Role } from '../providers/contract.js';
import { type PlanContext, liveCopy, nextGeneration } from './context.js';
import { unitsNeeded } from './deploy-units.js';
import { type EvaluatedData, dataReadRange, evaluateDataInstance } from './data-sources.js';
import { diffInstance } from './diff.js';
import { placedGeneration } from './placement.js';
import type { Evaluated, PassResult } from './pass.js';
import { type BlockValues, ValueScope } from './scope.js';

/**
 * Evaluates until the deploys are stable; returns the last pass and the blue-green instances
 * forced to deploy. Diagnostics of the last pass only are kept.
 */
export function evaluateUntilStable(ctx: PlanContext, order: readonly ResourceDecl[], inScope: ReadonlySet<string> | null = null): { pass: PassResult; forced: Set<string> } {
  let forced = new Set<string>();
  let pass = evaluatePass(ctx, order, forced, inScope);
  for (let i = 0; i < 20 && !hasErrors(ctx.diagnostics); i++) {
    const next = unitsNeeded(pass, forced);
    if (next.size === forced.size) break;
    forced = next;
    ctx.diagnostics.length = 0;
    pass = evaluatePass(ctx, order, forced, inScope);
  }
  return { pass, forced };
}

/**
 * Evaluates every instance in dependency order against the planned values so far. With
 * `inScope` (a targeted plan: targets.ts `blocksInScope`), the data blocks outside it are not
 * read, and a block outside it whose instances cannot be told yet has none (not an error).
 */
function evaluatePass(ctx: PlanContext, order: readonly ResourceDecl[], forced: ReadonlySet<string>, inScope: ReadonlySet<string> | null): PassResult {
  const { config, variables, env } = ctx.input;
  const blocks = new Map<string, BlockValues>();
  const scope = new ValueScope({ config, variables, env }, blocks);
  const instances = new Map<string, Evaluated>();
  const data = new Map<string, EvaluatedData>();
  for (const decl of order) {
    if (decl.mode === 'data') {
      if (inScope && !inScope.has(decl.address)) recordedDataBlock(ctx, decl, blocks);
      else evaluateDataBlock(ctx, decl, scope, blocks, instances, data);
      continue;
    }
    const info = ctx.input.types(decl.type)!;
    const block: BlockValues = { decl, instances: new Map() };
    const expanded = scope.recording(() => expandInstances(decl, scope.scope));
    ctx.diagnostics.push(...expanded.result.diagnostics);
    const keys = expanded.result.value;
    if ('unknown' in keys && inScope && !inScope.has(decl.address)) {
      blocks.set(decl.address, block);
      continue;
    }
    if ('unknown' in keys) {
      const range = (decl.forEach ?? decl.count)?.range ?? decl.range;
      ctx.diagnostics.push(
        error(
          `The ${decl.forEach ? '"for_each"' : '"count"'} value of ${decl.address} depends on values known only after apply`,
          'The set of instances must be known when planning. Use values from variables and locals, or the keys of another resource\'s for_each.',
          range,
        ),
      );
      blocks.set(decl.address, block);
      continue;
    }
    const perKeyDep = forEachSource(expanded.reads);
    for (const key of keys.keys) {
      const address = instanceAddress(decl, key.index);
      const instScope = instanceScope(scope.scope, key);
      const body = scope.recording(() => decodeBody(decl.body, info.schema, instScope));
      ctx.diagnostics.push(...body.result.diagnostics);
      const deps = new Set(body.reads);
      if (perKeyDep && typeof key.index === 'string') {
        const dep = formatInstance(perKeyDep, key.index);
        if (expanded.reads.has(dep)) deps.add(dep);
      } else for (const r of expanded.reads) deps.add(r);
      for (const d of decl.dependsOn) for (const a of dependsOnTargets(d.address, blocks)) deps.add(a);
      deps.delete(address);
      // What it read directly, data sources included, before they are replaced by the resources
      // behind them (kept for the graph, and only when there are data sources: one set fewer per instance).
      const direct = readsData(deps, data) ? new Set(deps) : undefined;
      throughData(deps, data);
      const generation = placedGeneration(ctx, { decl, info, deps, address }, instances, forced) ?? plannedGeneration(ctx, decl, address, info.schema.role, deps, instances);
      // Preconditions come before the change is planned; what they read is a dependency too.
      const pre = scope.recording(() => checkRules(decl.lifecycle.preconditions, instScope, CONDITION_FAILED.precondition));
      ctx.diagnostics.push(...pre.result.diagnostics);
      for (const r of pre.reads) {
        deps.add(r);
        direct?.add(r);
      }
      deps.delete(address);
      const triggers = firedTriggers(ctx, decl, instScope, instances);
      ctx.diagnostics.push(...triggers.diagnostics);
      for (const a of triggers.instances) {
        deps.add(a);
        direct?.add(a);
      }
      deps.delete(address);
      const diff = diffInstance(ctx, {
        decl,
        address,
        info,
        config: body.result.value,
        forced: forced.has(address),
        replaceRequested: ctx.replace.has(address),
        triggered: triggers.fired.length > 0,
        generation,
      });
      // Postconditions see the planned values; one that needs values known only after apply waits for apply.
      const post = scope.recording(() => checkRules(decl.lifecycle.postconditions, { ...instScope, self: diff.after }, CONDITION_FAILED.postcondition));
      ctx.diagnostics.push(...post.result.diagnostics);
      for (const r of post.reads) {
        deps.add(r);
        direct?.add(r);
      }
      deps.delete(address);
      direct?.delete(address);
      const directDeps = direct ? { directDeps: direct } : {};
      instances.set(address, { decl, address, index: key.index, info, deps, ...directDeps, generation, ...diff, triggeredBy: diff.kind === 'replace' ? triggers.fired : [] });
      block.instances.set(key.index, diff.after);
    }
    blocks.set(decl.address, block);
  }
  // Every local is evaluated, used or not, and its errors reported once (as Terraform does).
  ctx.diagnostics.push(...localDiagnostics(config, scope.scope.local));
  return { instances, blocks, scope, data };
}

/**
 * The instances of one data block (data-sources.ts): evaluated like a resource's, with their
 * values taken from what was read, or unknown until read.
 */
function evaluateDataBlock(
  ctx: PlanContext,
  decl: ResourceDecl,
  scope: ValueScope,
  blocks: Map<string, BlockValues>,
  instances: ReadonlyMap<string, Evaluated>,
  data: Map<string, EvaluatedData>,
): void {
  const block: BlockValues = { decl, instances: new Map() };
  blocks.set(decl.address, block);
  const info = ctx.input.dataTypes?.(decl.type);
  if (!info) return; // checkKnownTypes reported it
  const expanded = scope.recording(() => expandInstances(decl, scope.scope));
  ctx.diagnostics.push(...expanded.result.diagnostics);
  const keys = expanded.result.value;
  if ('unknown' in keys) {
    ctx.diagnostics.push(
      error(
        `The ${decl.forEach ? '"for_each"' : '"count"'} value of ${decl.address} depends on values known only after apply`,
        'The set of instances must be known when planning. Use values from variables and locals, or the keys of another resource\'s for_each.',
        (decl.forEach ?? decl.count)?.range ?? decl.range,
      ),
    );
    return;
  }
  const range = dataReadRange(decl);
  for (const key of keys.keys) {
    const address = instanceAddress(decl, key.index);
    const body = scope.recording(() => decodeBody(decl.body, info.schema, instanceScope(scope.scope, key)));
    ctx.diagnostics.push(...body.result.diagnostics);
    const deps = new Set([...body.reads, ...expanded.reads]);
    for (const d of decl.dependsOn) for (const a of dependsOnTargets(d.address, blocks)) deps.add(a);
    deps.delete(address);
    const direct = [...deps].filter((d) => data.has(d));
    const directDeps = direct.length > 0 ? new Set(deps) : undefined;
    throughData(deps, data);
    // Arguments with errors are not read: the errors are the plan's answer.
    if (hasErrors(body.result.diagnostics)) continue;
    const ev = evaluateDataInstance({ decl, address, index: key.index, info, config: body.result.value, deps, dataDeps: direct, range }, instances, data, ctx.input.dataReads, ctx.input.noDataReads === true || ctx.input.mode === 'destroy');
    data.set(address, directDeps ? { ...ev, directDeps } : ev);
    block.instances.set(key.index, ev.value);
  }
}

/**
 * A data block a targeted plan does not read: what the last apply read of it (from the state),
 * for whatever outside the targets refers to it; unknown when nothing was recorded. It is not
 * in the plan.
 */
function recordedDataBlock(ctx: PlanContext, decl: ResourceDecl, blocks: Map<string, BlockValues>): void {
  const recorded = (ctx.input.state.data_sources ?? []).filter((d) => blockOf(d.address) === decl.address);
  if (recorded.length === 0) return;
  blocks.set(decl.address, { decl, instances: new Map(recorded.map((d) => [d.index, { ...d.attributes } as Record<string, Value>])) });
}

/** True when one of `deps` is a data source instance. */
function readsData(deps: ReadonlySet<string>, data: ReadonlyMap<string, EvaluatedData>): boolean {
  for (const d of deps) if (data.has(d)) return true;
  return false;
}

/** Replaces the data sources among `deps` by the resource instances they depend on. */
function throughData(deps: Set<string>, data: ReadonlyMap<string, EvaluatedData>): void {
  for (const d of [...deps]) {
    const ev = data.get(d);
    if (!ev) continue;
    deps.delete(d);
    for (const r of ev.deps) deps.add(r);
  }
}

/**
 * The `replace_triggered_by` entries of `decl` that fire for one instance (their text, as
 * written), and the instances they name (dependencies of this one). An entry without a key names
 * every instance of its block. An instance triggers by being updated or replaced; an attribute
 * by a planned value other than its recorded one (unknown counts as changed, as in Terraform).
 * A created instance triggers nothing: there is nothing recorded to differ from.
 */
function firedTriggers(
  ctx: PlanContext,
  decl: ResourceDecl,
  scope: EvalScope,
  instances: ReadonlyMap<string, Evaluated>,
): { fired: string[]; instances: string[]; diagnostics: Diagnostic[] } {
  const fired: string[] = [];
  const named: string[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const t of decl.lifecycle.replaceTriggeredBy ?? []) {
    const target = ctx.byBlock.get(t.block);
    if (!target) continue;
    let addresses: string[];
    if (t.index) {
      const k = evaluateExpr(t.index, scope);
      diagnostics.push(...k.diagnostics);
      if (k.diagnostics.length > 0) continue;
      const key = typeof k.value === 'number' || typeof k.value === 'string' ? k.value : undefined;
      if (key === undefined) {
        diagnostics.push(error('Invalid replace_triggered_by expression', 'The instance key must be a number or a string known when planning.', t.index.range));
        continue;
      }
      addresses = [instanceAddress(target, key)];
    } else addresses = [...instances.keys()].filter((a) => blockOf(a) === t.block);
    named.push(...addresses);
    const changed = addresses.some((a) => {
      const ev = instances.get(a);
      if (!ev?.prior) return false;
      if (t.path.length === 0) return ev.kind === 'update' || ev.kind === 'replace';
      const after = valueAt(ev.after, t.path);
      if (containsUnknown(after)) return true;
      // A secret is recorded as a hash, not a value: the diff has already compared it.
      if (ev.info.schema.attributes[t.path[0]]?.sensitive) return ev.changedPaths.includes(t.path[0]);
      return !valueEquals(valueAt(stateValues(ev.prior), t.path), after);
    });
    if (changed) fired.push(sourceText(ctx, t.range));
  }
  return { fired, instances: named, diagnostics };
}

/** The value at `path` below `v` (null where it does not go on). */
function valueAt(v: Value, path: readonly string[]): Value {
  for (const name of path) {
    while (v instanceof Sensitive) v = v.value;
    if (v instanceof Unknown) return v;
    if (!isObject(v) || !Object.hasOwn(v, name)) return null;
    v = v[name];
  }
  return v;
}

/** The text of `range` in its file, for showing an expression as written. */
function sourceText(ctx: PlanContext, range: SourceRange): string {
  const text = ctx.input.config.files.get(range.file);
  return text === undefined ? `${range.file}:${range.start.line}` : text.slice(range.start.offset, range.end.offset);
}

/**
 * When a for_each iterated exactly one other resource (`for_each = local_host.ns`), each
 * instance depends only on the instance with its own key, not on all of them.
 */
function forEachSource(reads: ReadonlySet<string>): string | undefined {
  let block: string | undefined;
  for (const r of reads) {
    const b = blockOf(r);
    if (block !== undefined && block !== b) return undefined;
    block = b;
  }
  return block;
}

/** The instances a `depends_on` entry names: one instance, or every instance of a block. */
function dependsOnTargets(address: string, blocks: ReadonlyMap<string, BlockValues>): string[] {
  const blockAddr = blockOf(address);
  const block = blocks.get(blockAddr);
  if (!block) return [];
  if (address !== blockAddr) return [address];
  return [...block.instances.keys()].map((i) => instanceAddress(block.decl, i));
}

/**
 * Blue-green copies get a fresh generation; provisions share the generation of the copy they
 * provision, so each copy's provisioning record is kept apart from the other copy's: the new
 * copy's when the host is made or replaced, else the live copy's (an unfinished first deploy
 * continued in place, deploy-units.ts `unfinishedFirstDeploy`).
 */
function plannedGeneration(ctx: PlanContext, decl: ResourceDecl, address: string, role: Role, deps: ReadonlySet<string>, instances: ReadonlyMap<string, Evaluated>): number {
  if (decl.lifecycle.blueGreen) return nextGeneration(ctx, address);
  if (role === 'provision') {
    for (const d of deps) {
      const host = ctx.byBlock.get(blockOf(d));
      if (!host?.lifecycle.blueGreen) continue;
      const ev = instances.get(d);
      return ev?.prior && (ev.kind === 'no-op' || ev.kind === 'update') ? ev.prior.generation : nextGeneration(ctx, d);
    }
  }
  return liveCopy(ctx, address)?.generation ?? 0;
}
