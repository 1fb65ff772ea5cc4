/**
 * The parser's entry points: source text in, AST and diagnostics out. Never throws for any
 * input; a file with syntax errors still yields a (partial) tree.
 *
 * Stages: scanner (`lexer.ts`; the tokens are defined in `tokens.ts`) -> structure pass
 * (`structure.ts`: brackets, newlines, unterminated things) -> chevrotain grammar (`parser.ts`)
 * whose actions build the AST (`build.ts`). The stages run a piece of the file at a time.
 *
 * A file is first given to the fast path (`descent.ts`), a hand-written descent over the same
 * grammar that builds the same tree through the same builder and stops at the first thing it is
 * not sure of; then, and for every expression and template, the stages above do the parse.
 */
import { EOF, type IRecognitionException, type IToken } from 'chevrotain';
import { error, hasErrors, type Diagnostic } from '../diagnostics.js';
import type { Expr, FileNode, TemplateExpr } from './ast.js';
import { ITEM_END, infraParser, itemEndMessage } from './parser.js';
import { LineMap, ShiftedLineMap } from './positions.js';
import { lexAndStructure, tokenEnd } from './structure.js';
import { AstBuilder } from './build.js';
import { descend } from './descent.js';
import { Newline } from './tokens.js';

export type * from './ast.js';

/** More diagnostics than this from one file help nobody; the first ones are kept. */
export const MAX_DIAGNOSTICS_PER_FILE = 100;

/** Parses a whole `.infra` file. `path` is recorded in every range as given. */
export function parseFile(path: string, source: string): { file: FileNode; diagnostics: Diagnostic[] } {
  const lines = new LineMap(path, source);
  const builder = new AstBuilder(lines);
  const comments = descend(source, builder);
  if (comments !== undefined) return { file: builder.file(path, source, comments), diagnostics: collect([], [], builder.diagnostics) };
  return parseFileWithGrammar(path, source, lines);
}

/**
 * Parses a whole file with the chevrotain grammar only: what `parseFile` does when the fast path
 * declines, and the reference the fast path is tested against.
 */
export function parseFileWithGrammar(path: string, source: string, lines = new LineMap(path, source)): { file: FileNode; diagnostics: Diagnostic[] } {
  const builder = new AstBuilder(lines);
  try {
    const parser = infraParser();
    parser.builder = builder;
    const parseErrors: Diagnostic[] = [];
    // A piece at a time, cut between top-level items, as the structure pass hands them over: the
    // tokens of a piece are garbage once it is parsed (a big file's tokens never all live at
    // once), and recovery from an error cannot run on into the next piece.
    const structured = lexAndStructure(source, lines, (tokens) => {
      parser.input = tokens;
      parser.file();
      for (const e of parser.errors) parseErrors.push(parseErrorDiagnostic(lines, e, tokens));
    });
    const file = builder.file(path, source, structured.comments);
    return { file, diagnostics: collect(structured.diagnostics, parseErrors, builder.diagnostics) };
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { file: builder.file(path, source, []), diagnostics: [tooComplex(lines)] };
  } finally {
    infraParser().forget();
  }
}

/**
 * Parses one expression, e.g. the value of `--var name=value`. `path` names the source in
 * diagnostics. `expr` is null when the text has errors.
 */
export function parseExpression(source: string, path = '<value>'): { expr: Expr | null; diagnostics: Diagnostic[] } {
  const lines = new LineMap(path, source);
  const builder = new AstBuilder(lines);
  try {
    const { expr, diagnostics } = parseOneExpression(lines, builder);
    return { expr: hasErrors(diagnostics) || expr === undefined ? null : expr, diagnostics };
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { expr: null, diagnostics: [tooComplex(lines)] };
  }
}

/**
 * Parses the text of a template file (`templatefile()`): literal text with `${...}`
 * interpolations, `$${` for a literal `${`, no backslash escapes - a heredoc's body. Positions
 * are the file's own. `template` is null when the text has errors.
 */
export function parseTemplate(source: string, path: string): { template: TemplateExpr | null; diagnostics: Diagnostic[] } {
  let marker = 'INFRA_TEMPLATE_END';
  while (source.includes(marker)) marker += '_';
  const prefix = `<<${marker}\n`;
  const addNewline = !source.endsWith('\n');
  const wrapped = `${prefix}${source}${addNewline ? '\n' : ''}${marker}\n`;
  const lines = new ShiftedLineMap(path, wrapped, prefix.length, source.length);
  const builder = new AstBuilder(lines);
  try {
    const { expr, diagnostics } = parseOneExpression(lines, builder);
    if (expr === undefined || expr.kind !== 'Template' || hasErrors(diagnostics)) return { template: null, diagnostics };
    let parts = expr.parts;
    const last = parts[parts.length - 1];
    if (addNewline && last?.kind === 'Text' && last.value.endsWith('\n')) {
      // The wrapper's newline; a template that is exactly "${x}" keeps an empty text part.
      parts = [...parts.slice(0, -1), { ...last, value: last.value.slice(0, -1) }];
    }
    return { template: { kind: 'Template', parts, range: lines.range(0, wrapped.length) }, diagnostics };
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { template: null, diagnostics: [tooComplex(lines)] };
  }
}

/** The whole text of `lines` as one expression (one piece, however long). */
function parseOneExpression(lines: LineMap, builder: AstBuilder): { expr: Expr | undefined; diagnostics: Diagnostic[] } {
  const parser = infraParser();
  parser.builder = builder;
  let expr: Expr | undefined;
  const parseErrors: Diagnostic[] = [];
  try {
    const structured = lexAndStructure(
      lines.source,
      lines,
      (tokens) => {
        parser.input = tokens;
        expr = parser.expressionOnly();
        for (const e of parser.errors) parseErrors.push(parseErrorDiagnostic(lines, e, tokens));
      },
      Infinity,
    );
    return { expr, diagnostics: collect(structured.diagnostics, parseErrors, builder.diagnostics) };
  } finally {
    parser.forget();
  }
}

/** Stack overflow in the recursive descent: the structure pass's limits did not catch a shape. */
function tooComplex(lines: LineMap): Diagnostic {
  return error('Nesting too deep', 'The file nests expressions too deeply to be parsed.', lines.range(0, 0));
}

function parseErrorDiagnostic(lines: LineMap, e: IRecognitionException, tokens: readonly IToken[]): Diagnostic {
  const token = e.token;
  let message = e.message;
  if (message === ITEM_END) message = itemEndMessage(tokens, indexOf(tokens, token));
  const previous = (e as IRecognitionException & { previousToken?: IToken }).previousToken;
  const atEnd = token.tokenType === EOF || token.tokenType === Newline || !Number.isFinite(token.startOffset);
  let start: number;
  let end: number;
  if (atEnd && previous !== undefined && Number.isFinite(previous.startOffset) && previous.image !== '') {
    start = end = tokenEnd(previous);
  } else if (Number.isFinite(token.startOffset)) {
    start = token.startOffset;
    end = tokenEnd(token);
  } else {
    start = end = lines.source.length;
  }
  return error(message, undefined, lines.range(start, end));
}

/** Index of `token` in `tokens` (sorted by offset; zero-width tokens may share one). */
function indexOf(tokens: readonly IToken[], token: IToken): number {
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].startOffset < token.startOffset) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < tokens.length && tokens[i].startOffset <= token.startOffset; i++) if (tokens[i] === token) return i;
  return lo;
}

/**
 * Orders all diagnostics by position. The structure pass's are all kept; of the others, only the
 * first on a line that has none yet (the rest of a line after an error is mostly the same error
 * seen again by recovery).
 */
function collect(structural: readonly Diagnostic[], fromParser: Diagnostic[], built: readonly Diagnostic[]): Diagnostic[] {
  const kept = [...structural];
  const linesWithErrors = new Set(kept.map((d) => d.range?.start.line));
  fromParser.sort((a, b) => (a.range?.start.offset ?? 0) - (b.range?.start.offset ?? 0));
  // The grammar's errors come before the builder's: an error there often makes recovery hand the
  // builder a misshapen tree (a repeated attribute that is really a broken object, say).
  for (const d of [...fromParser, ...built]) {
    const line = d.range?.start.line;
    if (linesWithErrors.has(line)) continue;
    linesWithErrors.add(line);
    kept.push(d);
  }
  kept.sort((a, b) => (a.range?.start.offset ?? Infinity) - (b.range?.start.offset ?? Infinity));
  return kept.length > MAX_DIAGNOSTICS_PER_FILE ? kept.slice(0, MAX_DIAGNOSTICS_PER_FILE) : kept;
}
