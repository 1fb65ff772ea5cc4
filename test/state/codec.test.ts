// Golden tests: each folder in fixtures/decode/ holds an `infra.state.json` and the `expected.txt`
// that decoding it gives: the printed diagnostics for a bad file, the re-encoded state for a good
// one. UPDATE_GOLDENS=1 rewrites the expected files (review the diff before keeping it).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../../src/diagnostics.js';
import { decodeState, encodeState } from '../../src/state/codec.js';
import { canonicalJson } from '../../src/evaluate/value.js';
import { hashSensitive, isSensitiveHash, splitSensitive } from '../../src/state/sensitive.js';
import { caseFolders, expectGolden } from '../support/golden.js';
import { printDiagnostics } from './helpers.js';

const fixtures = fileURLToPath(new URL('./fixtures/decode/', import.meta.url));

function printRange(d: Diagnostic): string {
  if (!d.range) return '';
  const { file, start, end } = d.range;
  return `\nrange: ${file}:${start.line}:${start.column}-${end.line}:${end.column} (offset ${start.offset})`;
}

describe('state/codec', () => {
  for (const name of caseFolders(fixtures)) {
    it(`decodes fixtures/decode/${name}`, () => {
      const text = readFileSync(join(fixtures, name, 'infra.state.json'), 'utf8');
      const { state, diagnostics } = decodeState(text, 'infra.state.json');
      const actual = state
        ? encodeState(state)
        : `${printDiagnostics(diagnostics)}${diagnostics.map(printRange).join('')}\n`;
      expectGolden(actual, join(fixtures, name, 'expected.txt'));
    });
  }

  it('decodes what it encodes', () => {
    const text = readFileSync(join(fixtures, 'valid-unsorted', 'expected.txt'), 'utf8');
    const { state } = decodeState(text, 'infra.state.json');
    expect(state).to.not.equal(null);
    expect(encodeState(state!)).to.equal(text);
  });
});

describe('state/sensitive', () => {
  it('hashes equal values alike whatever the order of their keys', () => {
    expect(hashSensitive({ b: 1, a: [true, null] })).to.equal(hashSensitive({ a: [true, null], b: 1 }));
    expect(canonicalJson({ b: 1, a: { d: 'x', c: 2 } })).to.equal('{"a":{"c":2,"d":"x"},"b":1}');
  });

  it('hashes as sha256 of the JSON text', () => {
    // sha256 of the four characters "test" (quotes included): the JSON encoding of the string test.
    expect(hashSensitive('test')).to.equal('sha256:4d967a30111bf29f0eba01c448b375c1629b2fed01cdfcc3aed91f1b57d5dd5e');
    expect(isSensitiveHash(hashSensitive('test'))).to.equal(true);
    expect(isSensitiveHash('hunter2')).to.equal(false);
  });

  it('keeps only hashes of the attributes named sensitive', () => {
    const split = splitSensitive({ label: 'ns1', root_pass: 'test' }, ['root_pass', 'absent']);
    expect(split).to.deep.equal({
      attributes: { label: 'ns1' },
      sensitive_attributes: { root_pass: 'sha256:4d967a30111bf29f0eba01c448b375c1629b2fed01cdfcc3aed91f1b57d5dd5e' },
    });
  });
});
