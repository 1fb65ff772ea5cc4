/**
 * Bad input never breaks the parser: every input ends in a tree and diagnostics, never an
 * exception, a stack overflow or a hang. Random and mutated inputs (fast-check, seeded, so a
 * failure reproduces), plus the extremes named in the requirements.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../../src/diagnostics.js';
import { formatSource } from '../../src/fmt/format.js';
import { parseExpression, parseFile, parseFileWithGrammar } from '../../src/parser/index.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The inputs of every parser and fmt fixture: the seeds of the mutations. */
function fixtureInputs(): string[] {
  const out: string[] = [];
  for (const area of ['parser', 'fmt']) {
    const dir = join(fixtures, area);
    // Folders without an input of their own (fmt/terraform holds cases one level down) are skipped.
    for (const c of readdirSync(dir)) if (existsSync(join(dir, c, 'input.infra'))) out.push(readFileSync(join(dir, c, 'input.infra'), 'utf8'));
  }
  return out;
}

/** Checks the contract of one parse: a file node, and diagnostics with sane ranges. */
function checkParse(source: string): Diagnostic[] {
  const { file, diagnostics } = parseFile('fuzz.infra', source);
  expect(file.kind).to.equal('File');
  for (const d of diagnostics) {
    expect(d.summary).to.be.a('string').and.not.equal('');
    if (d.range === undefined) continue;
    const { start, end } = d.range;
    expect(start.offset, d.summary).to.be.within(0, source.length);
    expect(end.offset, d.summary).to.be.within(start.offset, source.length);
    expect(start.line).to.be.at.least(1);
    expect(start.column).to.be.at.least(1);
  }
  return diagnostics;
}

// Characters that matter to the lexer and the structure pass, and some that are plain invalid.
const interesting = [...'{}[]()"$%<>-=#/*\n\\,.:?!&|+ \t\'@;~`\u0000\u00e9', '${', '%{', '<<EOT\n', '<<-EOT\n', 'EOT\n', '/*', '*/', '//', '...', '=>', 'for ', ' in ', ' if ', 'null', 'x'];

const mutation = (seeds: string[]) =>
  fc
    .record({
      seed: fc.constantFrom(...seeds),
      ops: fc.array(
        fc.record({
          kind: fc.constantFrom('insert', 'delete', 'duplicate', 'truncate', 'swap'),
          at: fc.double({ min: 0, max: 1, noNaN: true }),
          length: fc.integer({ min: 1, max: 12 }),
          text: fc.constantFrom(...interesting),
        }),
        { minLength: 1, maxLength: 6 },
      ),
    })
    .map(({ seed, ops }) => {
      let s = seed;
      for (const op of ops) {
        const at = Math.floor(op.at * s.length);
        switch (op.kind) {
          case 'insert':
            s = s.slice(0, at) + op.text + s.slice(at);
            break;
          case 'delete':
            s = s.slice(0, at) + s.slice(at + op.length);
            break;
          case 'duplicate':
            s = s.slice(0, at + op.length) + s.slice(at, at + op.length) + s.slice(at + op.length);
            break;
          case 'truncate':
            s = s.slice(0, at);
            break;
          case 'swap':
            s = s.slice(0, at) + s.slice(at + op.length, at + 2 * op.length) + s.slice(at, at + op.length) + s.slice(at + 2 * op.length);
            break;
        }
      }
      return s;
    });

describe('parser: robustness', () => {
  it('mutated fixtures: always a tree and diagnostics, formatter included', () => {
    const seeds = fixtureInputs().filter((s) => s.length < 2_000);
    fc.assert(
      fc.property(mutation(seeds), (source) => {
        checkParse(source);
        formatSource('fuzz.infra', source);
      }),
      { numRuns: 2500, seed: 20240101 },
    );
  });

  it('random token soup', () => {
    const token = fc.constantFrom(...interesting, 'a', 'b', '1', '"s"', 'resource', '"x" {', '= ', '\n');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (parts) => {
        const source = parts.join('');
        checkParse(source);
        parseExpression(source);
      }),
      { numRuns: 2500, seed: 7 },
    );
  });

  it('random unicode and binary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (source) => {
        checkParse(source);
      }),
      { numRuns: 1000, seed: 11 },
    );
  });

  it('binary garbage: a diagnostic for the invalid bytes, and the valid lines still parse', () => {
    const bytes = Array.from({ length: 4096 }, (_, i) => String.fromCharCode((i * 7919 + 13) % 256)).join('');
    const source = `a = 1\n${bytes}\nb = 2\n`;
    const diags = checkParse(source);
    expect(diags.length).to.be.greaterThan(0);
    expect(diags.some((d) => d.summary.startsWith('Invalid character'))).to.equal(true);
  });

  describe('10,000 levels of nesting', () => {
    const depth = 10_000;
    const shapes: Record<string, [string, string]> = {
      lists: ['[', ']'],
      objects: ['{ a = ', ' }'],
      parentheses: ['(', ')'],
      calls: ['f(', ')'],
      interpolations: ['"${', '}"'],
      'block bodies': ['b {\n', '\n}'],
    };
    for (const [name, [open, close]] of Object.entries(shapes)) {
      it(`${name}, balanced and unbalanced`, () => {
        const inner = name === 'block bodies' ? 'x = 1' : '1';
        const balanced = `${name === 'block bodies' ? '' : 'a = '}${open.repeat(depth)}${inner}${close.repeat(depth)}\nz = 2\n`;
        const diags = checkParse(balanced);
        expect(diags.map((d) => d.summary)).to.include('Nesting too deep');
        const unbalanced = `${name === 'block bodies' ? '' : 'a = '}${open.repeat(depth)}\n`;
        expect(checkParse(unbalanced).length).to.be.greaterThan(0);
      });
    }
    it('chains without brackets: operators, prefixes, traversals, conditionals', () => {
      for (const source of [
        `a = ${Array(depth).fill('x').join(' + ')}\n`,
        `a = ${'!'.repeat(depth)}x\n`,
        `a = ${'-'.repeat(depth)}x\n`,
        `a = x${'.y'.repeat(depth)}\n`,
        `a = x${'[0]'.repeat(depth)}\n`,
        `a = ${'c ? '.repeat(depth)}1${' : 2'.repeat(depth)}\n`,
        `a = ${'c ? 1 : '.repeat(depth)}2\n`,
      ]) {
        expect(checkParse(source).map((d) => d.summary), source.slice(0, 20)).to.include('Nesting too deep');
      }
    });
  });

  it('unterminated everything, at the end of the file', () => {
    for (const source of [
      'a = "abc',
      'a = "${',
      'a = "${x',
      'a = "${ {',
      'a = <<EOT\nabc',
      'a = <<-EOT\n  ${x',
      'a = /* abc',
      'a = [1,',
      'a = f(1,',
      'a = {',
      'b {',
      'a = "\\',
      'a = <<EOT',
      'a = [for x in',
    ]) {
      const diags = checkParse(source);
      expect(diags.length, source).to.be.greaterThan(0);
    }
  });

  it('a big file is parsed a piece at a time: every item and every error of every piece', () => {
    const parts: string[] = [];
    for (let i = 0; i < 3000; i++) {
      parts.push(i % 1000 === 999 ? `resource "a" "r${i}" {\n  x = [1 2]\n}\n` : `resource "a" "r${i}" {\n  x = [1, 2]\n}\n`);
    }
    parts.push('a = 1\na = 2\n');
    const { file, diagnostics } = parseFile('big.infra', parts.join(''));
    expect(file.body.items.length).to.equal(3001);
    expect(diagnostics.map((d) => `${d.range?.start.line}: ${d.summary}`)).to.deep.equal([
      '2999: Expected "," or "]", found "2"',
      '5999: Expected "," or "]", found "2"',
      '8999: Expected "," or "]", found "2"',
      '9002: Attribute redefined',
    ]);
  });

  it('a 10 MB file parses', function () {
    this.timeout(60_000);
    const resource = (i: number) =>
      `resource "dns_check" "r${i}" {\n  server = "\${each.value.ipv4}:53"\n  values = [var.www, "10.0.0.${i % 250}"]\n  lifecycle blue_green\n}\n\n`;
    const parts: string[] = [];
    for (let i = 0; i < 2000; i++) parts.push(resource(i));
    parts.push(`locals {\n  big = <<-EOT\n${'    a line of text in a large heredoc, with $${escapes}\n'.repeat(115_000)}  EOT\n}\n`);
    parts.push(`# ${'a long comment line '.repeat(10)}\n`.repeat(18_000));
    const source = parts.join('');
    expect(source.length).to.be.greaterThan(10_000_000);
    const { file, diagnostics } = parseFile('big.infra', source);
    expect(diagnostics).to.deep.equal([]);
    expect(file.body.items.length).to.equal(2001);
  });

  describe('strings of megabytes (they were "Nesting too deep" at 1:1: the scanner\'s string patterns overflowed the stack)', () => {
    /** `kinds of the parts : characters of text` of the first attribute's string. */
    const summary = (file: ReturnType<typeof parseFile>['file']): string => {
      const item = file.body.items[0];
      if (item.kind !== 'Attribute' || item.expr.kind !== 'Template') return item.kind;
      const parts = item.expr.parts;
      return `${parts.map((p) => p.kind).join(',')}:${parts.reduce((n, p) => n + (p.kind === 'Text' ? p.value.length : 0), 0)}`;
    };
    const flat = 'a'.repeat(8_500_000);
    const line = '    a line of text in a large heredoc, with $${escapes} and 100%\n';
    const cases: [string, string, string][] = [
      ['an 8.5 MB quoted string', `x = "${flat}"\ny = 1\n`, 'Text:8500000'],
      ['an 8.5 MB quoted string of escapes and lone $ and %', `x = "${'a\\n$%'.repeat(1_700_000)}"\ny = 1\n`, 'Text:6800000'],
      ['an 8.5 MB template with interpolations at both ends', `x = "\${y}${flat}\${y}"\ny = 1\n`, 'Interpolation,Text,Interpolation:8500000'],
      ['a 10 MB heredoc of many lines', `x = <<-EOT\n${line.repeat(160_000)}  EOT\ny = 1\n`, `Text:${160_000 * (line.length - 5)}`],
      ['a 10 MB heredoc of one line', `x = <<EOT\n${'b'.repeat(10_000_000)}\nEOT\ny = 1\n`, 'Text:10000001'],
    ];
    for (const [name, source, expected] of cases) {
      it(`${name}: the fast path and the grammar both parse it, with no diagnostic`, function () {
        this.timeout(60_000);
        expect(source.length).to.be.greaterThan(8_500_000);
        for (const parse of [parseFile, parseFileWithGrammar]) {
          const { file, diagnostics } = parse('big.infra', source);
          expect(diagnostics, parse.name).to.deep.equal([]);
          expect(file.body.items.length, parse.name).to.equal(2);
          expect(summary(file), parse.name).to.equal(expected);
        }
      });
    }
  });
});
