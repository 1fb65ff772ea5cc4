/**
 * The dependency graph of a configuration's resource blocks, built from the references in their
 * expressions (through locals) and from `depends_on`. It gives the planner an evaluation order
 * and reports cycles; edges between individual instances are found while evaluating (the
 * planner records which instances an instance's configuration actually read).
 */
import { Graph, alg } from '@dagrejs/graphlib';
import { blockOf } from '../addrs/address.js';
import type { Config, ModuleCallInstances, ResourceDecl } from '../config/types.js';
import { type Diagnostic, type SourceRange, error, didYouMean } from '../diagnostics.js';
import { bodyReferences, referencesOf, type Reference } from '../evaluate/references.js';
import type { Expr } from '../parser/ast.js';

/** A reference from one block to another, kept for messages. */
export interface BlockEdge {
  readonly from: string;
  readonly to: string;
  readonly range: SourceRange;
}

export interface BlockGraph {
  /** Resource blocks in an order where every block comes after the blocks it refers to. */
  readonly order: readonly ResourceDecl[];
  /** Block address -> addresses of the blocks it refers to. */
  readonly deps: ReadonlyMap<string, ReadonlySet<string>>;
  readonly edges: readonly BlockEdge[];
}

/** Resource references of an expression, following `local.x` into the local's expression. */
function resourceRefs(exprs: readonly Reference[], config: Config, seenLocals: Set<string>): Reference[] {
  const out: Reference[] = [];
  for (const r of exprs) {
    if (r.kind === 'resource') out.push(r);
    else if (r.kind === 'local' && !seenLocals.has(r.name)) {
      seenLocals.add(r.name);
      const local = config.locals.get(r.name);
      if (local) {
        // Keep the reference's own range: the message points at where the block uses the local.
        for (const inner of resourceRefs(referencesOf(local.expr), config, seenLocals)) out.push({ ...inner, range: r.range });
      }
    }
  }
  return out;
}

/** The resource references of every output of every instance of a module call (nested calls followed). */
function moduleOutputRefs(call: ModuleCallInstances, config: Config, seenCalls = new Set<ModuleCallInstances>()): Reference[] {
  seenCalls.add(call);
  const locals: Reference[] = [];
  for (const outputs of call.instances.values()) {
    for (const local of outputs.values()) locals.push({ kind: 'local', name: local, range: config.locals.get(local)!.range });
  }
  const out: Reference[] = [];
  for (const r of resourceRefs(locals, config, new Set())) {
    const inner = config.moduleCalls?.get(`${r.type}.${r.name}`);
    if (inner === undefined) out.push(r);
    else if (!seenCalls.has(inner)) out.push(...moduleOutputRefs(inner, config, seenCalls));
  }
  return out;
}

/** Every expression of a block that can refer to other blocks. */
function blockReferences(decl: ResourceDecl): Reference[] {
  const refs = bodyReferences(decl.body);
  const meta: (Expr | undefined)[] = [decl.forEach, decl.count];
  for (const e of meta) if (e) refs.push(...referencesOf(e));
  for (const opt of decl.lifecycle.blueGreen?.options.values() ?? []) refs.push(...referencesOf(opt));
  // What a condition reads is planned first, so the condition sees its planned values.
  for (const rule of [...(decl.lifecycle.preconditions ?? []), ...(decl.lifecycle.postconditions ?? [])]) {
    refs.push(...referencesOf(rule.condition), ...referencesOf(rule.errorMessage));
  }
  return refs;
}

/**
 * Builds the block graph. Unknown resource types referenced, references to undeclared
 * resources and cycles are diagnostics.
 */
export function buildBlockGraph(config: Config): { graph: BlockGraph | null; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  // Data sources are blocks like resources (`data.TYPE.NAME`), read in the same order.
  const blocks = config.dataSources ? [...config.resources, ...config.dataSources] : config.resources;
  const byAddress = new Map(blocks.map((r) => [r.address, r]));
  const edges: BlockEdge[] = [];
  const deps = new Map<string, Set<string>>();
  for (const decl of blocks) {
    const set = new Set<string>();
    deps.set(decl.address, set);
    for (const ref of resourceRefs(blockReferences(decl), config, new Set())) {
      const to = `${ref.type}.${ref.name}`;
      const call = config.moduleCalls?.get(to);
      if (call) {
        // A module's value is its outputs: the block waits for what they refer to.
        for (const inner of moduleOutputRefs(call, config)) {
          const target = `${inner.type}.${inner.name}`;
          if (!byAddress.has(target) || target === decl.address) continue;
          set.add(target);
          edges.push({ from: decl.address, to: target, range: ref.range });
        }
        continue;
      }
      if (!byAddress.has(to)) continue; // the evaluator reports undeclared resources with a suggestion
      set.add(to);
      edges.push({ from: decl.address, to, range: ref.range });
    }
    for (const t of decl.lifecycle.replaceTriggeredBy ?? []) {
      if (!byAddress.has(t.block)) {
        diagnostics.push(error(`Reference to undeclared resource "${t.block}" in replace_triggered_by`, didYouMean(t.block, byAddress.keys()), t.range));
        continue;
      }
      // Planned after what triggers it, so the trigger's change is known when this one is planned.
      set.add(t.block);
      edges.push({ from: decl.address, to: t.block, range: t.range });
    }
    for (const d of decl.dependsOn) {
      const to = blockOf(d.address);
      if (!byAddress.has(to)) {
        diagnostics.push(error(`Reference to undeclared ${to.startsWith('data.') ? 'data source' : 'resource'} "${to}" in depends_on`, didYouMean(to, byAddress.keys()), d.range));
        continue;
      }
      set.add(to);
      edges.push({ from: decl.address, to, range: d.range });
    }
  }

  // Post-order from the blocks in source order gives a deterministic order: dependencies first,
  // ties by source order, so plans list resources the way the files declare them.
  const index = new Map(blocks.map((r, i) => [r.address, i]));
  const order: ResourceDecl[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  let cyclic = false;
  for (const root of blocks) {
    if (state.has(root.address)) continue;
    // Iterative depth-first search: configurations can be deep enough to overflow recursion.
    const stack: { addr: string; next: string[] }[] = [{ addr: root.address, next: sortedDeps(root.address) }];
    state.set(root.address, 'visiting');
    while (stack.length) {
      const top = stack[stack.length - 1];
      const d = top.next.shift();
      if (d === undefined) {
        state.set(top.addr, 'done');
        order.push(byAddress.get(top.addr)!);
        stack.pop();
      } else if (state.get(d) === 'visiting') cyclic = true;
      else if (!state.has(d)) {
        state.set(d, 'visiting');
        stack.push({ addr: d, next: sortedDeps(d) });
      }
    }
  }
  function sortedDeps(addr: string): string[] {
    return [...(deps.get(addr) ?? [])].sort((a, b) => index.get(a)! - index.get(b)!);
  }
  if (!cyclic) return { graph: { order, deps, edges }, diagnostics };

  // Only a cyclic configuration pays for graphlib's strongly connected components, which name
  // every cycle at once.
  const g = new Graph({ directed: true });
  for (const r of blocks) g.setNode(r.address);
  for (const e of edges) g.setEdge(e.from, e.to);
  const cycles = alg.findCycles(g).sort((a, b) => ([...a].sort()[0] < [...b].sort()[0] ? -1 : 1));
  for (const scc of cycles) diagnostics.push(cycleDiagnostic(scc, edges, byAddress));
  return { graph: null, diagnostics };
}

/** A cycle named in a stable order: starting at the smallest address, following edges. */
function cycleDiagnostic(scc: string[], edges: readonly BlockEdge[], byAddress: ReadonlyMap<string, ResourceDecl>): Diagnostic {
  const members = new Set(scc);
  const start = [...scc].sort()[0];
  const next = (from: string): BlockEdge[] =>
    edges.filter((e) => e.from === from && members.has(e.to)).sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
  // Depth-first search for a path back to `start` that visits each member at most once.
  const path: BlockEdge[] = [];
  const onPath = new Set<string>([start]);
  const dfs = (node: string): boolean => {
    for (const e of next(node)) {
      if (e.to === start) {
        path.push(e);
        return true;
      }
      if (onPath.has(e.to)) continue;
      onPath.add(e.to);
      path.push(e);
      if (dfs(e.to)) return true;
      path.pop();
      onPath.delete(e.to);
    }
    return false;
  };
  dfs(start);
  const names = [start, ...path.map((e) => e.to)];
  const detail = path
    .map((e) => `  ${e.from} refers to ${e.to} at ${e.range.file}:${e.range.start.line}:${e.range.start.column}`)
    .join('\n');
  return error(`Cycle: ${names.join(' -> ')}`, `Each resource on the cycle waits for the next:\n${detail}`, byAddress.get(start)?.range);
}
