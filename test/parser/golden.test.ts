/**
 * Golden diagnostics: every folder in test/fixtures/parser/ holds `input.infra` and
 * `expected.txt`, the exact text `infra validate` would print for the parse (paths relative to
 * the folder, no colour). `UPDATE_GOLDENS=1` rewrites the expectations (review the diff!).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFile } from '../../src/parser/index.js';
import { formatDiagnostic } from '../../src/render/diagnostics.js';
import { caseFolders, expectGolden } from '../support/golden.js';

const root = fileURLToPath(new URL('../fixtures/parser/', import.meta.url));

/** The printed diagnostics of parsing `dir/input.infra`, one block per diagnostic. */
export function printedDiagnostics(dir: string): string {
  const path = join(dir, 'input.infra');
  const source = readFileSync(path, 'utf8');
  const { diagnostics } = parseFile(path, source);
  const sources = new Map([[path, source]]);
  return diagnostics.map((d) => formatDiagnostic(d, { sources, cwd: dir, color: false }) + '\n').join('');
}

describe('parser diagnostics (golden fixtures)', () => {
  const cases = caseFolders(root);

  it('has fixture folders', () => {
    expect(cases.length).to.be.greaterThan(10);
  });

  for (const name of cases) {
    it(name, () => {
      const dir = join(root, name);
      expectGolden(printedDiagnostics(dir), join(dir, 'expected.txt'));
    });
  }
});
