/**
 * The parser's fast path: a hand-written recursive descent over the grammar of `parser.ts`, for
 * files without mistakes. It reads the scanner's tokens directly (no structure pass) and calls
 * the same builder methods with the same tokens in the same order as the grammar's actions, so
 * the tree it builds is the tree the grammar builds.
 *
 * It recognises only what it is sure of. At the first thing it does not expect - any syntax
 * error, an invalid character, nesting near the limits, and a few legal oddities (a keyword used
 * as a variable, a newline inside an interpolation) - it gives up, and `parseFile` parses the
 * file again with the chevrotain grammar, whose error recovery and messages are the reference.
 * `test/parser/descent.test.ts` checks that both give the same tree and diagnostics wherever this
 * one finishes, on every fixture and on thousands of generated and mutated files.
 *
 * Why it exists: speed. In a fresh process a 10,000-resource file parses about 1.8 times as fast
 * this way as through the structure pass and the grammar (docs/benchmarks.md measures both), and
 * a command on a well-formed configuration never builds the grammar at all (chevrotain's
 * self-analysis is start-up time).
 */
import { EOF, type IToken, type TokenType } from 'chevrotain';
import type { Attribute, Block, Body, Expr, Label, ObjectItem, TemplateExpr } from './ast.js';
import type { AstBuilder, CallArgs, Directive, DirectiveInside, ForIntro, Interpolation, LabelsAndBody, StringPiece } from './build.js';
import { Scanner, token } from './lexer.js';
import { MAX_NESTING, startsBodyItem } from './structure.js';
import {
  Bang,
  BinaryOperator,
  Colon,
  Comma,
  DirectiveStart,
  Dot,
  Ellipsis,
  Equals,
  False,
  FatArrow,
  For,
  HeredocEnd,
  HeredocStart,
  HeredocText,
  Identifier,
  If,
  In,
  InterpStart,
  LBracket,
  LCurly,
  LParen,
  Minus,
  Newline,
  Null,
  NumberLit,
  Question,
  RBracket,
  RCurly,
  RParen,
  SimpleString,
  Star,
  StringEnd,
  StringStart,
  TemplateText,
  True,
  UnterminatedBlockComment,
} from './tokens.js';

/** Thrown (never seen outside this module) when the input needs the grammar. */
const DECLINE = { declined: true };

/** Frames, as the structure pass sees them: what a newline and a comma mean inside. */
const FILE = 0; // items; a newline ends one, a comma is an error
const BODY = 1; // items; a newline or a comma ends one
const OBJECT = 2; // object items; newlines and commas are separators the builder checks
const SKIP = 3; // (...) [...] { for ... }: newlines do not count
const REFUSE = 4; // ${...} %{...} and string bodies: a newline is for the grammar to judge

/** Openers plus pending `?` at which the fast path stops (the structure pass reports at MAX_NESTING). */
const NESTING_LIMIT = MAX_NESTING - 10;

/** Tokens scanned at a time. */
const CHUNK = 1024;

/** Past the last token (shaped as the scanner's tokens are, so code reading tokens sees one shape). */
const END = token('', -1, EOF);

function table(types: TokenType[]): boolean[] {
  const t: boolean[] = [];
  for (const type of types) t[type.tokenTypeIdx as number] = true;
  return t;
}
/** The token types chevrotain's `CONSUME(type)` accepts: the type and the types in its category (tokens.ts). */
function matching(type: TokenType): boolean[] {
  const t = table([type]);
  for (const idx of type.categoryMatches ?? []) t[idx] = true;
  return t;
}
const BINARY = matching(BinaryOperator);
/** Names: keywords are in `Identifier`'s category. */
const NAME = matching(Identifier);
/** What an attribute or block may be named: a name, or `null`, `true`, `false` (HCL allows them). */
const ITEM_NAME = [...NAME];
for (const t of [True, False, Null]) ITEM_NAME[t.tokenTypeIdx as number] = true;
/** What an expression can start with (a keyword taken as a variable is left to the grammar). */
const STARTS_EXPRESSION = table([Bang, Minus, NumberLit, True, False, Null, Identifier, For, In, If, SimpleString, StringStart, HeredocStart, LBracket, LCurly, LParen]);
const ATTR_NAME = table([Identifier, For, In, If, NumberLit, Star, True, False, Null]);

const is = (t: IToken, set: boolean[]): boolean => set[t.tokenTypeIdx] === true;

/**
 * Parses the whole of `source` into `builder` (which then holds the file's items and the
 * builder's own diagnostics) and returns the comments; undefined if the grammar must do it.
 */
export function descend(source: string, builder: AstBuilder): IToken[] | undefined {
  const scanner = new Scanner(source);
  try {
    new Descent(scanner, builder).file();
  } catch (e) {
    // A stack overflow cannot happen below NESTING_LIMIT; if it did, the grammar copes.
    if (e === DECLINE || e instanceof RangeError) return undefined;
    throw e;
  }
  if (scanner.errors.length > 0) return undefined;
  for (const c of scanner.comments) if (c.tokenType === UnterminatedBlockComment) return undefined;
  return scanner.comments;
}

class Descent {
  private buf: IToken[] = [];
  private pos = 0;
  private frame = FILE;
  /** Open brackets, strings and interpolations, plus `?` since the last separator: as the structure pass counts. */
  private nesting = 0;
  /** Nesting when the current frame opened (questions are counted from there). */
  private frameNesting = 0;
  /** The token consumed last. */
  private last: IToken = END;

  constructor(
    private readonly scanner: Scanner,
    private readonly b: AstBuilder,
  ) {}

  // --- Tokens -------------------------------------------------------------------------------

  /** The `k`-th token from here, newlines included. */
  private ahead(k: number): IToken {
    let j = this.pos + k;
    if (j >= this.buf.length) {
      if (this.pos > 0) {
        this.buf = this.buf.slice(this.pos);
        j -= this.pos;
        this.pos = 0;
      }
      while (j >= this.buf.length) {
        if (this.scanner.done) return END;
        this.scanner.fill(this.buf, CHUNK);
      }
    }
    return this.buf[j];
  }

  /** The next token that counts in this frame. */
  private peek(): IToken {
    let t = this.ahead(0);
    if (t.tokenType === Newline && this.frame >= SKIP) {
      if (this.frame === REFUSE) throw DECLINE;
      do {
        this.pos++;
        t = this.ahead(0);
        // Inside brackets, a line that reads like a block's item is an unclosed bracket to the
        // structure pass (which reports it).
        if (startsBodyItem(this.tokenAt, 0)) throw DECLINE;
      } while (t.tokenType === Newline);
    }
    return t;
  }

  /** The token `k` ahead, undefined past the last (as the structure pass reads its input). */
  private readonly tokenAt = (k: number): IToken | undefined => {
    const t = this.ahead(k);
    return t === END ? undefined : t;
  };

  /** The token after the next one that counts, skipping newlines (a lookahead in `SKIP` frames). */
  private peekSecond(): IToken {
    this.peek();
    let k = 1;
    let t = this.ahead(k);
    while (t.tokenType === Newline) t = this.ahead(++k);
    return t;
  }

  private take(): IToken {
    const t = this.peek();
    this.pos++;
    this.last = t;
    return t;
  }

  private expect(type: TokenType): IToken {
    const t = this.peek();
    if (t.tokenType !== type) throw DECLINE;
    this.pos++;
    this.last = t;
    return t;
  }

  private name(): IToken {
    const t = this.peek();
    if (!is(t, NAME)) throw DECLINE;
    this.pos++;
    this.last = t;
    return t;
  }

  /** Takes an opening token and enters a frame; returns what `leave` needs. */
  private open(type: TokenType, frame: number): { token: IToken; frame: number; nesting: number; frameNesting: number } {
    if (this.nesting >= NESTING_LIMIT) throw DECLINE;
    const token = this.expect(type);
    const saved = { token, frame: this.frame, nesting: this.nesting, frameNesting: this.frameNesting };
    this.frame = frame;
    this.nesting++;
    this.frameNesting = this.nesting;
    return saved;
  }

  private leave(saved: { frame: number; nesting: number; frameNesting: number }): void {
    this.frame = saved.frame;
    this.nesting = saved.nesting;
    this.frameNesting = saved.frameNesting;
  }

  /** A separator in the current frame: its pending `?` no longer count. */
  private separated(): void {
    this.nesting = this.frameNesting;
  }

  // --- Bodies -------------------------------------------------------------------------------

  file(): void {
    for (;;) {
      const t = this.peek();
      if (t.tokenType === Newline) {
        this.pos++;
        this.separated();
      } else if (is(t, ITEM_NAME)) {
        this.b.addTopLevel(this.item());
      } else if (t === END) {
        return;
      } else {
        throw DECLINE;
      }
    }
  }

  private item(): Attribute | Block | undefined {
    const name = this.take();
    const t = this.peek();
    let rest: Expr | Body | LabelsAndBody;
    if (t.tokenType === Equals) {
      this.take();
      rest = this.expression();
    } else if (t.tokenType === LCurly) {
      rest = this.blockBody();
    } else if (t.tokenType === SimpleString || t.tokenType === StringStart || is(t, NAME)) {
      const labels: Label[] = [];
      for (let l = this.peek(); l.tokenType === SimpleString || l.tokenType === StringStart || is(l, NAME); l = this.peek()) {
        let label: Label | undefined;
        if (l.tokenType === StringStart) label = this.b.templateLabel(this.template());
        else if (l.tokenType === SimpleString) label = this.b.stringLabel(this.take());
        else label = this.b.nameLabel(this.take());
        if (label !== undefined) labels.push(label);
      }
      const body = this.peek().tokenType === LCurly ? this.blockBody() : undefined;
      rest = this.b.labels(labels, body);
    } else {
      throw DECLINE;
    }
    // The item ends at a newline, or where its body or file ends.
    const end = this.peek();
    const ends =
      end.tokenType === Newline || (this.frame === BODY ? end.tokenType === Comma || end.tokenType === RCurly : end === END);
    if (!ends) throw DECLINE;
    return this.b.item(name, rest);
  }

  private blockBody(): Body {
    const saved = this.open(LCurly, BODY);
    const items: (Attribute | Block)[] = [];
    for (;;) {
      const t = this.peek();
      if (t.tokenType === Newline || t.tokenType === Comma) {
        this.pos++;
        this.separated();
      } else if (is(t, ITEM_NAME)) {
        const item = this.item();
        if (item !== undefined) this.b.addItem(item, items);
      } else {
        break;
      }
    }
    const close = this.closeCurly();
    this.leave(saved);
    return this.b.body(saved.token, items, close);
  }

  /** A `}` that closes a body or an object (a `~}` there is the grammar's to report). */
  private closeCurly(): IToken {
    const close = this.expect(RCurly);
    if (close.image !== '}') throw DECLINE;
    return close;
  }

  // --- Expressions --------------------------------------------------------------------------

  private expression(): Expr {
    const b = this.b;
    let result = this.operand();
    let depth = b.depth;
    if (is(this.peek(), BINARY)) {
      const operands = [result];
      const depths = [depth];
      const ops: IToken[] = [];
      while (is(this.peek(), BINARY)) {
        ops.push(this.take());
        operands.push(this.operand());
        depths.push(b.depth);
      }
      result = b.binary(operands, ops, depths);
      depth = b.depth;
    }
    if (this.peek().tokenType === Question) {
      this.take();
      if (++this.nesting >= NESTING_LIMIT) throw DECLINE;
      const then = this.expression();
      const thenDepth = b.depth;
      this.expect(Colon);
      const otherwise = this.expression();
      result = b.conditional(result, then, otherwise, Math.max(depth, thenDepth, b.depth));
      depth = b.depth;
    }
    b.depth = depth;
    return result;
  }

  private operand(): Expr {
    const b = this.b;
    let prefixes: IToken[] | undefined;
    let t = this.peek();
    while (t.tokenType === Bang || t.tokenType === Minus) {
      (prefixes ??= []).push(this.take());
      t = this.peek();
    }
    let expr: Expr;
    switch (t.tokenType) {
      case NumberLit:
      case True:
      case False:
      case Null:
        expr = b.literal(this.take());
        break;
      case Identifier:
        this.take();
        expr = this.peek().tokenType === LParen ? b.call(t, this.callArgs()) : b.variable(t);
        break;
      case SimpleString:
        expr = b.simpleString(this.take());
        break;
      case StringStart:
        expr = this.template();
        break;
      case HeredocStart:
        expr = this.heredoc();
        break;
      case LBracket:
        expr = this.tuple();
        break;
      case LCurly:
        expr = this.object();
        break;
      case LParen:
        expr = this.parens();
        break;
      default:
        throw DECLINE;
    }
    for (;;) {
      const p = this.peek();
      if (p.tokenType === Dot) {
        const d = b.depth;
        this.take();
        const name = this.take();
        if (!is(name, ATTR_NAME)) throw DECLINE;
        expr = b.attrAccess(expr, d, name);
      } else if (p.tokenType === LBracket) {
        const d = b.depth;
        const saved = this.open(LBracket, SKIP);
        let key: Expr | undefined;
        if (this.peek().tokenType === Star) this.take();
        else key = this.expression();
        const keyDepth = b.depth;
        const close = this.expect(RBracket);
        this.leave(saved);
        expr = b.index(expr, d, saved.token, key, keyDepth, close);
      } else {
        break;
      }
    }
    if (prefixes !== undefined) expr = b.prefixed(prefixes, expr, b.depth);
    return expr;
  }

  private callArgs(): CallArgs {
    const saved = this.open(LParen, SKIP);
    const args: Expr[] = [];
    let depth = 0;
    let expandFinal = false;
    if (is(this.peek(), STARTS_EXPRESSION)) {
      args.push(this.expression());
      depth = this.b.depth;
      while (this.peek().tokenType === Comma && is(this.peekSecond(), STARTS_EXPRESSION)) {
        this.take();
        this.separated();
        args.push(this.expression());
        depth = Math.max(depth, this.b.depth);
      }
      if (this.peek().tokenType === Ellipsis) {
        this.take();
        expandFinal = true;
      }
      if (this.peek().tokenType === Comma) this.take();
    }
    const close = this.expect(RParen);
    this.leave(saved);
    return { open: saved.token, args, depth, expandFinal, close };
  }

  private parens(): Expr {
    const saved = this.open(LParen, SKIP);
    const inner = this.expression();
    const depth = this.b.depth;
    const close = this.expect(RParen);
    this.leave(saved);
    return this.b.parens(saved.token, inner, depth, close);
  }

  // --- Strings ------------------------------------------------------------------------------

  private template(): TemplateExpr {
    const s = this.quoted(StringStart, TemplateText, StringEnd);
    return this.b.template(s.open, s.pieces, s.close, s.depth);
  }

  private heredoc(): Expr {
    const s = this.quoted(HeredocStart, HeredocText, HeredocEnd);
    return this.b.heredoc(s.open, s.pieces, s.close, s.depth);
  }

  /**
   * A string or heredoc from its `start` token to its `end` token: text tokens of type `text`,
   * interpolations and directives, and the deepest expression's depth.
   */
  private quoted(start: TokenType, text: TokenType, end: TokenType): { open: IToken; pieces: StringPiece[]; close: IToken; depth: number } {
    const saved = this.open(start, REFUSE);
    const pieces: StringPiece[] = [];
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.tokenType === text) {
        pieces.push(this.take());
      } else if (t.tokenType === InterpStart || t.tokenType === DirectiveStart) {
        const piece = t.tokenType === InterpStart ? this.interpolation() : this.directive();
        if (piece !== undefined) {
          pieces.push(piece);
          depth = Math.max(depth, this.b.depth);
        }
      } else if (t.tokenType === end) {
        const close = this.take();
        this.leave(saved);
        return { open: saved.token, pieces, close, depth };
      } else {
        throw DECLINE;
      }
    }
  }

  private interpolation(): Interpolation | undefined {
    const saved = this.open(InterpStart, REFUSE);
    const expr = this.expression();
    const depth = this.b.depth;
    const close = this.expect(RCurly);
    this.leave(saved);
    const part = this.b.interpolation(saved.token, expr, close);
    this.b.depth = depth;
    return part;
  }

  private directive(): Directive | undefined {
    const saved = this.open(DirectiveStart, REFUSE);
    const t = this.peek();
    let inside: DirectiveInside;
    let depth = 0;
    if (t.tokenType === If && this.ahead(1).tokenType !== RCurly) {
      this.take();
      inside = { kind: 'if', condition: this.expression() };
      depth = this.b.depth;
    } else if (t.tokenType === For && is(this.ahead(1), NAME)) {
      this.take();
      const names = [this.name()];
      if (this.peek().tokenType === Comma) {
        this.take();
        names.push(this.name());
      }
      this.expect(In);
      const collection = this.expression();
      inside = { kind: 'for', intro: this.b.forIntro(names, collection, this.b.depth) };
      depth = this.b.depth;
    } else if (t.tokenType === Identifier) {
      inside = { kind: 'word', word: this.take() };
    } else {
      throw DECLINE;
    }
    const close = this.expect(RCurly);
    this.leave(saved);
    const directive = this.b.directive(saved.token, inside, close);
    this.b.depth = depth;
    return directive;
  }

  // --- Collections --------------------------------------------------------------------------

  private tuple(): Expr {
    const saved = this.open(LBracket, SKIP);
    const b = this.b;
    if (this.peek().tokenType === For) {
      if (!is(this.peekSecond(), NAME)) throw DECLINE;
      const intro = this.forIntro();
      const value = this.expression();
      let depth = b.depth;
      let condition: Expr | undefined;
      if (this.peek().tokenType === If) {
        this.take();
        condition = this.expression();
        depth = Math.max(depth, b.depth);
      }
      const close = this.expect(RBracket);
      this.leave(saved);
      return b.forTuple(saved.token, intro, value, condition, close, depth);
    }
    const items: Expr[] = [];
    let depth = 0;
    if (is(this.peek(), STARTS_EXPRESSION)) {
      items.push(this.expression());
      depth = b.depth;
      while (this.peek().tokenType === Comma && is(this.peekSecond(), STARTS_EXPRESSION)) {
        this.take();
        this.separated();
        items.push(this.expression());
        depth = Math.max(depth, b.depth);
      }
      if (this.peek().tokenType === Comma) this.take();
    }
    const close = this.expect(RBracket);
    this.leave(saved);
    return b.tuple(saved.token, items, close, depth);
  }

  private object(): Expr {
    const b = this.b;
    // Where a `{` follows a name or a string in a body, the structure pass takes it for a block's
    // body, not an object (then it is an error anyway).
    const after = this.last.tokenType;
    if (this.frame <= BODY && (is(this.last, ITEM_NAME) || after === SimpleString || after === StringEnd)) throw DECLINE;
    // `{ for k, v in ...`, newlines before `for` allowed (as the structure pass decides).
    let k = 1;
    while (this.ahead(k).tokenType === Newline) k++;
    if (this.ahead(k).tokenType === For) {
      if (!is(this.ahead(k + 1), NAME)) throw DECLINE;
      const saved = this.open(LCurly, SKIP);
      const intro = this.forIntro();
      const key = this.expression();
      let depth = b.depth;
      this.expect(FatArrow);
      const value = this.expression();
      depth = Math.max(depth, b.depth);
      let grouping = false;
      if (this.peek().tokenType === Ellipsis) {
        this.take();
        grouping = true;
      }
      let condition: Expr | undefined;
      if (this.peek().tokenType === If) {
        this.take();
        condition = this.expression();
        depth = Math.max(depth, b.depth);
      }
      const close = this.closeCurly();
      this.leave(saved);
      return b.forObject(saved.token, intro, key, value, grouping, condition, close, depth);
    }
    const saved = this.open(LCurly, OBJECT);
    const items: ObjectItem[] = [];
    let depth = 0;
    let previous: 'start' | 'item' | 'comma' | 'newline' = 'start';
    for (;;) {
      const t = this.peek();
      if (t.tokenType === Newline) {
        this.take();
        this.separated();
        if (previous !== 'comma') previous = 'newline';
      } else if (t.tokenType === Comma) {
        this.take();
        this.separated();
        if (previous !== 'item') b.strayComma(t);
        previous = 'comma';
      } else if (is(t, STARTS_EXPRESSION)) {
        const item = this.objectItem();
        if (previous === 'item') b.missingSeparator(item);
        previous = 'item';
        items.push(item);
        depth = Math.max(depth, b.depth);
      } else {
        break;
      }
    }
    const close = this.closeCurly();
    this.leave(saved);
    return b.object(saved.token, items, close, depth);
  }

  private objectItem(): ObjectItem {
    const b = this.b;
    const key = this.expression();
    const keyDepth = b.depth;
    const t = this.take();
    if (t.tokenType !== Equals && t.tokenType !== Colon) throw DECLINE;
    const value = this.expression();
    const depth = Math.max(keyDepth, b.depth);
    const item = b.objectItem(key, value);
    b.depth = depth;
    return item;
  }

  private forIntro(): ForIntro {
    this.expect(For);
    const names = [this.name()];
    if (this.peek().tokenType === Comma) {
      this.take();
      names.push(this.name());
    }
    this.expect(In);
    const collection = this.expression();
    const depth = this.b.depth;
    this.expect(Colon);
    return this.b.forIntro(names, collection, depth);
  }
}
