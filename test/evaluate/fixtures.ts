/**
 * Golden fixture folders: each holds one or more `.infra` files, an optional `vars` file (lines
 * `--var NAME=VALUE`, `--var-file FILE`, `env NAME=VALUE`) and `expected.txt`, the exact text the
 * diagnostics print as (paths relative to the folder, no colour). `UPDATE_GOLDENS=1` rewrites the
 * expectations (review the diff!).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { caseFolders, expectGolden } from '../support/golden.js';
import { printDiagnostics, readVarsFile, runPipeline } from './pipeline.js';

/** The printed diagnostics of one fixture folder. */
export function fixtureOutput(dir: string): string {
  const input = readVarsFile(dir);
  const { files, diagnostics } = runPipeline(dir, input, dir);
  const extra = new Map<string, string>();
  for (const f of input.varFiles) {
    const abs = resolve(dir, f);
    if (existsSync(abs)) extra.set(relative(dir, abs), readFileSync(abs, 'utf8'));
  }
  return printDiagnostics(diagnostics, files, dir, extra);
}

/** Declares one test per folder of `root`. */
export function goldenSuite(title: string, root: string): void {
  describe(title, () => {
    for (const name of caseFolders(root)) {
      it(name, () => {
        const dir = join(root, name);
        expectGolden(fixtureOutput(dir), join(dir, 'expected.txt'));
      });
    }
  });
}
