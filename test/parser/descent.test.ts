/**
 * The fast path (`descent.ts`) against the chevrotain grammar (`parseFileWithGrammar`): wherever
 * the fast path finishes, the tree and the diagnostics must be exactly the grammar's, ranges
 * included; where it declines, `parseFile` is the grammar. And it must really be used: every
 * well-formed file of the project goes the fast way.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateConfig } from '../../bench/generate.js';
import { AstBuilder } from '../../src/parser/build.js';
import { descend } from '../../src/parser/descent.js';
import { parseFile, parseFileWithGrammar } from '../../src/parser/index.js';
import { LineMap } from '../../src/parser/positions.js';
import { MAX_NESTING } from '../../src/parser/structure.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function infraFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) infraFiles(path, out);
    else if (entry.endsWith('.infra')) out.push(path);
  }
  return out;
}

/** Whether the fast path finishes on `source`. */
function accepted(source: string): boolean {
  return descend(source, new AstBuilder(new LineMap('x.infra', source))) !== undefined;
}

/** Both parsers' results as plain data (ranges serialise to file, line, column and offset). */
function same(source: string): boolean {
  const fast = parseFile('x.infra', source);
  const grammar = parseFileWithGrammar('x.infra', source);
  expect(JSON.stringify(fast.file)).to.equal(JSON.stringify(grammar.file));
  expect(JSON.stringify(fast.diagnostics)).to.equal(JSON.stringify(grammar.diagnostics));
  return accepted(source);
}

// --- Generated well-formed configurations ---------------------------------------------------

const name = fc.constantFrom('a', 'b', 'name', 'test_instance', 'x-y', 'ns1', 'each', 'count', 'local', 'var', 'path');
const space = fc.constantFrom('', ' ', '  ');
/** Where newlines do not count (inside brackets). */
const gap = fc.constantFrom('', ' ', '\n', ' \n  ', ' # note\n', ' /* c */ ');

const text = fc.constantFrom('', 'plain', 'a b', 'with \\"quotes\\"', 'tab\\t', 'dollar $ sign', '$${literal}', '%%{literal}', 'unicode \\u00e9', '100%');

const { expr } = fc.letrec<{ expr: string; operand: string; template: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('operand'),
    fc.tuple(tie('operand'), fc.constantFrom('+', '-', '*', '/', '%', '==', '!=', '<', '<=', '>', '>=', '&&', '||'), space, tie('operand')).map(([a, op, s, b]) => `${a} ${op}${s}${b}`),
    fc.tuple(tie('operand'), tie('expr'), tie('expr')).map(([c, a, b]) => `${c} ? ${a} : ${b}`),
  ),
  operand: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('1', '0', '3.14', '1e3', 'true', 'false', 'null', '"s"', '""', 'var.x', 'local.y', 'each.key', 'count.index', 'path.root'),
    name,
    fc.tuple(name, fc.array(fc.constantFrom('.a', '.b', '[0]', '["k"]', '.*', '[*]', '.0', '.true'), { maxLength: 4 })).map(([n, p]) => n + p.join('')),
    fc.tuple(fc.constantFrom('!', '-', '!!', '- '), tie('operand')).map(([p, o]) => p + o),
    fc.tuple(gap, tie('expr'), gap).map(([a, e, b]) => `(${a}${e}${b})`),
    fc.tuple(fc.constantFrom('join', 'format', 'lower', 'merge', 'f'), fc.array(fc.tuple(gap, tie('expr')), { maxLength: 3 }), fc.constantFrom('', ',', '...'), gap).map(
      ([f, args, tail, g]) => `${f}(${args.map(([s, e]) => s + e).join(',')}${args.length > 0 ? tail : ''}${g})`,
    ),
    fc.tuple(fc.array(fc.tuple(gap, tie('expr')), { maxLength: 4 }), fc.boolean(), gap).map(([items, comma, g]) => `[${items.map(([s, e]) => s + e).join(',')}${comma && items.length > 0 ? ',' : ''}${g}]`),
    fc.tuple(fc.array(fc.tuple(fc.constantFrom('k', '"k2"', 'key-3', '(var.k)'), fc.constantFrom(' = ', ': ', '='), tie('expr')), { maxLength: 4 }), fc.constantFrom(', ', '\n  ', ',\n  ', ' ')).map(
      ([items, sep]) => `{${sep === ' ' && items.length > 1 ? '\n' : ' '}${items.map(([k, s, v]) => k + s + v).join(sep === ' ' && items.length > 1 ? '\n' : sep)}${items.length > 0 ? '\n' : ''}}`,
    ),
    fc.tuple(name, tie('expr'), tie('expr'), fc.option(tie('expr'), { nil: undefined }), gap).map(
      ([v, coll, value, cond, g]) => `[for ${v} in ${coll} :${g}${value}${cond !== undefined ? ` if ${cond}` : ''}]`,
    ),
    fc.tuple(tie('expr'), tie('expr'), fc.boolean(), fc.option(tie('expr'), { nil: undefined }), gap).map(
      ([coll, value, group, cond, g]) => `{${g}for k, v in ${coll} :${g}k => ${value}${group ? '...' : ''}${cond !== undefined ? ` if ${cond}` : ''}${g}}`,
    ),
    tie('template'),
  ),
  template: fc
    .array(
      fc.oneof(
        text,
        tie('expr').map((e) => `\${${e}}`),
        tie('expr').map((e) => `\${~ ${e} ~}`),
        fc.tuple(tie('expr'), text, text).map(([c, a, b]) => `%{ if ${c} }${a}%{ else }${b}%{ endif }`),
        fc.tuple(tie('expr'), text).map(([c, a]) => `%{~ for x in ${c} ~}${a}\${x}%{ endfor }`),
      ),
      { maxLength: 4 },
    )
    .map((parts) => `"${parts.join('')}"`),
}));

const heredoc = fc
  .tuple(fc.constantFrom('<<EOT', '<<-EOT', '<<END'), fc.array(fc.oneof(fc.constantFrom('line one', '  indented', '', 'a $ b %'), expr.map((e) => `x = \${${e}}`)), { maxLength: 3 }))
  .map(([start, lines]) => `${start}\n${lines.map((l) => `    ${l}\n`).join('')}    ${start.replace(/^<<-?/, '')}`);

const attribute = fc.tuple(name, fc.oneof({ weight: 5, arbitrary: expr }, { weight: 1, arbitrary: heredoc })).map(([n, v]) => `${n} = ${v}`);

const { body } = fc.letrec<{ body: string; block: string }>((tie) => ({
  body: fc
    .array(fc.oneof({ weight: 3, arbitrary: attribute }, { weight: 1, arbitrary: tie('block') }, { weight: 1, arbitrary: fc.constantFrom('# comment', '// comment', '/* block */', '') }), {
      maxLength: 4,
    })
    .map((items) => items.join('\n')),
  block: fc
    .tuple(
      name,
      fc.array(fc.constantFrom('"label"', '"x.y"', 'blue_green', '"with \\"esc\\""'), { maxLength: 2 }),
      fc.oneof(
        tie('body').map((b) => ` {\n${b}\n}`),
        fc.array(attribute, { minLength: 1, maxLength: 3 }).map((as) => ` { ${as.join(', ')} }`),
        fc.constant(' {}'),
      ),
    )
    .map(([type, labels, b]) => `${type}${labels.map((l) => ` ${l}`).join('')}${b}`),
}));

describe('parser: fast path', () => {
  it('finishes on every well-formed .infra file of the project, with the same tree as the grammar', () => {
    const files = infraFiles(root);
    expect(files.length).to.be.greaterThan(20);
    let fast = 0;
    for (const path of files) {
      const source = readFileSync(path, 'utf8');
      const wellFormed = parseFileWithGrammar('x.infra', source).diagnostics.length === 0;
      const used = same(source);
      // A newline inside an interpolation is one of the documented declines (the grammar parses it).
      const multiLineInterpolation = /\$\{[^}]*\n/.test(source);
      if (wellFormed && !multiLineInterpolation) expect(used, path).to.equal(true);
      if (used) fast++;
    }
    expect(fast).to.be.greaterThan(20);
  });

  it('finishes on the benchmark configuration', () => {
    expect(same(generateConfig(40))).to.equal(true);
  });

  it('generated well-formed files: finished, and the same tree and diagnostics as the grammar', () => {
    let used = 0;
    fc.assert(
      fc.property(body, (source) => {
        if (same(source)) used++;
      }),
      { numRuns: 1500, seed: 42 },
    );
    // A few generated files nest too deep or trip the builder; nearly all go the fast way.
    expect(used).to.be.greaterThan(1200);
  });

  it('mutated files: the same as the grammar wherever the fast path finishes', () => {
    const seeds = infraFiles(root)
      .map((p) => readFileSync(p, 'utf8'))
      .filter((s) => s.length < 3000);
    const insertions = [...'{}[]()"$%<>-=#/*\n\\,.:?!&|+ ~', '${', '%{', '~}', '<<EOT\n', 'EOT\n', '/*', '//', '...', '=>', 'for ', ' in ', ' if ', 'null', 'x', '\u00e9'];
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 6 }), fc.constantFrom(...insertions, '')), { minLength: 1, maxLength: 4 }),
        (seed, ops) => {
          let s = seed;
          for (const [at, del, ins] of ops) {
            const i = Math.floor(at * s.length);
            s = s.slice(0, i) + ins + s.slice(i + del);
          }
          same(s);
        },
      ),
      { numRuns: 2000, seed: 99 },
    );
  });

  it('leaves nesting near the limit to the grammar (which reports it)', () => {
    const deep = (n: number) => `a = ${'['.repeat(n)}1${']'.repeat(n)}\n`;
    expect(same(deep(20))).to.equal(true);
    expect(same(deep(MAX_NESTING - 5))).to.equal(false);
    expect(same(deep(MAX_NESTING + 1))).to.equal(false);
    expect(parseFile('x.infra', deep(MAX_NESTING + 1)).diagnostics.map((d) => d.summary)).to.include('Nesting too deep');
    const chain = `a = ${Array.from({ length: MAX_NESTING }, (_, i) => `c${i} ? ${i} :`).join(' ')} 0\n`;
    expect(same(chain)).to.equal(false);
  });

  it('a line in brackets that reads like a block is left to the grammar (as the structure pass takes it)', () => {
    expect(same('a = [for x in xs :\n  x if { }]\n')).to.equal(false);
    expect(same('a = [for x in xs :\n  x if x != "b"]\n')).to.equal(true);
    expect(same('a = f(\n  b,\n  c = 1)\n')).to.equal(false);
  });

  it('null, true and false as attribute and block names; non-ASCII identifiers (as HCL)', () => {
    expect(same('null = { source = "x" }\ntrue = 1\nfalse { a = 1 }\nb {\n  null = 2\n}\n')).to.equal(true);
    expect(same('c = x.null.true\n')).to.equal(true);
    expect(same('π = 3.14\nnaïve_név-2 = π\nça "label" { é = 1 }\n')).to.equal(true);
    expect(same('a = [\n  null,\n  true\n]\n')).to.equal(true);
    for (const source of ['null = { source = "x" }\n', 'π = 3.14\nx = π\n']) {
      expect(JSON.stringify(parseFile('x.infra', source).diagnostics), source).to.equal('[]');
    }
  });

  it('declines on an invalid character or an unterminated comment, though the rest parses', () => {
    expect(same('a = 1\nb = 2 @\n')).to.equal(false);
    expect(same('a = 1\n/* open\n')).to.equal(false);
    expect(same('a = 1 # fine\n')).to.equal(true);
  });
});
