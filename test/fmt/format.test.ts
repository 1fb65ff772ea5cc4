/**
 * `infra fmt`. Golden folders in test/fixtures/fmt/<case>/ hold `input.infra` and
 * `expected.infra` (`UPDATE_GOLDENS=1` rewrites the expectations: review the diff); those in
 * test/fixtures/fmt/terraform/<case>/ hold what `terraform fmt` printed for the input, which
 * infra fmt must print too. A property
 * test formats random valid configurations: the result parses to the same tree, and formatting
 * it again changes nothing.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSource } from '../../src/fmt/format.js';
import { parseFile } from '../../src/parser/index.js';
import { dedent } from '../support/dedent.js';
import { caseFolders, expectGolden } from '../support/golden.js';

const root = fileURLToPath(new URL('../fixtures/fmt/', import.meta.url));

/**
 * An AST without ranges or source text: what formatting must not change. A label's quotes and
 * the quotes around a lone interpolation (`"${x}"`, which evaluates to `x` itself) are not
 * meaning: fmt drops or adds them as terraform fmt does.
 */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value === null || typeof value !== 'object') return value;
  const template = value as { kind?: string; parts?: { kind: string; expr?: unknown }[]; heredoc?: unknown };
  if (template.kind === 'Template' && template.heredoc === undefined && template.parts?.length === 1 && template.parts[0].kind === 'Interpolation') {
    return shape(template.parts[0].expr);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'range' || k === 'nameRange' || k === 'typeRange' || k === 'source' || k === 'comments' || k === 'quoted') continue;
    out[k] = shape(v);
  }
  return out;
}

function fmt(source: string): string {
  const r = formatSource('main.infra', source);
  expect(r.diagnostics, JSON.stringify(r.diagnostics)).to.deep.equal([]);
  return r.output;
}

describe('fmt: golden fixtures', () => {
  const cases = caseFolders(root).filter((name) => name !== 'terraform');

  it('has fixture folders', () => {
    expect(cases.length).to.be.greaterThan(10);
  });

  for (const name of cases) {
    it(name, () => {
      const dir = join(root, name);
      const input = readFileSync(join(dir, 'input.infra'), 'utf8');
      const expectedPath = join(dir, 'expected.infra');
      expectGolden(fmt(input), expectedPath);
      const expected = readFileSync(expectedPath, 'utf8');
      expect(fmt(expected), 'formatting the expected output again').to.equal(expected);
    });
  }
});

describe('fmt: agrees with terraform fmt', () => {
  // expected.infra is what `terraform fmt` printed (see the folder's README); never rewritten here.
  const terraformRoot = join(root, 'terraform');
  const cases = caseFolders(terraformRoot);

  it('has fixture folders', () => {
    expect(cases.length).to.be.greaterThan(30);
  });

  for (const name of cases) {
    it(name, () => {
      const dir = join(terraformRoot, name);
      const expected = readFileSync(join(dir, 'expected.infra'), 'utf8');
      expect(fmt(readFileSync(join(dir, 'input.infra'), 'utf8'))).to.equal(expected);
      expect(fmt(expected), 'formatting terraform fmt output changes nothing').to.equal(expected);
    });
  }
});

describe('fmt: behaviour', () => {
  it('leaves a file with syntax errors alone and returns the errors', () => {
    const source = 'locals {\n  a =\n  b    = 2\n}\n';
    const r = formatSource('main.infra', source);
    expect(r.output).to.equal(source);
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal(['Expected an expression after "="']);
  });

  it('keeps the meaning: the formatted file parses to the same tree', () => {
    const source = readFileSync(join(root, 'spacing', 'input.infra'), 'utf8');
    expect(shape(parseFile('a', fmt(source)).file)).to.deep.equal(shape(parseFile('a', source).file));
  });

  it('a bare example', () => {
    expect(
      fmt(dedent`
        resource  "local_host"   "ns"{
        for_each=toset(local.names)
            lifecycle blue_green
        }
        output "x" {
          value=[for k,lb in local_host.lb:"\${lb.ipv4}:53"]
        }
      `),
    ).to.equal(
      dedent`
        resource "local_host" "ns" {
          for_each = toset(local.names)
          lifecycle blue_green
        }
        output "x" {
          value = [for k, lb in local_host.lb : "\${lb.ipv4}:53"]
        }
      `,
    );
  });
});

// Random valid configurations, written with random spacing, indentation, blank lines and comments.
const space = fc.constantFrom('', ' ', '  ', '\t');
const gap = fc.constantFrom(' ', '  ', '\t ');
const name = fc.constantFrom('a', 'b', 'zone', 'for_each', 'x_1', 'serial');

const { expr } = fc.letrec<{ expr: string; leaf: string; compound: string }>((tie) => ({
  leaf: fc.oneof(
    fc.integer({ min: 0, max: 999 }).map(String),
    fc.constantFrom('1.5', '2e3', 'true', 'false', 'null', 'var.x', 'local.names[0]', 'each.value.ipv4', 'x[*].id', 'x.0'),
    fc.constantFrom('"plain"', '""', '"a\\"b"', '"${var.x}:53"', '"${join(",", xs)}"', '"$${literal}"'),
  ),
  compound: fc.oneof(
    fc.tuple(fc.array(tie('expr'), { maxLength: 4 }), fc.boolean(), fc.boolean(), space).map(
      ([items, multiline, trailing, s]) =>
        items.length === 0 ? '[]' : `[${s}${items.join(multiline ? ',\n' : `,${s}`)}${trailing ? ',' : ''}${multiline ? '\n' : ''}]`,
    ),
    fc.tuple(fc.uniqueArray(name, { maxLength: 3 }), fc.array(tie('expr'), { minLength: 3, maxLength: 3 }), fc.boolean(), space).map(
      ([keys, values, multiline, s]) =>
        keys.length === 0 ? '{}' : `{${multiline ? '\n' : s}${keys.map((k, i) => `${k}${s}=${s}${values[i]}`).join(multiline ? '\n' : ',' + s)}${multiline ? '\n' : s}}`,
    ),
    fc.tuple(fc.constantFrom('max', 'join', 'f'), fc.array(tie('expr'), { maxLength: 3 }), space).map(([f, args, s]) => `${f}(${s}${args.join(`,${s}`)}${s})`),
    fc.tuple(tie('leaf'), fc.constantFrom('+', '-', '*', '/', '%', '==', '!=', '<', '>=', '&&', '||'), tie('leaf'), gap).map(([l, op, r, s]) => `${l}${s}${op}${s}${r}`),
    fc.tuple(tie('leaf'), tie('leaf'), tie('leaf'), gap).map(([c, t, e, s]) => `${c}${s}?${s}${t}${s}:${s}${e}`),
    fc.tuple(tie('expr'), space).map(([e, s]) => `(${s}${e}${s})`),
    fc.tuple(tie('leaf'), fc.constantFrom('!', '-')).map(([e, op]) => `${op}${e}`),
    fc.tuple(tie('expr'), space, fc.boolean()).map(([e, s, cond]) => `[for${' '}k,${s}v in var.m${s}:${s}${e}${cond ? ' if v != null' : ''}]`),
    fc.tuple(tie('expr'), space, fc.boolean()).map(([e, s, group]) => `{for k, v in var.m${s}:${s}k${s}=>${s}${e}${group ? '...' : ''}}`),
  ),
  expr: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('compound')),
}));

const heredoc = fc.constantFrom('<<EOT\n  raw ${var.x}\nEOT', '<<-EOT\n    a\n      b\n    EOT');
const comment = fc.constantFrom('# note', '// note', '/* note */');

interface BodyOptions {
  depth: number;
}
function body(options: BodyOptions): fc.Arbitrary<string> {
  const attribute = fc.tuple(space, fc.oneof(expr, heredoc), fc.option(comment, { nil: undefined }), space);
  const item = fc.oneof(
    { weight: 3, arbitrary: attribute.map((a) => ({ kind: 'attribute' as const, a })) },
    { weight: 1, arbitrary: comment.map((c) => ({ kind: 'comment' as const, c })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'blank' as const }) },
    { weight: 1, arbitrary: fc.constantFrom('lifecycle blue_green', 'lifecycle {}').map((b) => ({ kind: 'line' as const, b })) },
    ...(options.depth > 0
      ? [
          {
            weight: 1,
            arbitrary: fc
              .tuple(fc.constantFrom('resource "a" "b"', 'locals', 'expect "x" y'), body({ depth: options.depth - 1 }), space)
              .map(([header, inner, s]) => ({ kind: 'block' as const, header, inner, s })),
          },
        ]
      : []),
  );
  return fc.tuple(fc.array(item, { maxLength: 6 }), fc.constantFrom('', '  ', '    ', '\t')).map(([items, indent]) =>
    items
      .map((it, i) => {
        switch (it.kind) {
          case 'attribute': {
            const [s1, value, c, s2] = it.a;
            return `${indent}attr_${i}${s1}=${s2}${value}${c === undefined || value.startsWith('<<') ? '' : ` ${c}`}\n`;
          }
          case 'comment':
            return `${indent}${it.c}\n`;
          case 'blank':
            return '\n';
          case 'line':
            return `${indent}${it.b}\n`;
          case 'block':
            return `${indent}${it.header}${it.s}{\n${it.inner}${indent}}\n`;
        }
      })
      .join(''),
  );
}

describe('fmt: properties', () => {
  it('random valid configurations: same tree after formatting, and formatting is idempotent', () => {
    fc.assert(
      fc.property(body({ depth: 2 }), (source) => {
        const parsed = parseFile('main.infra', source);
        expect(parsed.diagnostics, `generated input does not parse:\n${source}`).to.deep.equal([]);
        const once = fmt(source);
        expect(shape(parseFile('main.infra', once).file), `meaning changed:\n${source}\n---\n${once}`).to.deep.equal(shape(parsed.file));
        expect(fmt(once), `not idempotent:\n${source}\n---\n${once}`).to.equal(once);
      }),
      { numRuns: 400, seed: 42 },
    );
  });
});
