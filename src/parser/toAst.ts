/**
 * Concrete syntax tree (chevrotain) to AST (`ast.ts`). One method per grammar rule, each called
 * for the rule it is named after. After a syntax error the CST may lack any child, so every
 * method copes with missing pieces (the diagnostics are already reported; the tree only has to be
 * well-formed). It also reports what the grammar cannot see: bad escapes, repeated attributes,
 * interpolated labels, expressions nested too deep for the tree walkers after it.
 */
import type { CstNode, IToken } from 'chevrotain';
import { error, type Diagnostic, type SourceRange } from '../diagnostics.js';
import type {
  Attribute,
  BinaryOp,
  Block,
  Body,
  Comment,
  Expr,
  FileNode,
  Label,
  ObjectItem,
  TemplateExpr,
  TemplatePart,
} from './ast.js';
import type { LineMap } from './positions.js';
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

function tokens(node: CstNode, name: string): IToken[] {
  return (node.children[name] as IToken[] | undefined) ?? [];
}
function nodes(node: CstNode, name: string): CstNode[] {
  return (node.children[name] as CstNode[] | undefined) ?? [];
}
function real(t: IToken | undefined): t is IToken {
  return t !== undefined && Number.isFinite(t.startOffset) && t.isInsertedInRecovery !== true;
}

/** Builds the AST of one file or expression; collects the diagnostics it finds on the way. */
export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  /** Depth of the expression returned last (a side channel: cheaper than a map per node). */
  private depth = 0;
  private tooDeepReported = false;

  constructor(private readonly lines: LineMap) {}

  private range(start: number, end: number): SourceRange {
    return this.lines.range(start, end);
  }
  private tokenRange(t: IToken): SourceRange {
    return this.lines.range(t.startOffset, tokenEnd(t));
  }
  private span(a: SourceRange, b: SourceRange): SourceRange {
    return b.end.offset >= a.start.offset ? { file: a.file, start: a.start, end: b.end } : a;
  }
  private placeholder(at: number): Expr {
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
      this.diagnostics.push(
        error('Nesting too deep', `Expressions may be nested at most ${MAX_EXPR_DEPTH} levels deep.`, expr.range),
      );
    }
    this.depth = 1;
    return { kind: 'Literal', value: null, range: expr.range };
  }

  private readonly topLevel: (Attribute | Block)[] = [];
  private readonly topLevelSeen = new Map<string, Attribute>();

  /** Adds the items of one parsed piece of the file (the file is parsed a piece at a time). */
  addTopLevel(cst: CstNode): void {
    this.addItems(nodes(cst, 'item'), this.topLevel, this.topLevelSeen);
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

  private items(cstItems: CstNode[]): (Attribute | Block)[] {
    const items: (Attribute | Block)[] = [];
    this.addItems(cstItems, items, new Map());
    return items;
  }

  /** Builds items into `items`; an attribute whose name is in `seen` is reported, not added. */
  private addItems(cstItems: CstNode[], items: (Attribute | Block)[], seen: Map<string, Attribute>): void {
    for (const n of cstItems) {
      const item = this.item(n);
      if (item === undefined) continue;
      if (item.kind === 'Attribute') {
        const first = seen.get(item.name);
        if (first !== undefined) {
          this.diagnostics.push(
            error(
              'Attribute redefined',
              `The attribute "${item.name}" was already defined on line ${first.nameRange.start.line}.`,
              item.nameRange,
            ),
          );
          continue;
        }
        seen.set(item.name, item);
      }
      items.push(item);
    }
  }

  private item(n: CstNode): Attribute | Block | undefined {
    const c = n.children;
    const names = c.Identifier as IToken[] | undefined;
    const name = names?.[0];
    if (!real(name)) return undefined;
    const nameRange = this.tokenRange(name);
    if (c.Equals !== undefined) {
      const exprNode = (c.expression as CstNode[] | undefined)?.[0];
      if (exprNode === undefined) return undefined;
      this.tooDeepReported = false;
      const expr = this.expression(exprNode, tokenEnd(name));
      return { kind: 'Attribute', name: name.image, nameRange, expr, range: this.span(nameRange, expr.range) };
    }
    const labels = this.labels(n);
    const bodyNode = (c.blockBody as CstNode[] | undefined)?.[0];
    const body = bodyNode === undefined ? null : this.blockBody(bodyNode, tokenEnd(name));
    if (body === null && labels.length === 0) return undefined;
    const last = body?.range ?? labels[labels.length - 1].range;
    return { kind: 'Block', type: name.image, typeRange: nameRange, labels, body, range: this.span(nameRange, last) };
  }

  /** The labels of a block item: bare names after the type, quoted strings, in source order. */
  private labels(n: CstNode): Label[] {
    const c = n.children;
    const labels: Label[] = [];
    const names = c.Identifier as IToken[];
    for (let i = 1; i < names.length; i++) {
      if (real(names[i])) labels.push({ value: names[i].image, quoted: false, range: this.tokenRange(names[i]) });
    }
    for (const t of (c.SimpleString as IToken[] | undefined) ?? []) {
      if (real(t)) labels.push({ value: this.unescape(t.image.slice(1, -1), t.startOffset + 1), quoted: true, range: this.tokenRange(t) });
    }
    for (const t of (c.template as CstNode[] | undefined) ?? []) labels.push(this.templateLabel(t));
    if (labels.length > 1) labels.sort((a, b) => a.range.start.offset - b.range.start.offset);
    return labels;
  }

  private templateLabel(n: CstNode): Label {
    const template = this.template(n, NaN);
    let value = '';
    for (const part of template.parts) {
      if (part.kind === 'Text') value += part.value;
      else {
        this.diagnostics.push(
          error('Invalid label', 'Block labels are plain strings; they cannot contain "${...}" interpolations.', part.range),
        );
      }
    }
    return { value, quoted: true, range: template.range };
  }

  private blockBody(n: CstNode, fallback: number): Body {
    const open = tokens(n, 'LCurly')[0];
    const close = tokens(n, 'RCurly')[0];
    const start = real(open) ? open.startOffset : fallback;
    const end = real(close) ? tokenEnd(close) : start;
    return { kind: 'Body', items: this.items(nodes(n, 'item')), range: this.range(start, end) };
  }

  /** `fallback` is where a missing expression is placed (after what precedes it). */
  expression(n: CstNode | undefined, fallback: number): Expr {
    if (n === undefined) return this.placeholder(fallback);
    const operandNodes = nodes(n, 'operand');
    const ops = tokens(n, 'BinaryOperator');
    let result: Expr;
    let resultDepth: number;
    if (operandNodes.length === 0) {
      result = this.placeholder(fallback);
      resultDepth = 1;
    } else if (operandNodes.length === 1) {
      result = this.operand(operandNodes[0], fallback);
      resultDepth = this.depth;
    } else {
      // Precedence climbing over the flat operand/operator list, iteratively (chains can be long).
      const values: Expr[] = [];
      const depths: number[] = [];
      const opStack: BinaryOp[] = [];
      const reduce = (): void => {
        const right = values.pop() as Expr;
        const left = values.pop() as Expr;
        const rd = depths.pop() as number;
        const ld = depths.pop() as number;
        const op = opStack.pop() as BinaryOp;
        const expr = this.bounded({ kind: 'Binary', op, left, right, range: this.span(left.range, right.range) }, Math.max(ld, rd) + 1);
        values.push(expr);
        depths.push(this.depth);
      };
      values.push(this.operand(operandNodes[0], fallback));
      depths.push(this.depth);
      for (let i = 1; i < operandNodes.length; i++) {
        const opTok = ops[i - 1];
        const op = (real(opTok) ? opTok.image : '+') as BinaryOp;
        while (opStack.length > 0 && PRECEDENCE[opStack[opStack.length - 1]] >= PRECEDENCE[op]) reduce();
        opStack.push(op);
        values.push(this.operand(operandNodes[i], real(opTok) ? tokenEnd(opTok) : fallback));
        depths.push(this.depth);
      }
      while (opStack.length > 0) reduce();
      result = values[0];
      resultDepth = depths[0];
    }
    if (tokens(n, 'Question').length > 0) {
      const [thenNode, elseNode] = nodes(n, 'expression');
      const question = tokens(n, 'Question')[0];
      const then = this.expression(thenNode, real(question) ? tokenEnd(question) : result.range.end.offset);
      const thenDepth = this.depth;
      const colon = tokens(n, 'Colon')[0];
      const otherwise = this.expression(elseNode, real(colon) ? tokenEnd(colon) : then.range.end.offset);
      const d = Math.max(resultDepth, thenDepth, this.depth) + 1;
      return this.bounded(
        { kind: 'Conditional', condition: result, then, else: otherwise, range: this.span(result.range, otherwise.range) },
        d,
      );
    }
    this.depth = resultDepth;
    return result;
  }

  private operand(n: CstNode, fallback: number): Expr {
    let expr = this.primary(n, fallback);
    let d = this.depth;
    const postfixes = n.children.postfix as CstNode[] | undefined;
    if (postfixes !== undefined) {
      for (const p of postfixes) {
        expr = this.postfix(p, expr);
        d = Math.max(d, this.depth) + 1;
        expr = this.bounded(expr, d);
        d = this.depth;
      }
    }
    if (n.children.Bang !== undefined || n.children.Minus !== undefined) {
      const prefixes = [...tokens(n, 'Bang'), ...tokens(n, 'Minus')].filter(real);
      // Innermost (rightmost) first.
      prefixes.sort((a, b) => b.startOffset - a.startOffset);
      for (const t of prefixes) {
        const op = t.tokenType === Bang ? '!' : '-';
        expr = this.bounded({ kind: 'Unary', op, operand: expr, range: this.span(this.tokenRange(t), expr.range) }, d + 1);
        d = this.depth;
      }
    }
    this.depth = d;
    return expr;
  }

  private primary(n: CstNode, fallback: number): Expr {
    const c = n.children;
    // Most frequent first.
    const id = (c.Identifier as IToken[] | undefined)?.[0];
    if (real(id)) {
      const argsNode = (c.callArgs as CstNode[] | undefined)?.[0];
      if (argsNode !== undefined) return this.call(id, argsNode);
      this.depth = 1;
      return { kind: 'Variable', name: id.image, range: this.tokenRange(id) };
    }
    const simple = (c.SimpleString as IToken[] | undefined)?.[0];
    if (real(simple)) return this.simpleString(simple);
    const literal = (c.NumberLit ?? c.True ?? c.False ?? c.Null) as IToken[] | undefined;
    const t = literal?.[0];
    if (real(t)) {
      this.depth = 1;
      const value = t.tokenType === NumberLit ? Number(t.image) : t.tokenType === True ? true : t.tokenType === False ? false : null;
      return { kind: 'Literal', value, range: this.tokenRange(t) };
    }
    if (c.template !== undefined) return this.template(nodes(n, 'template')[0], fallback);
    if (c.heredoc !== undefined) return this.heredoc(nodes(n, 'heredoc')[0], fallback);
    if (c.tuple !== undefined) return this.tuple(nodes(n, 'tuple')[0], fallback);
    if (c.object !== undefined) return this.object(nodes(n, 'object')[0], fallback);
    if (c.parens !== undefined) {
      const p = nodes(n, 'parens')[0];
      const open = tokens(p, 'LParen')[0];
      const close = tokens(p, 'RParen')[0];
      const inner = this.expression(nodes(p, 'expression')[0], real(open) ? tokenEnd(open) : fallback);
      const start = real(open) ? open.startOffset : inner.range.start.offset;
      const end = real(close) ? tokenEnd(close) : inner.range.end.offset;
      return this.bounded({ kind: 'Parens', expr: inner, range: this.range(start, end) }, this.depth + 1);
    }
    return this.placeholder(fallback);
  }

  private postfix(n: CstNode, object: Expr): Expr {
    const dot = tokens(n, 'Dot')[0];
    if (dot !== undefined) {
      const name = ((n.children.Identifier ?? n.children.True ?? n.children.False ?? n.children.Null) as IToken[] | undefined)?.[0];
      const num = tokens(n, 'NumberLit')[0];
      const star = tokens(n, 'Star')[0];
      if (real(name)) {
        const nameRange = this.tokenRange(name);
        if (object.kind === 'Splat') {
          return { kind: 'Splat', object: object.object, attrs: [...object.attrs, name.image], range: this.span(object.range, nameRange) };
        }
        return { kind: 'GetAttr', object, name: name.image, nameRange, range: this.span(object.range, nameRange) };
      }
      if (real(num)) {
        const key: Expr = { kind: 'Literal', value: Number(num.image), range: this.tokenRange(num) };
        return { kind: 'Index', object, key, range: this.span(object.range, key.range) };
      }
      if (real(star)) return { kind: 'Splat', object, attrs: [], range: this.span(object.range, this.tokenRange(star)) };
      return object;
    }
    const close = tokens(n, 'RBracket')[0];
    const open = tokens(n, 'LBracket')[0];
    const end = real(close) ? tokenEnd(close) : real(open) ? tokenEnd(open) : object.range.end.offset;
    const range = this.range(object.range.start.offset, end);
    if (tokens(n, 'Star').length > 0) return { kind: 'Splat', object, attrs: [], range };
    const depthBefore = this.depth;
    const key = this.expression(nodes(n, 'expression')[0], real(open) ? tokenEnd(open) : end);
    this.depth = Math.max(this.depth, depthBefore);
    return { kind: 'Index', object, key, range };
  }

  private call(name: IToken, n: CstNode): Expr {
    const args: Expr[] = [];
    let d = 0;
    const open = tokens(n, 'LParen')[0];
    let at = real(open) ? tokenEnd(open) : tokenEnd(name);
    for (const e of nodes(n, 'expression')) {
      const arg = this.expression(e, at);
      args.push(arg);
      d = Math.max(d, this.depth);
      at = arg.range.end.offset;
    }
    const close = tokens(n, 'RParen')[0];
    const end = real(close) ? tokenEnd(close) : at;
    return this.bounded(
      {
        kind: 'Call',
        name: name.image,
        nameRange: this.tokenRange(name),
        args,
        expandFinal: tokens(n, 'Ellipsis').length > 0,
        range: this.range(name.startOffset, end),
      },
      d + 1,
    );
  }

  private simpleString(t: IToken): TemplateExpr {
    const end = tokenEnd(t);
    this.depth = 1;
    return {
      kind: 'Template',
      parts: [{ kind: 'Text', value: this.unescape(t.image.slice(1, -1), t.startOffset + 1), range: this.range(t.startOffset + 1, end - 1) }],
      range: this.range(t.startOffset, end),
    };
  }

  private template(n: CstNode, fallback: number): TemplateExpr {
    const open = tokens(n, 'StringStart')[0];
    const close = tokens(n, 'StringEnd')[0];
    const start = real(open) ? open.startOffset : fallback;
    const parts: TemplatePart[] = [];
    let d = 0;
    for (const t of tokens(n, 'TemplateText')) {
      if (real(t)) parts.push({ kind: 'Text', value: this.unescape(t.image, t.startOffset), range: this.tokenRange(t) });
    }
    for (const i of nodes(n, 'interpolation')) {
      const part = this.interpolation(i);
      if (part !== undefined) parts.push(part);
      d = Math.max(d, this.depth);
    }
    if (parts.length > 1) parts.sort((a, b) => a.range.start.offset - b.range.start.offset);
    let end = real(close) ? tokenEnd(close) : parts.length > 0 ? parts[parts.length - 1].range.end.offset : start;
    if (!Number.isFinite(end)) end = start;
    const range = this.range(start, end);
    if (parts.length === 0) parts.push({ kind: 'Text', value: '', range: this.range(start + 1, start + 1) });
    this.depth = d + 1;
    return { kind: 'Template', parts, range };
  }

  private interpolation(n: CstNode): TemplatePart | undefined {
    const open = tokens(n, 'InterpStart')[0];
    if (!real(open)) return undefined;
    const expr = this.expression(nodes(n, 'expression')[0], tokenEnd(open));
    const close = tokens(n, 'RCurly')[0];
    const end = real(close) && close.image !== '' ? tokenEnd(close) : Math.max(expr.range.end.offset, tokenEnd(open));
    return { kind: 'Interpolation', expr, range: this.range(open.startOffset, end) };
  }

  private heredoc(n: CstNode, fallback: number): TemplateExpr {
    const open = tokens(n, 'HeredocStart')[0];
    const close = tokens(n, 'HeredocEnd')[0];
    const start = real(open) ? open.startOffset : fallback;
    const { marker, indented } = real(open) ? heredocMarker(open.image) : { marker: 'EOT', indented: false };
    const texts = tokens(n, 'HeredocText').filter(real);
    const interps = nodes(n, 'interpolation');
    const pieces: (IToken | CstNode)[] = [...texts, ...interps];
    const offsetOf = (p: IToken | CstNode): number =>
      'image' in p ? p.startOffset : (tokens(p, 'InterpStart')[0]?.startOffset ?? NaN);
    pieces.sort((a, b) => offsetOf(a) - offsetOf(b));

    // `<<-`: the common leading whitespace of the lines is not part of the text. A line starts
    // where a piece starts right after a newline; lines of only whitespace do not count.
    let strip = 0;
    if (indented) {
      strip = Infinity;
      for (const p of pieces) {
        if (!this.startsLine(offsetOf(p))) continue;
        if (!('image' in p)) {
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

    const parts: TemplatePart[] = [];
    let d = 0;
    for (const p of pieces) {
      if ('image' in p) {
        let text = p.image;
        if (strip > 0 && this.startsLine(p.startOffset)) {
          let k = 0;
          while (k < strip && (text[k] === ' ' || text[k] === '\t')) k++;
          text = text.slice(k);
        }
        const value = text.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
        const range = this.tokenRange(p);
        const prev = parts[parts.length - 1];
        if (prev !== undefined && prev.kind === 'Text') {
          parts[parts.length - 1] = { kind: 'Text', value: prev.value + value, range: this.span(prev.range, range) };
        } else {
          parts.push({ kind: 'Text', value, range });
        }
      } else {
        const part = this.interpolation(p);
        if (part !== undefined) parts.push(part);
        d = Math.max(d, this.depth);
      }
    }
    const end = real(close) && close.image !== '' ? tokenEnd(close) : parts.length > 0 ? parts[parts.length - 1].range.end.offset : start;
    if (parts.length === 0) parts.push({ kind: 'Text', value: '', range: this.range(end, end) });
    this.depth = d + 1;
    return { kind: 'Template', parts, heredoc: { marker, indented }, range: this.range(start, end) };
  }

  private startsLine(offset: number): boolean {
    return offset > 0 && this.lines.source.charCodeAt(offset - 1) === 10;
  }

  private tuple(n: CstNode, fallback: number): Expr {
    const open = tokens(n, 'LBracket')[0];
    const close = tokens(n, 'RBracket')[0];
    const start = real(open) ? open.startOffset : fallback;
    const end = real(close) ? tokenEnd(close) : start;
    const range = this.range(start, end);
    const intro = nodes(n, 'forIntro')[0];
    const exprs = nodes(n, 'expression');
    if (intro !== undefined) {
      const f = this.forIntro(intro, start);
      let d = f.depth;
      const value = this.expression(exprs[0], f.end);
      d = Math.max(d, this.depth);
      let condition: Expr | undefined;
      if (exprs[1] !== undefined) {
        condition = this.expression(exprs[1], value.range.end.offset);
        d = Math.max(d, this.depth);
      }
      return this.bounded(
        {
          kind: 'ForTuple',
          ...(f.keyVar !== undefined ? { keyVar: f.keyVar } : {}),
          valueVar: f.valueVar,
          collection: f.collection,
          value,
          ...(condition !== undefined ? { condition } : {}),
          range,
        },
        d + 1,
      );
    }
    const items: Expr[] = [];
    let d = 0;
    let at = real(open) ? tokenEnd(open) : start;
    for (const e of exprs) {
      const item = this.expression(e, at);
      items.push(item);
      d = Math.max(d, this.depth);
      at = item.range.end.offset;
    }
    return this.bounded({ kind: 'Tuple', items, range }, d + 1);
  }

  private forIntro(n: CstNode, fallback: number): { keyVar?: string; valueVar: string; collection: Expr; end: number; depth: number } {
    const names = tokens(n, 'Identifier').filter(real);
    const inTok = tokens(n, 'In')[0];
    const collection = this.expression(nodes(n, 'expression')[0], real(inTok) ? tokenEnd(inTok) : fallback);
    const colon = tokens(n, 'Colon')[0];
    const end = real(colon) ? tokenEnd(colon) : collection.range.end.offset;
    const depth = this.depth;
    if (names.length >= 2) return { keyVar: names[0].image, valueVar: names[1].image, collection, end, depth };
    return { valueVar: names[0]?.image ?? '_', collection, end, depth };
  }

  private object(n: CstNode, fallback: number): Expr {
    const open = tokens(n, 'LCurly')[0];
    const close = tokens(n, 'RCurly')[0];
    const start = real(open) ? open.startOffset : fallback;
    const end = real(close) && close.image !== '' ? tokenEnd(close) : real(close) ? close.startOffset : start;
    const range = this.range(start, end);
    const intro = nodes(n, 'forIntro')[0];
    if (intro !== undefined) {
      const exprs = nodes(n, 'expression');
      const f = this.forIntro(intro, start);
      let d = f.depth;
      const key = this.expression(exprs[0], f.end);
      d = Math.max(d, this.depth);
      const value = this.expression(exprs[1], key.range.end.offset);
      d = Math.max(d, this.depth);
      let condition: Expr | undefined;
      if (exprs[2] !== undefined) {
        condition = this.expression(exprs[2], value.range.end.offset);
        d = Math.max(d, this.depth);
      }
      return this.bounded(
        {
          kind: 'ForObject',
          ...(f.keyVar !== undefined ? { keyVar: f.keyVar } : {}),
          valueVar: f.valueVar,
          collection: f.collection,
          key,
          value,
          ...(condition !== undefined ? { condition } : {}),
          grouping: tokens(n, 'Ellipsis').length > 0,
          range,
        },
        d + 1,
      );
    }
    const items: ObjectItem[] = [];
    let d = 0;
    const itemsNode = nodes(n, 'objectItems')[0];
    for (const item of itemsNode === undefined ? [] : nodes(itemsNode, 'objectItem')) {
      const [keyNode, valueNode] = nodes(item, 'expression');
      if (keyNode === undefined) continue;
      const key = this.objectKey(this.expression(keyNode, start));
      d = Math.max(d, this.depth);
      const sep = [...tokens(item, 'Equals'), ...tokens(item, 'Colon')][0];
      const value = this.expression(valueNode, real(sep) ? tokenEnd(sep) : key.range.end.offset);
      d = Math.max(d, this.depth);
      items.push({ key, value, range: this.span(key.range, value.range) });
    }
    if (itemsNode !== undefined) this.checkSeparators(items, itemsNode);
    return this.bounded({ kind: 'Object', items, range }, d + 1);
  }

  /** Object items must be separated by a comma or a newline, and a comma must follow an item. */
  private checkSeparators(items: readonly ObjectItem[], n: CstNode): void {
    const commas = tokens(n, 'Comma');
    const newlines = tokens(n, 'Newline');
    // Walk the three sorted lists together, in source order.
    let i = 0;
    let c = 0;
    let l = 0;
    let previous: 'start' | 'item' | 'comma' | 'newline' = 'start';
    for (;;) {
      const itemAt = i < items.length ? items[i].range.start.offset : Infinity;
      const commaAt = c < commas.length ? commas[c].startOffset : Infinity;
      const newlineAt = l < newlines.length ? newlines[l].startOffset : Infinity;
      if (itemAt === Infinity && commaAt === Infinity && newlineAt === Infinity) return;
      if (itemAt <= commaAt && itemAt <= newlineAt) {
        if (previous === 'item') {
          this.diagnostics.push(error('Expected "," or a newline between object items', undefined, items[i].key.range));
        }
        previous = 'item';
        i++;
      } else if (commaAt <= newlineAt) {
        const comma = commas[c++];
        if (!real(comma)) continue;
        if (previous !== 'item') this.diagnostics.push(error('Expected an object item, found ","', undefined, this.tokenRange(comma)));
        previous = 'comma';
      } else {
        l++;
        if (previous !== 'comma') previous = 'newline';
      }
    }
  }

  /** A bare name (or keyword) as an object key means the string of that name, as in HCL. */
  private objectKey(key: Expr): Expr {
    if (key.kind === 'Variable') {
      return { kind: 'Template', parts: [{ kind: 'Text', value: key.name, range: key.range }], range: key.range };
    }
    if (key.kind === 'Literal' && typeof key.value !== 'number' && key.range.end.offset > key.range.start.offset) {
      const text = this.lines.source.slice(key.range.start.offset, key.range.end.offset);
      return { kind: 'Template', parts: [{ kind: 'Text', value: text, range: key.range }], range: key.range };
    }
    return key;
  }

  /** Decodes the escapes of a quoted string's text; reports the invalid ones. */
  private unescape(s: string, at: number): string {
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
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
        if (next !== undefined && next in simple) {
          out += simple[next];
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
