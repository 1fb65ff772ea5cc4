/**
 * `infra fmt`: the canonical layout of a file, in the manner of `terraform fmt` (hclwrite).
 *
 * The formatter works on lines of tokens, not on the AST, so everything written survives:
 * comments, the way expressions are broken over lines, the choice of quotes and heredocs. Per
 * line it
 * - re-indents by two spaces per bracket level still open at the start of the line;
 * - normalises the spaces between tokens (`a+b` -> `a + b`, `f( x )` -> `f(x)`, `[1,2]` ->
 *   `[1, 2]`); strings, heredocs and comments are copied as written;
 * - aligns the `=` of a run of consecutive single-line attributes, and the trailing comments
 *   of a run of consecutive lines that have one (a line without one ends the run: a blank line,
 *   a block, a comment line, a multi-line value);
 * - keeps at most one blank line anywhere, none at the start or end of a bracket, and puts one
 *   between sibling blocks when either spans several lines.
 * The AST is consulted only for where blocks end. Formatting a formatted file changes nothing.
 */
import { tokenMatcher, type IToken, type TokenType } from 'chevrotain';
import { hasErrors, type Diagnostic } from '../diagnostics.js';
import type { Block, Body } from '../parser/ast.js';
import { parseFile } from '../parser/index.js';
import { LineMap } from '../parser/positions.js';
import {
  Bang,
  BlockComment,
  Colon,
  Comma,
  Dot,
  Ellipsis,
  Equals,
  For,
  HeredocEnd,
  HeredocStart,
  If,
  In,
  InterpStart,
  DirectiveStart,
  LBracket,
  LCurly,
  LParen,
  LineComment,
  Minus,
  Newline,
  NumberLit,
  Question,
  RBracket,
  RCurly,
  RParen,
  StringEnd,
  StringStart,
  Identifier,
  BinaryOperator,
} from '../parser/tokens.js';
import { scan } from '../parser/lexer.js';

/** A token of the layout: an ordinary token, or a string, heredoc or comment copied whole. */
interface Unit {
  readonly text: string;
  /** The token type; for strings and heredocs the opening token's type. */
  readonly type: TokenType;
  readonly start: number;
  readonly end: number;
}

interface Line {
  readonly units: Unit[];
  /** 1-based source lines of the first and last unit (0 for blank lines). */
  readonly firstLine: number;
  readonly lastLine: number;
}

/**
 * Formats one file. A file with syntax errors is returned unchanged with the errors; the
 * formatter never guesses at broken input.
 */
export function formatSource(path: string, source: string): { output: string; diagnostics: Diagnostic[] } {
  const parsed = parseFile(path, source);
  if (hasErrors(parsed.diagnostics)) return { output: source, diagnostics: parsed.diagnostics };
  if (source.includes('\r\n')) {
    const normalized = formatSource(path, source.replace(/\r\n/g, '\n'));
    return { output: normalized.output, diagnostics: parsed.diagnostics };
  }
  const lines = new LineMap(path, source);
  const layoutLines = splitLines(units(source), lines);
  const blankAfter = new Set<number>();
  collectBlockGaps(parsed.file.body, blankAfter);
  return { output: render(layoutLines, blankAfter), diagnostics: parsed.diagnostics };
}

/** The file's tokens and comments in order, strings and heredocs folded into single units. */
function units(source: string): (Unit | null)[] {
  const { tokens, comments } = scan(source);
  const out: (Unit | null)[] = [];
  let c = 0;
  let coveredUntil = 0;
  const pushComment = (t: IToken): void => {
    const text = t.tokenType === LineComment ? t.image.trimEnd() : t.image;
    out.push({ text, type: t.tokenType, start: t.startOffset, end: t.startOffset + t.image.length });
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    while (c < comments.length && comments[c].startOffset < t.startOffset) {
      if (comments[c].startOffset >= coveredUntil) pushComment(comments[c]);
      c++;
    }
    if (t.startOffset < coveredUntil) continue;
    const type = t.tokenType;
    if (type === Newline) {
      out.push(null);
      continue;
    }
    if (type === StringStart || type === HeredocStart) {
      // Copy the whole string or heredoc as written, nested interpolations and all.
      let depth = 0;
      let j = i;
      for (; j < tokens.length; j++) {
        const u = tokens[j].tokenType;
        if (u === StringStart || u === HeredocStart) depth++;
        else if (u === StringEnd || u === HeredocEnd) depth--;
        if (depth === 0) break;
      }
      const endToken = tokens[Math.min(j, tokens.length - 1)];
      const end = endToken.startOffset + endToken.image.length;
      let text = source.slice(t.startOffset, end);
      if (type === HeredocStart) text = text.replace(/^(<<-?[A-Za-z0-9_-]+)[ \t]*/, '$1');
      out.push({ text, type, start: t.startOffset, end });
      coveredUntil = end;
      continue;
    }
    out.push({ text: t.image, type, start: t.startOffset, end: t.startOffset + t.image.length });
  }
  for (; c < comments.length; c++) if (comments[c].startOffset >= coveredUntil) pushComment(comments[c]);
  return out;
}

function splitLines(all: (Unit | null)[], lines: LineMap): Line[] {
  const out: Line[] = [];
  let current: Unit[] = [];
  const flush = (): void => {
    if (current.length === 0) {
      out.push({ units: current, firstLine: 0, lastLine: 0 });
    } else {
      const last = current[current.length - 1];
      out.push({ units: current, firstLine: lines.pos(current[0].start).line, lastLine: lines.pos(Math.max(last.start, last.end - 1)).line });
    }
    current = [];
  };
  for (const u of all) {
    if (u === null) flush();
    else current.push(u);
  }
  if (current.length > 0) flush();
  return out;
}

/**
 * Source lines after which a blank line must follow: the ends of blocks followed by a sibling
 * block, when either spans several lines (one-line blocks group like attributes).
 */
function collectBlockGaps(body: Body, blankAfter: Set<number>): void {
  const items = body.items;
  for (let i = 0; i < items.length; i++) {
    const a = items[i];
    if (a.kind === 'Block' && a.body !== null) collectBlockGaps(a.body, blankAfter);
    const b = items[i + 1];
    if (b !== undefined && a.kind === 'Block' && b.kind === 'Block' && (multiLine(a) || multiLine(b))) {
      blankAfter.add(a.range.end.line);
    }
  }
}

function multiLine(block: Block): boolean {
  return block.range.end.line > block.range.start.line;
}

function bracketChange(u: Unit): number {
  const t = u.type;
  if (t === LCurly || t === LBracket || t === LParen || t === InterpStart || t === DirectiveStart) return 1;
  if (t === RCurly || t === RBracket || t === RParen) return -1;
  return 0;
}

function isComment(u: Unit): boolean {
  return u.type === LineComment || u.type === BlockComment;
}

function isKeyword(u: Unit): boolean {
  return u.type === For || u.type === In || u.type === If;
}

/** Whether a space goes between `subject` and `after` (hclwrite's rules, for our tokens). */
function spaceAfter(subject: Unit, before: Unit | undefined, after: Unit): boolean {
  const s = subject.type;
  const a = after.type;
  if (isKeyword(subject) && before?.type !== Dot && a !== Dot && a !== Comma && bracketChange(after) >= 0) return true;
  if (s === Identifier && a === LParen) return false;
  if (s === Dot || a === Dot) return false;
  if (a === Comma || a === Ellipsis) return false;
  if (s === Comma) return bracketChange(after) >= 0;
  if (a === LBracket && (tokenMatcher(dummyOf(subject), Identifier) || s === NumberLit || bracketChange(subject) < 0)) return false;
  if (s === Bang) return false;
  if (s === Minus) return before !== undefined && !isNegationContext(before);
  if (s === LCurly || a === RCurly) return !(s === LCurly && a === RCurly);
  if (bracketChange(subject) > 0) return false;
  if (bracketChange(after) < 0) return false;
  return true;
}

/** A stand-in token, to ask chevrotain whether a unit's type falls in a token category. */
function dummyOf(u: Unit): IToken {
  return { image: '', startOffset: 0, tokenType: u.type, tokenTypeIdx: u.type.tokenTypeIdx ?? 0 };
}

/** After these a `-` negates (`[-1]`, `a = -1`, `x * -y`) rather than subtracts. */
function isNegationContext(before: Unit): boolean {
  const t = before.type;
  return (
    t === LParen ||
    t === LCurly ||
    t === LBracket ||
    t === Equals ||
    t === Colon ||
    t === Comma ||
    t === Question ||
    t === Bang ||
    tokenMatcher(dummyOf(before), BinaryOperator)
  );
}

function join(cell: readonly Unit[], before: Unit | undefined): string {
  let out = '';
  for (let i = 0; i < cell.length; i++) {
    out += cell[i].text;
    const next = cell[i + 1];
    if (next !== undefined && spaceAfter(cell[i], i === 0 ? before : cell[i - 1], next)) out += ' ';
  }
  return out;
}

interface Cells {
  indent: number;
  lead: Unit[];
  assign: Unit[] | null;
  comment: Unit | null;
  source: Line;
}

function render(lines: Line[], blankAfter: ReadonlySet<number>): string {
  // Indentation (hclwrite's method): a line with more openers than closers indents the lines
  // after it by one level, however many it opened; closers pop levels remembered that way.
  const cells: (Cells | null)[] = [];
  const indents: number[] = [];
  for (const line of lines) {
    if (line.units.length === 0) {
      cells.push(null);
      continue;
    }
    let lead = line.units;
    let comment: Unit | null = null;
    if (lead.length > 1 && isComment(lead[lead.length - 1])) {
      comment = lead[lead.length - 1];
      lead = lead.slice(0, -1);
    }
    let assign: Unit[] | null = null;
    for (let i = 1; i < lead.length; i++) {
      if (lead[i].type === Equals) {
        let net = 0;
        for (let j = i; j < lead.length; j++) net += bracketChange(lead[j]);
        if (net === 0) {
          assign = lead.slice(i);
          lead = lead.slice(0, i);
        }
        break;
      }
    }
    let net = 0;
    for (const u of line.units) net += bracketChange(u);
    let indent: number;
    if (net > 0) {
      indent = indents.length;
      indents.push(net);
    } else {
      let closed = -net;
      while (closed > 0 && indents.length > 0) {
        const topCount = indents[indents.length - 1];
        if (closed >= topCount) {
          closed -= topCount;
          indents.pop();
        } else {
          indents[indents.length - 1] = topCount - closed;
          closed = 0;
        }
      }
      indent = indents.length;
    }
    cells.push({ indent, lead, assign, comment, source: line });
  }

  // Blank lines: none at the start or end of the file or of a bracket, at most one in a row,
  // and exactly one after a block that is followed by a sibling block.
  const kept: (Cells | null)[] = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    if (c === null) {
      const prev = kept[kept.length - 1];
      if (prev === undefined || prev === null || opensBracket(prev)) continue;
      const next = cells.slice(i + 1).find((n) => n !== null);
      if (next === undefined || startsWithCloser(next as Cells)) continue;
      kept.push(null);
      continue;
    }
    kept.push(c);
    if (blankAfter.has(c.source.lastLine)) {
      const next = cells[i + 1];
      if (next !== undefined && next !== null) kept.push(null);
    }
  }

  const texts = kept.map((c) => (c === null ? null : { c, lead: ' '.repeat(2 * c.indent) + join(c.lead, undefined) }));
  const out: string[] = new Array<string>(texts.length);
  // Align `=` over runs of lines that have an assignment.
  let i = 0;
  const assignCol: number[] = new Array<number>(texts.length).fill(0);
  while (i < texts.length) {
    const t = texts[i];
    if (t === null || t.c.assign === null) {
      i++;
      continue;
    }
    let j = i;
    let width = 0;
    while (j < texts.length && texts[j] !== null && (texts[j] as { c: Cells }).c.assign !== null) {
      width = Math.max(width, lastLineWidth((texts[j] as { lead: string }).lead));
      j++;
    }
    for (let k = i; k < j; k++) assignCol[k] = width;
    i = j;
  }
  const body: string[] = texts.map((t, k) => {
    if (t === null) return '';
    let s = t.lead;
    if (t.c.assign !== null) {
      s += ' '.repeat(assignCol[k] - lastLineWidth(t.lead) + 1) + join(t.c.assign, t.c.lead[t.c.lead.length - 1]);
    }
    return s;
  });
  // Align trailing comments over runs of lines that have one.
  i = 0;
  while (i < texts.length) {
    const t = texts[i];
    if (t === null || t.c.comment === null) {
      out[i] = body[i];
      i++;
      continue;
    }
    let j = i;
    let width = 0;
    while (j < texts.length && texts[j] !== null && (texts[j] as { c: Cells }).c.comment !== null) {
      width = Math.max(width, lastLineWidth(body[j]));
      j++;
    }
    for (let k = i; k < j; k++) {
      const comment = (texts[k] as { c: Cells }).c.comment as Unit;
      out[k] = body[k] + ' '.repeat(width - lastLineWidth(body[k]) + 1) + comment.text;
    }
    i = j;
  }
  const text = out.map((l) => l.trimEnd()).join('\n');
  return text === '' ? '' : `${text}\n`;
}

function lastLineWidth(s: string): number {
  const nl = s.lastIndexOf('\n');
  return nl === -1 ? s.length : s.length - nl - 1;
}

function opensBracket(c: Cells): boolean {
  const units = c.source.units.filter((u) => !isComment(u));
  const last = units[units.length - 1];
  return last !== undefined && bracketChange(last) > 0;
}

function startsWithCloser(c: Cells): boolean {
  return bracketChange(c.source.units[0]) < 0;
}
