/**
 * `infra fmt`: the canonical layout of a file, the one `terraform fmt` (hclwrite) gives it.
 *
 * The formatter works on lines of tokens, not on the AST, so everything written survives:
 * comments, blank lines, the way expressions are broken over lines, the choice of quotes and
 * heredocs. Only the spaces between tokens change, by hclwrite's rules (`format.go`):
 * - a line is indented by two spaces per line still open before it: a line with more openers
 *   than closers indents the lines after it by one level, however many it opened;
 * - the spaces between the tokens of a line are normalised (`a+b` -> `a + b`, `f( x )` ->
 *   `f(x)`, `[1,2]` -> `[1, 2]`, `"${ x }"` -> `"${x}"`); the text of strings, heredocs and
 *   comments is copied as written;
 * - the `=` of a run of consecutive lines holding a whole attribute is aligned, and so are the
 *   `#`/`//` comments ending a run of consecutive lines (a line without one ends the run).
 * Blank lines stay where they are (whitespace-only lines become empty), a missing final newline
 * stays missing, CRLF files stay CRLF. Like terraform fmt, an
 * attribute whose whole value is one interpolation loses the quotes (`a = "${b}"` -> `a = b`).
 * Formatting a formatted file changes nothing.
 */
import type { IToken, TokenType } from 'chevrotain';
import { hasErrors, type Diagnostic } from '../diagnostics.js';
import type { Body } from '../parser/ast.js';
import { parseFile } from '../parser/index.js';
import { scan } from '../parser/lexer.js';
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
  TemplateText,
  True,
} from '../parser/tokens.js';

/**
 * hclwrite's token classes, as far as its layout rules tell tokens apart. `string` is a whole
 * quoted string without interpolation (one token here, three in hclwrite): an opening quote to
 * what comes before it, a closing quote to what follows.
 */
type Kind =
  | 'ident'
  | 'number'
  | 'string'
  | 'oquote'
  | 'quotedLit'
  | 'cquote'
  | 'oheredoc'
  | 'stringLit'
  | 'cheredoc'
  | 'interp'
  | 'control'
  | 'seqEnd'
  | 'obrace'
  | 'cbrace'
  | 'obrack'
  | 'cbrack'
  | 'oparen'
  | 'cparen'
  | 'lineComment'
  | 'blockComment'
  | 'dot'
  | 'comma'
  | 'ellipsis'
  | 'minus'
  | 'bang'
  | 'equal'
  | 'colon'
  | 'question'
  | 'arithmetic'
  | 'comparison'
  | 'logical'
  | 'other';

/** A token of the layout, with the spaces to print before it (set by the passes below). */
interface Unit {
  readonly text: string;
  readonly kind: Kind;
  /** Source offset of the token (-1 for tokens the formatter adds). */
  readonly start: number;
  spacesBefore: number;
}

/** A line split into hclwrite's cells: lead, then `= value` if whole, then a trailing comment. */
interface Line {
  lead: Unit[];
  assign: Unit[] | null;
  comment: Unit | null;
  /** Whether a newline ends the line (the last line of a file may lack one). */
  readonly newline: boolean;
}

const kindOfType = new Map<TokenType, Kind>([
  [Identifier, 'ident'],
  [For, 'ident'],
  [In, 'ident'],
  [If, 'ident'],
  [True, 'ident'],
  [False, 'ident'],
  [Null, 'ident'],
  [NumberLit, 'number'],
  [SimpleString, 'string'],
  [StringStart, 'oquote'],
  [TemplateText, 'quotedLit'],
  [StringEnd, 'cquote'],
  [HeredocStart, 'oheredoc'],
  [HeredocText, 'stringLit'],
  [HeredocEnd, 'cheredoc'],
  [InterpStart, 'interp'],
  [DirectiveStart, 'control'],
  [LCurly, 'obrace'],
  [RCurly, 'cbrace'],
  [LBracket, 'obrack'],
  [RBracket, 'cbrack'],
  [LParen, 'oparen'],
  [RParen, 'cparen'],
  [LineComment, 'lineComment'],
  [BlockComment, 'blockComment'],
  [Dot, 'dot'],
  [Comma, 'comma'],
  [Ellipsis, 'ellipsis'],
  [Minus, 'minus'],
  [Bang, 'bang'],
  [Equals, 'equal'],
  [Colon, 'colon'],
  [Question, 'question'],
  [Plus, 'arithmetic'],
  [Star, 'arithmetic'],
  [Slash, 'arithmetic'],
  [Percent, 'arithmetic'],
  [EqEq, 'comparison'],
  [NotEq, 'comparison'],
  [Lt, 'comparison'],
  [LtEq, 'comparison'],
  [Gt, 'comparison'],
  [GtEq, 'comparison'],
  [AndAnd, 'logical'],
  [OrOr, 'logical'],
]);

/**
 * Formats one file. A file with syntax errors is returned unchanged with the errors; the
 * formatter never guesses at broken input.
 */
export function formatSource(path: string, source: string): { output: string; diagnostics: Diagnostic[] } {
  const parsed = parseFile(path, source);
  if (hasErrors(parsed.diagnostics)) return { output: source, diagnostics: parsed.diagnostics };
  if (source.includes('\r\n')) {
    // Formatted as LF; a file written with CRLF throughout keeps CRLF, as terraform keeps it.
    const normalized = formatSource(path, source.replace(/\r\n/g, '\n')).output;
    const crlf = !/(^|[^\r])\n/.test(source);
    return { output: crlf ? normalized.replace(/\n/g, '\r\n') : normalized, diagnostics: parsed.diagnostics };
  }
  const rewrites = collectRewrites(parsed.file.body, [], { values: new Map(), types: new Map(), labels: new Set(), headers: new Map() });
  const lines = splitLines(rewrite(units(source), rewrites));
  formatIndent(lines);
  formatSpaces(lines);
  formatCells(lines);
  return { output: print(lines), diagnostics: parsed.diagnostics };
}

/** The file's tokens and comments in source order; `null` stands for a newline. */
function units(source: string): (Unit | null)[] {
  const { tokens, comments } = scan(source);
  const out: (Unit | null)[] = [];
  // Which `}` closes a `${`/`%{` rather than an object or a body.
  const openers: boolean[] = [];
  const unit = (t: IToken): Unit => {
    let kind = kindOfType.get(t.tokenType) ?? 'other';
    let text = t.image;
    if (kind === 'obrace' || kind === 'interp' || kind === 'control') openers.push(kind !== 'obrace');
    else if (kind === 'cbrace' && openers.pop() === true) kind = 'seqEnd';
    else if (kind === 'lineComment') text = text.replace(/\r$/, '');
    // terraform refuses spaces after a heredoc's marker; infra accepts them and drops them.
    else if (kind === 'oheredoc') text = text.replace(/^(<<-?[A-Za-z0-9_-]+)[ \t]*/, '$1');
    return { text, kind, start: t.startOffset, spacesBefore: 0 };
  };
  let c = 0;
  for (const t of tokens) {
    while (c < comments.length && comments[c].startOffset < t.startOffset) out.push(unit(comments[c++]));
    out.push(t.tokenType === Newline ? null : unit(t));
  }
  while (c < comments.length) out.push(unit(comments[c++]));
  return out;
}

/** Where terraform fmt rewrites more than whitespace (source offsets of the tokens). */
interface Rewrites {
  /** Attribute values, start -> end offset: `"${x}"` loses its quotes. */
  readonly values: Map<number, number>;
  /** `type` of a `variable` block, start -> end: `"string"` -> `string`, `list` -> `list(any)`. */
  readonly types: Map<number, number>;
  /** Bare labels of blocks with a body, quoted as terraform quotes them. */
  readonly labels: Set<number>;
  /** From a block's type to the end of its last label, start -> end: comments there go. */
  readonly headers: Map<number, number>;
}

function collectRewrites(body: Body, inBlocks: readonly string[], into: Rewrites): Rewrites {
  for (const item of body.items) {
    if (item.kind === 'Attribute') {
      const range = [item.expr.range.start.offset, item.expr.range.end.offset] as const;
      if (inBlocks.length === 1 && inBlocks[0] === 'variable' && item.name === 'type') into.types.set(...range);
      else into.values.set(...range);
    } else if (item.body !== null) {
      // `lifecycle blue_green { ... }` is infra's own syntax: its label stays bare.
      if (item.type !== 'lifecycle') for (const label of item.labels) if (!label.quoted) into.labels.add(label.range.start.offset);
      const last = item.labels[item.labels.length - 1];
      if (last !== undefined) into.headers.set(item.typeRange.end.offset, last.range.end.offset);
      collectRewrites(item.body, [...inBlocks, item.type], into);
    }
  }
  return into;
}

/**
 * terraform fmt's rewrites beyond whitespace (`internal/command/fmt.go`): an attribute whose
 * whole value is one interpolation, `a = "${b}"`, becomes `a = b` (in parentheses when it spans
 * lines and has none); a variable's legacy type `"string"` becomes `string`, a bare
 * `list`/`map`/`set` gets `(any)`; bare block labels are quoted, except on `lifecycle
 * blue_green` (infra's own syntax, with or without a body), and comments between a block's type
 * and its last label are dropped (hclwrite rewrites the labels without them).
 */
function rewrite(all: readonly (Unit | null)[], rewrites: Rewrites): (Unit | null)[] {
  const out: (Unit | null)[] = [];
  let headerEnd = -1;
  for (let i = 0; i < all.length; i++) {
    const u = all[i];
    if (u !== null && u.kind === 'blockComment' && u.start < headerEnd) continue;
    if (u !== null && rewrites.headers.has(u.start + u.text.length)) headerEnd = rewrites.headers.get(u.start + u.text.length) as number;
    if (u !== null && rewrites.labels.has(u.start) && u.kind === 'ident') {
      out.push({ ...u, text: `"${u.text}"`, kind: 'string' });
      continue;
    }
    const valueEnd = u === null ? undefined : rewrites.values.get(u.start);
    if (valueEnd !== undefined) {
      const end = lastIndexBefore(all, i, valueEnd);
      const inner = unwrappedInterpolation(all, i, end);
      if (inner !== null) {
        out.push(...inner);
        i = end;
        continue;
      }
    }
    const typeEnd = u === null ? undefined : rewrites.types.get(u.start);
    if (u !== null && typeEnd !== undefined) {
      const end = lastIndexBefore(all, i, typeEnd);
      const type = normalizedType(all.slice(i, end + 1));
      if (type !== null) {
        out.push(...type);
        i = end;
        continue;
      }
    }
    out.push(u);
  }
  return out;
}

/** The index of the last unit of an expression that starts at `from` and ends before `end`. */
function lastIndexBefore(all: readonly (Unit | null)[], from: number, end: number): number {
  let last = from;
  for (let j = from; j < all.length; j++) {
    const u = all[j];
    if (u === null) continue;
    if (u.start >= end) break;
    last = j;
  }
  return last;
}

/** terraform's `formatValueExpr`: the inside of `"${...}"` when that is all the string holds. */
function unwrappedInterpolation(all: readonly (Unit | null)[], open: number, close: number): (Unit | null)[] | null {
  if (close - open < 4) return null;
  const [oQuote, oBrace, cBrace, cQuote] = [all[open], all[open + 1], all[close - 1], all[close]];
  if (oQuote?.kind !== 'oquote' || oBrace?.kind !== 'interp' || cBrace?.kind !== 'seqEnd' || cQuote?.kind !== 'cquote') return null;
  let inside = all.slice(open + 2, close - 1);
  let quotes = 0;
  for (const u of inside) {
    if (u === null) continue;
    if (u.kind === 'oquote') quotes++;
    else if (u.kind === 'cquote') quotes--;
    else if (quotes > 0) continue;
    else if (u.kind === 'interp' || u.kind === 'seqEnd' || u.kind === 'quotedLit') return null;
  }
  while (inside[0] === null) inside = inside.slice(1);
  while (inside[inside.length - 1] === null) inside = inside.slice(0, -1);
  const parenthesized = inside[0]?.kind === 'oparen' && inside[inside.length - 1]?.kind === 'cparen';
  if (!inside.includes(null) || parenthesized) return inside;
  return [{ text: '(', kind: 'oparen', start: -1, spacesBefore: 0 }, ...inside, { text: ')', kind: 'cparen', start: -1, spacesBefore: 0 }];
}

/** terraform's `formatTypeExpr` for a variable's `type`. */
function normalizedType(expr: readonly (Unit | null)[]): Unit[] | null {
  const make = (text: string, kind: Kind): Unit => ({ text, kind, start: -1, spacesBefore: 0 });
  const collection = (name: string, element: string): Unit[] => [make(name, 'ident'), make('(', 'oparen'), make(element, 'ident'), make(')', 'cparen')];
  if (expr.length !== 1 || expr[0] === null) return null;
  const u = expr[0];
  if (u.kind === 'ident' && (u.text === 'list' || u.text === 'map' || u.text === 'set')) return collection(u.text, 'any');
  if (u.kind !== 'string') return null;
  if (u.text === '"string"') return [make('string', 'ident')];
  if (u.text === '"list"' || u.text === '"map"') return collection(u.text.slice(1, -1), 'string');
  return null;
}

/** Lines, each split into lead, assign and comment cells as hclwrite's `linesForFormat`. */
function splitLines(all: readonly (Unit | null)[]): Line[] {
  const lines: Line[] = [];
  let current: Unit[] = [];
  const flush = (newline: boolean): void => {
    let lead = current;
    let comment: Unit | null = null;
    if (lead.length > 1 && lead[lead.length - 1].kind === 'lineComment') {
      comment = lead[lead.length - 1];
      lead = lead.slice(0, -1);
    }
    let assign: Unit[] | null = null;
    const eq = lead.findIndex((u, i) => i > 0 && u.kind === 'equal');
    if (eq !== -1 && netBrackets(lead.slice(eq)) === 0) {
      assign = lead.slice(eq);
      lead = lead.slice(0, eq);
    }
    lines.push({ lead, assign, comment, newline });
    current = [];
  };
  for (const u of all) {
    if (u === null) flush(true);
    else current.push(u);
  }
  if (current.length > 0) flush(false);
  return lines;
}

function bracketChange(u: Unit): number {
  switch (u.kind) {
    case 'obrace':
    case 'obrack':
    case 'oparen':
    case 'interp':
    case 'control':
      return 1;
    case 'cbrace':
    case 'cbrack':
    case 'cparen':
    case 'seqEnd':
      return -1;
    default:
      return 0;
  }
}

function netBrackets(cell: readonly Unit[], stopAtHeredoc = false): number {
  let net = 0;
  for (const u of cell) {
    net += bracketChange(u);
    if (stopAtHeredoc && u.kind === 'oheredoc') break;
  }
  return net;
}

/** Indentation (hclwrite's `formatIndent`): two spaces per level; closers pop whole levels. */
function formatIndent(lines: readonly Line[]): void {
  const indents: number[] = [];
  for (const line of lines) {
    if (line.lead.length === 0) continue;
    const net = netBrackets(line.lead, true) + netBrackets(line.assign ?? []);
    if (net > 0) {
      line.lead[0].spacesBefore = 2 * indents.length;
      indents.push(net);
      continue;
    }
    let closed = -net;
    while (closed > 0 && indents.length > 0) {
      const top = indents[indents.length - 1];
      if (closed >= top) {
        closed -= top;
        indents.pop();
      } else {
        indents[indents.length - 1] = top - closed;
        closed = 0;
      }
    }
    line.lead[0].spacesBefore = 2 * indents.length;
  }
}

/** Spaces between the tokens of each cell (hclwrite's `formatSpaces`). */
function formatSpaces(lines: readonly Line[]): void {
  for (const line of lines) {
    spaceCell(line.lead);
    if (line.assign !== null) {
      line.assign[0].spacesBefore = 1;
      spaceCell(line.assign);
    }
  }
}

function spaceCell(cell: readonly Unit[]): void {
  for (let i = 0; i + 1 < cell.length; i++) {
    cell[i + 1].spacesBefore = spaceAfter(cell[i], i === 0 ? null : cell[i - 1], cell[i + 1]) ? 1 : 0;
  }
}

/** Whether a space goes between `subject` and `after` (hclwrite's `spaceAfterToken`, in order). */
function spaceAfter(subject: Unit, before: Unit | null, after: Unit): boolean {
  // A whole string is an opening quote to what precedes it and a closing quote to what follows.
  const s = subject.kind === 'string' ? 'cquote' : subject.kind;
  const a = after.kind === 'string' ? 'oquote' : after.kind;
  const b = before === null ? null : before.kind === 'string' ? 'cquote' : before.kind;
  if (s === 'ident' && a === 'oparen') return false;
  if (s === 'dot' || a === 'dot') return false;
  if (a === 'comma' || a === 'ellipsis') return false;
  if (s === 'comma') return true;
  if (s === 'quotedLit' || s === 'stringLit' || s === 'oquote' || s === 'oheredoc') return false;
  if (a === 'quotedLit' || a === 'stringLit' || a === 'cquote' || a === 'cheredoc') return false;
  if (s === 'ident' && subject.text === 'in' && b === 'ident') return true;
  if (a === 'obrack' && (s === 'ident' || s === 'number' || bracketChange(subject) < 0)) return false;
  if (s === 'bang') return false;
  if (s === 'minus') return b !== null && !negationFollows.has(b);
  if (s === 'obrace' || a === 'cbrace') return !(s === 'obrace' && a === 'cbrace');
  if ((s === 'interp' || s === 'control') && a === 'obrace') return true;
  if (s === 'cbrace' && a === 'seqEnd') return true;
  if (s === 'seqEnd' && (a === 'interp' || a === 'control')) return false;
  if (bracketChange(subject) > 0) return false;
  if (bracketChange(after) < 0) return false;
  return true;
}

/** After these a `-` negates (`[-1]`, `a = -1`, `x * -y`) rather than subtracts. */
const negationFollows: ReadonlySet<Kind> = new Set<Kind>([
  'oparen',
  'obrace',
  'obrack',
  'equal',
  'colon',
  'comma',
  'question',
  'arithmetic',
  'minus',
  'comparison',
  'logical',
  'bang',
]);

/** Aligns `=` and then trailing comments over runs of lines (hclwrite's `formatCells`). */
function formatCells(lines: readonly Line[]): void {
  alignRuns(
    lines,
    (l) => l.assign?.[0] ?? null,
    (l) => columns(l.lead),
  );
  alignRuns(
    lines,
    (l) => l.comment,
    (l) => columns(l.lead) + columns(l.assign ?? []),
  );
}

function alignRuns(lines: readonly Line[], cellStart: (l: Line) => Unit | null, width: (l: Line) => number): void {
  let i = 0;
  while (i < lines.length) {
    if (cellStart(lines[i]) === null) {
      i++;
      continue;
    }
    let j = i;
    let max = 0;
    for (; j < lines.length && cellStart(lines[j]) !== null; j++) max = Math.max(max, width(lines[j]));
    for (let k = i; k < j; k++) (cellStart(lines[k]) as Unit).spacesBefore = max - width(lines[k]) + 1;
    i = j;
  }
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** A cell's width as hclwrite counts it: spaces plus grapheme clusters of every token. */
function columns(cell: readonly Unit[]): number {
  let n = 0;
  for (const u of cell) {
    n += u.spacesBefore;
    // eslint-disable-next-line no-control-regex
    n += /^[\x00-\x7f]*$/.test(u.text) ? u.text.length : [...graphemes.segment(u.text)].length;
  }
  return n;
}

function print(lines: readonly Line[]): string {
  let out = '';
  for (const line of lines) {
    for (const cell of [line.lead, line.assign ?? [], line.comment === null ? [] : [line.comment]]) {
      for (const u of cell) out += ' '.repeat(u.spacesBefore) + u.text;
    }
    if (line.newline) out += '\n';
  }
  return out;
}
