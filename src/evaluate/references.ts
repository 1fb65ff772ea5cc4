/**
 * The references an expression makes, found without evaluating it: the graph builds its edges
 * from them. Iterative (an explicit stack), so deeply nested expressions cannot overflow.
 */
import type { SourceRange } from '../diagnostics.js';
import type { Body, Expr, TemplatePart } from '../parser/ast.js';

/**
 * One traversal root: `var.x` (kind var, name x), `local.x`, `each.key`, `count.index`,
 * `path.root`, or a resource `TYPE.NAME` (kind resource, `type` TYPE, name NAME, and `key` when
 * a literal index follows: `local_host.ns["ns1"]` -> "ns1"). `range` spans the reference up to
 * the name (and the literal key, when there is one).
 */
export interface Reference {
  readonly kind: 'var' | 'local' | 'resource' | 'each' | 'count' | 'path';
  readonly name: string;
  readonly type?: string;
  readonly key?: string | number;
  readonly range: SourceRange;
}

/** What a reference's root names when it is not a resource type. */
export type RootKind = Exclude<Reference['kind'], 'resource'>;

/**
 * The roots that name something other than a resource: `var.x`, `local.x`, `each.key`,
 * `count.index`, `path.root`. Any other root is a resource type.
 */
export const REFERENCE_ROOTS: readonly RootKind[] = ['var', 'local', 'each', 'count', 'path'];

/** Whether `name`, as the root of a reference, is one of `REFERENCE_ROOTS`. */
export function isReferenceRoot(name: string): name is RootKind {
  return (REFERENCE_ROOTS as readonly string[]).includes(name);
}

/** For-expression variables in scope; they shadow roots of the same name. */
interface Shadow {
  readonly name: string;
  readonly parent: Shadow | null;
}

function shadowed(s: Shadow | null, name: string): boolean {
  for (; s !== null; s = s.parent) if (s.name === name) return true;
  return false;
}

function spanRange(a: SourceRange, b: SourceRange): SourceRange {
  return { file: a.file, start: a.start, end: b.end };
}

/** The literal key of an index expression, when it is a number or a plain string. */
function literalKey(e: Expr): string | number | undefined {
  if (e.kind === 'Literal' && typeof e.value === 'number') return e.value;
  if (e.kind === 'Template' && e.parts.length === 1 && e.parts[0].kind === 'Text') return e.parts[0].value;
  return undefined;
}

/** Every reference in `expr`, in source order of their roots. */
export function referencesOf(expr: Expr): Reference[] {
  const out: Reference[] = [];
  collect(expr, null, out);
  return out;
}

/** Every reference in every attribute and nested block of `body`. */
export function bodyReferences(body: Body): Reference[] {
  const out: Reference[] = [];
  const bodies: Body[] = [body];
  while (bodies.length > 0) {
    const b = bodies.pop()!;
    for (const item of b.items) {
      if (item.kind === 'Attribute') collect(item.expr, null, out);
      else if (item.body !== null) bodies.push(item.body);
    }
  }
  return out;
}

function collect(root: Expr, rootShadow: Shadow | null, out: Reference[]): void {
  // A stack of (expression, shadow) pairs; children are pushed in reverse so roots come out in
  // source order.
  const stack: { e: Expr; s: Shadow | null }[] = [{ e: root, s: rootShadow }];
  const push = (s: Shadow | null, ...es: (Expr | undefined)[]): void => {
    for (let i = es.length - 1; i >= 0; i--) {
      const e = es[i];
      if (e !== undefined) stack.push({ e, s });
    }
  };
  // Template parts, with the names a `%{ for }` binds shadowing inside its body.
  const pushParts = (parts: readonly TemplatePart[], s: Shadow | null): void => {
    for (let i = parts.length - 1; i >= 0; i--) {
      const p = parts[i];
      if (p.kind === 'Interpolation') stack.push({ e: p.expr, s });
      else if (p.kind === 'If') {
        pushParts(p.else, s);
        pushParts(p.then, s);
        stack.push({ e: p.condition, s });
      } else if (p.kind === 'For') {
        let inner: Shadow = { name: p.valueVar, parent: s };
        if (p.keyVar !== undefined) inner = { name: p.keyVar, parent: inner };
        pushParts(p.body, inner);
        stack.push({ e: p.collection, s });
      }
    }
  };
  while (stack.length > 0) {
    const { e, s } = stack.pop()!;
    switch (e.kind) {
      case 'Literal':
      case 'SplatItem':
        break;
      case 'Template':
        pushParts(e.parts, s);
        break;
      case 'Parens':
        push(s, e.expr);
        break;
      case 'Variable':
      case 'GetAttr':
      case 'Index':
      case 'Splat': {
        // Unwind the traversal to its root; index keys inside it are expressions of their own.
        const steps: Expr[] = [];
        let cur: Expr = e;
        while (cur.kind === 'GetAttr' || cur.kind === 'Index' || cur.kind === 'Splat') {
          steps.push(cur);
          cur = cur.object;
        }
        steps.reverse();
        const keys: Expr[] = [];
        // A splat's `each` is a traversal of its element (rooted at SplatItem, no reference);
        // its index keys may refer to anything.
        for (const st of steps) if (st.kind === 'Index') keys.push(st.key);
        else if (st.kind === 'Splat') keys.push(st.each);
        push(s, ...keys);
        if (cur.kind !== 'Variable') {
          push(s, cur);
          break;
        }
        if (shadowed(s, cur.name)) break;
        const ref = rootReference(cur.name, steps);
        if (ref) out.push(ref);
        break;
      }
      case 'Call':
        push(s, ...e.args);
        break;
      case 'Tuple':
        push(s, ...e.items);
        break;
      case 'Object':
        for (let i = e.items.length - 1; i >= 0; i--) push(s, e.items[i].key, e.items[i].value);
        break;
      case 'Unary':
        push(s, e.operand);
        break;
      case 'Binary':
        push(s, e.left, e.right);
        break;
      case 'Conditional':
        push(s, e.condition, e.then, e.else);
        break;
      case 'ForTuple':
      case 'ForObject': {
        let inner: Shadow = { name: e.valueVar, parent: s };
        if (e.keyVar !== undefined) inner = { name: e.keyVar, parent: inner };
        if (e.kind === 'ForTuple') push(inner, e.value, e.condition);
        else push(inner, e.key, e.value, e.condition);
        push(s, e.collection);
        break;
      }
    }
  }
}

function rootReference(root: string, steps: readonly Expr[]): Reference | undefined {
  const first = steps[0];
  if (first === undefined || first.kind !== 'GetAttr') return undefined;
  if (isReferenceRoot(root)) return { kind: root, name: first.name, range: first.range };
  if (root === 'data') {
    // `data.TYPE.NAME`: the type is `data.TYPE`, so `${type}.${name}` is the block address.
    const named = steps[1];
    if (named === undefined || named.kind !== 'GetAttr') return undefined;
    const keyed = steps[2];
    const key = keyed !== undefined && keyed.kind === 'Index' ? literalKey(keyed.key) : undefined;
    const end = key !== undefined ? keyed!.range : named.range;
    return { kind: 'resource', type: `data.${first.name}`, name: named.name, ...(key !== undefined ? { key } : {}), range: spanRange(first.range, end) };
  }
  const second = steps[1];
  if (second !== undefined && second.kind === 'Index') {
    const key = literalKey(second.key);
    if (key !== undefined) return { kind: 'resource', type: root, name: first.name, key, range: spanRange(first.range, second.range) };
  }
  return { kind: 'resource', type: root, name: first.name, range: first.range };
}
