/**
 * The one diagnostic type of the whole tool: parser, evaluator, graph, planner, state, apply and
 * providers all report a user's mistake or an outside failure as a `Diagnostic`. A bug is an
 * exception; bad input never is.
 */

/** A position in a source file: 1-based line and column, 0-based offset (UTF-16 units). */
export interface SourcePos {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/** A span in a source file; `end` is exclusive. `file` is the path as given to the loader. */
export interface SourceRange {
  readonly file: string;
  readonly start: SourcePos;
  readonly end: SourcePos;
}

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  readonly severity: Severity;
  /** One line, no trailing period: `Reference to undeclared variable "serail"`. */
  readonly summary: string;
  /** Further lines: the cause, a suggestion (`Did you mean "serial"?`), what to do. */
  readonly detail?: string;
  /** Where the problem is; absent for problems with no place in the configuration. */
  readonly range?: SourceRange;
}

export function error(summary: string, detail?: string, range?: SourceRange): Diagnostic {
  return { severity: 'error', summary, ...(detail ? { detail } : {}), ...(range ? { range } : {}) };
}

export function warning(summary: string, detail?: string, range?: SourceRange): Diagnostic {
  return { severity: 'warning', summary, ...(detail ? { detail } : {}), ...(range ? { range } : {}) };
}

/**
 * `diags` without repeats: one mistake in a module used by several instances (or checked by two
 * stages) is the same diagnostic at the same place, and is shown once. First occurrence wins.
 */
export function uniqueDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const r = d.range;
    const key = [d.severity, d.summary, d.detail ?? '', r ? `${r.file}:${r.start.offset}:${r.end.offset}` : ''].join('\0');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** A result together with the diagnostics found while producing it. */
export interface Result<T> {
  readonly value: T;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Thrown to abort a command with diagnostics already collected; the CLI entry prints them and
 * exits with `exitCode`. Only the CLI catches it.
 */
export class DiagnosticsError extends Error {
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    readonly exitCode = 1,
  ) {
    super(diagnostics.map((d) => d.summary).join('; '));
    this.name = 'DiagnosticsError';
  }
}

/** Edit distance counting a swap of two neighbouring letters as one edit ("wbe" -> "web"). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push(new Array<number>(b.length + 1).fill(0));
    rows[i][0] = i;
  }
  for (let j = 0; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i][j] = d;
    }
  }
  return rows[a.length][b.length];
}

/** The candidate closest to `name`, if it is close enough to be a likely misspelling. */
export function nearest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDist || (d === bestDist && best !== undefined && c < best)) {
      best = c;
      bestDist = d;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.min(3, Math.floor(Math.max(name.length, best.length) / 3)));
  return bestDist <= limit ? best : undefined;
}

/** `Did you mean "x"?`, or undefined when nothing is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const n = nearest(name, candidates);
  return n === undefined ? undefined : `Did you mean "${n}"?`;
}
