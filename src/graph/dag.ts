/**
 * Directed acyclic graphs of "waits for" edges, as the planner's step graph, apply's scheduler
 * and the renderers' pictures all use them: nodes in the order they were made, each with the
 * nodes it waits for. The block graph (graph.ts) has its own builder; its order is a depth-first
 * post-order, so plans list resources the way the files declare them.
 */

/** A node and the ids of the nodes it waits for. */
export interface DagNode {
  readonly id: string;
  readonly after: readonly string[];
}

/** Positions of `nodes` in a valid execution order: Kahn's algorithm, ready ties by position. */
export function topologicalOrder(nodes: readonly DagNode[]): number[] {
  const position = new Map(nodes.map((e, i) => [e.id, i]));
  const indeg = new Array<number>(nodes.length).fill(0);
  const dependents: number[][] = nodes.map(() => []);
  nodes.forEach((e, i) => {
    indeg[i] = e.after.length;
    for (const a of e.after) dependents[position.get(a)!].push(i);
  });
  const heap = new MinHeap();
  indeg.forEach((d, i) => d === 0 && heap.push(i));
  const out: number[] = [];
  while (heap.size > 0) {
    const i = heap.pop();
    out.push(i);
    for (const d of dependents[i]) if (--indeg[d] === 0) heap.push(d);
  }
  return out;
}

/** True when `from` (transitively) waits for `to`, following `afterOf`. */
export function reaches(from: string, to: string, afterOf: (id: string) => readonly string[] | undefined): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const x = stack.pop()!;
    if (x === to) return true;
    if (seen.has(x)) continue;
    seen.add(x);
    stack.push(...(afterOf(x) ?? []));
  }
  return false;
}

/** `from` must finish before `to` starts. */
export interface DagEdge {
  readonly from: string;
  readonly to: string;
}

/** Past this many nodes the ancestor sets would cost too much memory; every edge is kept. */
export const MAX_REDUCED_NODES = 20_000;

/**
 * The edges of `nodes` (in execution order), from each node's `after`. With `reduce`, an edge
 * implied by a longer path is left out (transitive reduction); the order described is the same.
 * Ids that name no node are ignored. Edges are listed by target node, then in `after` order.
 */
export function dagEdges(nodes: readonly DagNode[], reduceEdges: boolean): DagEdge[] {
  const index = new Map(nodes.map((s, i) => [s.id, i]));
  const reduce = reduceEdges && nodes.length <= MAX_REDUCED_NODES;
  const words = Math.ceil(nodes.length / 32);
  // ancestors[i]: bit set of every node that must finish before node i.
  const ancestors: Uint32Array[] = reduce ? nodes.map(() => new Uint32Array(words)) : [];
  const edges: DagEdge[] = [];
  nodes.forEach((node, i) => {
    const preds = [...new Set(node.after)].filter((id) => index.has(id)).map((id) => index.get(id) as number);
    if (!reduce) {
      for (const p of preds) edges.push({ from: nodes[p].id, to: node.id });
      return;
    }
    const implied = new Uint32Array(words);
    for (const p of preds) {
      if (p >= i) continue; // out of order: cannot be reasoned about, kept as it is
      const a = ancestors[p];
      for (let w = 0; w < words; w++) implied[w] |= a[w];
    }
    const own = ancestors[i];
    for (const p of preds) {
      if (p < i) {
        const a = ancestors[p];
        for (let w = 0; w < words; w++) own[w] |= a[w];
        own[p >>> 5] |= 1 << (p & 31);
      }
      if (p < i && (implied[p >>> 5] & (1 << (p & 31))) !== 0) continue;
      edges.push({ from: nodes[p].id, to: node.id });
    }
  });
  return edges;
}

/**
 * For each key, every key it transitively depends on (`depsOf`), computed once per key with an
 * explicit stack (deep chains would overflow recursion).
 */
export function transitiveDeps(keys: Iterable<string>, depsOf: (key: string) => Iterable<string> | undefined): Map<string, Set<string>> {
  const memo = new Map<string, Set<string>>();
  for (const root of keys) {
    if (memo.has(root)) continue;
    const stack: { key: string; deps: string[]; i: number }[] = [{ key: root, deps: [...(depsOf(root) ?? [])], i: 0 }];
    memo.set(root, new Set());
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.i < top.deps.length) {
        const d = top.deps[top.i++];
        if (!memo.has(d)) {
          memo.set(d, new Set());
          stack.push({ key: d, deps: [...(depsOf(d) ?? [])], i: 0 });
        }
        continue;
      }
      const own = memo.get(top.key)!;
      for (const d of top.deps) {
        own.add(d);
        for (const x of memo.get(d)!) own.add(x);
      }
      stack.pop();
    }
  }
  return memo;
}

/**
 * Apply's scheduler: which nodes may start because every node they wait for has finished.
 * Each edge is counted down once, so an apply of many steps never rescans them all.
 */
export class ReadyQueue {
  private readonly position: Map<string, number>;
  private readonly waiting: number[];
  private readonly dependents: number[][];
  /** Positions of ready nodes not yet taken, ascending. */
  private readonly ready: number[] = [];

  constructor(nodes: readonly DagNode[]) {
    this.position = new Map(nodes.map((n, i) => [n.id, i]));
    this.dependents = nodes.map(() => []);
    // An id that names no node never finishes: a node waiting for one never starts.
    this.waiting = nodes.map((n, i) => {
      const after = new Set(n.after);
      for (const a of after) {
        const p = this.position.get(a);
        if (p !== undefined) this.dependents[p].push(i);
      }
      return after.size;
    });
    this.waiting.forEach((w, i) => w === 0 && this.ready.push(i));
  }

  /** The ready nodes not yet taken, in node order (a copy: take and finish while going through it). */
  list(): number[] {
    return [...this.ready];
  }

  /** Removes `index` from the ready nodes: it has started. */
  take(index: number): void {
    const at = lowerBound(this.ready, index);
    if (this.ready[at] === index) this.ready.splice(at, 1);
  }

  /** Node `id` finished: the nodes waiting for nothing else become ready. */
  finish(id: string): void {
    const p = this.position.get(id);
    if (p === undefined) return;
    for (const d of this.dependents[p]) {
      if (--this.waiting[d] === 0) this.ready.splice(lowerBound(this.ready, d), 0, d);
    }
  }
}

/** First index of sorted `xs` whose value is not below `x`. */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A binary min-heap of numbers. */
class MinHeap {
  private readonly heap: number[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(x: number): void {
    const heap = this.heap;
    heap.push(x);
    for (let i = heap.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (heap[p] <= heap[i]) break;
      [heap[p], heap[i]] = [heap[i], heap[p]];
      i = p;
    }
  }

  pop(): number {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l] < heap[m]) m = l;
        if (r < heap.length && heap[r] < heap[m]) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
    return top;
  }
}
