/**
 * yamldecode: Terraform's documented examples, and what `terraform console` (1.11) gives for the
 * YAML that configurations decode (block and flow collections, the scalar styles, block scalars,
 * comments, anchors, tags, Terraform's YAML 1.1-style scalar resolution).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { yamlDecode } from '../../src/evaluate/yaml-decode.js';
import { failure, value } from './helpers.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/yamldecode');

/** yamldecode of `yaml`, written into the expression as a quoted string. */
const decode = (yaml: string) => value(`yamldecode(${JSON.stringify(yaml)})`);
const problem = (yaml: string) => {
  const d = failure(`yamldecode(${JSON.stringify(yaml)})`);
  return `${d.summary}: ${d.detail}`;
};

describe('yamldecode', () => {
  describe("Terraform's documented examples", () => {
    it('a mapping, a bool, anchors and aliases', () => {
      expect(decode('hello: world')).to.deep.equal({ hello: 'world' });
      expect(decode('true')).to.equal(true);
      expect(decode('{a: &foo [1, 2, 3], b: *foo}')).to.deep.equal({ a: [1, 2, 3], b: [1, 2, 3] });
    });

    it('an alias inside its own anchor and an unsupported tag are errors, with Terraform\'s words', () => {
      expect(problem('{a: &foo [1, *foo, 3]}')).to.equal('Invalid argument to "yamldecode": Argument 1 (src): cannot refer to anchor "foo" from inside its own definition.');
      expect(problem('{a: !not-supported foo}')).to.equal('Invalid argument to "yamldecode": Argument 1 (src): unsupported tag "!not-supported".');
    });
  });

  for (const name of readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml'))) {
    it(`${name} decodes as Terraform decodes it (fixtures/yamldecode)`, () => {
      const yaml = readFileSync(join(FIXTURES, name), 'utf8');
      const expected = readFileSync(join(FIXTURES, name.replace(/\.yaml$/, '.json')), 'utf8').trimEnd();
      expect(value(`jsonencode(yamldecode(${JSON.stringify(yaml)}))`)).to.equal(expected);
    });
  }

  it('block mappings and sequences, nested, with sequences at their key\'s indentation', () => {
    expect(decode('a: 1\nb:\n  - x\n  - k: 2\n    z: [1, {q: r}]\nlist:\n- a\n-   b\n')).to.deep.equal({
      a: 1,
      b: ['x', { k: 2, z: [1, { q: 'r' }] }],
      list: ['a', 'b'],
    });
    expect(decode('- - 1\n  - 2\n- 3')).to.deep.equal([[1, 2], 3]);
    expect(decode('  a: 1\n  b: 2')).to.deep.equal({ a: 1, b: 2 });
    expect(decode('a:\n  # only a comment\nb: 1\nc:')).to.deep.equal({ a: null, b: 1, c: null });
    expect(decode('key with spaces: v\n\'quoted key\': w\n"x y": z')).to.deep.equal({ 'key with spaces': 'v', 'quoted key': 'w', 'x y': 'z' });
    expect(decode('a: 1\na: 2')).to.deep.equal({ a: 2 });
  });

  it('scalars resolve as Terraform resolves them', () => {
    expect(decode('[y, Y, yes, on, True, TRUE, n, no, off, False, ~, null, Null, "", \'\', tRue]')).to.deep.equal([
      true, true, true, true, true, true, false, false, false, false, null, null, null, '', '', 'tRue',
    ]);
    expect(decode('[1, -17, 017, +1, .5, 1., 1.0, 1e3, 1.5e+3, 0x1F, 0o17, 1_000, 0b101, -0x1F, 12:30, 9007199254740993]')).to.deep.equal([
      1, -17, 17, 1, 0.5, 1, 1, 1000, 1500, 31, 15, '1_000', '0b101', '-0x1F', '12:30', 9007199254740993n,
    ]);
    expect(decode('[2001-12-14, 2001-1-2, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10, 2001-13-2, "2001-12-14"]')).to.deep.equal([
      '2001-12-14T00:00:00Z', '2001-01-02T00:00:00Z', '2001-12-14T21:59:43-05:00', '2001-12-14T21:59:43Z', '2001-13-2', '2001-12-14',
    ]);
    expect(decode('1: x\ntrue: y\n2.5: z')).to.deep.equal({ '1': 'x', true: true, '2.5': 'z' });
    expect(decode('a: -1\nb: -x\nc: :x\nd: ?x\ne: x#y\nf:   plain   text  # comment\ng: [a b, c]')).to.deep.equal({
      a: -1, b: '-x', c: ':x', d: '?x', e: 'x#y', f: 'plain   text', g: ['a b', 'c'],
    });
  });

  it('quoted scalars: escapes, doubled quotes, folded line breaks', () => {
    expect(decode("e: 'it''s \\n'\nf: \"tab\\there \\u00e9\\x41 \\\"q\\\" \\\\\"")).to.deep.equal({ e: "it's \\n", f: 'tab\there éA "q" \\' });
    expect(decode("a: 'multi\n  line\n\n  para'\nb: \"x\n  y \\\n  z\"")).to.deep.equal({ a: 'multi line\npara', b: 'x y z' });
    expect(decode('key: plain\n  continued\n\n  again')).to.deep.equal({ key: 'plain continued\nagain' });
  });

  it('block scalars: literal and folded, with chomping and indentation indicators', () => {
    expect(decode('c: |\n  line1\n  line2\nd: >\n  folded\n  text\n\n  para\n')).to.deep.equal({ c: 'line1\nline2\n', d: 'folded text\npara\n' });
    expect(decode('a: |+\n  keep\n\nb: |-\n  strip\nc: |2\n   x\n')).to.deep.equal({ a: 'keep\n\n', b: 'strip', c: ' x\n' });
    expect(decode('a: >\n  one\n  two\n\n\n  three\n    indented\n  four\n')).to.deep.equal({ a: 'one two\n\nthree\n  indented\nfour\n' });
    expect(decode('a: |\n  x\n  \n  y')).to.deep.equal({ a: 'x\n\ny' });
    expect(decode('- |\n  text\n- b')).to.deep.equal(['text\n', 'b']);
  });

  it('flow collections: trailing commas, JSON, a key without a value, several lines', () => {
    expect(decode('[1, 2, ]')).to.deep.equal([1, 2]);
    expect(decode('{a: 1, }')).to.deep.equal({ a: 1 });
    expect(decode('{"a":1,"b":[true,null]}')).to.deep.equal({ a: 1, b: [true, null] });
    expect(decode('a: {x: 1, y}')).to.deep.equal({ a: { x: 1, true: null } });
    expect(decode('a: [\n  1,  # one\n  {b: 2,\n   c: 3}\n]')).to.deep.equal({ a: [1, { b: 2, c: 3 }] });
  });

  it('tags, merge keys, document markers', () => {
    expect(decode('a: !!str 1\nb: !!int "1"\nc: !!float 1\nd: !!bool yes\ne: !!null x\nf: !!map {b: 1}\ng: !!seq [1]\nh: !!binary aGVsbG8=\ni: !<tag:yaml.org,2002:str> 1\nj: !!timestamp 2001-12-14')).to.deep.equal({
      a: '1', b: '1', c: 1, d: true, e: null, f: { b: 1 }, g: [1], h: 'aGVsbG8=', i: '1', j: '2001-12-14T00:00:00Z',
    });
    expect(decode('a: &x {p: 1, q: 1}\nb:\n  <<: *x\n  q: 2')).to.deep.equal({ a: { p: 1, q: 1 }, b: { p: 1, q: 2 } });
    expect(decode('---\na: 1\n...\n')).to.deep.equal({ a: 1 });
    expect(decode('---')).to.equal(null);
    expect(decode('? complex\n: v')).to.deep.equal({ complex: 'v' });
  });

  it('what Terraform refuses is an error naming the line and column', () => {
    const arg = 'Invalid argument to "yamldecode": Argument 1 (src): ';
    expect(problem('')).to.equal(`${arg}on line 1, column 1: missing start of document.`);
    expect(problem('# just a comment')).to.equal(`${arg}on line 1, column 1: missing start of document.`);
    expect(problem('--- 1\n--- 2')).to.equal(`${arg}on line 2, column 1: unexpected extra content after value (only one YAML document is allowed).`);
    expect(problem('[1, 2')).to.equal(`${arg}on line 1, column 6: did not find expected ',' or ']'.`);
    expect(problem('a: b: c')).to.equal(`${arg}on line 1, column 5: mapping values are not allowed in this context.`);
    expect(problem('a: - 1')).to.equal(`${arg}on line 1, column 4: block sequence entries are not allowed in this context.`);
    expect(problem('- a\nb: 1')).to.equal(`${arg}on line 2, column 1: did not find expected '-' indicator.`);
    expect(problem('a: 1\n b: 2')).to.equal(`${arg}on line 2, column 3: mapping values are not allowed in this context.`);
    expect(problem('a:\n    b: 1\n   c: 2')).to.equal(`${arg}on line 3, column 4: did not find expected key.`);
    expect(problem('null: z')).to.equal(`${arg}on line 1, column 1: mapping key cannot be null.`);
    expect(problem('[a, b]: v')).to.equal(`${arg}on line 1, column 1: only strings are allowed as mapping keys.`);
    expect(problem('a: &x 1\nb: *x\nc: *y')).to.equal(`${arg}on line 3, column 4: reference to undefined anchor "y".`);
    expect(problem('a: !!int x')).to.equal(`${arg}cannot parse "x" as tag:yaml.org,2002:int.`);
    expect(problem('a: !!binary aGV*')).to.equal(`${arg}cannot parse "aGV*" as tag:yaml.org,2002:binary: not valid base64.`);
    expect(problem('.nan')).to.equal(`${arg}floating point NaN is not supported.`);
    expect(problem('base: &b {a: 1}\nx:\n  <<: [*b]')).to.equal(`${arg}on line 3, column 3: cannot merge tuple into mapping.`);
    expect(problem('.inf')).to.equal(`${arg}infinity is not supported (numbers here are finite).`);
    expect(problem('\ta: 1')).to.equal(`${arg}on line 1, column 1: found character that cannot start any token.`);
    expect(problem('%YAML 1.2\n---\na: 1')).to.equal(`${arg}on line 1, column 1: directives are not supported.`);
  });

  it('an alias bomb and runaway nesting are errors, not a hang or a crash', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 7; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    expect(problem(levels.join('\n'))).to.equal('Invalid argument to "yamldecode": Argument 1 (src): the document expands to more than 1000000 values (through aliases).');
    expect(problem('['.repeat(600))).to.equal('Invalid argument to "yamldecode": Argument 1 (src): on line 1, column 501: the document is nested more than 500 levels deep.');
  });

  it('never throws, whatever the text (a value or an error)', () => {
    const pieces = ['a', 'b: ', '- ', '  ', '\n', ':', '#', '"', "'", '|', '>', '+', '-', '[', ']', '{', '}', ',', '&x ', '*x', '!!str ', '? ', '\\', '\t', '---', '...', '1', '.5', 'yes', '<<: '];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (parts) => {
        yamlDecode(parts.join(''));
      }),
      { numRuns: 3000 },
    );
  });
});
