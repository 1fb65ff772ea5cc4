/**
 * The grammar of the .infra language as a chevrotain `CstParser`. It builds a concrete syntax
 * tree only; `toAst.ts` turns that into the AST. The token stream it reads has been through the
 * structure pass (`structure.ts`): newlines appear only where they end an item, and brackets,
 * strings and heredocs are balanced.
 *
 * Operator precedence is not encoded in rules (one rule per level would cost a CST node per level
 * per operand); `expression` collects a flat operand/operator list and the AST builder applies
 * HCL's precedence.
 */
import { CstParser, EOF, type IOrAlt, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import {
  Bang,
  BinaryOperator,
  Colon,
  Comma,
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
    else if (type === LCurly || type === LBracket || type === LParen || type === InterpStart) depth--;
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

/** The grammar. Build it once (`infraParser()`), then parse by setting `input`. */
export class InfraParser extends CstParser {
  // Alternatives are built once, not on every rule invocation (chevrotain's performance advice;
  // it also spares tsx's `keepNames` wrapper on every `ALT` arrow).
  private readonly alts: Record<string, IOrAlt<unknown>[]> = {};

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

  /** A whole file: a body up to the end of input. */
  public readonly file = this.RULE('file', () => {
    this.MANY(() => {
      this.OR((this.alts.fileItems ??= [{ ALT: () => this.CONSUME(Newline) }, { ALT: () => this.SUBRULE(this.item) }]));
    });
    this.CONSUME(EOF);
  });

  /** One expression and nothing else (`--var name=value`). */
  public readonly expressionOnly = this.RULE('expressionOnly', () => {
    this.MANY(() => this.CONSUME(Newline));
    this.SUBRULE(this.expression);
    this.MANY2(() => this.CONSUME2(Newline));
    this.CONSUME(EOF);
  });

  /**
   * An attribute `name = expr` or a block `type label* { body }` / `type label+`, and the newline
   * that ends it. Labels are inline (no rule of their own): fewer rule calls is speed here.
   */
  private readonly item = this.RULE('item', () => {
    this.CONSUME(Identifier);
    this.OR((this.alts.item ??= [
      {
        ALT: () => {
          this.CONSUME(Equals);
          this.SUBRULE(this.expression);
        },
      },
      { ALT: () => this.SUBRULE(this.blockBody) },
      {
        ALT: () => {
          this.AT_LEAST_ONE(() => {
            this.OR2((this.alts.label ??= [
              { ALT: () => this.CONSUME(SimpleString) },
              { ALT: () => this.SUBRULE(this.template) },
              { ALT: () => this.CONSUME2(Identifier) },
            ]));
          });
          this.OPTION(() => this.SUBRULE2(this.blockBody));
        },
      },
    ]));
    this.CONSUME(Newline);
  });

  private readonly blockBody = this.RULE('blockBody', () => {
    this.CONSUME(LCurly);
    this.MANY(() => {
      this.OR((this.alts.bodyItems ??= [{ ALT: () => this.CONSUME(Newline) }, { ALT: () => this.SUBRULE(this.item) }]));
    });
    this.CONSUME(RCurly);
  });

  /** `operand (op operand)* (? expression : expression)?` - precedence is applied later. */
  public readonly expression = this.RULE('expression', () => {
    this.SUBRULE(this.operand);
    this.MANY(() => {
      this.CONSUME(BinaryOperator);
      this.SUBRULE2(this.operand);
    });
    this.OPTION(() => {
      this.CONSUME(Question);
      this.SUBRULE(this.expression);
      this.CONSUME(Colon);
      this.SUBRULE2(this.expression);
    });
  });

  /** Prefix operators, a primary expression, then attribute/index/splat accesses. */
  private readonly operand = this.RULE('operand', () => {
    this.MANY(() => {
      this.OR((this.alts.prefix ??= [{ ALT: () => this.CONSUME(Bang) }, { ALT: () => this.CONSUME(Minus) }]));
    });
    this.OR2((this.alts.primary ??= [
      { ALT: () => this.CONSUME(NumberLit) },
      { ALT: () => this.CONSUME(True) },
      { ALT: () => this.CONSUME(False) },
      { ALT: () => this.CONSUME(Null) },
      {
        ALT: () => {
          this.CONSUME(Identifier);
          this.OPTION(() => this.SUBRULE(this.callArgs));
        },
      },
      { ALT: () => this.CONSUME(SimpleString) },
      { ALT: () => this.SUBRULE(this.template) },
      { ALT: () => this.SUBRULE(this.heredoc) },
      { ALT: () => this.SUBRULE(this.tuple) },
      { ALT: () => this.SUBRULE(this.object) },
      { ALT: () => this.SUBRULE(this.parens) },
    ]));
    this.MANY2(() => this.SUBRULE(this.postfix));
  });

  /** `.name`, `.0`, `.*`, `[*]` or `[expr]`. */
  private readonly postfix = this.RULE('postfix', () => {
    this.OR((this.alts.postfix ??= [
      {
        ALT: () => {
          this.CONSUME(Dot);
          this.OR2((this.alts.attrName ??= [
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
          this.CONSUME(LBracket);
          this.OR3((this.alts.index ??= [
            { ALT: () => this.CONSUME2(Star) },
            { ALT: () => this.SUBRULE(this.expression) },
          ]));
          this.CONSUME(RBracket);
        },
      },
    ]));
  });

  private readonly callArgs = this.RULE('callArgs', () => {
    this.CONSUME(LParen);
    this.OPTION(() => {
      this.SUBRULE(this.expression);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.expression);
      });
      this.OPTION2(() => this.CONSUME(Ellipsis));
      this.OPTION3(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RParen);
  });

  private readonly parens = this.RULE('parens', () => {
    this.CONSUME(LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(RParen);
  });

  /** A quoted string: text and `${...}` interpolations. */
  private readonly template = this.RULE('template', () => {
    this.CONSUME(StringStart);
    this.MANY(() => {
      this.OR((this.alts.templateParts ??= [{ ALT: () => this.CONSUME(TemplateText) }, { ALT: () => this.SUBRULE(this.interpolation) }]));
    });
    this.CONSUME(StringEnd);
  });

  private readonly heredoc = this.RULE('heredoc', () => {
    this.CONSUME(HeredocStart);
    this.MANY(() => {
      this.OR((this.alts.heredocParts ??= [{ ALT: () => this.CONSUME(HeredocText) }, { ALT: () => this.SUBRULE(this.interpolation) }]));
    });
    this.CONSUME(HeredocEnd);
  });

  private readonly interpolation = this.RULE('interpolation', () => {
    this.CONSUME(InterpStart);
    this.SUBRULE(this.expression);
    this.CONSUME(RCurly);
  });

  /** `[a, b,]` or `[for ...]`. */
  private readonly tuple = this.RULE('tuple', () => {
    this.CONSUME(LBracket);
    this.OR((this.alts.tuple ??= [
      {
        ALT: () => {
          this.SUBRULE(this.forIntro);
          this.SUBRULE(this.expression);
          this.OPTION(() => {
            this.CONSUME(If);
            this.SUBRULE2(this.expression);
          });
        },
      },
      {
        ALT: () => {
          this.OPTION2(() => {
            this.SUBRULE3(this.expression);
            this.MANY(() => {
              this.CONSUME(Comma);
              this.SUBRULE4(this.expression);
            });
            this.OPTION3(() => this.CONSUME2(Comma));
          });
        },
      },
    ]));
    this.CONSUME(RBracket);
  });

  /** `{ k = v, ... }` or `{ for ... : k => v }`. */
  private readonly object = this.RULE('object', () => {
    this.CONSUME(LCurly);
    this.OR((this.alts.object ??= [
      {
        ALT: () => {
          this.SUBRULE(this.forIntro);
          this.SUBRULE(this.expression);
          this.CONSUME(FatArrow);
          this.SUBRULE2(this.expression);
          this.OPTION(() => this.CONSUME(Ellipsis));
          this.OPTION2(() => {
            this.CONSUME(If);
            this.SUBRULE3(this.expression);
          });
        },
      },
      { ALT: () => this.SUBRULE(this.objectItems) },
    ]));
    this.CONSUME(RCurly);
  });

  /**
   * Items, commas and newlines in any order: a missing or doubled separator is reported by the
   * AST builder, so that it costs one diagnostic rather than a recovery through the object.
   */
  private readonly objectItems = this.RULE('objectItems', () => {
    this.MANY(() => {
      this.OR((this.alts.objectItems ??= [
        { ALT: () => this.CONSUME(Newline) },
        { ALT: () => this.CONSUME(Comma) },
        { ALT: () => this.SUBRULE(this.objectItem) },
      ]));
    });
  });

  private readonly objectItem = this.RULE('objectItem', () => {
    this.SUBRULE(this.expression);
    this.OR((this.alts.objectItem ??= [{ ALT: () => this.CONSUME(Equals) }, { ALT: () => this.CONSUME(Colon) }]));
    this.SUBRULE2(this.expression);
  });

  /** `for k, v in coll :` */
  private readonly forIntro = this.RULE('forIntro', () => {
    this.CONSUME(For);
    this.CONSUME(Identifier);
    this.OPTION(() => {
      this.CONSUME(Comma);
      this.CONSUME2(Identifier);
    });
    this.CONSUME(In);
    this.SUBRULE(this.expression);
    this.CONSUME(Colon);
  });
}

let parser: InfraParser | undefined;

/** The one parser instance (self-analysis is costly; chevrotain parsers are reusable). */
export function infraParser(): InfraParser {
  parser ??= new InfraParser();
  return parser;
}
