/**
 * What a command talks to: its output streams, working directory, environment and whether it
 * may colour or ask. Commands write through this, never to `process` directly, so tests run
 * them in-process and capture everything.
 */
import { type Diagnostic, uniqueDiagnostics } from '../diagnostics.js';
import { diagnosticsToJson, formatDiagnostic } from '../render/diagnostics.js';

export interface Io {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  /** Colour for stdout / stderr (already accounts for --no-color, NO_COLOR and terminals). */
  readonly color: boolean;
  readonly errColor: boolean;
  /** Asks a question on the terminal; undefined when there is no terminal to ask on. */
  readonly ask?: (question: string) => Promise<string>;
  /** Like `ask`, without echoing the answer (for sensitive values); falls back to `ask` when absent. */
  readonly askSecret?: (question: string) => Promise<string>;
  /** Sources of loaded configuration files, for printing diagnostics with their lines. */
  readonly sources: Map<string, string>;
}

/** Prints diagnostics to stderr (or as JSON to stdout with `json`). */
export function printDiagnostics(io: Io, given: readonly Diagnostic[], json = false): void {
  if (given.length === 0) return;
  const diags = uniqueDiagnostics(given);
  if (json) {
    io.out(JSON.stringify({ valid: !diags.some((d) => d.severity === 'error'), diagnostics: diagnosticsToJson(diags, io.cwd) }, null, 2) + '\n');
    return;
  }
  for (const d of diags) io.err(formatDiagnostic(d, { sources: io.sources, cwd: io.cwd, color: io.errColor }) + '\n');
}
