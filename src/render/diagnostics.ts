/**
 * Diagnostics as text for people and as JSON for tools. The first line of the text form is
 * `FILE:LINE:COL: error|warning: SUMMARY`, which editors and CI annotators understand:
 *
 *     main.infra:12:9: Error: Reference to undeclared variable "serail"
 *        12 |   serial = var.serail
 *           |            ^^^^^^^^^^
 *     Did you mean "serial"?
 */
import { Chalk } from 'chalk';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Diagnostic, SourcePos, SourceRange } from '../diagnostics.js';

export interface FormatDiagnosticOptions {
  /** Source texts by the `file` of their ranges; a missing source just omits the excerpt. */
  readonly sources: ReadonlyMap<string, string>;
  /** Paths are printed relative to this directory. */
  readonly cwd: string;
  readonly color: boolean;
}

/** `file` as the user should read it: relative to `cwd`; pseudo-files (`<value>`) unchanged. */
export function displayPath(file: string, cwd: string): string {
  if (file.startsWith('<')) return file;
  const rel = relative(cwd, isAbsolute(file) ? file : resolve(cwd, file));
  return rel === '' ? file : rel;
}

/** Width of the line-number column: four digits, more if the file is that long. */
function gutterWidth(line: number): number {
  return Math.max(4, String(line).length);
}

/** The 0-based start and end of line `line` (1-based) in `source`, without the newline. */
function lineBounds(source: string, line: number): [number, number] | undefined {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = source.indexOf('\n', start);
    if (nl === -1) return undefined;
    start = nl + 1;
  }
  return [start, lineEnd(source, start)];
}

function lineEnd(source: string, start: number): number {
  let end = source.indexOf('\n', start);
  if (end === -1) end = source.length;
  if (end > start && source[end - 1] === '\r') end--;
  return end;
}

/** The text of the line holding `pos`: found from its offset (fast), else from its line number. */
function sourceLine(source: string, pos: SourcePos): string | undefined {
  if (pos.offset >= 0 && pos.offset <= source.length) {
    const start = pos.offset === 0 ? 0 : source.lastIndexOf('\n', pos.offset - 1) + 1;
    if (pos.offset - start === pos.column - 1) return source.slice(start, lineEnd(source, start));
  }
  const bounds = lineBounds(source, pos.line);
  return bounds === undefined ? undefined : source.slice(bounds[0], bounds[1]);
}

/**
 * One diagnostic as text, without a trailing newline: the location line, the source line with
 * carets under the range (clipped to its first line), then the detail. Without a range: the
 * severity line and the detail only.
 */
export function formatDiagnostic(d: Diagnostic, opts: FormatDiagnosticOptions): string {
  const chalk = new Chalk({ level: opts.color ? 1 : 0 });
  const severityColor = d.severity === 'error' ? chalk.red : chalk.yellow;
  // Terraform's words (`Error:`, `Warning:`): scripts and CI annotations look for them.
  const head = `${severityColor.bold(d.severity === 'error' ? 'Error:' : 'Warning:')} ${chalk.bold(d.summary)}`;
  const lines: string[] = [];
  const range = d.range;
  if (range === undefined) {
    lines.push(head);
  } else {
    lines.push(`${chalk.bold(`${displayPath(range.file, opts.cwd)}:${range.start.line}:${range.start.column}:`)} ${head}`);
    lines.push(...excerpt(range, opts.sources.get(range.file), (s) => chalk.dim(s), (s) => severityColor.bold(s)));
  }
  if (d.detail !== undefined && d.detail !== '') lines.push(d.detail);
  return lines.join('\n');
}

/** Longest excerpt shown; longer lines are cut to a window around the range's start. */
const MAX_EXCERPT = 120;
const WINDOW_BEFORE = 40;

function excerpt(
  range: SourceRange,
  source: string | undefined,
  dim: (s: string) => string,
  mark: (s: string) => string,
): string[] {
  if (source === undefined) return [];
  const line = sourceLine(source, range.start);
  if (line === undefined) return [];
  const width = gutterWidth(range.start.line);
  let startCol = Math.min(Math.max(range.start.column, 1), line.length + 1);
  let endCol = range.end.line === range.start.line ? range.end.column : line.length + 1;
  endCol = Math.min(Math.max(endCol, startCol), line.length + 1);
  // Control characters would garble the terminal; each becomes one visible stand-in.
  let text = line.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd');
  if (text.length > MAX_EXCERPT) {
    const from = Math.max(0, Math.min(startCol - 1 - WINDOW_BEFORE, text.length - MAX_EXCERPT));
    const to = Math.min(text.length, from + MAX_EXCERPT);
    const prefix = from > 0 ? '...' : '';
    text = prefix + text.slice(from, to) + (to < line.length ? '...' : '');
    startCol = startCol - from + prefix.length;
    endCol = Math.min(endCol - from, to - from + 1) + prefix.length;
  }
  const carets = Math.max(1, endCol - startCol);
  // Tabs stay tabs under the source line so the carets line up however wide a tab is shown.
  const pad = text.slice(0, startCol - 1).replace(/[^\t]/g, ' ');
  const shown = text.trimEnd();
  return [
    dim(` ${String(range.start.line).padStart(width)} |`) + (shown === '' ? '' : ` ${shown}`),
    dim(` ${' '.repeat(width)} |`) + ` ${pad}${mark('^'.repeat(carets))}`,
  ];
}

/** The JSON form of one diagnostic (`--json`); absent detail and range are `null`. */
export interface DiagnosticJson {
  readonly severity: Diagnostic['severity'];
  readonly summary: string;
  readonly detail: string | null;
  readonly range: {
    readonly file: string;
    readonly start: SourcePos;
    readonly end: SourcePos;
  } | null;
}

/** Diagnostics as plain data for `--json`, files relative to `cwd`. */
export function diagnosticsToJson(diags: readonly Diagnostic[], cwd: string): DiagnosticJson[] {
  return diags.map((d) => ({
    severity: d.severity,
    summary: d.summary,
    detail: d.detail ?? null,
    range:
      d.range === undefined
        ? null
        : {
            file: displayPath(d.range.file, cwd),
            start: { line: d.range.start.line, column: d.range.start.column, offset: d.range.start.offset },
            end: { line: d.range.end.line, column: d.range.end.column, offset: d.range.end.offset },
          },
  }));
}
