/**
 * The scanner (`lexer.ts`) reads exactly what the chevrotain lexer defined in `tokens.ts` reads:
 * that lexer is the specification, kept and validated, and compared with the scanner here on the
 * fixtures and on thousands of random and mutated inputs.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IToken } from 'chevrotain';
import { scan } from '../../src/parser/lexer.js';
import { COMMENTS_GROUP, UNABLE_TO_POP, createInfraLexer } from '../../src/parser/tokens.js';

const reference = createInfraLexer({ validate: true });

const shape = (ts: readonly IToken[]) => ts.map((t) => [t.tokenType.name, t.image, t.startOffset]);

/** The reference lexer's reading of `text` from `start`, in the scanner's terms. */
function referenceScan(text: string, start = 0) {
  const r = reference.tokenize(text.slice(start));
  const move = (ts: readonly IToken[]) => ts.map((t) => [t.tokenType.name, t.image, t.startOffset + start]);
  return {
    tokens: move(r.tokens),
    comments: move(r.groups[COMMENTS_GROUP] ?? []),
    errors: r.errors.filter((e) => e.message !== UNABLE_TO_POP).map((e) => ({ offset: e.offset + start, length: e.length })),
  };
}

function expectSame(text: string, start = 0): void {
  const mine = scan(text, start);
  const expected = referenceScan(text, start);
  expect({ tokens: shape(mine.tokens), comments: shape(mine.comments), errors: mine.errors }, JSON.stringify(text)).to.deep.equal(expected);
}

const root = fileURLToPath(new URL('../../', import.meta.url));
function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(infra|tpl|tftpl)$/.test(name)) out.push(readFileSync(p, 'utf8'));
  }
  return out;
}
const seeds = [...sources(join(root, 'test/fixtures')), ...sources(join(root, 'examples'))];

const pieces = [
  ...'{}[]()"$%<>-=#/*\n\r\t\\,.:?!&|+ \'@;~`\u0000\u00e9\ufeff\u00a0',
  '${', '$${', '%{', '%%{', '${~', '%{~', '~}', '~', '%{ if x }', '%{ endif }', '<<EOT\n', '<<-EOT\n', 'EOT\n', '  EOT', '<<', '/*', '*/', '//', '...', '=>', '==', '!=', '<=', '>=', '&&', '||',
  'for', 'in', 'if', 'true', 'false', 'null', 'format', 'x-1', '1.5e3', '1.', '"a"', '"a\\"b"', '"$', '\\u00e9', 'x', '_', '9',
];

describe('parser: the scanner reads what the reference lexer reads', () => {
  it('on every fixture and example', () => {
    expect(seeds.length).to.be.greaterThan(20);
    for (const s of seeds) expectSame(s);
  });

  it('on random sequences of the characters and pieces that matter', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (parts) => expectSame(parts.join(''))),
      { numRuns: 4000, seed: 42 },
    );
  });

  it('on mutated fixtures, and from an offset inside them (as the structure pass re-lexes)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds.filter((s) => s.length < 3000)),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...pieces)), { maxLength: 6 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (seed, inserts, from) => {
          let s = seed;
          for (const [at, text] of inserts) {
            const k = Math.floor(at * s.length);
            s = s.slice(0, k) + text + s.slice(k);
          }
          expectSame(s);
          expectSame(s, Math.floor(from * s.length));
        },
      ),
      { numRuns: 1500, seed: 7 },
    );
  });

  it('on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (s) => expectSame(s)), { numRuns: 2000, seed: 3 });
  });
});
