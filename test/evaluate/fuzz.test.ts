/**
 * Fuzzing the loader and the evaluator: random and mutated configurations, random expressions and
 * random function arguments must all end in a value or diagnostics, never an exception.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../../src/diagnostics.js';
import { evaluateExpr } from '../../src/evaluate/evaluate.js';
import { FUNCTIONS } from '../../src/evaluate/functions.js';
import { Sensitive, UNKNOWN, type Value } from '../../src/evaluate/value.js';
import { parseExpression } from '../../src/parser/index.js';
import { runPipeline } from './pipeline.js';
import { scope } from './helpers.js';
import { removeTemp, tempConfig } from './support.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Every .infra text under the evaluate and config fixtures: the seeds for mutation. */
function seeds(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.infra')) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(join(fixtures, 'evaluate'));
  walk(join(fixtures, 'config'));
  return out;
}

function wellFormed(diags: readonly Diagnostic[]): void {
  for (const d of diags) {
    expect(d.summary).to.be.a('string').and.not.equal('');
    expect(['error', 'warning']).to.include(d.severity);
  }
}

const TOKENS = [
  '{', '}', '[', ']', '(', ')', '"', '${', '=', ',', '\n', '.', '...', '=>', '?', ':', '*', '[*]', '%', '!', '&&', '-',
  'var.', 'local.', 'each.key', 'count.index', 'path.root', 'for x in', 'if', 'null', 'true', '0', '-1', '1e400',
  'resource "t" "n" {', 'locals {', 'variable "v" {', 'output "o" {', 'lifecycle blue_green', 'lifecycle {',
  'for_each = ', 'count = ', 'depends_on = [', 'ignore_changes', 'max_parallel = ', 'type = ', 'default = ',
  'templatefile("x", {})', 'file("/dev/null")', 'format("%', 'jsondecode("', 'range(1000000)', 'local.a', 'local.b',
  '__proto__', 'constructor', '"\\u0000"', '\u0000', '\uFFFF', '<<EOT\n', '\nEOT\n',
];

const mutation = (len: number): fc.Arbitrary<(s: string) => string> =>
  fc.oneof(
    fc.tuple(fc.nat(len), fc.nat(40)).map(([at, n]) => (s: string) => s.slice(0, at) + s.slice(at + n)),
    fc.tuple(fc.nat(len), fc.constantFrom(...TOKENS)).map(([at, t]) => (s: string) => s.slice(0, at) + t + s.slice(at)),
    fc.tuple(fc.nat(len), fc.string({ maxLength: 8 })).map(([at, t]) => (s: string) => s.slice(0, at) + t + s.slice(at)),
    fc.tuple(fc.nat(len), fc.nat(len), fc.nat(60)).map(([from, to, n]) => (s: string) => s.slice(0, to) + s.slice(from, from + n) + s.slice(to)),
  );

describe('fuzz: configurations', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = tempConfig({ 'main.infra': '', 'x': 'template ${x}' });
  });
  after(() => removeTemp(dir));

  const check = (text: string): void => {
    writeFileSync(join(dir, 'main.infra'), text);
    const r = runPipeline(dir, { vars: [], varFiles: [], env: {} }, dir);
    wellFormed(r.diagnostics);
  };

  it('mutated fixture configurations load and evaluate without exceptions', () => {
    const all = seeds();
    expect(all.length).to.be.greaterThan(10);
    fc.assert(
      fc.property(
        fc.constantFrom(...all).chain((seed) => fc.tuple(fc.constant(seed), fc.array(mutation(seed.length), { minLength: 1, maxLength: 4 }))),
        ([seed, muts]) => {
          check(muts.reduce((s, m) => m(s), seed));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('random token soups load and evaluate without exceptions', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 4 })), { maxLength: 60 }), (parts) => {
        check(parts.join(' '));
      }),
      { numRuns: 500 },
    );
  });
});

const leaf = fc.oneof(
  fc.constantFrom('null', 'true', 'false', '0', '1', '-2.5', '1e308', '""', '"a"', '"1"', '"true"'),
  fc.constantFrom('var.u', 'var.s', 'var.l', 'var.m', 'var.n', 'var.nope', 'local.x', 'each.key', 'count.index', 'path.root', 'x', 'local_host.a.id'),
);

const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '/', '%', '==', '!=', '<', '>=', '&&', '||'), tie('e')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(fc.constantFrom('!', '-'), tie('e')).map(([op, a]) => `${op}(${a})`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([a, b, c]) => `(${a} ? ${b} : ${c})`),
    fc.array(tie('e'), { maxLength: 3 }).map((xs) => `[${xs.join(', ')}]`),
    fc.array(fc.tuple(fc.constantFrom('a', 'b', '"c"', '(var.s)'), tie('e')), { maxLength: 3 }).map((kv) => `{ ${kv.map(([k, v]) => `${k} = ${v}`).join(', ')} }`),
    fc.tuple(tie('e'), tie('e')).map(([a, b]) => `${a}[${b}]`),
    fc.tuple(tie('e'), fc.constantFrom('a', 'id', '0')).map(([a, n]) => `(${a}).${n}`),
    fc.tuple(tie('e'), tie('e')).map(([a, b]) => `"x\${${a}}y\${${b}}"`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([c, v, p]) => `[for k, x in ${c} : ${v} if ${p}]`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([c, k, v]) => `{ for x in ${c} : ${k} => ${v} }`),
    fc.tuple(tie('e')).map(([c]) => `${c}[*].a`),
    fc.tuple(fc.constantFrom(...FUNCTIONS.keys(), 'can', 'try', 'nosuch'), fc.array(tie('e'), { maxLength: 3 })).map(([f, args]) => `${f}(${args.join(', ')})`),
  ),
})).e;

describe('fuzz: expressions and functions', function () {
  this.timeout(120_000);
  const s = scope({
    vars: { u: UNKNOWN, s: new Sensitive('secret'), l: ['a', UNKNOWN, new Sensitive('b')], m: { a: 1, b: [UNKNOWN] }, n: null },
    locals: { x: { a: 1 } },
    resources: { 'local_host.a': { id: UNKNOWN } },
    env: { A: 'b' },
    configDir: '/nonexistent',
  });

  it('random expressions evaluate without exceptions and never show a sensitive value', () => {
    fc.assert(
      fc.property(expression, (src) => {
        const p = parseExpression(src, 'fuzz.infra');
        if (p.expr === null) return;
        const r = evaluateExpr(p.expr, s);
        wellFormed(r.diagnostics);
        for (const d of r.diagnostics) expect(`${d.summary}\n${d.detail ?? ''}`).not.to.contain('secret');
      }),
      { numRuns: 3000 },
    );
  });

  const value: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom<Value>(null, true, false, 0, -1, 1.5, 1e21, '', 'a', '1', 'true', '%s', '%', '/(/', '__proto__', UNKNOWN),
      fc.string({ maxLength: 6 }),
      fc.double(),
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 3 }), tie('v'), { maxKeys: 3 }),
      tie('v').map((x) => new Sensitive(x)),
    ),
  })).v;

  it('every function takes random arguments without exceptions', () => {
    const names = [...FUNCTIONS.keys()].filter((n) => n !== 'file' && n !== 'templatefile');
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.array(value, { maxLength: 4 }), fc.boolean(), (name, args, expand) => {
        const vars: Record<string, Value> = {};
        args.forEach((a, i) => (vars[`a${i}`] = a));
        const text = `${name}(${args.map((_, i) => `var.a${i}`).join(', ')}${expand && args.length > 0 ? '...' : ''})`;
        const r = evaluateExpr(parseExpression(text).expr!, scope({ vars }));
        wellFormed(r.diagnostics);
      }),
      { numRuns: 4000 },
    );
  });
});
