/**
 * Golden files: expected outputs kept in fixture folders beside their inputs and compared to the
 * letter. `UPDATE_GOLDENS=1` rewrites them from what the code prints now; review the diff before
 * keeping it.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** Whether this run rewrites golden files (`UPDATE_GOLDENS=1`). */
export const UPDATE_GOLDENS = process.env.UPDATE_GOLDENS === '1';

/** The names of the folders in `root` (one case each), sorted. */
export function caseFolders(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Expects `actual` to be the content of `expectedPath`, exactly; with UPDATE_GOLDENS=1 writes it there first. */
export function expectGolden(actual: string, expectedPath: string): void {
  // The old spelling would otherwise rewrite nothing, silently.
  expect(process.env.UPDATE_GOLDEN, 'UPDATE_GOLDEN is not read: the variable is UPDATE_GOLDENS').to.equal(undefined);
  if (UPDATE_GOLDENS) writeFileSync(expectedPath, actual);
  expect(existsSync(expectedPath), `missing ${expectedPath} (run with UPDATE_GOLDENS=1)`).to.equal(true);
  expect(actual).to.equal(readFileSync(expectedPath, 'utf8'));
}
