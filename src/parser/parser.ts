/**
 * The grammar of the .infra language as a chevrotain `EmbeddedActionsParser`: its actions hand
 * what it recognises to the AST builder (`build.ts`), so the AST comes out directly. The token
 * stream it reads has been through the structure pass (`structure.ts`): newlines appear only where
 * they end an item, and brackets, strings and heredocs are balanced.
 *
 * Operator precedence is not encoded in rules (one rule per level would cost a rule call per level
 * per operand); `expression` collects a flat operand/operator list and the builder applies HCL's
 * precedence.
 */
import { EmbeddedActionsParser, EOF, type IOrAlt, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
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
  allTokens,
} from './tokens.js';
import type { Attribute, Block, Body, Expr, Label, ObjectItem, TemplateExpr } from './ast.js';
import { AstBuilder, real, type CallArgs, type Directive, type DirectiveInside, type ForIntro, type Interpolation, type LabelsAndBody, type StringPiece } from './build.js';
import { LineMap } from './positions.js';

/** How a token type reads in an error message. */
export function describeTokenType(t: TokenType): string {
  switch (t) {
    case Newline:
      return 'a newline';
    case EOF:
      return 'the end of the file';
    case Identifier:
      return 'a name';
    case NumberLit:
      return 'a number';
    case StringStart:
    case SimpleString:
      return 'a string';
    case StringEnd:
      return 'the end of the string';
    case HeredocStart:
      return 'a heredoc';
    case HeredocEnd:
      return 'the end of the heredoc';
    case BinaryOperator:
      return 'an operator';
    case For:
      return '"for"';
    case In:
      return '"in"';
    case If:
      return '"if"';
    case True:
      return '"true"';
    case False:
      return '"false"';
    case Null:
      return '"null"';
    case RCurly:
      return '"}"';
    case InterpStart:
      return '"${"';
    case DirectiveStart:
      return '"%{"';
    default: {
      const pattern = t.PATTERN;
      return pattern instanceof RegExp ? `"${pattern.source.replace(/\\/g, '')}"` : t.name;
    }
  }
}

/** How a token met in the input reads in an error message. */
export function describeToken(t: IToken): string {
  if (t.tokenType === EOF) return 'the end of the file';
  if (t.tokenType === Newline) return 'the end of the line';
  if (t.tokenType === StringStart || t.tokenType === SimpleString) return 'a string';
  if (t.tokenType === HeredocStart) return 'a heredoc';
  if (t.tokenType === TemplateText || t.tokenType === HeredocText) return 'text';
  // Zero-width tokens are stand-ins put in by the structure pass.
  if (t.image === '') return describeTokenType(t.tokenType);
  const image = t.image.length > 40 ? `${t.image.slice(0, 37)}...` : t.image;
  return `"${image}"`;
}

/** `Expected X after PREVIOUS` at the end of a line, else `Expected X, found ACTUAL`. */
function expected(what: string, actual: IToken, previous: IToken | undefined): string {
  const atEnd = actual.tokenType === Newline || actual.tokenType === EOF;
  if (atEnd && previous !== undefined && previous.image !== '' && previous.tokenType !== Newline) {
    return `Expected ${what} after ${describeToken(previous)}`;
  }
  return `Expected ${what}, found ${describeToken(actual)}`;
}

/** Stand-in message for a missing newline after an item; see `itemEndMessage`. */
export const ITEM_END = '\u0000item-end';

/**
 * The message for a missing newline after the item that `tokens[index]` follows: what was found
 * after the attribute value, the block's `}` or the block's labels.
 */
export function itemEndMessage(tokens: readonly IToken[], index: number): string {
  const found = describeToken(tokens[index]);
  const previous = tokens[index - 1];
  // Back to the start of the item, over bracketed parts (they may hold newlines).
  let depth = 0;
  let k = index - 1;
  for (; k > 0; k--) {
    const type = tokens[k].tokenType;
    if (type === RCurly || type === RBracket || type === RParen) depth++;
    else if (type === LCurly || type === LBracket || type === LParen || type === InterpStart || type === DirectiveStart) depth--;
    else if (type === Newline && depth <= 0) break;
  }
  const start = tokens[k]?.tokenType === Newline ? k + 1 : k;
  if (tokens[start + 1]?.tokenType === Equals) return `Expected a newline after the attribute value, found ${found}`;
  if (previous?.tokenType === RCurly) return `Expected a newline after the block's closing "}", found ${found}`;
  return `Expected "{" or a newline after the block labels, found ${found}`;
}

/** Plain-words messages; chevrotain's defaults list token type names. */
const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected: type, actual, previous, ruleName }) {
    if (ruleName === 'file' || ruleName === 'blockBody') {
      return `Expected an attribute or a block, found ${describeToken(actual)}`;
    }
    // Whether this ends an attribute or a block takes a look back through the tokens: done in
    // `index.ts` with `itemEndMessage`.
    if (type === Newline && ruleName === 'item') return ITEM_END;
    if (type === RBracket && ruleName === 'tuple') {
      return expected(previous.tokenType === Comma || previous.tokenType === LBracket ? 'an expression or "]"' : '"," or "]"', actual, previous);
    }
    if (type === RParen && ruleName === 'callArgs') {
      return expected(previous.tokenType === Comma || previous.tokenType === LParen ? 'an expression or ")"' : '"," or ")"', actual, previous);
    }
    if (type === Colon && ruleName === 'forIntro') return expected('":"', actual, previous);
    if (type === RCurly && ruleName === 'directive') return expected('"}" to end the directive', actual, previous);
    if (type === Colon && ruleName === 'expression') return expected('":" of the conditional expression', actual, previous);
    return expected(describeTokenType(type), actual, previous);
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `Unexpected ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ actual, previous, ruleName }) {
    const found = actual[0];
    switch (ruleName) {
      case 'item':
        return `Expected "=" or a block body after ${describeToken(previous)}`;
      case 'postfix':
        return expected(previous.tokenType === LBracket ? 'an index or "*"' : 'a name, a number or "*"', found, previous);
      case 'objectItem':
        return expected('"=" or ":"', found, previous);
      default:
        return expected('an expression', found, previous);
    }
  },
  buildEarlyExitMessage({ actual, previous }) {
    return expected('a label', actual[0], previous);
  },
};

/** The parser's builder when it is not parsing. */
const IDLE_BUILDER = new AstBuilder(new LineMap('', ''));

/** Marks the values rules return while chevrotain records the grammar (never seen by callers). */
const RECORDING = undefined as never;

/**
 * The grammar. Build it once (`infraParser()`), then parse by setting `builder` and `input`.
 *
 * Actions: each rule hands what it recognised to the builder (`build.ts`) and returns the node.
 * While chevrotain records the grammar (in the constructor) the rules run with stand-in tokens
 * and results; every builder call is therefore made only when `RECORDING_PHASE` is false, after
 * the rule's last grammar call. A rule that fails and is recovered by re-synchronisation returns
 * a placeholder (`recovered`).
 */
export class InfraParser extends EmbeddedActionsParser {
  /** Set before each parse; a stand-in while the grammar is recorded and between parses. */
  builder = IDLE_BUILDER;

  // Alternatives are built once, not on every rule invocation (chevrotain's performance advice;
  // it also spares tsx's `keepNames` wrapper on every `ALT` arrow). Every key is declared here so
  // the object keeps a fixed shape.
  private readonly alts: Record<string, IOrAlt<unknown>[] | undefined> = { fileItems: undefined, itemName: undefined, item: undefined, label: undefined, bodyItems: undefined, prefix: undefined, primary: undefined, postfix: undefined, attrName: undefined, index: undefined, templateParts: undefined, heredocParts: undefined, directive: undefined, tuple: undefined, object: undefined, objectItems: undefined, objectItem: undefined };

  /**
   * `validate` runs chevrotain's grammar checks (ambiguities, left recursion) while building: a
   * test does; the CLI skips them, as they cost start-up time and the grammar does not change.
   */
  constructor(options: { validate?: boolean } = {}) {
    super(allTokens, {
      recoveryEnabled: true,
      maxLookahead: 3,
      errorMessageProvider: errorMessages,
      skipValidations: options.validate !== true,
    });
    this.performSelfAnalysis();
  }

  /** Lets go of the last parse's tokens and builder (and so of its tree). */
  forget(): void {
    this.input = [];
    this.builder = IDLE_BUILDER;
  }

  /** A placeholder for what a failed rule would have built, at the token recovery stopped on. */
  private recovered(): Expr {
    const t = this.LA(1);
    return this.builder.placeholder(Number.isFinite(t.startOffset) ? t.startOffset : this.builder.lines.source.length);
  }

  private readonly recoverExpr = { recoveryValueFunc: (): Expr => this.recovered() };

  /** A whole file: a body up to the end of input. Items go to the builder as they are parsed. */
  public readonly file = this.RULE('file', () => {
    this.MANY(() => {
      const item = this.OR((this.alts.fileItems ??= [{ ALT: () => this.CONSUME(Newline) }, { ALT: () => this.SUBRULE(this.item) }]));
      if (!this.RECORDING_PHASE && item !== undefined && !isToken(item)) this.builder.addTopLevel(item as Attribute | Block);
    });
    this.CONSUME(EOF);
  });

  /** One expression and nothing else (`--var name=value`). */
  public readonly expressionOnly = this.RULE(
    'expressionOnly',
    () => {
      this.MANY(() => this.CONSUME(Newline));
      const expr = this.SUBRULE(this.expression);
      this.MANY2(() => this.CONSUME2(Newline));
      this.CONSUME(EOF);
      return expr;
    },
    this.recoverExpr,
  );

  /**
   * An attribute `name = expr` or a block `type label* { body }` / `type label+`, and the newline
   * that ends it. Labels are inline (no rule of their own): fewer rule calls is speed here.
   */
  private readonly item = this.RULE('item', (): Attribute | Block | undefined => {
    const name = this.OR3((this.alts.itemName ??= [
      { ALT: () => this.CONSUME(Identifier) },
      { ALT: () => this.CONSUME(Null) },
      { ALT: () => this.CONSUME(True) },
      { ALT: () => this.CONSUME(False) },
    ])) as IToken;
    const rest = this.OR((this.alts.item ??= [
      {
        ALT: () => {
          this.CONSUME(Equals);
          return this.SUBRULE(this.expression);
        },
      },
      { ALT: () => this.SUBRULE(this.blockBody) },
      {
        ALT: () => {
          const labels: Label[] = [];
          this.AT_LEAST_ONE(() => {
            const label = this.OR2((this.alts.label ??= [
              { ALT: () => this.CONSUME(SimpleString) },
              { ALT: () => this.SUBRULE(this.template) },
              { ALT: () => this.CONSUME2(Identifier) },
            ])) as IToken | TemplateExpr;
            if (this.RECORDING_PHASE) return;
            const l = isToken(label)
              ? label.tokenType === SimpleString
                ? this.builder.stringLabel(label)
                : this.builder.nameLabel(label)
              : this.builder.templateLabel(label);
            if (l !== undefined) labels.push(l);
          });
          const body = this.OPTION(() => this.SUBRULE2(this.blockBody));
          return this.RECORDING_PHASE ? RECORDING : this.builder.labels(labels, body);
        },
      },
    ])) as Expr | Body | LabelsAndBody;
    this.CONSUME(Newline);
    return this.RECORDING_PHASE ? RECORDING : this.builder.item(name, rest);
  });

  private readonly blockBody = this.RULE('blockBody', (): Body => {
    const open = this.CONSUME(LCurly);
    const items: (Attribute | Block)[] = [];
    this.MANY(() => {
      const item = this.OR((this.alts.bodyItems ??= [{ ALT: () => this.CONSUME(Newline) }, { ALT: () => this.SUBRULE(this.item) }]));
      if (!this.RECORDING_PHASE && item !== undefined && !isToken(item)) this.builder.addItem(item as Attribute | Block, items);
    });
    const close = this.CONSUME(RCurly);
    return this.RECORDING_PHASE ? RECORDING : this.builder.body(open, items, close);
  });

  /** `operand (op operand)* (? expression : expression)?` - precedence is applied by the builder. */
  public readonly expression = this.RULE(
    'expression',
    (): Expr => {
      let result = this.SUBRULE(this.operand);
      let depth = this.builder.depth;
      let operands: Expr[] | undefined;
      let ops: IToken[] | undefined;
      let depths: number[] | undefined;
      this.MANY(() => {
        const op = this.CONSUME(BinaryOperator);
        const operand = this.SUBRULE2(this.operand);
        if (this.RECORDING_PHASE) return;
        operands ??= [result];
        depths ??= [depth];
        ops ??= [];
        ops.push(op);
        operands.push(operand);
        depths.push(this.builder.depth);
      });
      if (operands !== undefined && !this.RECORDING_PHASE) {
        result = this.builder.binary(operands, ops as IToken[], depths as number[]);
        depth = this.builder.depth;
      }
      this.OPTION(() => {
        this.CONSUME(Question);
        const then = this.SUBRULE(this.expression);
        const thenDepth = this.builder.depth;
        this.CONSUME(Colon);
        const otherwise = this.SUBRULE2(this.expression);
        if (this.RECORDING_PHASE) return;
        result = this.builder.conditional(result, then, otherwise, Math.max(depth, thenDepth, this.builder.depth));
        depth = this.builder.depth;
      });
      this.builder.depth = depth;
      return result;
    },
    this.recoverExpr,
  );

  /** Prefix operators, a primary expression, then attribute/index/splat accesses. */
  private readonly operand = this.RULE(
    'operand',
    (): Expr => {
      let prefixes: IToken[] | undefined;
      this.MANY(() => {
        const t = this.OR((this.alts.prefix ??= [{ ALT: () => this.CONSUME(Bang) }, { ALT: () => this.CONSUME(Minus) }])) as IToken;
        (prefixes ??= []).push(t);
      });
      let expr = this.OR2((this.alts.primary ??= [
        { ALT: () => this.literal(this.CONSUME(NumberLit)) },
        { ALT: () => this.literal(this.CONSUME(True)) },
        { ALT: () => this.literal(this.CONSUME(False)) },
        { ALT: () => this.literal(this.CONSUME(Null)) },
        {
          ALT: () => {
            const id = this.CONSUME(Identifier);
            const args = this.OPTION(() => this.SUBRULE(this.callArgs));
            if (this.RECORDING_PHASE) return RECORDING;
            return args === undefined ? this.builder.variable(id) : this.builder.call(id, args);
          },
        },
        {
          ALT: () => {
            const t = this.CONSUME(SimpleString);
            return this.RECORDING_PHASE ? RECORDING : this.builder.simpleString(t);
          },
        },
        { ALT: () => this.SUBRULE(this.template) },
        { ALT: () => this.SUBRULE(this.heredoc) },
        { ALT: () => this.SUBRULE(this.tuple) },
        { ALT: () => this.SUBRULE(this.object) },
        { ALT: () => this.SUBRULE(this.parens) },
      ])) as Expr;
      this.MANY2(() => {
        const d = this.builder.depth;
        const p = this.SUBRULE(this.postfix);
        if (this.RECORDING_PHASE) return;
        if (p === undefined) this.builder.depth = d;
        else expr = isToken(p) ? this.builder.attrAccess(expr, d, p) : this.builder.index(expr, d, p.open, p.key, p.keyDepth, p.close);
      });
      if (prefixes !== undefined && !this.RECORDING_PHASE) expr = this.builder.prefixed(prefixes, expr, this.builder.depth);
      return expr;
    },
    this.recoverExpr,
  );

  private literal(t: IToken): Expr {
    return this.RECORDING_PHASE ? RECORDING : this.builder.literal(t);
  }

  /** `.name`, `.0`, `.*` (the name token), `[*]` or `[expr]` (the index; `key` undefined for `*`). */
  private readonly postfix = this.RULE('postfix', (): IToken | IndexPostfix | undefined =>
    this.OR((this.alts.postfix ??= [
      {
        ALT: () => {
          this.CONSUME(Dot);
          return this.OR2((this.alts.attrName ??= [
            { ALT: () => this.CONSUME(Identifier) },
            { ALT: () => this.CONSUME(NumberLit) },
            { ALT: () => this.CONSUME(Star) },
            { ALT: () => this.CONSUME(True) },
            { ALT: () => this.CONSUME(False) },
            { ALT: () => this.CONSUME(Null) },
          ]));
        },
      },
      {
        ALT: () => {
          const open = this.CONSUME(LBracket);
          const key = this.OR3((this.alts.index ??= [
            {
              ALT: () => {
                this.CONSUME2(Star);
                return undefined;
              },
            },
            { ALT: () => this.SUBRULE(this.expression) },
          ])) as Expr | undefined;
          const keyDepth = this.builder.depth;
          const close = this.CONSUME(RBracket);
          return { open, key, keyDepth, close };
        },
      },
    ])) as IToken | IndexPostfix,
  );

  private readonly callArgs = this.RULE(
    'callArgs',
    (): CallArgs => {
      const open = this.CONSUME(LParen);
      const args: Expr[] = [];
      let depth = 0;
      let expandFinal = false;
      this.OPTION(() => {
        args.push(this.SUBRULE(this.expression));
        depth = this.builder.depth;
        this.MANY(() => {
          this.CONSUME(Comma);
          args.push(this.SUBRULE2(this.expression));
          depth = Math.max(depth, this.builder.depth);
        });
        this.OPTION2(() => {
          this.CONSUME(Ellipsis);
          expandFinal = true;
        });
        this.OPTION3(() => this.CONSUME2(Comma));
      });
      const close = this.CONSUME(RParen);
      return { open, args, depth, expandFinal, close };
    },
    { recoveryValueFunc: (): CallArgs => ({ open: this.LA(0), args: [], depth: 0, expandFinal: false, close: this.LA(0) }) },
  );

  private readonly parens = this.RULE(
    'parens',
    (): Expr => {
      const open = this.CONSUME(LParen);
      const inner = this.SUBRULE(this.expression);
      const depth = this.builder.depth;
      const close = this.CONSUME(RParen);
      return this.RECORDING_PHASE ? RECORDING : this.builder.parens(open, inner, depth, close);
    },
    this.recoverExpr,
  );

  /** A quoted string: text, `${...}` interpolations and `%{...}` directives. */
  private readonly template = this.RULE(
    'template',
    (): TemplateExpr => {
      const open = this.CONSUME(StringStart);
      const body = this.stringBody((this.alts.templateParts ??= this.stringAlts(TemplateText)));
      const close = this.CONSUME(StringEnd);
      return this.RECORDING_PHASE ? RECORDING : this.builder.template(open, body.pieces, close, body.depth);
    },
    { recoveryValueFunc: (): TemplateExpr => this.builder.template(this.LA(0), [], this.LA(0), 0) },
  );

  private readonly heredoc = this.RULE(
    'heredoc',
    (): Expr => {
      const open = this.CONSUME(HeredocStart);
      const body = this.stringBody((this.alts.heredocParts ??= this.stringAlts(HeredocText)));
      const close = this.CONSUME(HeredocEnd);
      return this.RECORDING_PHASE ? RECORDING : this.builder.heredoc(open, body.pieces, close, body.depth);
    },
    this.recoverExpr,
  );

  /** The pieces of a string's or a heredoc's body whose text tokens are `text`. */
  private stringAlts(text: TokenType): IOrAlt<unknown>[] {
    return [{ ALT: () => this.CONSUME(text) }, { ALT: () => this.SUBRULE(this.interpolation) }, { ALT: () => this.SUBRULE(this.directive) }];
  }

  /**
   * The body of a string or heredoc (for the rule calling it): its pieces in source order - text
   * tokens really in the source, interpolations, directives - and the deepest expression's depth.
   */
  private stringBody(alts: IOrAlt<unknown>[]): { pieces: StringPiece[]; depth: number } {
    const pieces: StringPiece[] = [];
    let depth = 0;
    this.MANY(() => {
      const piece = this.OR(alts) as StringPiece | undefined;
      if (this.RECORDING_PHASE || piece === undefined) return;
      if (isToken(piece)) {
        if (real(piece)) pieces.push(piece);
      } else {
        pieces.push(piece);
        depth = Math.max(depth, this.builder.depth);
      }
    });
    return { pieces, depth };
  }

  /**
   * `%{ if cond }`, `%{ for k, v in coll }`, `%{ else }`, `%{ endif }`, `%{ endfor }`: the directive,
   * and the depth of its expression left in the builder. The builder pairs them up.
   */
  private readonly directive = this.RULE('directive', (): Directive | undefined => {
    const open = this.CONSUME(DirectiveStart);
    let depth = 0;
    const inside = this.OR((this.alts.directive ??= [
      {
        ALT: () => {
          this.CONSUME(If);
          const condition = this.SUBRULE(this.expression);
          return { kind: 'if', condition };
        },
      },
      {
        ALT: () => {
          this.CONSUME(For);
          const names = [this.CONSUME(Identifier)];
          this.OPTION(() => {
            this.CONSUME(Comma);
            names.push(this.CONSUME2(Identifier));
          });
          this.CONSUME(In);
          const collection = this.SUBRULE2(this.expression);
          return this.RECORDING_PHASE ? RECORDING : { kind: 'for', intro: this.builder.forIntro(names, collection, this.builder.depth) };
        },
      },
      { ALT: () => ({ kind: 'word', word: this.CONSUME3(Identifier) }) },
    ])) as DirectiveInside | undefined;
    if (!this.RECORDING_PHASE && inside !== undefined && inside.kind !== 'word') depth = this.builder.depth;
    const close = this.CONSUME(RCurly);
    if (this.RECORDING_PHASE) return RECORDING;
    const directive = this.builder.directive(open, inside, close);
    this.builder.depth = depth;
    return directive;
  });

  /** `${ expr }`: the part, and the expression's depth left in the builder. */
  private readonly interpolation = this.RULE('interpolation', (): Interpolation | undefined => {
    const open = this.CONSUME(InterpStart);
    const expr = this.SUBRULE(this.expression);
    const depth = this.builder.depth;
    const close = this.CONSUME(RCurly);
    if (this.RECORDING_PHASE) return RECORDING;
    const part = this.builder.interpolation(open, expr, close);
    this.builder.depth = depth;
    return part;
  });

  /** `[a, b,]` or `[for ...]`. */
  private readonly tuple = this.RULE(
    'tuple',
    (): Expr => {
      const open = this.CONSUME(LBracket);
      const inside = this.OR((this.alts.tuple ??= [
        {
          ALT: (): ForTupleInside => {
            const intro = this.SUBRULE(this.forIntro);
            const value = this.SUBRULE(this.expression);
            let depth = this.builder.depth;
            const condition = this.OPTION(() => {
              this.CONSUME(If);
              const c = this.SUBRULE2(this.expression);
              depth = Math.max(depth, this.builder.depth);
              return c;
            });
            return { intro, value, condition, depth };
          },
        },
        {
          ALT: (): TupleInside => {
            const items: Expr[] = [];
            let depth = 0;
            this.OPTION2(() => {
              items.push(this.SUBRULE3(this.expression));
              depth = this.builder.depth;
              this.MANY(() => {
                this.CONSUME(Comma);
                items.push(this.SUBRULE4(this.expression));
                depth = Math.max(depth, this.builder.depth);
              });
              this.OPTION3(() => this.CONSUME2(Comma));
            });
            return { items, depth };
          },
        },
      ])) as ForTupleInside | TupleInside;
      const close = this.CONSUME(RBracket);
      if (this.RECORDING_PHASE) return RECORDING;
      if ('items' in inside) return this.builder.tuple(open, inside.items, close, inside.depth);
      return this.builder.forTuple(open, inside.intro, inside.value, inside.condition, close, inside.depth);
    },
    this.recoverExpr,
  );

  /** `{ k = v, ... }` or `{ for ... : k => v }`. */
  private readonly object = this.RULE(
    'object',
    (): Expr => {
      const open = this.CONSUME(LCurly);
      const inside = this.OR((this.alts.object ??= [
        {
          ALT: (): ForObjectInside => {
            const intro = this.SUBRULE(this.forIntro);
            const key = this.SUBRULE(this.expression);
            let depth = this.builder.depth;
            this.CONSUME(FatArrow);
            const value = this.SUBRULE2(this.expression);
            depth = Math.max(depth, this.builder.depth);
            const grouping = this.OPTION(() => this.CONSUME(Ellipsis)) !== undefined;
            const condition = this.OPTION2(() => {
              this.CONSUME(If);
              const c = this.SUBRULE3(this.expression);
              depth = Math.max(depth, this.builder.depth);
              return c;
            });
            return { intro, key, value, grouping, condition, depth };
          },
        },
        { ALT: () => this.SUBRULE(this.objectItems) },
      ])) as ForObjectInside | ObjectInside;
      const close = this.CONSUME(RCurly);
      if (this.RECORDING_PHASE) return RECORDING;
      if ('items' in inside) return this.builder.object(open, inside.items, close, inside.depth);
      return this.builder.forObject(open, inside.intro, inside.key, inside.value, inside.grouping, inside.condition, close, inside.depth);
    },
    this.recoverExpr,
  );

  /**
   * Items, commas and newlines in any order: a missing or doubled separator is reported by the
   * builder, so that it costs one diagnostic rather than a recovery through the object.
   */
  private readonly objectItems = this.RULE(
    'objectItems',
    (): ObjectInside => {
      const items: ObjectItem[] = [];
      let depth = 0;
      let previous: 'start' | 'item' | 'comma' | 'newline' = 'start';
      this.MANY(() => {
        const thing = this.OR((this.alts.objectItems ??= [
          { ALT: () => this.CONSUME(Newline) },
          { ALT: () => this.CONSUME(Comma) },
          { ALT: () => this.SUBRULE(this.objectItem) },
        ])) as IToken | ObjectItem | undefined;
        if (this.RECORDING_PHASE || thing === undefined) return;
        if (!isToken(thing)) {
          if (previous === 'item') this.builder.missingSeparator(thing);
          previous = 'item';
          items.push(thing);
          depth = Math.max(depth, this.builder.depth);
        } else if (thing.tokenType === Comma) {
          if (previous !== 'item') this.builder.strayComma(thing);
          previous = 'comma';
        } else if (previous !== 'comma') {
          previous = 'newline';
        }
      });
      return { items, depth };
    },
    { recoveryValueFunc: (): ObjectInside => ({ items: [], depth: 0 }) },
  );

  /** `key = value` or `key: value`; the deeper side's depth is left in the builder. */
  private readonly objectItem = this.RULE('objectItem', (): ObjectItem | undefined => {
    const key = this.SUBRULE(this.expression);
    const keyDepth = this.builder.depth;
    this.OR((this.alts.objectItem ??= [{ ALT: () => this.CONSUME(Equals) }, { ALT: () => this.CONSUME(Colon) }]));
    const value = this.SUBRULE2(this.expression);
    if (this.RECORDING_PHASE) return RECORDING;
    const depth = Math.max(keyDepth, this.builder.depth);
    const item = this.builder.objectItem(key, value);
    this.builder.depth = depth;
    return item;
  });

  /** `for k, v in coll :` */
  private readonly forIntro = this.RULE(
    'forIntro',
    (): ForIntro => {
      this.CONSUME(For);
      const names = [this.CONSUME(Identifier)];
      this.OPTION(() => {
        this.CONSUME(Comma);
        names.push(this.CONSUME2(Identifier));
      });
      this.CONSUME(In);
      const collection = this.SUBRULE(this.expression);
      const depth = this.builder.depth;
      this.CONSUME(Colon);
      return this.RECORDING_PHASE ? RECORDING : this.builder.forIntro(names, collection, depth);
    },
    { recoveryValueFunc: (): ForIntro => ({ valueVar: '_', collection: this.recovered(), depth: 1 }) },
  );
}

/** What a `[...]` index postfix holds. */
interface IndexPostfix {
  readonly open: IToken;
  readonly key: Expr | undefined;
  readonly keyDepth: number;
  readonly close: IToken;
}
interface TupleInside {
  readonly items: Expr[];
  readonly depth: number;
}
interface ForTupleInside {
  readonly intro: ForIntro;
  readonly value: Expr;
  readonly condition: Expr | undefined;
  readonly depth: number;
}
interface ObjectInside {
  readonly items: ObjectItem[];
  readonly depth: number;
}
interface ForObjectInside {
  readonly intro: ForIntro;
  readonly key: Expr;
  readonly value: Expr;
  readonly grouping: boolean;
  readonly condition: Expr | undefined;
  readonly depth: number;
}

function isToken(x: unknown): x is IToken {
  return typeof x === 'object' && x !== null && 'tokenType' in x;
}

let parser: InfraParser | undefined;

/** The one parser instance (self-analysis is costly; chevrotain parsers are reusable). */
export function infraParser(): InfraParser {
  parser ??= new InfraParser();
  return parser;
}
