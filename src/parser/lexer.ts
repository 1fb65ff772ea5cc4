/**
 * The scanner: source text to chevrotain tokens, a character at a time. It reads exactly what the
 * chevrotain lexer defined in `tokens.ts` reads - same token types, images, offsets, comments and
 * invalid-character errors (a test compares the two on thousands of random inputs) - but it
 * dispatches on the character instead of trying patterns, and it can stop and go on (`Scanner`),
 * so the structure pass scans as far as it needs and a big file's tokens never all exist at once.
 *
 * Modes as in `tokens.ts`: `main` (expressions and bodies; `{` pushes it and `}` pops it, so the
 * `}` of a `${` or `%{` returns to the string or heredoc), `template` (inside a quoted string; a
 * raw newline ends it) and `heredoc` (up to the line holding only the innermost open marker).
 */
import type { IToken, TokenType } from 'chevrotain';
import {
  AndAnd,
  Bang,
  BlockComment,
  Colon,
  Comma,
  DirectiveStart,
  Dot,
  Ellipsis,
  EqEq,
  Equals,
  False,
  FatArrow,
  For,
  Gt,
  GtEq,
  HeredocEnd,
  HeredocStart,
  HeredocText,
  Identifier,
  If,
  In,
  InterpStart,
  LBracket,
  LCurly,
  LineComment,
  LParen,
  Lt,
  LtEq,
  Minus,
  Newline,
  NotEq,
  Null,
  NumberLit,
  OrOr,
  Percent,
  Plus,
  Question,
  RBracket,
  RCurly,
  RParen,
  SimpleString,
  Slash,
  Star,
  StringEnd,
  StringStart,
  TemplateNewline,
  TemplateText,
  True,
  UnterminatedBlockComment,
  heredocMarker,
} from './tokens.js';

/** What the scanner read: tokens for the parser, comments for the formatter, invalid characters. */
export interface Scanned {
  readonly tokens: IToken[];
  readonly comments: IToken[];
  /** Runs of characters no token starts with. */
  readonly errors: { offset: number; length: number }[];
}

/** The lexer modes. */
type Mode = 0 | 1 | 2;
const MAIN: Mode = 0;
const TEMPLATE: Mode = 1;
const HEREDOC: Mode = 2;
/** What a token does to the mode stack: nothing, pop, or push one of the modes above. */
const NONE = -1;
const POP = -2;

// The patterns that are more than a character or a run of one class, as in `tokens.ts` (sticky).
// The string and heredoc patterns of `tokens.ts` are scanned by hand below (`simpleStringEnd`,
// `templateTextEnd`, `heredocTextEnd`): a regular expression's alternation inside `*` takes a
// backtracking frame per character in V8, so a string of a few MB overflowed the stack.
const HEREDOC_START = /<<-?[A-Za-z_][A-Za-z0-9_-]*[ \t]*\r?\n/y;
const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The keyword a name is, if it is one (`for`, `in` and `if` are names too, by category). */
function keyword(image: string): TokenType {
  switch (image.length) {
    case 2:
      return image === 'in' ? In : image === 'if' ? If : Identifier;
    case 3:
      return image === 'for' ? For : Identifier;
    case 4:
      return image === 'true' ? True : image === 'null' ? Null : Identifier;
    case 5:
      return image === 'false' ? False : Identifier;
    default:
      return Identifier;
  }
}

/** Token types of the one-character tokens that need no look at the next character. */
const SINGLE: (TokenType | undefined)[] = [];
for (const [ch, type] of [
  ['[', LBracket],
  [']', RBracket],
  ['(', LParen],
  [')', RParen],
  [',', Comma],
  [':', Colon],
  ['?', Question],
  ['%', Percent],
  ['*', Star],
  ['+', Plus],
  ['-', Minus],
] as const) {
  SINGLE[ch.charCodeAt(0)] = type;
}

function isWhitespace(c: number): boolean {
  // [ \t\r\f\v\uFEFF]
  return c === 32 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0xfeff;
}
function isIdentifierStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

const ID_START = /^\p{ID_Start}$/u;
const ID_CONTINUE = /^\p{ID_Continue}$/u;

/**
 * The length (1 or 2 code units) of the non-ASCII identifier character at `i`, 0 if there is
 * none: HCL's identifiers are Unicode `ID_Start` then `ID_Continue` or `-` (`π`, `naïve`).
 */
function unicodeIdentifierChar(text: string, i: number, start: boolean): number {
  const cp = text.codePointAt(i);
  if (cp === undefined || cp < 0x80) return 0;
  const ch = String.fromCodePoint(cp);
  return (start ? ID_START : ID_CONTINUE).test(ch) ? ch.length : 0;
}

/** The end of the identifier whose first character ends at `j`. */
function identifierEnd(text: string, j: number): number {
  const length = text.length;
  for (;;) {
    if (j >= length) return j;
    const c = text.charCodeAt(j);
    if (isIdentifierPart(c)) j++;
    else if (c >= 0x80) {
      const n = unicodeIdentifierChar(text, j, false);
      if (n === 0) return j;
      j += n;
    } else return j;
  }
}
function isIdentifierPart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Whether some token of the main mode starts at `i` (where the scanner resumes after garbage). */
function mainTokenStartsAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (isWhitespace(c) || isIdentifierStart(c) || isDigit(c) || SINGLE[c] !== undefined || unicodeIdentifierChar(text, i, true) > 0) return true;
  switch (c) {
    case 10: // \n
    case 35: // #
    case 47: // /
    case 60: // <
    case 34: // "
    case 123: // {
    case 125: // }
    case 46: // .
    case 61: // =
    case 33: // !
    case 62: // >
      return true;
    case 38: // &
      return text.charCodeAt(i + 1) === 38;
    case 126: // ~
      return text.charCodeAt(i + 1) === 125;
    case 124: // |
      return text.charCodeAt(i + 1) === 124;
    default:
      return false;
  }
}

/** A token, shaped as chevrotain's lexer makes them with `positionTracking: 'onlyOffset'` (one shape for all). */
export function token(image: string, startOffset: number, tokenType: TokenType): IToken {
  return { image, startOffset, tokenTypeIdx: tokenType.tokenTypeIdx as number, tokenType } as IToken;
}

/** Scans the whole of `text` from offset `start` (a fresh start: main mode, no open heredoc). */
export function scan(text: string, start = 0): Scanned {
  const scanner = new Scanner(text, start);
  const tokens: IToken[] = [];
  scanner.fill(tokens, Infinity);
  return { tokens, comments: scanner.comments, errors: scanner.errors };
}

/**
 * A scan in steps: `fill` appends the next tokens to an array, so a file's tokens need not all
 * exist at once (the structure pass and the parser take a file a piece at a time).
 */
export class Scanner {
  readonly comments: IToken[] = [];
  readonly errors: { offset: number; length: number }[] = [];
  private readonly modes: Mode[] = [MAIN];
  private readonly markers: string[] = [];
  private offset: number;

  /** Scans `text` from offset `start` (a fresh start: main mode, no open heredoc). */
  constructor(
    private readonly text: string,
    start = 0,
  ) {
    this.offset = start;
  }

  /** Whether the whole text has been scanned. */
  get done(): boolean {
    return this.offset >= this.text.length;
  }

  /** Appends the next `count` tokens to `tokens` (fewer at the end of the text). */
  fill(tokens: IToken[], count: number): void {
    // One loop, no closures (a variable a closure changes lives in a heap context, which makes
    // every use of it slower): each step finds the token at `i` - its end, type and what it does
    // to the mode stack - and the bottom of the loop makes it.
    const { text, comments, errors, modes, markers } = this;
    const target = tokens.length + count;
    const length = text.length;
    let mode = modes[modes.length - 1];
    let i = this.offset;

    while (i < length && tokens.length < target) {
      const c = text.charCodeAt(i);
      let end: number;
      let type: TokenType;
      let change = NONE;

      if (mode === TEMPLATE) {
        if ((c === 36 || c === 37) && text.charCodeAt(i + 1) === 123) {
          end = i + (text.charCodeAt(i + 2) === 126 ? 3 : 2);
          type = c === 36 ? InterpStart : DirectiveStart;
          change = MAIN;
        } else if (c === 34) {
          end = i + 1;
          type = StringEnd;
          change = POP;
        } else if (c === 10) {
          end = i + 1;
          type = TemplateNewline;
          change = POP;
        } else {
          end = templateTextEnd(text, i);
          type = TemplateText;
        }
      } else if (mode === HEREDOC) {
        // Heredoc mode starts after a newline (the start token's), so `i - 1` is always in the text.
        const markerEnd = text.charCodeAt(i - 1) === 10 && markers.length > 0 ? heredocEndAt(text, i, markers[markers.length - 1]) : -1;
        if (markerEnd !== -1) {
          end = markerEnd;
          type = HeredocEnd;
          markers.pop();
          change = POP;
        } else if ((c === 36 || c === 37) && text.charCodeAt(i + 1) === 123) {
          end = i + (text.charCodeAt(i + 2) === 126 ? 3 : 2);
          type = c === 36 ? InterpStart : DirectiveStart;
          change = MAIN;
        } else {
          end = heredocTextEnd(text, i);
          type = HeredocText;
        }
      } else {
        // Main mode.
        const single = SINGLE[c];
        if (single !== undefined) {
          end = i + 1;
          type = single;
        } else if (isWhitespace(c)) {
          let j = i + 1;
          while (j < length && isWhitespace(text.charCodeAt(j))) j++;
          i = j;
          continue;
        } else if (isIdentifierStart(c) || (c >= 0x80 && unicodeIdentifierChar(text, i, true) > 0)) {
          const j = identifierEnd(text, i + (c >= 0x80 ? unicodeIdentifierChar(text, i, true) : 1));
          const image = text.slice(i, j);
          tokens.push(token(image, i, keyword(image)));
          i = j;
          continue;
        } else if (c === 10) {
          end = i + 1;
          type = Newline;
        } else if (c === 34) {
          // "
          end = simpleStringEnd(text, i);
          if (end !== -1) {
            type = SimpleString;
          } else {
            end = i + 1;
            type = StringStart;
            change = TEMPLATE;
          }
        } else if (c === 123) {
          // {
          end = i + 1;
          type = LCurly;
          change = MAIN;
        } else if (c === 125) {
          // }
          end = i + 1;
          type = RCurly;
          change = POP;
        } else if (c === 61) {
          // =
          const next = text.charCodeAt(i + 1);
          end = i + (next === 62 || next === 61 ? 2 : 1);
          type = next === 62 ? FatArrow : next === 61 ? EqEq : Equals;
        } else if (c === 46) {
          // .
          const ellipsis = text.startsWith('...', i);
          end = i + (ellipsis ? 3 : 1);
          type = ellipsis ? Ellipsis : Dot;
        } else if (c === 35 || (c === 47 && (text.charCodeAt(i + 1) === 47 || text.charCodeAt(i + 1) === 42))) {
          // # // /*
          let stop: number;
          let kind: TokenType = LineComment;
          if (c === 47 && text.charCodeAt(i + 1) === 42) {
            const close = text.indexOf('*/', i + 2);
            stop = close === -1 ? length : close + 2;
            kind = close === -1 ? UnterminatedBlockComment : BlockComment;
          } else {
            const newline = text.indexOf('\n', i);
            stop = newline === -1 ? length : newline;
          }
          comments.push(token(text.slice(i, stop), i, kind));
          i = stop;
          continue;
        } else if (c === 47) {
          end = i + 1;
          type = Slash;
        } else if (c === 60) {
          // <
          const heredocEnd = text.charCodeAt(i + 1) === 60 ? sticky(HEREDOC_START, text, i) : -1;
          if (heredocEnd !== -1) {
            end = heredocEnd;
            type = HeredocStart;
            markers.push(heredocMarker(text.slice(i, end)).marker);
            change = HEREDOC;
          } else {
            const eq = text.charCodeAt(i + 1) === 61;
            end = i + (eq ? 2 : 1);
            type = eq ? LtEq : Lt;
          }
        } else if (c === 62 || c === 33) {
          // > !
          const eq = text.charCodeAt(i + 1) === 61;
          end = i + (eq ? 2 : 1);
          type = c === 62 ? (eq ? GtEq : Gt) : eq ? NotEq : Bang;
        } else if (c === 38 && text.charCodeAt(i + 1) === 38) {
          end = i + 2;
          type = AndAnd;
        } else if (c === 126 && text.charCodeAt(i + 1) === 125) {
          // ~}
          end = i + 2;
          type = RCurly;
          change = POP;
        } else if (c === 124 && text.charCodeAt(i + 1) === 124) {
          end = i + 2;
          type = OrOr;
        } else if (isDigit(c)) {
          end = run(NUMBER, text, i);
          type = NumberLit;
        } else {
          // Nothing starts here: skip to where something does.
          let j = i + 1;
          while (j < length && !mainTokenStartsAt(text, j)) j++;
          errors.push({ offset: i, length: j - i });
          i = j;
          continue;
        }
      }

      tokens.push(token(text.slice(i, end), i, type));
      i = end;
      if (change === POP) {
        // Popping the last mode is an error chevrotain ignores; the structure pass reports the `}`.
        if (modes.length > 1) {
          modes.pop();
          mode = modes[modes.length - 1];
        }
      } else if (change !== NONE) {
        modes.push(change as Mode);
        mode = change as Mode;
      }
    }
    this.offset = i;
  }
}

/**
 * Length of the template escape `$${` / `%%{` at `i`, of a lone `$` / `%` (1), or 0 where an
 * interpolation or directive starts (`${`, `%{`). `text[i]` is `$` or `%`.
 */
function dollarOrPercent(text: string, i: number, c: number): number {
  const next = text.charCodeAt(i + 1);
  if (next === c && text.charCodeAt(i + 2) === 123) return 3;
  return next === 123 ? 0 : 1;
}

/**
 * End of the `SimpleString` at `i` (a quoted string without interpolation or directive, on one
 * line), or -1: `/"(?:[^"\\\n$%]|\\[^\n]|\$\$\{|\$(?!\{)|%%\{|%(?!\{))*"/`.
 */
function simpleStringEnd(text: string, i: number): number {
  const length = text.length;
  let j = i + 1;
  while (j < length) {
    const c = text.charCodeAt(j);
    if (c === 34) return j + 1;
    if (c === 10) return -1;
    if (c === 92) {
      if (j + 1 >= length || text.charCodeAt(j + 1) === 10) return -1;
      j += 2;
    } else if (c === 36 || c === 37) {
      const n = dollarOrPercent(text, j, c);
      if (n === 0) return -1;
      j += n;
    } else j++;
  }
  return -1;
}

/**
 * End of the `TemplateText` at `i` (at least one character):
 * `/(?:[^"\\\n$%]|\\[^\n]?|\$\$\{|\$(?!\{)|%%\{|%(?!\{))+/`.
 */
function templateTextEnd(text: string, i: number): number {
  const length = text.length;
  let j = i;
  while (j < length) {
    const c = text.charCodeAt(j);
    if (c === 34 || c === 10) break;
    if (c === 92) j += j + 1 < length && text.charCodeAt(j + 1) !== 10 ? 2 : 1;
    else if (c === 36 || c === 37) {
      const n = dollarOrPercent(text, j, c);
      if (n === 0) break;
      j += n;
    } else j++;
  }
  return Math.max(j, i + 1);
}

/**
 * End of the `HeredocText` at `i`: the rest of a line with its newline, or up to an interpolation
 * or directive; at least one character: `/(?:[^$%\n]|\$\$\{|\$(?!\{)|%%\{|%(?!\{))+\n?|\n/`.
 */
function heredocTextEnd(text: string, i: number): number {
  const length = text.length;
  let j = i;
  while (j < length) {
    const c = text.charCodeAt(j);
    if (c === 10) return j + 1;
    if (c === 36 || c === 37) {
      const n = dollarOrPercent(text, j, c);
      if (n === 0) break;
      j += n;
    } else j++;
  }
  return Math.max(j, i + 1);
}

/** The end of what the sticky `re` matches at `i`, or -1. */
function sticky(re: RegExp, text: string, i: number): number {
  re.lastIndex = i;
  return re.test(text) ? re.lastIndex : -1;
}

/** The end of what `re` matches at `i`; at least one character (the patterns used always match). */
function run(re: RegExp, text: string, i: number): number {
  return Math.max(sticky(re, text, i), i + 1);
}

/** End of a heredoc's end-marker line starting at `i` (indent, marker, then a line end), or -1. */
function heredocEndAt(text: string, i: number, marker: string): number {
  let j = i;
  while (j < text.length && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
  if (!text.startsWith(marker, j)) return -1;
  const after = j + marker.length;
  if (after < text.length && text.charCodeAt(after) !== 10 && !(text.charCodeAt(after) === 13 && text.charCodeAt(after + 1) === 10)) return -1;
  return after;
}
