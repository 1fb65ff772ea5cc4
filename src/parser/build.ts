/**
 * Builds AST nodes (`ast.ts`) for the grammar's actions (`parser.ts`): the parser calls one method
 * per construct as it recognises it, with the tokens and the child nodes, in source order. After
 * a syntax error a token may be one the parser's recovery put in (no position) or a zero-width
 * stand-in from the structure pass, so every method copes with those (the diagnostics are
 * already reported; the tree only has to be well-formed). It also reports what the grammar
 * cannot see: bad escapes, repeated attributes, interpolated labels, missing separators in
 * objects, unknown or unbalanced template directives, expressions nested too deep for the tree
 * walkers after it. Template directives arrive one by one; the builder nests them.
 *
 * Depth: each method that returns an expression leaves that expression's depth in `depth` (a side
 * channel: cheaper than a field or a map per node); the parser reads it right after a subrule.
 */
import type { IToken } from 'chevrotain';
import { didYouMean, error, type Diagnostic, type SourceRange } from '../diagnostics.js';
import type { Attribute, BinaryOp, Block, Body, Comment, Expr, FileNode, Label, ObjectItem, SplatExpr, TemplateExpr, TemplatePart } from './ast.js';
import type { LineMap, Span } from './positions.js';
import { BEYOND_RANGE, parseNumber } from '../evaluate/convert.js';
import { tokenEnd } from './structure.js';
import { Bang, False, heredocMarker, NumberLit, True } from './tokens.js';

/** Deepest expression tree handed to the evaluator (its walkers recurse). */
export const MAX_EXPR_DEPTH = 400;

const PRECEDENCE: Record<BinaryOp, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

/** Offsets of a range built here (every AST range is a `Span`). */
function startOf(r: SourceRange): number {
  return (r as Span).startOffset;
}
function endOf(r: SourceRange): number {
  return (r as Span).endOffset;
}

/** A token that is really in the source (not put in by the parser's recovery). */
export function real(t: IToken | undefined): t is IToken {
  return t !== undefined && Number.isFinite(t.startOffset) && t.isInsertedInRecovery !== true;
}

/** What follows a block's type: labels and maybe a body (`lifecycle blue_green`, `resource "a" "b" {`). */
export interface LabelsAndBody {
  readonly kind: 'Labels';
  readonly labels: readonly Label[];
  readonly body: Body | undefined;
}

/** The arguments of a call as the parser saw them. */
export interface CallArgs {
  readonly open: IToken;
  readonly args: readonly Expr[];
  readonly depth: number;
  readonly expandFinal: boolean;
  readonly close: IToken;
}

/** `for k, v in coll :` */
export interface ForIntro {
  readonly keyVar?: string;
  readonly valueVar: string;
  readonly collection: Expr;
  readonly depth: number;
}

/** Deepest nesting of `%{ if }` and `%{ for }` blocks in one template. */
export const MAX_DIRECTIVE_NESTING = 100;

export type Interpolation = TemplatePart & { readonly kind: 'Interpolation' };

/** What the grammar recognised between `%{` and `}`. */
export type DirectiveInside =
  | { readonly kind: 'if'; readonly condition: Expr }
  | { readonly kind: 'for'; readonly intro: ForIntro }
  | { readonly kind: 'word'; readonly word: IToken };

/** A template directive as written, before the builder pairs it with its end. */
export type Directive =
  | { readonly kind: 'if'; readonly condition: Expr; readonly range: SourceRange }
  | { readonly kind: 'for'; readonly intro: ForIntro; readonly range: SourceRange }
  | { readonly kind: 'else' | 'endif' | 'endfor'; readonly range: SourceRange };

/** One piece of a string's or heredoc's body as recognised: a text token, an interpolation or a directive. */
export type StringPiece = IToken | Interpolation | Directive;

/** A piece on its way to being a template part: text decoded, directives not yet paired. */
type TemplatePiece = TemplatePart | Directive;

function isText(p: StringPiece): p is IToken {
  return 'image' in p;
}

/** Builds the AST of one file or expression; collects the diagnostics it finds on the way. */
export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  /** Depth of the expression returned last. */
  depth = 0;
  private tooDeepReported = false;
  private readonly topLevel: (Attribute | Block)[] = [];
  /** Attributes by name of the bodies too long to search (most bodies are a few lines). */
  private readonly attributeIndexes = new WeakMap<(Attribute | Block)[], Map<string, Attribute>>();
  /** `~` strip markers of the interpolations and directives not yet assembled into a template. */
  private readonly strips = new Map<object, { before: boolean; after: boolean }>();
  /** Directives seen in this file so far (none: templates need no assembling). */
  private directives = 0;

  constructor(readonly lines: LineMap) {}

  range(start: number, end: number): Span {
    return this.lines.range(start, end);
  }
  private tokenRange(t: IToken): Span {
    return this.lines.range(t.startOffset, tokenEnd(t));
  }
  /** From the start of `a` to the end of `b` (both built here, so both are `Span`s). */
  private span(a: SourceRange, b: SourceRange): SourceRange {
    return (a as Span).to(b as Span);
  }

  /** A `null` standing in for a missing expression at `at`. */
  placeholder(at: number): Expr {
    this.depth = 1;
    return { kind: 'Literal', value: null, range: this.range(at, at) };
  }

  /** Returns `expr` with depth `d`, or a placeholder (once reported) if that is too deep. */
  private bounded(expr: Expr, d: number): Expr {
    if (d <= MAX_EXPR_DEPTH) {
      this.depth = d;
      return expr;
    }
    if (!this.tooDeepReported) {
      this.tooDeepReported = true;
      this.diagnostics.push(error('Nesting too deep', `Expressions may be nested at most ${MAX_EXPR_DEPTH} levels deep.`, expr.range));
    }
    this.depth = 1;
    return { kind: 'Literal', value: null, range: expr.range };
  }

  // --- Bodies -------------------------------------------------------------------------------

  /** Adds one top-level item (the file is parsed a piece at a time). */
  addTopLevel(item: Attribute | Block | undefined): void {
    if (item !== undefined) this.addItem(item, this.topLevel);
  }

  /** The file node, with the top-level items added so far. */
  file(path: string, source: string, comments: readonly IToken[]): FileNode {
    const range = this.range(0, source.length);
    return {
      kind: 'File',
      path,
      source,
      body: { kind: 'Body', items: this.topLevel, range },
      comments: comments.map((c): Comment => ({ kind: 'Comment', text: c.image, range: this.tokenRange(c) })),
      range,
    };
  }

  /** Adds `item` to the body's `items`; an attribute whose name is already there is reported, not added. */
  addItem(item: Attribute | Block, items: (Attribute | Block)[]): void {
    if (item.kind === 'Attribute') {
      const first = this.attribute(items, item.name);
      if (first !== undefined) {
        this.diagnostics.push(
          error('Attribute redefined', `The attribute "${item.name}" was already defined on line ${first.nameRange.start.line}.`, item.nameRange),
        );
        return;
      }
      this.attributeIndexes.get(items)?.set(item.name, item);
    }
    items.push(item);
  }

  /** The attribute `name` among `items`: a look through a short body, an index of a long one. */
  private attribute(items: (Attribute | Block)[], name: string): Attribute | undefined {
    if (items.length < 16) {
      for (const i of items) if (i.kind === 'Attribute' && i.name === name) return i;
      return undefined;
    }
    let index = this.attributeIndexes.get(items);
    if (index === undefined) {
      index = new Map();
      for (const i of items) if (i.kind === 'Attribute') index.set(i.name, i);
      this.attributeIndexes.set(items, index);
    }
    return index.get(name);
  }

  /** An item: `name = expr` (rest is an expression), or a block (rest is a body or labels). */
  item(name: IToken, rest: Expr | Body | LabelsAndBody | undefined): Attribute | Block | undefined {
    if (!real(name) || rest === undefined) return undefined;
    const nameRange = this.tokenRange(name);
    if (rest.kind === 'Body' || rest.kind === 'Labels') {
      const labels = rest.kind === 'Labels' ? rest.labels : [];
      const body = rest.kind === 'Body' ? rest : (rest.body ?? null);
      if (body === null && labels.length === 0) return undefined;
      const last = body?.range ?? labels[labels.length - 1].range;
      return { kind: 'Block', type: name.image, typeRange: nameRange, labels, body, range: this.span(nameRange, last) };
    }
    this.tooDeepReported = false;
    return { kind: 'Attribute', name: name.image, nameRange, expr: rest, range: this.span(nameRange, rest.range) };
  }

  body(open: IToken, items: (Attribute | Block)[], close: IToken): Body {
    const start = real(open) ? open.startOffset : real(close) ? close.startOffset : 0;
    const end = real(close) ? tokenEnd(close) : start;
    return { kind: 'Body', items, range: this.range(start, end) };
  }

  labels(labels: Label[], body: Body | undefined): LabelsAndBody {
    return { kind: 'Labels', labels, body };
  }

  /** A bare-name label (`lifecycle blue_green`), or undefined for a token put in by recovery. */
  nameLabel(t: IToken): Label | undefined {
    return real(t) ? { value: t.image, quoted: false, range: this.tokenRange(t) } : undefined;
  }

  stringLabel(t: IToken): Label | undefined {
    return real(t) ? { value: this.unescape(t.image.slice(1, -1), t.startOffset + 1), quoted: true, range: this.tokenRange(t) } : undefined;
  }

  /** A label written as a string with interpolations: reported, the text parts kept. */
  templateLabel(template: TemplateExpr): Label {
    let value = '';
    for (const part of template.parts) {
      if (part.kind === 'Text') value += part.value;
      else {
        this.diagnostics.push(error('Invalid label', 'Block labels are plain strings; they cannot contain "${...}" interpolations.', part.range));
      }
    }
    return { value, quoted: true, range: template.range };
  }

  // --- Expressions --------------------------------------------------------------------------

  /** `operand (op operand)*` with HCL's precedence; `depths[i]` is the depth of `operands[i]`. */
  binary(operands: Expr[], ops: IToken[], depths: number[]): Expr {
    // Precedence climbing over the flat list, iteratively (chains can be long).
    const values: Expr[] = [operands[0]];
    const valueDepths: number[] = [depths[0]];
    const opStack: BinaryOp[] = [];
    const reduce = (): void => {
      const right = values.pop() as Expr;
      const left = values.pop() as Expr;
      const rd = valueDepths.pop() as number;
      const ld = valueDepths.pop() as number;
      const op = opStack.pop() as BinaryOp;
      values.push(this.bounded({ kind: 'Binary', op, left, right, range: this.span(left.range, right.range) }, Math.max(ld, rd) + 1));
      valueDepths.push(this.depth);
    };
    for (let i = 1; i < operands.length; i++) {
      const opTok = ops[i - 1];
      const op = (real(opTok) ? opTok.image : '+') as BinaryOp;
      while (opStack.length > 0 && PRECEDENCE[opStack[opStack.length - 1]] >= PRECEDENCE[op]) reduce();
      opStack.push(op);
      values.push(operands[i]);
      valueDepths.push(depths[i]);
    }
    while (opStack.length > 0) reduce();
    this.depth = valueDepths[0];
    return values[0];
  }

  conditional(condition: Expr, then: Expr, otherwise: Expr, depth: number): Expr {
    return this.bounded({ kind: 'Conditional', condition, then, else: otherwise, range: this.span(condition.range, otherwise.range) }, depth + 1);
  }

  /** Prefix operators (outermost first) applied to `operand` of depth `d`. */
  prefixed(prefixes: readonly IToken[], operand: Expr, d: number): Expr {
    let expr = operand;
    for (let i = prefixes.length - 1; i >= 0; i--) {
      const t = prefixes[i];
      if (!real(t)) continue;
      expr = this.bounded({ kind: 'Unary', op: t.tokenType === Bang ? '!' : '-', operand: expr, range: this.span(this.tokenRange(t), expr.range) }, d + 1);
      d = this.depth;
    }
    this.depth = d;
    return expr;
  }

  literal(t: IToken): Expr {
    if (!real(t)) return this.placeholder(0);
    this.depth = 1;
    // A whole number too long for a float is kept exact (a bigint): IDs and serials keep their digits.
    const value = t.tokenType === NumberLit ? (parseNumber(t.image) ?? Number(t.image)) : t.tokenType === True ? true : t.tokenType === False ? false : null;
    const range = this.tokenRange(t);
    if (typeof value === 'number' && !Number.isFinite(value)) this.diagnostics.push(error('Number too large', `The number ${t.image} ${BEYOND_RANGE}.`, range));
    return { kind: 'Literal', value, range };
  }

  variable(t: IToken): Expr {
    if (!real(t)) return this.placeholder(0);
    this.depth = 1;
    return { kind: 'Variable', name: t.image, range: this.tokenRange(t) };
  }

  call(name: IToken, a: CallArgs): Expr {
    if (!real(name)) return this.placeholder(0);
    let end = real(a.close) ? tokenEnd(a.close) : a.args.length > 0 ? endOf(a.args[a.args.length - 1].range) : real(a.open) ? tokenEnd(a.open) : tokenEnd(name);
    if (!Number.isFinite(end)) end = tokenEnd(name);
    return this.bounded(
      { kind: 'Call', name: name.image, nameRange: this.tokenRange(name), args: a.args, expandFinal: a.expandFinal, range: this.range(name.startOffset, end) },
      a.depth + 1,
    );
  }

  parens(open: IToken, inner: Expr, innerDepth: number, close: IToken): Expr {
    const start = real(open) ? open.startOffset : startOf(inner.range);
    const end = real(close) ? tokenEnd(close) : endOf(inner.range);
    return this.bounded({ kind: 'Parens', expr: inner, range: this.range(start, end) }, innerDepth + 1);
  }

  /**
   * `object.name` (also `.true` etc.), `object.0` or `object.*`, for `object` of depth `d`. After a
   * splat the access goes into the splat's `each` (see `SplatExpr`).
   */
  attrAccess(object: Expr, d: number, t: IToken): Expr {
    if (!real(t)) {
      this.depth = d;
      return object;
    }
    const nameRange = this.tokenRange(t);
    let step: (inner: Expr) => Expr;
    if (t.tokenType === NumberLit) {
      const key: Expr = { kind: 'Literal', value: Number(t.image), range: nameRange };
      step = (inner) => ({ kind: 'Index', object: inner, key, range: this.span(inner.range, nameRange) });
    } else if (t.image === '*') {
      step = (inner) => ({ kind: 'Splat', object: inner, each: { kind: 'SplatItem', range: nameRange }, legacy: true, range: this.span(inner.range, nameRange) });
    } else {
      step = (inner) => ({ kind: 'GetAttr', object: inner, name: t.image, nameRange, range: this.span(inner.range, nameRange) });
    }
    const attrOnly = t.image !== '*';
    const expr = (object.kind === 'Splat' && this.intoSplat(object, attrOnly, step, nameRange)) || step(object);
    return this.bounded(expr, d + 1);
  }

  /** `object[key]` (key of depth `keyDepth`) or `object[*]` (key undefined). */
  index(object: Expr, d: number, open: IToken, key: Expr | undefined, keyDepth: number, close: IToken): Expr {
    const end = real(close) ? tokenEnd(close) : real(open) ? tokenEnd(open) : endOf(object.range);
    const last = this.range(real(open) ? open.startOffset : endOf(object.range), end);
    const step =
      key === undefined
        ? (inner: Expr): Expr => ({ kind: 'Splat', object: inner, each: { kind: 'SplatItem', range: last }, legacy: false, range: this.range(startOf(inner.range), end) })
        : (inner: Expr): Expr => ({ kind: 'Index', object: inner, key, range: this.range(startOf(inner.range), end) });
    const expr = (object.kind === 'Splat' && this.intoSplat(object, false, step, last)) || step(object);
    return this.bounded(expr, Math.max(d, keyDepth) + 1);
  }

  /**
   * `splat` with `step` applied to the end of its `each` (innermost open splat first), or
   * undefined when the splat's traversal has ended: a legacy splat takes attribute steps only.
   */
  private intoSplat(splat: SplatExpr, attrOnly: boolean, step: (inner: Expr) => Expr, last: SourceRange): SplatExpr | undefined {
    if (splat.legacy && !attrOnly) return undefined;
    const each = (splat.each.kind === 'Splat' && this.intoSplat(splat.each, attrOnly, step, last)) || step(splat.each);
    return { kind: 'Splat', object: splat.object, each, legacy: splat.legacy, range: this.span(splat.range, last) };
  }

  // --- Strings ------------------------------------------------------------------------------

  simpleString(t: IToken): TemplateExpr {
    this.depth = 1;
    const end = tokenEnd(t);
    return {
      kind: 'Template',
      parts: [{ kind: 'Text', value: this.unescape(t.image.slice(1, -1), t.startOffset + 1), range: this.range(t.startOffset + 1, end - 1) }],
      range: this.range(t.startOffset, end),
    };
  }


  interpolation(open: IToken, expr: Expr, close: IToken): Interpolation | undefined {
    if (!real(open)) return undefined;
    const end = real(close) && close.image !== '' ? tokenEnd(close) : Math.max(endOf(expr.range), tokenEnd(open));
    const part: Interpolation = { kind: 'Interpolation', expr, range: this.range(open.startOffset, end) };
    this.markStrips(part, open, close);
    return part;
  }

  /**
   * A directive as written: `if` with its condition, `for` with its names and collection, or one of
   * `else`, `endif`, `endfor` (`word`). Unknown words are reported here.
   */
  directive(open: IToken, inside: DirectiveInside | undefined, close: IToken): Directive | undefined {
    if (!real(open) || inside === undefined) return undefined;
    const end = real(close) && close.image !== '' ? tokenEnd(close) : tokenEnd(open);
    const range = this.range(open.startOffset, end);
    let d: Directive;
    if (inside.kind === 'if') d = { kind: 'if', condition: inside.condition, range };
    else if (inside.kind === 'for') d = { kind: 'for', intro: inside.intro, range };
    else {
      const word = inside.word;
      if (!real(word)) return undefined;
      if (word.image !== 'else' && word.image !== 'endif' && word.image !== 'endfor') {
        const known = ['if', 'for', 'else', 'endif', 'endfor'];
        const detail = known.includes(word.image)
          ? `"${word.image}" needs ${word.image === 'if' ? 'a condition: %{ if COND }' : 'a loop: %{ for NAME in LIST }'}.`
          : (didYouMean(word.image, known) ?? 'The directives are %{ if COND }, %{ else }, %{ endif }, %{ for NAME in LIST } and %{ endfor }.');
        this.diagnostics.push(error(`Unknown template directive "${word.image}"`, detail, this.tokenRange(word)));
        return undefined;
      }
      d = { kind: word.image, range };
    }
    this.markStrips(d, open, close);
    this.directives++;
    return d;
  }

  /** Remembers the `~` strip markers of an interpolation or directive (rare: kept aside). */
  private markStrips(piece: object, open: IToken, close: IToken): void {
    const before = open.image.endsWith('~');
    const after = close.image === '~}';
    if (before || after) this.strips.set(piece, { before, after });
  }

  /** A quoted string with interpolations and directives; `d` is the deepest expression's depth. */
  template(open: IToken, body: StringPiece[], close: IToken, d: number): TemplateExpr {
    const pieces = body.map((p): TemplatePiece => (isText(p) ? { kind: 'Text', value: this.unescape(p.image, p.startOffset), range: this.tokenRange(p) } : p));
    const start = real(open) ? open.startOffset : pieces.length > 0 ? startOf(pieces[0].range) : 0;
    let end = real(close) ? tokenEnd(close) : pieces.length > 0 ? endOf(pieces[pieces.length - 1].range) : start;
    if (!Number.isFinite(end)) end = start;
    const range = this.range(start, end);
    const parts = this.assemble(pieces);
    if (parts.length === 0) parts.push({ kind: 'Text', value: '', range: this.range(start + 1, start + 1) });
    this.depth = d + 1;
    return { kind: 'Template', parts, range };
  }

  /** A heredoc from its pieces in source order; `d` is the deepest expression's depth. */
  heredoc(open: IToken, pieces: StringPiece[], close: IToken, d: number): TemplateExpr {
    const start = real(open) ? open.startOffset : 0;
    const { marker, indented } = real(open) ? heredocMarker(open.image) : { marker: 'EOT', indented: false };
    const offsetOf = (p: StringPiece): number => (isText(p) ? p.startOffset : startOf(p.range));

    // `<<-`: the common leading whitespace of the lines is not part of the text. A line starts
    // where a piece starts right after a newline; lines of only whitespace do not count.
    let strip = 0;
    if (indented) {
      strip = Infinity;
      for (const p of pieces) {
        if (!this.startsLine(offsetOf(p))) continue;
        if (!isText(p)) {
          strip = 0;
          break;
        }
        const content = p.image.replace(/\r?\n$/, '');
        const ws = /^[ \t]*/.exec(content)?.[0].length ?? 0;
        const blankLine = ws === content.length && p.image.endsWith('\n');
        if (!blankLine) strip = Math.min(strip, ws);
      }
      if (!Number.isFinite(strip)) strip = 0;
    }

    const texts: TemplatePiece[] = [];
    for (const p of pieces) {
      if (!isText(p)) {
        texts.push(p);
        continue;
      }
      let text = p.image;
      if (strip > 0 && this.startsLine(p.startOffset)) {
        let k = 0;
        while (k < strip && (text[k] === ' ' || text[k] === '\t')) k++;
        text = text.slice(k);
      }
      const value = text.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
      const range = this.tokenRange(p);
      const prev = texts[texts.length - 1];
      if (prev !== undefined && prev.kind === 'Text') {
        texts[texts.length - 1] = { kind: 'Text', value: prev.value + value, range: this.span(prev.range, range) };
      } else {
        texts.push({ kind: 'Text', value, range });
      }
    }
    const end = real(close) && close.image !== '' ? tokenEnd(close) : texts.length > 0 ? endOf(texts[texts.length - 1].range) : start;
    const parts = this.assemble(texts);
    if (parts.length === 0) parts.push({ kind: 'Text', value: '', range: this.range(end, end) });
    this.depth = d + 1;
    return { kind: 'Template', parts, heredoc: { marker, indented }, range: this.range(start, end) };
  }

  /**
   * Template pieces in source order to parts: `~` strip markers applied to the text beside them,
   * and directives nested into `If` and `For` parts (unbalanced ones reported).
   */
  private assemble(pieces: TemplatePiece[]): TemplatePart[] {
    // Most templates have neither: their pieces are their parts.
    if (this.strips.size === 0 && this.directives === 0) return pieces as TemplatePart[];
    if (this.strips.size > 0) pieces = this.applyStrips(pieces);
    interface Open {
      readonly directive: Directive & { kind: 'if' | 'for' };
      readonly parts: TemplatePart[];
      elseParts?: TemplatePart[];
      elseAt?: Directive;
    }
    const root: TemplatePart[] = [];
    const stack: Open[] = [];
    const current = (): TemplatePart[] => {
      const top = stack[stack.length - 1];
      return top === undefined ? root : (top.elseParts ?? top.parts);
    };
    const name = (d: Directive): string => `%{ ${d.kind} }`;
    for (const p of pieces) {
      if (p.kind === 'Text') {
        if (p.value !== '') current().push(p);
        continue;
      }
      if (p.kind === 'Interpolation') {
        current().push(p);
        continue;
      }
      if (p.kind === 'If' || p.kind === 'For') {
        current().push(p);
        continue;
      }
      if (p.kind === 'if' || p.kind === 'for') {
        if (stack.length >= MAX_DIRECTIVE_NESTING) {
          this.diagnostics.push(error('Nesting too deep', `Template directives may be nested at most ${MAX_DIRECTIVE_NESTING} levels deep.`, p.range));
          continue;
        }
        stack.push({ directive: p as Directive & { kind: 'if' | 'for' }, parts: [] });
        continue;
      }
      const top = stack[stack.length - 1];
      const wanted = p.kind === 'endfor' ? 'for' : 'if';
      if (top === undefined || top.directive.kind !== wanted || (p.kind === 'else' && top.elseParts !== undefined)) {
        const detail =
          top === undefined
            ? `There is no open %{ ${wanted} } for it to ${p.kind === 'else' ? 'belong to' : 'close'}.`
            : p.kind === 'else' && top.elseParts !== undefined && top.elseAt !== undefined
              ? `This %{ if } already has a %{ else } at ${this.at(top.elseAt.range)}.`
              : `The ${name(top.directive)} opened at ${this.at(top.directive.range)} is closed by %{ end${top.directive.kind} }.`;
        this.diagnostics.push(error(`Unexpected ${name(p)}`, detail, p.range));
        continue;
      }
      if (p.kind === 'else') {
        top.elseParts = [];
        top.elseAt = p;
        continue;
      }
      stack.pop();
      current().push(this.closeDirective(top.directive, top.parts, top.elseParts ?? [], p.range));
    }
    while (stack.length > 0) {
      const top = stack.pop() as Open;
      this.diagnostics.push(error(`Unclosed ${name(top.directive)}`, `Expected %{ end${top.directive.kind} } before the end of the template.`, top.directive.range));
      current().push(this.closeDirective(top.directive, top.parts, top.elseParts ?? [], top.directive.range));
    }
    return root;
  }

  private closeDirective(d: Directive & { kind: 'if' | 'for' }, parts: TemplatePart[], elseParts: TemplatePart[], endRange: SourceRange): TemplatePart {
    const range = this.span(d.range, endRange);
    if (d.kind === 'if') return { kind: 'If', condition: d.condition, then: parts, else: elseParts, range };
    const f = d.intro;
    return { kind: 'For', ...(f.keyVar !== undefined ? { keyVar: f.keyVar } : {}), valueVar: f.valueVar, collection: f.collection, body: parts, range };
  }

  /** `${~ x ~}`, `%{~ if c ~}`: the whitespace (newlines too) in the text beside a marker goes. */
  private applyStrips(pieces: TemplatePiece[]): TemplatePiece[] {
    const out = pieces.slice();
    for (let i = 0; i < out.length; i++) {
      const marks = this.strips.get(out[i]);
      if (marks === undefined) continue;
      this.strips.delete(out[i]);
      const before = out[i - 1];
      if (marks.before && before !== undefined && before.kind === 'Text') out[i - 1] = { ...before, value: before.value.replace(/\s+$/, '') };
      const after = out[i + 1];
      if (marks.after && after !== undefined && after.kind === 'Text') out[i + 1] = { ...after, value: after.value.replace(/^\s+/, '') };
    }
    return out;
  }

  /** `line:column` of a range's start, for details that point elsewhere. */
  private at(range: SourceRange): string {
    return `${range.start.line}:${range.start.column}`;
  }

  private startsLine(offset: number): boolean {
    return offset > 0 && this.lines.source.charCodeAt(offset - 1) === 10;
  }

  // --- Collections --------------------------------------------------------------------------

  tuple(open: IToken, items: Expr[], close: IToken, d: number): Expr {
    return this.bounded({ kind: 'Tuple', items, range: this.bracketRange(open, close) }, d + 1);
  }

  forIntro(names: IToken[], collection: Expr, depth: number): ForIntro {
    const real2 = names.filter(real);
    if (real2.length >= 2) return { keyVar: real2[0].image, valueVar: real2[1].image, collection, depth };
    return { valueVar: real2[0]?.image ?? '_', collection, depth };
  }

  forTuple(open: IToken, f: ForIntro, value: Expr, condition: Expr | undefined, close: IToken, d: number): Expr {
    return this.bounded(
      {
        kind: 'ForTuple',
        ...(f.keyVar !== undefined ? { keyVar: f.keyVar } : {}),
        valueVar: f.valueVar,
        collection: f.collection,
        value,
        ...(condition !== undefined ? { condition } : {}),
        range: this.bracketRange(open, close),
      },
      Math.max(d, f.depth) + 1,
    );
  }

  forObject(open: IToken, f: ForIntro, key: Expr, value: Expr, grouping: boolean, condition: Expr | undefined, close: IToken, d: number): Expr {
    return this.bounded(
      {
        kind: 'ForObject',
        ...(f.keyVar !== undefined ? { keyVar: f.keyVar } : {}),
        valueVar: f.valueVar,
        collection: f.collection,
        key,
        value,
        ...(condition !== undefined ? { condition } : {}),
        grouping,
        range: this.bracketRange(open, close),
      },
      Math.max(d, f.depth) + 1,
    );
  }

  object(open: IToken, items: ObjectItem[], close: IToken, d: number): Expr {
    return this.bounded({ kind: 'Object', items, range: this.bracketRange(open, close) }, d + 1);
  }

  /** An object item; a bare name (or keyword) as key means the string of that name, as in HCL. */
  objectItem(key: Expr, value: Expr): ObjectItem {
    if (key.kind === 'Variable') {
      key = { kind: 'Template', parts: [{ kind: 'Text', value: key.name, range: key.range }], range: key.range };
    } else if (key.kind === 'Literal' && typeof key.value !== 'number' && endOf(key.range) > startOf(key.range)) {
      const text = this.lines.source.slice(startOf(key.range), endOf(key.range));
      key = { kind: 'Template', parts: [{ kind: 'Text', value: text, range: key.range }], range: key.range };
    }
    return { key, value, range: this.span(key.range, value.range) };
  }

  /** Object items must be separated by a comma or a newline: an item right after an item. */
  missingSeparator(item: ObjectItem): void {
    this.diagnostics.push(error('Expected "," or a newline between object items', undefined, item.key.range));
  }

  /** A comma that follows no item. */
  strayComma(comma: IToken): void {
    if (real(comma)) this.diagnostics.push(error('Expected an object item, found ","', undefined, this.tokenRange(comma)));
  }

  private bracketRange(open: IToken, close: IToken): SourceRange {
    const start = real(open) ? open.startOffset : real(close) ? close.startOffset : 0;
    const end = real(close) && close.image !== '' ? tokenEnd(close) : real(close) ? close.startOffset : start;
    return this.range(start, end);
  }

  /** Decodes the escapes of a quoted string's text; reports the invalid ones. */
  unescape(s: string, at: number): string {
    if (!s.includes('\\') && !s.includes('$${') && !s.includes('%%{')) return s;
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const ch = s[i];
      if (ch === '$' && s.startsWith('$${', i)) {
        out += '${';
        i += 2;
      } else if (ch === '%' && s.startsWith('%%{', i)) {
        out += '%{';
        i += 2;
      } else if (ch !== '\\') {
        out += ch;
      } else {
        const next = s[i + 1];
        if (next !== undefined && next in SIMPLE_ESCAPES) {
          out += SIMPLE_ESCAPES[next];
          i++;
          continue;
        }
        const hexLength = next === 'u' ? 4 : next === 'U' ? 8 : 0;
        const hex = s.slice(i + 2, i + 2 + hexLength);
        const code = hexLength > 0 && /^[0-9A-Fa-f]+$/.test(hex) && hex.length === hexLength ? parseInt(hex, 16) : -1;
        if (code >= 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) {
          out += String.fromCodePoint(code);
          i += 1 + hexLength;
          continue;
        }
        const length = hexLength > 0 ? Math.min(2 + hexLength, s.length - i) : next === undefined ? 1 : 2;
        const start = at + i;
        this.diagnostics.push(
          error(
            'Invalid escape sequence',
            hexLength > 0
              ? `"\\${next}" must be followed by ${hexLength} hexadecimal digits naming a Unicode character.`
              : 'The escapes are \\n, \\r, \\t, \\", \\\\, \\uNNNN and \\UNNNNNNNN; write "$${" and "%%{" for a literal "${" and "%{".',
            this.range(start, start + length),
          ),
        );
        out += s.slice(i, i + length);
        i += length - 1;
      }
    }
    return out;
  }
}
