/**
 * `infra fmt`, with terraform fmt's flags and behaviour: files are listed when they change and
 * rewritten; `-check` writes nothing and exits 3 when a file would change; `-diff` prints a
 * unified diff (`--- old/PATH` / `+++ new/PATH`); `-write=false` and `-list=false` turn off
 * writing and listing; `-recursive` descends into subdirectories (not those whose name starts
 * with a dot); `-` reads standard input and prints the result (or, with `-check` / `-diff`, only
 * the exit code / the diff).
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { structuredPatch } from 'diff';
import { type Diagnostic, DiagnosticsError, error, hasErrors } from '../diagnostics.js';
import { formatSource } from '../fmt/format.js';
import { type Io, printDiagnostics } from './io.js';

/** The flags of `infra fmt`; `write` and `list` default to true, the others to false. */
export interface FmtOptions {
  readonly check?: boolean;
  readonly diff?: boolean;
  readonly recursive?: boolean;
  readonly write?: boolean;
  readonly list?: boolean;
}

/** Standard input as text; the CLI reads the process's, tests pass their own. */
export type ReadStdin = () => Promise<string>;

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Runs `infra fmt PATHS` and returns the exit code: 0, 3 when `check` is set and a file would
 * change, 1 when a file has syntax errors (it is left alone and its errors printed) or a path
 * does not exist. `-` among the paths means standard input.
 */
export async function fmtCommand(paths: readonly string[], opts: FmtOptions, io: Io, readStdin: ReadStdin = readProcessStdin): Promise<number> {
  const check = opts.check === true;
  const diff = opts.diff === true;
  let changed = 0;
  const diags: Diagnostic[] = [];
  const formatOne = (name: string, source: string): string | null => {
    io.sources.set(name, source);
    const r = formatSource(name, source);
    if (hasErrors(r.diagnostics)) {
      diags.push(...r.diagnostics);
      return null;
    }
    if (r.output !== source) changed++;
    return r.output;
  };

  if (paths.includes('-')) {
    if (paths.length > 1) throw new DiagnosticsError([error('infra fmt - reads standard input: give no other path with it')]);
    const source = await readStdin();
    const output = formatOne('<stdin>', source);
    if (output !== null) {
      if (diff) io.out(unifiedDiff('<stdin>', source, output));
      // As terraform prints it: a missing final newline is added on the terminal only.
      else if (!check) io.out(output.endsWith('\n') ? output : `${output}\n`);
    }
  } else {
    const write = opts.write !== false && !check;
    const list = opts.list !== false;
    for (const abs of infraFiles(paths, io.cwd, opts.recursive === true)) {
      const name = relative(io.cwd, abs) || abs;
      const source = readFileSync(abs, 'utf8');
      const output = formatOne(name, source);
      if (output === null || output === source) continue;
      if (list) io.out(`${name}\n`);
      if (write) writeFileSync(abs, output);
      if (diff) io.out(unifiedDiff(name, source, output));
    }
  }
  printDiagnostics(io, diags);
  if (hasErrors(diags)) return 1;
  return check && changed > 0 ? 3 : 0;
}

/** The `.infra` files named or inside the named directories (default `.`), in a stable order. */
function infraFiles(paths: readonly string[], cwd: string, recursive: boolean): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) if (e.isFile() && e.name.endsWith('.infra')) out.push(join(dir, e.name));
    // Like terraform fmt: `.terraform`, `.git` and other dot-directories are not configuration.
    if (recursive) for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) walk(join(dir, e.name));
  };
  for (const p of paths.length > 0 ? paths : ['.']) {
    const abs = resolve(cwd, p);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new DiagnosticsError([error(`No such file or directory: ${p}`)]);
    }
    if (st.isDirectory()) walk(abs);
    else out.push(abs);
  }
  return out;
}

/** A unified diff as terraform fmt prints it: `--- old/NAME`, `+++ new/NAME`, GNU hunk headers. */
function unifiedDiff(name: string, before: string, after: string): string {
  const patch = structuredPatch(`old/${name}`, `new/${name}`, before, after, '', '', { context: 3 });
  const range = (start: number, count: number): string => (count === 1 ? `${start}` : `${count === 0 ? start - 1 + (start === 0 ? 1 : 0) : start},${count}`);
  let out = `--- old/${name}\n+++ new/${name}\n`;
  for (const h of patch.hunks) {
    out += `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@\n`;
    for (const line of h.lines) out += `${line}\n`;
  }
  return out;
}
