/**
 * Golden fixture folders: each holds one or more `.infra` files, an optional `vars` file (lines
 * `--var NAME=VALUE`, `--var-file FILE`, `env NAME=VALUE`) and `expected.txt`, the exact text the
 * diagnostics print as (paths relative to the folder, no colour). `UPDATE_GOLDEN=1` rewrites the
 * expectations (review the diff!).
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
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
    const cases = readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    for (const name of cases) {
      it(name, () => {
        const dir = join(root, name);
        const actual = fixtureOutput(dir);
        const expectedPath = join(dir, 'expected.txt');
        if (process.env.UPDATE_GOLDEN === '1') writeFileSync(expectedPath, actual);
        expect(existsSync(expectedPath), `missing ${expectedPath} (run with UPDATE_GOLDEN=1)`).to.equal(true);
        expect(actual).to.equal(readFileSync(expectedPath, 'utf8'));
      });
    }
  });
}
