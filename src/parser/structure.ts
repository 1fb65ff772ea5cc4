/**
 * The pass between lexer and parser. It walks the tokens once with a stack of open brackets,
 * strings and heredocs, and hands the parser a token stream whose structure is sound:
 *
 * - newlines are kept only where they end something (in bodies and objects) and dropped inside
 *   `(...)`, `[...]`, `${...}`, `%{...}` and `{ for ... }`; runs of them collapse to one; a
 *   newline is put before every body/object `}` and at the end, so the grammar can end every item
 *   with one;
 * - unbalanced brackets, unterminated strings, heredocs, interpolations, directives and comments
 *   are reported here, in plain words, and repaired with zero-width tokens so the parser does not
 *   report them again (and again, for every line after them);
 * - nesting deeper than `MAX_NESTING` is reported and cut out before the recursive descent can
 *   overflow the stack.
 */
import { createTokenInstance, tokenMatcher, type IToken, type TokenType } from 'chevrotain';
import { error, type Diagnostic } from '../diagnostics.js';
import type { LineMap } from './positions.js';
import {
  Comma,
  HeredocEnd,
  HeredocStart,
  Identifier,
  InterpStart,
  DirectiveStart,
  LBracket,
  LCurly,
  LParen,
  Newline,
  Null,
  Question,
  RBracket,
  RCurly,
  RParen,
  SimpleString,
  StringEnd,
  StringStart,
  TemplateNewline,
  Equals,
  For,
  True,
  False,
  UnterminatedBlockComment,
  heredocMarker,
} from './tokens.js';
import { Scanner } from './lexer.js';

/** Deepest nesting of brackets, strings and interpolations (and `?:` chains) accepted. */
export const MAX_NESTING = 100;
/** Re-lexing after an unterminated interpolation is linear in the rest of the file: bounded. */
const MAX_RELEX = 16;
/** More "Unclosed" reports at the end of a file than this are noise. */
const MAX_UNCLOSED_AT_END = 10;

type FrameKind = 'file' | '{' | 'for{' | '[' | '(' | 'interp' | 'heredocInterp' | 'string' | 'heredoc';

interface Frame {
  readonly kind: FrameKind;
  readonly open: IToken;
  /** `?` seen in this frame since its last newline or comma (each one recurses once). */
  questions: number;
  /** Length of the output when the frame opened (its opener's index there). */
  readonly outIndex: number;
  /** A block's body (not an object): a comma in it separates items, like a newline. */
  readonly body: boolean;
}

/** What is left once every piece went to the parser: the comments, and what was wrong. */
export interface Structured {
  readonly comments: IToken[];
  readonly diagnostics: Diagnostic[];
}

/** Tokens handed to the parser at once, at least (cut at the next end of a top-level item). */
const PIECE_TOKENS = 4000;
/** Tokens scanned at a time. */
const SCAN_TOKENS = 1024;

/**
 * The lexer's tokens by index, scanned as the pass reaches them; those before a cut are let go.
 * Tokens that live only while their piece is handled are cheap for the garbage collector; a whole
 * big file's tokens alive at once are not.
 */
class Input {
  private scanner: Scanner;
  private tokens: IToken[] = [];
  /** Index of `tokens[0]`. */
  private base = 0;
  /** Comments and errors of scans given up by `restart`, before the offset it restarted at. */
  private keptComments: IToken[] = [];
  private keptErrors: { offset: number; length: number }[] = [];

  constructor(private readonly source: string) {
    this.scanner = new Scanner(source);
  }

  /** The token at index `j`, or undefined past the last one. */
  at(j: number): IToken | undefined {
    const k = j - this.base;
    while (k >= this.tokens.length) {
      if (this.scanner.done) return undefined;
      this.scanner.fill(this.tokens, SCAN_TOKENS);
    }
    return this.tokens[k];
  }

  set(j: number, t: IToken): void {
    this.tokens[j - this.base] = t;
  }

  /** Lets go of the tokens before index `j`. */
  release(j: number): void {
    this.tokens = this.tokens.slice(j - this.base);
    this.base = j;
  }

  /** Replaces the rest of the input by a fresh scan of the source from `offset`; indices restart at 0. */
  restart(offset: number): void {
    this.keptComments = [...this.keptComments, ...this.scanner.comments].filter((c) => c.startOffset < offset);
    this.keptErrors = [...this.keptErrors, ...this.scanner.errors].filter((e) => e.offset < offset);
    this.scanner = new Scanner(this.source, offset);
    this.tokens = [];
    this.base = 0;
  }

  get comments(): IToken[] {
    return [...this.keptComments, ...this.scanner.comments];
  }
  get errors(): { offset: number; length: number }[] {
    return [...this.keptErrors, ...this.scanner.errors];
  }
}

function synthetic(type: TokenType, offset: number, image = ''): IToken {
  return createTokenInstance(type, image, offset, offset + image.length - 1, NaN, NaN, NaN, NaN);
}

/** End offset (exclusive) of a token. */
export function tokenEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}

const CLOSER_IMAGE: Record<FrameKind, string> = {
  file: '',
  '{': '}',
  'for{': '}',
  '[': ']',
  '(': ')',
  interp: '}',
  heredocInterp: '}',
  string: '"',
  heredoc: '',
};

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0) || code === 0xfffd) {
    return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return `"${ch}"`;
}

function invalidCharacter(source: string, lines: LineMap, offset: number, length: number): Diagnostic {
  const ch = String.fromCodePoint(source.codePointAt(offset) ?? 0);
  let detail: string | undefined;
  if (ch === "'") detail = 'Strings are written in double quotes: "text".';
  else if (ch === ';') detail = 'Attributes end at the end of the line; no ";" is needed.';
  else if (ch === '&' || ch === '|') detail = `The logical operators are "&&" and "||".`;
  else if (/\p{S}/u.test(ch)) detail = 'Names are made of letters (any script), digits, "_" and "-".';
  return error(`Invalid character ${describeChar(ch)}`, detail, lines.range(offset, offset + length));
}

/**
 * Whether the tokens from index `j` (read through `at`, undefined past the end) start a line that
 * reads `name =`, `name {` or `name label... {`. Such a line is never part of an expression: a
 * `(` or `[` open before it was left unclosed. The fast path (`descent.ts`) asks the same
 * question, so that it declines exactly where this pass reports.
 */
/** A token that may name an attribute or block: a name, or `null`, `true`, `false` (as in HCL). */
export function isItemName(t: IToken): boolean {
  return tokenMatcher(t, Identifier) || t.tokenType === Null || t.tokenType === True || t.tokenType === False;
}

export function startsBodyItem(at: (j: number) => IToken | undefined, j: number): boolean {
  const first = at(j);
  if (first === undefined || !isItemName(first)) return false;
  let k = j + 1;
  const second = at(k)?.tokenType;
  if (second === Equals || second === LCurly) return true;
  let labels = 0;
  for (let token = at(k); token !== undefined; token = at(k)) {
    const t = token.tokenType;
    if (t === SimpleString) {
      k++;
      labels++;
    } else if (t === StringStart) {
      let u = at(++k);
      while (u !== undefined && u.tokenType !== StringEnd && u.tokenType !== TemplateNewline && u.tokenType !== InterpStart && u.tokenType !== DirectiveStart) u = at(++k);
      if (u === undefined || u.tokenType !== StringEnd) return false;
      k++;
      labels++;
    } else if (tokenMatcher(token, Identifier)) {
      k++;
      labels++;
    } else {
      return labels > 0 && t === LCurly;
    }
  }
  return false;
}

/**
 * Lexes `source` and runs the structure pass over the tokens (see the module comment), handing
 * the repaired stream to `onPiece` a piece at a time: each piece ends with the newline that ends
 * a top-level item, and has at least `pieceTokens` tokens (but the last).
 */
export function lexAndStructure(
  source: string,
  lines: LineMap,
  onPiece: (tokens: IToken[]) => void,
  pieceTokens = PIECE_TOKENS,
): Structured {
  const diagnostics: Diagnostic[] = [];
  const input = new Input(source);
  let out: IToken[] = [];
  // The file itself is the bottom frame: newline-sensitive and never closed.
  const stack: Frame[] = [{ kind: 'file', open: synthetic(Newline, 0), questions: 0, outIndex: 0, body: false }];
  let questions = 0;
  let relexes = 0;
  let lastRealEnd = 0;

  const top = (): Frame => stack[stack.length - 1];
  const last = (): IToken | undefined => out[out.length - 1];
  const opened = (f: Frame): string => {
    const p = lines.pos(f.open.startOffset);
    return `${p.line}:${p.column}`;
  };

  let i = 0;
  let handedOver = false;
  const pushNewline = (t: IToken): void => {
    const prev = last();
    if (prev === undefined || prev.tokenType === Newline) return;
    out.push(t);
    if (stack.length === 1 && out.length >= pieceTokens) {
      // The end of a top-level item, and enough for a piece: nothing before it is needed again.
      onPiece(out);
      handedOver = true;
      out = [];
      input.release(i);
    }
  };

  const pop = (): Frame => {
    const f = stack.pop() as Frame;
    questions -= f.questions;
    return f;
  };

  /** Emits the closer of the top frame (zero width at `offset`) and pops it. */
  const closeTop = (offset: number): void => {
    const f = pop();
    switch (f.kind) {
      case '{':
        if (last()?.tokenType !== Newline && last()?.tokenType !== LCurly) out.push(synthetic(Newline, offset));
        out.push(synthetic(RCurly, offset));
        break;
      case 'for{':
      case 'interp':
      case 'heredocInterp':
        out.push(synthetic(RCurly, offset));
        break;
      case '[':
        out.push(synthetic(RBracket, offset));
        break;
      case '(':
        out.push(synthetic(RParen, offset));
        break;
      case 'string':
        out.push(synthetic(StringEnd, offset));
        break;
      case 'heredoc':
        out.push(synthetic(HeredocEnd, offset));
        break;
      case 'file':
        break;
    }
  };

  const reportUnclosed = (f: Frame, at: number): void => {
    const range = lines.range(at, at);
    switch (f.kind) {
      case 'string':
        diagnostics.push(
          error('Unterminated string', 'A string must end with " on the line where it starts.', lines.range(f.open.startOffset, at)),
        );
        break;
      case 'heredoc': {
        const { marker } = heredocMarker(f.open.image);
        diagnostics.push(
          error(
            'Unterminated heredoc',
            `The heredoc starting here has no line holding only its end marker "${marker}".`,
            lines.range(f.open.startOffset, tokenEnd(f.open) - 1),
          ),
        );
        break;
      }
      case 'interp':
      case 'heredocInterp':
        diagnostics.push(
          f.open.tokenType === DirectiveStart
            ? error('Unterminated template directive', 'A directive "%{" must be closed with "}".', lines.range(f.open.startOffset, Math.max(at, tokenEnd(f.open))))
            : error('Unterminated interpolation', 'An interpolation "${" must be closed with "}".', lines.range(f.open.startOffset, Math.max(at, tokenEnd(f.open)))),
        );
        break;
      default:
        diagnostics.push(error(`Unclosed "${f.open.image}" opened at ${opened(f)}`, `Expected "${CLOSER_IMAGE[f.kind]}".`, range));
    }
  };

  /** Index of the frame a closer of `type` closes, or -1; never reaches across a string. */
  const findOpener = (type: TokenType): number => {
    for (let k = stack.length - 1; k >= 0; k--) {
      const kind = stack[k].kind;
      if (type === RCurly && (kind === '{' || kind === 'for{' || kind === 'interp' || kind === 'heredocInterp')) return k;
      if (type === RBracket && kind === '[') return k;
      if (type === RParen && kind === '(') return k;
      if (kind === 'interp' || kind === 'heredocInterp' || kind === 'string' || kind === 'heredoc' || kind === 'file') return -1;
    }
    return -1;
  };

  const isForObject = (i: number): boolean => {
    let j = i + 1;
    while (input.at(j)?.tokenType === Newline) j++;
    const t = input.at(j);
    const next = input.at(j + 1);
    return t !== undefined && next !== undefined && t.tokenType === For && tokenMatcher(next, Identifier);
  };

  /** Replaces a too-deep construct opened at `i` by an empty one; returns the index after it. */
  const cutTooDeep = (i: number): number => {
    const open = input.at(i) as IToken;
    diagnostics.push(
      error(
        'Nesting too deep',
        `Brackets, braces, strings and interpolations may be nested at most ${MAX_NESTING} levels deep.`,
        lines.range(open.startOffset, tokenEnd(open)),
      ),
    );
    let depth = 0;
    let j = i;
    for (let token = input.at(j); token !== undefined; token = input.at(++j)) {
      const t = token.tokenType;
      if (t === LCurly || t === LBracket || t === LParen || t === InterpStart || t === DirectiveStart || t === StringStart || t === HeredocStart) depth++;
      else if (t === RCurly || t === RBracket || t === RParen || t === StringEnd || t === TemplateNewline || t === HeredocEnd) depth--;
      if (depth === 0) break;
    }
    const at = open.startOffset;
    const t = open.tokenType;
    if (t === LParen) out.push(synthetic(LParen, at), synthetic(Null, at), synthetic(RParen, at));
    else if (t === LBracket) out.push(synthetic(LBracket, at), synthetic(RBracket, at));
    else if (t === LCurly) out.push(synthetic(LCurly, at), synthetic(RCurly, at));
    else if (t === InterpStart || t === DirectiveStart) out.push(synthetic(InterpStart, at), synthetic(Null, at), synthetic(RCurly, at));
    else if (t === StringStart) out.push(synthetic(StringStart, at), synthetic(StringEnd, at));
    else out.push(synthetic(HeredocStart, at, open.image), synthetic(HeredocEnd, at));
    const closer = input.at(j);
    lastRealEnd = closer !== undefined ? tokenEnd(closer) : source.length;
    return j + 1;
  };

  /** Drops tokens up to (not including) the next newline, comma or closer of this frame. */
  const skipRestOfOperand = (i: number): number => {
    let depth = 0;
    let j = i;
    for (let token = input.at(j); token !== undefined; token = input.at(++j)) {
      const t = token.tokenType;
      if (t === LCurly || t === LBracket || t === LParen || t === InterpStart || t === DirectiveStart || t === StringStart || t === HeredocStart) depth++;
      else if (t === RCurly || t === RBracket || t === RParen || t === StringEnd || t === TemplateNewline || t === HeredocEnd) {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (t === Newline || t === Comma)) break;
    }
    return j;
  };

  /**
   * Whether the interpolation open at the newline `i` is closed by a `}` on a later line and its
   * string then ends properly (`"${\n  x\n}"`, legal if unusual) rather than at a line end.
   */
  const closesOnALaterLine = (i: number): boolean => {
    let depth = 0;
    let j = i + 1;
    for (let t = input.at(j); t !== undefined; t = input.at(++j)) {
      const type = t.tokenType;
      if (type === LCurly || type === InterpStart || type === DirectiveStart) depth++;
      else if (type === RCurly && depth-- === 0) break;
      else if (type === TemplateNewline) return false;
    }
    for (let t = input.at(++j); t !== undefined; t = input.at(++j)) {
      const type = t.tokenType;
      if (type === StringEnd) return true;
      if (type === TemplateNewline) return false;
    }
    return false;
  };

  /** Replaces the rest of the input by a fresh lexing of the source from `offset` (at index 0). */
  const relexFrom = (offset: number): void => {
    input.restart(offset);
    i = 0;
  };

  const pushFrame = (kind: FrameKind, t: IToken): void => {
    // `type label {` at the level of a body opens a block's body; `= {`, `: {`, `( {` an object.
    const prev = last();
    const enclosing = stack[stack.length - 1];
    const body =
      kind === '{' &&
      prev !== undefined &&
      (enclosing.kind === 'file' || enclosing.body === true) &&
      (isItemName(prev) || prev.tokenType === SimpleString || prev.tokenType === StringEnd);
    stack.push({ kind, open: t, questions: 0, outIndex: out.length, body });
    out.push(t);
  };

  for (let t = input.at(i); t !== undefined; t = input.at(i)) {
    const type = t.tokenType;
    const f = top();

    if (type === Newline) {
      questions -= f.questions;
      f.questions = 0;
      if (f.kind === 'interp' && closesOnALaterLine(i)) {
        i++;
        continue;
      }
      if (f.kind === 'interp') {
        // An interpolation left open in a quoted string: end it here, so that the rest of the
        // file is not taken for part of the string.
        reportUnclosed(f, t.startOffset);
        pop();
        const string = top();
        if (string.kind === 'string') {
          // The parser gets an empty string instead: what the interpolation holds up to here is
          // garbage to it, and its recovery from garbage inside a string goes astray.
          pop();
          out.length = string.outIndex;
          out.push(string.open, synthetic(StringEnd, t.startOffset));
        } else {
          out.push(synthetic(RCurly, t.startOffset));
        }
        if (relexes < MAX_RELEX) {
          // The lexer is still inside the string's modes; lex the rest again from a clean state.
          relexes++;
          relexFrom(t.startOffset);
        }
        continue;
      }
      if (f.kind === '[' || f.kind === '(' || f.kind === 'for{') {
        if (startsBodyItem((j) => input.at(j), i + 1)) {
          while (top().kind === '[' || top().kind === '(' || top().kind === 'for{') {
            reportUnclosed(top(), lastRealEnd);
            closeTop(lastRealEnd);
          }
          continue;
        }
        i++;
        continue;
      }
      if (f.kind === 'heredocInterp') {
        const heredoc = stack[stack.length - 2];
        const lineEnd = source.indexOf('\n', t.startOffset + 1);
        const nextLine = source.slice(t.startOffset + 1, lineEnd === -1 ? source.length : lineEnd).trim();
        if (heredoc?.kind === 'heredoc' && nextLine === heredocMarker(heredoc.open.image).marker) {
          // The heredoc's end marker right after an open interpolation: the `}` is missing.
          reportUnclosed(f, t.startOffset);
          pop();
          pop();
          out.length = heredoc.outIndex;
          const markerEnd = lineEnd === -1 ? source.length : lineEnd;
          out.push(heredoc.open, synthetic(HeredocEnd, markerEnd));
          if (relexes < MAX_RELEX) {
            relexes++;
            relexFrom(markerEnd);
          } else {
            i++;
          }
          continue;
        }
        i++;
        continue;
      }
      pushNewline(t);
      i++;
      continue;
    }

    if (type === TemplateNewline) {
      if (f.kind === 'string') {
        // Inside an interpolation the interpolation is reported instead (next token).
        if (stack[stack.length - 2]?.kind !== 'interp') reportUnclosed(f, t.startOffset);
        closeTop(t.startOffset);
      }
      input.set(i, synthetic(Newline, t.startOffset, '\n'));
      continue;
    }

    const prevRealEnd = lastRealEnd;
    lastRealEnd = tokenEnd(t);

    const opens =
      type === LCurly ||
      type === LBracket ||
      type === LParen ||
      type === InterpStart ||
      type === DirectiveStart ||
      type === StringStart ||
      type === HeredocStart;
    if (opens && stack.length - 1 + questions >= MAX_NESTING) {
      i = cutTooDeep(i);
      continue;
    }

    if (type === LCurly) pushFrame(isForObject(i) ? 'for{' : '{', t);
    else if (type === LBracket) pushFrame('[', t);
    else if (type === LParen) pushFrame('(', t);
    else if (type === StringStart) pushFrame('string', t);
    else if (type === HeredocStart) pushFrame('heredoc', t);
    else if (type === InterpStart || type === DirectiveStart) pushFrame(f.kind === 'string' ? 'interp' : 'heredocInterp', t);
    else if (type === RCurly || type === RBracket || type === RParen) {
      const k = findOpener(type);
      const wanted = CLOSER_IMAGE[f.kind];
      if (k === -1 && (f.kind === '[' || f.kind === '(' || f.kind === 'for{')) {
        // `[1, 2)`: the wrong closer for the innermost bracket; take it as the right one.
        diagnostics.push(
          error(`Expected "${wanted}", found "${t.image}"`, `To close the "${f.open.image}" opened at ${opened(f)}.`, lines.range(t.startOffset, tokenEnd(t))),
        );
        closeTop(t.startOffset);
      } else if (k === -1) {
        diagnostics.push(
          error(`Unexpected "${t.image}"`, `There is no open "${type === RCurly ? '{' : type === RBracket ? '[' : '('}" for it to close.`, lines.range(t.startOffset, tokenEnd(t))),
        );
      } else {
        while (stack.length - 1 > k) {
          reportUnclosed(top(), prevRealEnd);
          closeTop(t.startOffset);
        }
        const closing = pop();
        if (t.image === '~}' && closing.kind !== 'interp' && closing.kind !== 'heredocInterp') {
          diagnostics.push(
            error('Unexpected "~"', 'A "~" strip marker belongs at the end of an interpolation or a template directive only: "${ x ~}".', lines.range(t.startOffset, t.startOffset + 1)),
          );
        }
        if (closing.kind === '{' && last()?.tokenType !== Newline && last()?.tokenType !== LCurly) {
          out.push(synthetic(Newline, t.startOffset));
        }
        out.push(t);
      }
    } else if (type === StringEnd) {
      if (f.kind === 'string') {
        pop();
        out.push(t);
      }
    } else if (type === HeredocEnd) {
      if (f.kind === 'heredoc') {
        pop();
        out.push(t);
      }
    } else if (type === Question) {
      f.questions++;
      questions++;
      out.push(t);
      if (stack.length - 1 + questions >= MAX_NESTING) {
        diagnostics.push(
          error('Nesting too deep', `Conditional expressions may be chained at most ${MAX_NESTING} levels deep.`, lines.range(t.startOffset, tokenEnd(t))),
        );
        out.push(synthetic(Null, tokenEnd(t)));
        i = skipRestOfOperand(i + 1);
        continue;
      }
    } else if (type === Comma) {
      questions -= f.questions;
      f.questions = 0;
      // `lifecycle { prevent_destroy = true, create_before_destroy = true }`: one line, two items.
      if (f.body && last()?.tokenType !== Newline) out.push(synthetic(Newline, t.startOffset, ','));
      else if (!f.body) out.push(t);
    } else {
      out.push(t);
    }
    i++;
  }

  const end = lastRealEnd;
  let reported = 0;
  // A heredoc or comment that runs to the end of the file leaves whatever was open before it
  // open too; only the runaway itself is worth reporting.
  const comments = input.comments;
  let swallowed = comments.some((c) => c.tokenType === UnterminatedBlockComment);
  while (stack.length > 1) {
    const f = top();
    if (!swallowed && reported++ < MAX_UNCLOSED_AT_END) {
      reportUnclosed(f, f.kind === 'string' || f.kind === 'heredoc' ? source.length : end);
    }
    if (f.kind === 'heredoc') swallowed = true;
    closeTop(end);
  }
  if (out.length > 0 && last()?.tokenType !== Newline) pushNewline(synthetic(Newline, end));

  for (const c of comments) {
    if (c.tokenType === UnterminatedBlockComment) {
      diagnostics.push(error('Unterminated comment', 'A "/*" comment must be closed with "*/".', lines.range(c.startOffset, c.startOffset + 2)));
    }
  }
  for (const e of input.errors) diagnostics.push(invalidCharacter(source, lines, e.offset, e.length));

  // The last piece; for an empty text an empty one (to the grammar, an empty text is a piece too).
  if (out.length > 0 || !handedOver) onPiece(out);
  return { comments, diagnostics };
}
