/**
 * Pass "targets": what `--target` selects. A create/update target pulls in its dependencies
 * (and, through deploy-units.ts, whole deploy units); a destroy target pulls in its dependents.
 * Without targets everything is in scope.
 */
import { blockOf, targetMatches, targetSpellings } from '../addrs/address.js';
import type { BlockGraph } from '../graph/graph.js';
import { didYouMean, error } from '../diagnostics.js';
import type { PlanContext } from './context.js';
import type { PassResult, TransitiveDeps } from './pass.js';
import { type Reason, reasonKey } from './plan.js';

/** The instances in scope, and why each selected one is. */
export class Selection {
  private readonly reasons = new Map<string, Reason[]>();

  /** `included` null: no --target, everything is in scope. */
  constructor(private readonly included: Set<string> | null) {}

  inScope(address: string): boolean {
    return this.included === null || this.included.has(address);
  }

  /** With targets, adds `address` (for `reason`) when it is not in scope yet. */
  include(address: string, reason: Reason): void {
    if (this.included === null || this.included.has(address)) return;
    this.included.add(address);
    this.addReason(address, reason);
  }

  addReason(address: string, r: Reason): void {
    const list = this.reasons.get(address) ?? [];
    if (!list.some((x) => reasonKey(x) === reasonKey(r))) list.push(r);
    this.reasons.set(address, list);
  }

  reasonsOf(address: string): readonly Reason[] {
    return this.reasons.get(address) ?? [];
  }
}

/** Resolves --target values to instance addresses among `candidates`; null (with diagnostics) when one matches nothing. */
export function resolveTargets(ctx: PlanContext, candidates: readonly string[]): Set<string> | null {
  const out = new Set<string>();
  let ok = true;
  for (const t of ctx.input.targets) {
    const matches = candidates.filter((a) => targetMatches(t, a));
    if (matches.length === 0) {
      ok = false;
      const names = new Set(candidates.flatMap(targetSpellings));
      ctx.diagnostics.push(
        error(`No resource matches --target "${t}"`, didYouMean(t, names) ?? 'A target is an instance address (type.name["key"]), a resource (type.name) or a bare name.'),
      );
    }
    for (const m of matches) out.add(m);
  }
  return ok ? out : null;
}

/**
 * Resolves `-replace` addresses to the live instances recorded in state (there is nothing to
 * replace otherwise) into `ctx.replace`; false (with diagnostics) when one matches nothing.
 * A resource address (type.name) names each of its instances.
 */
export function resolveReplace(ctx: PlanContext): boolean {
  const candidates = [...new Set(ctx.input.state.resources.filter((r) => r.live).map((r) => r.address))];
  let ok = true;
  for (const t of ctx.input.replace ?? []) {
    const matches = candidates.filter((a) => targetMatches(t, a));
    if (matches.length === 0) {
      ok = false;
      const names = new Set(candidates.flatMap(targetSpellings));
      ctx.diagnostics.push(
        error(`No resource instance matches -replace "${t}"`, didYouMean(t, names) ?? 'Only an instance recorded in state can be replaced: an instance address (type.name["key"]) or a resource (type.name).'),
      );
    }
    for (const m of matches) ctx.replace.add(m);
  }
  return ok;
}

/**
 * The blocks a targeted plan needs, data blocks among them the only ones it reads: the targeted
 * blocks (`-target=data.local_file.zone` too) and those they depend on, directly or not, as
 * Terraform prunes its graph to the targets. A blue-green block brings its deploy unit into the selection (deploy-units.ts),
 * so what depends on it (its provisions, checks and routes) and what they depend on count too.
 * Null without targets (every data source is read). Decided on blocks, before anything is
 * evaluated, so it errs on reading more: an instance target reads what any instance of its
 * block depends on, and a blue-green block what all its dependents read.
 */
export function blocksInScope(ctx: PlanContext, graph: BlockGraph): ReadonlySet<string> | null {
  if (ctx.input.targets.length === 0 || ctx.input.mode !== 'normal') return null;
  const dependents = new Map<string, string[]>();
  for (const [from, tos] of graph.deps) {
    for (const to of tos) {
      const list = dependents.get(to);
      if (list) list.push(from);
      else dependents.set(to, [from]);
    }
  }
  const closure = new Set<string>();
  const pending: string[] = [];
  for (const block of graph.deps.keys()) {
    if (ctx.input.targets.some((t) => blockOf(t) === block || targetMatches(t, block))) pending.push(block);
  }
  for (let b = pending.pop(); b !== undefined; b = pending.pop()) {
    if (closure.has(b)) continue;
    closure.add(b);
    for (const d of graph.deps.get(b) ?? []) pending.push(d);
    if (ctx.byBlock.get(b)?.lifecycle.blueGreen) pending.push(...(dependents.get(b) ?? []));
  }
  return closure;
}

/** The selection of a normal plan: targets and everything they depend on. */
export function selectForApply(ctx: PlanContext, pass: PassResult, tdeps: () => TransitiveDeps): Selection | null {
  if (ctx.input.targets.length === 0) return new Selection(null);
  // A data source can be a target too: what it depends on is planned, and it is read.
  // (Data blocks not read are candidates too: for "did you mean"; a target naming one would have had it read.)
  const dataBlocks = (ctx.input.config.dataSources ?? []).map((d) => d.address);
  const candidates = [...new Set([...pass.instances.keys(), ...ctx.input.state.resources.map((r) => r.address), ...pass.data.keys(), ...dataBlocks])];
  const selected = resolveTargets(ctx, candidates);
  if (!selected) return null;
  const included = new Set(selected);
  const selection = new Selection(included);
  const closure = tdeps();
  for (const s of selected) {
    selection.addReason(s, { code: 'targeted' });
    const data = pass.data.get(s);
    const deps = data ? [...data.deps].flatMap((d) => [d, ...(closure.get(d) ?? [])]) : (closure.get(s) ?? []);
    for (const d of deps) {
      if (!included.has(d)) selection.addReason(d, { code: 'target-depends-on', target: s });
      included.add(d);
    }
  }
  return selection;
}

/** The selection of a destroy plan: targets and everything recorded that depends on them. */
export function selectForDestroy(ctx: PlanContext): Selection | null {
  const { state } = ctx.input;
  if (ctx.input.targets.length === 0) return new Selection(null);
  const selected = resolveTargets(ctx, [...new Set(state.resources.map((r) => r.address))]);
  if (!selected) return null;
  const selection = new Selection(new Set(selected));
  for (const s of selected) selection.addReason(s, { code: 'targeted' });
  let grew = true;
  while (grew) {
    grew = false;
    for (const inst of state.resources) {
      if (selection.inScope(inst.address)) continue;
      const dep = inst.dependencies.find((d) => selection.inScope(d));
      if (dep) {
        selection.include(inst.address, { code: 'depends-on-destroyed', dependency: dep });
        grew = true;
      }
    }
  }
  return selection;
}
