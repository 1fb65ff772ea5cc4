/** The AST of the tricky constructs, compared without ranges (ranges have their own tests). */
import { expect } from 'chai';
import type { Attribute, Block, Expr, FileNode } from '../../src/parser/ast.js';
import { parseExpression, parseFile, parseFileWithGrammar, parseTemplate } from '../../src/parser/index.js';
import { dedent } from '../support/dedent.js';

/** A copy of an AST value without source ranges and the file's source text. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'range' || k === 'nameRange' || k === 'typeRange' || k === 'source') continue;
    out[k] = shape(v);
  }
  return out;
}

function expr(source: string): unknown {
  const r = parseExpression(source);
  expect(r.diagnostics, JSON.stringify(r.diagnostics)).to.deep.equal([]);
  return shape(r.expr);
}

/** A range as plain data (the parser's ranges compute their positions when read). */
function plain(range: unknown): unknown {
  return range === undefined ? undefined : JSON.parse(JSON.stringify(range));
}

function parseOk(source: string): FileNode {
  const r = parseFile('main.infra', source);
  expect(r.diagnostics, JSON.stringify(r.diagnostics)).to.deep.equal([]);
  return r.file;
}

const v = (name: string) => ({ kind: 'Variable', name });
const n = (value: number) => ({ kind: 'Literal', value });
const text = (value: string) => ({ kind: 'Text', value });
const str = (value: string) => ({ kind: 'Template', parts: [text(value)] });
const attr = (object: unknown, name: string) => ({ kind: 'GetAttr', object, name });

describe('parser: AST shapes', () => {
  describe('literals', () => {
    it('numbers: integers, decimals, exponents', () => {
      expect(expr('42')).to.deep.equal(n(42));
      expect(expr('3.25')).to.deep.equal(n(3.25));
      expect(expr('1e3')).to.deep.equal(n(1000));
      expect(expr('2.5E-1')).to.deep.equal(n(0.25));
    });
    it('true, false, null', () => {
      expect(expr('true')).to.deep.equal({ kind: 'Literal', value: true });
      expect(expr('false')).to.deep.equal({ kind: 'Literal', value: false });
      expect(expr('null')).to.deep.equal({ kind: 'Literal', value: null });
    });
    it('a name that starts with a keyword is a name', () => {
      expect(expr('nullable')).to.deep.equal(v('nullable'));
      expect(expr('format')).to.deep.equal(v('format'));
      expect(expr('index')).to.deep.equal(v('index'));
    });
  });

  describe('strings', () => {
    it('decodes escapes', () => {
      expect(expr(String.raw`"a\nb\tc\"d\\e\u00e9\U0001F600\r"`)).to.deep.equal(str('a\nb\tc"d\\eé😀\r'));
    });
    it('$${ and %%{ are literal', () => {
      expect(expr('"$${x} %%{y} $ % $x"')).to.deep.equal(str('${x} %{y} $ % $x'));
    });
    it('an empty string is one empty text part', () => {
      expect(expr('""')).to.deep.equal(str(''));
    });
    it('interpolation, with strings nested inside it', () => {
      expect(expr('"${join(",", xs)}:53"')).to.deep.equal({
        kind: 'Template',
        parts: [
          {
            kind: 'Interpolation',
            expr: { kind: 'Call', name: 'join', args: [str(','), v('xs')], expandFinal: false },
          },
          text(':53'),
        ],
      });
    });
    it('interpolation of an object and of nested templates', () => {
      expect(expr('"a${ {b = "${c}"}.b }d"')).to.deep.equal({
        kind: 'Template',
        parts: [
          text('a'),
          {
            kind: 'Interpolation',
            expr: attr(
              {
                kind: 'Object',
                items: [{ key: str('b'), value: { kind: 'Template', parts: [{ kind: 'Interpolation', expr: v('c') }] } }],
              },
              'b',
            ),
          },
          text('d'),
        ],
      });
    });
  });

  describe('heredocs', () => {
    it('<<EOT keeps the text as written, with interpolation', () => {
      const file = parseOk('a = <<EOT\n  hello ${name}\n    world\nEOT\n');
      expect(shape((file.body.items[0] as Attribute).expr)).to.deep.equal({
        kind: 'Template',
        parts: [text('  hello '), { kind: 'Interpolation', expr: v('name') }, text('\n    world\n')],
        heredoc: { marker: 'EOT', indented: false },
      });
    });
    it('<<-EOT strips the common indentation (blank lines do not count)', () => {
      const file = parseOk('a = <<-EOT\n    www IN A ${ip}\n\n      indented\n    EOT\nb = 1\n');
      expect(shape((file.body.items[0] as Attribute).expr)).to.deep.equal({
        kind: 'Template',
        parts: [text('www IN A '), { kind: 'Interpolation', expr: v('ip') }, text('\n\n  indented\n')],
        heredoc: { marker: 'EOT', indented: true },
      });
      expect((file.body.items[1] as Attribute).name).to.equal('b');
    });
    it('an interpolation at the start of a line means no indentation to strip', () => {
      const file = parseOk('a = <<-EOT\n  x\n${y}\nEOT\n');
      expect(shape((file.body.items[0] as Attribute).expr)).to.deep.include({
        parts: [text('  x\n'), { kind: 'Interpolation', expr: v('y') }, text('\n')],
      });
    });
    it('an empty heredoc, and $${ inside one', () => {
      expect(shape((parseOk('a = <<EOT\nEOT\n').body.items[0] as Attribute).expr)).to.deep.include({ parts: [text('')] });
      expect(shape((parseOk('a = <<EOT\n$${x}\nEOT\n').body.items[0] as Attribute).expr)).to.deep.include({
        parts: [text('${x}\n')],
      });
    });
    it('a heredoc inside a list and an object', () => {
      const file = parseOk('a = [<<EOT\nx\nEOT\n, "y"]\nb = {\n  k = <<-EOT\n    v\n  EOT\n}\n');
      expect(shape((file.body.items[0] as Attribute).expr)).to.deep.equal({
        kind: 'Tuple',
        items: [{ kind: 'Template', parts: [text('x\n')], heredoc: { marker: 'EOT', indented: false } }, str('y')],
      });
      expect(shape((file.body.items[1] as Attribute).expr)).to.deep.equal({
        kind: 'Object',
        items: [{ key: str('k'), value: { kind: 'Template', parts: [text('v\n')], heredoc: { marker: 'EOT', indented: true } } }],
      });
    });
  });

  describe('template directives', () => {
    it('%{ if } / %{ else } / %{ endif } and %{ for } / %{ endfor } nest into If and For parts', () => {
      expect(expr('"<%{ if a }x${b}%{ else }y%{ endif }%{ for k, v in m }${v}%{ endfor }>"')).to.deep.equal({
        kind: 'Template',
        parts: [
          text('<'),
          { kind: 'If', condition: v('a'), then: [text('x'), { kind: 'Interpolation', expr: v('b') }], else: [text('y')] },
          { kind: 'For', keyVar: 'k', valueVar: 'v', collection: v('m'), body: [{ kind: 'Interpolation', expr: v('v') }] },
          text('>'),
        ],
      });
    });
    it('"~" strips the whitespace beside an interpolation or directive; empty text parts go', () => {
      expect(expr('<<EOT\n%{ for x in xs ~}\n  ${x}\n%{~ endfor }\nEOT\n')).to.deep.equal({
        kind: 'Template',
        parts: [{ kind: 'For', valueVar: 'x', collection: v('xs'), body: [{ kind: 'Interpolation', expr: v('x') }] }, text('\n')],
        heredoc: { marker: 'EOT', indented: false },
      });
      expect(expr('"a ${~ b ~} c"')).to.deep.equal({ kind: 'Template', parts: [text('a'), { kind: 'Interpolation', expr: v('b') }, text('c')] });
    });
    it('the range of an If part runs from "%{ if" to "endif }"', () => {
      const r = parseExpression('"%{ if a }x%{ endif }!"');
      const part = (r.expr as unknown as { parts: { range: unknown }[] }).parts[0];
      expect(plain(part.range)).to.deep.include({ start: { line: 1, column: 2, offset: 1 }, end: { line: 1, column: 22, offset: 21 } });
    });
  });

  describe('operators', () => {
    it('follow HCL precedence: || < && < == != < comparisons < + - < * / % < unary', () => {
      const bin = (op: string, left: unknown, right: unknown) => ({ kind: 'Binary', op, left, right });
      expect(expr('a || b && c == d < e + f * -g')).to.deep.equal(
        bin('||', v('a'), bin('&&', v('b'), bin('==', v('c'), bin('<', v('d'), bin('+', v('e'), bin('*', v('f'), { kind: 'Unary', op: '-', operand: v('g') })))))),
      );
      expect(expr('a * b + c')).to.deep.equal(bin('+', bin('*', v('a'), v('b')), v('c')));
    });
    it('are left-associative', () => {
      expect(expr('a - b - c')).to.deep.equal({
        kind: 'Binary',
        op: '-',
        left: { kind: 'Binary', op: '-', left: v('a'), right: v('b') },
        right: v('c'),
      });
    });
    it('unary binds tighter than binary, looser than postfix', () => {
      expect(expr('!a.b && -c[0]')).to.deep.equal({
        kind: 'Binary',
        op: '&&',
        left: { kind: 'Unary', op: '!', operand: attr(v('a'), 'b') },
        right: { kind: 'Unary', op: '-', operand: { kind: 'Index', object: v('c'), key: n(0) } },
      });
    });
    it('conditional is right-associative and lowest', () => {
      expect(expr('a ? b : c ? d : e || f')).to.deep.equal({
        kind: 'Conditional',
        condition: v('a'),
        then: v('b'),
        else: {
          kind: 'Conditional',
          condition: v('c'),
          then: v('d'),
          else: { kind: 'Binary', op: '||', left: v('e'), right: v('f') },
        },
      });
    });
    it('parentheses are kept', () => {
      expect(expr('(a + b) * c')).to.deep.include({ op: '*', left: { kind: 'Parens', expr: { kind: 'Binary', op: '+', left: v('a'), right: v('b') } } });
    });
  });

  describe('traversals', () => {
    it('attribute, index, legacy index', () => {
      expect(expr('aws.x["k"].ipv4')).to.deep.equal(attr({ kind: 'Index', object: attr(v('aws'), 'x'), key: str('k') }, 'ipv4'));
      expect(expr('x.0.y')).to.deep.equal(attr({ kind: 'Index', object: v('x'), key: n(0) }, 'y'));
    });
    it('a full splat takes the whole traversal after it; a legacy splat only attributes', () => {
      const item = { kind: 'SplatItem' };
      const splat = (object: unknown, each: unknown, legacy = false) => ({ kind: 'Splat', object, each, legacy });
      expect(expr('x[*]')).to.deep.equal(splat(v('x'), item));
      expect(expr('x[*].a.b')).to.deep.equal(splat(v('x'), attr(attr(item, 'a'), 'b')));
      expect(expr('x.*.a')).to.deep.equal(splat(v('x'), attr(item, 'a'), true));
      expect(expr('x[*].a[0]')).to.deep.equal(splat(v('x'), { kind: 'Index', object: attr(item, 'a'), key: n(0) }));
      expect(expr('x.*.a[0]')).to.deep.equal({ kind: 'Index', object: splat(v('x'), attr(item, 'a'), true), key: n(0) });
      expect(expr('x.*.a.0')).to.deep.equal(splat(v('x'), { kind: 'Index', object: attr(item, 'a'), key: n(0) }, true));
      expect(expr('x[*].a[*].b')).to.deep.equal(splat(v('x'), splat(attr(item, 'a'), attr(item, 'b'))));
      expect(expr('x[*].a.*.b[0]')).to.deep.equal(splat(v('x'), { kind: 'Index', object: splat(attr(item, 'a'), attr(item, 'b'), true), key: n(0) }));
      expect(expr('(x[*].a)[0]')).to.deep.equal({ kind: 'Index', object: { kind: 'Parens', expr: splat(v('x'), attr(item, 'a')) }, key: n(0) });
    });
    it('keywords are fine as attribute names', () => {
      expect(expr('x.if.for.in.true')).to.deep.equal(attr(attr(attr(attr(v('x'), 'if'), 'for'), 'in'), 'true'));
    });
  });

  describe('function calls', () => {
    it('no arguments, trailing comma, expansion', () => {
      expect(expr('f()')).to.deep.equal({ kind: 'Call', name: 'f', args: [], expandFinal: false });
      expect(expr('f(a, b,)')).to.deep.equal({ kind: 'Call', name: 'f', args: [v('a'), v('b')], expandFinal: false });
      expect(expr('f(a, xs...)')).to.deep.equal({ kind: 'Call', name: 'f', args: [v('a'), v('xs')], expandFinal: true });
    });
    it('arguments may span lines', () => {
      expect(expr('f(\n  a,\n  b\n)')).to.deep.equal({ kind: 'Call', name: 'f', args: [v('a'), v('b')], expandFinal: false });
    });
  });

  describe('collections', () => {
    it('lists with trailing commas and newlines', () => {
      expect(expr('[]')).to.deep.equal({ kind: 'Tuple', items: [] });
      expect(expr('[a, b,]')).to.deep.equal({ kind: 'Tuple', items: [v('a'), v('b')] });
      expect(expr('[\n  a,\n  b\n]')).to.deep.equal({ kind: 'Tuple', items: [v('a'), v('b')] });
    });
    it('objects: newline or comma separated, = or :, quoted and (expression) keys', () => {
      expect(expr('{ a = 1, "b-c" = 2 }')).to.deep.equal({
        kind: 'Object',
        items: [
          { key: str('a'), value: n(1) },
          { key: str('b-c'), value: n(2) },
        ],
      });
      expect(expr('{\n  a: 1\n  (k) = 2,\n  3 = 3\n  null = 4\n}')).to.deep.equal({
        kind: 'Object',
        items: [
          { key: str('a'), value: n(1) },
          { key: { kind: 'Parens', expr: v('k') }, value: n(2) },
          { key: n(3), value: n(3) },
          { key: str('null'), value: n(4) },
        ],
      });
      expect(expr('{}')).to.deep.equal({ kind: 'Object', items: [] });
    });
  });

  describe('for expressions', () => {
    it('list form with value only, key and value, condition', () => {
      expect(expr('[for x in xs : f(x) if p]')).to.deep.equal({
        kind: 'ForTuple',
        valueVar: 'x',
        collection: v('xs'),
        value: { kind: 'Call', name: 'f', args: [v('x')], expandFinal: false },
        condition: v('p'),
      });
      expect(expr('[for i, x in xs : x]')).to.deep.equal({ kind: 'ForTuple', keyVar: 'i', valueVar: 'x', collection: v('xs'), value: v('x') });
    });
    it('object form with grouping, over several lines', () => {
      expect(expr('{\n  for k, v in m :\n    k => v...\n    if v != null\n}')).to.deep.equal({
        kind: 'ForObject',
        keyVar: 'k',
        valueVar: 'v',
        collection: v('m'),
        key: v('k'),
        value: v('v'),
        condition: { kind: 'Binary', op: '!=', left: v('v'), right: { kind: 'Literal', value: null } },
        grouping: true,
      });
    });
    it('a literal list after in', () => {
      expect(expr('[for x in [1, 2]: x]')).to.deep.include({ collection: { kind: 'Tuple', items: [n(1), n(2)] } });
    });
  });

  describe('bodies', () => {
    it('finds a repeated attribute in a long body as in a short one (both parsers)', () => {
      const names = Array.from({ length: 40 }, (_, i) => `a${i}`);
      for (const repeated of [names[1], names[30]]) {
        const source = `b {\n${[...names, repeated, 'z'].map((n) => `  ${n} = 1\n`).join('')}}\n`;
        for (const r of [parseFile('main.infra', source), parseFileWithGrammar('main.infra', source)]) {
          expect(r.diagnostics.map((d) => [d.summary, d.detail, d.range?.start.line])).to.deep.equal([
            ['Attribute redefined', `The attribute "${repeated}" was already defined on line ${names.indexOf(repeated) + 2}.`, 42],
          ]);
          const body = (r.file.body.items[0] as Block).body!;
          expect(body.items.map((i) => (i as Attribute).name)).to.deep.equal([...names, 'z']);
        }
      }
    });

    it('attributes and blocks with quoted and bare labels, nested', () => {
      const file = parseOk(dedent`
        resource "dns_check" green {
          zone = "example.test"
          expect "www.example.test" "A" {
            values = [var.www]
          }
        }
      `);
      expect(shape(file.body)).to.deep.equal({
        kind: 'Body',
        items: [
          {
            kind: 'Block',
            type: 'resource',
            labels: [
              { value: 'dns_check', quoted: true },
              { value: 'green', quoted: false },
            ],
            body: {
              kind: 'Body',
              items: [
                { kind: 'Attribute', name: 'zone', expr: str('example.test') },
                {
                  kind: 'Block',
                  type: 'expect',
                  labels: [
                    { value: 'www.example.test', quoted: true },
                    { value: 'A', quoted: true },
                  ],
                  body: { kind: 'Body', items: [{ kind: 'Attribute', name: 'values', expr: { kind: 'Tuple', items: [attr(v('var'), 'www')] } }] },
                },
              ],
            },
          },
        ],
      });
    });
    it('one-line label-only blocks have a null body; blocks may be empty or on one line', () => {
      const file = parseOk('resource "a" "b" {\n  lifecycle blue_green\n  lifecycle blue_green { keep = 2 }\n  lifecycle {}\n}\n');
      const items = (file.body.items[0] as Block).body?.items as Block[];
      expect(items.map((b) => [b.type, b.labels.map((l) => l.value), b.body === null ? null : b.body.items.length])).to.deep.equal([
        ['lifecycle', ['blue_green'], null],
        ['lifecycle', ['blue_green'], 1],
        ['lifecycle', [], 0],
      ]);
    });
    it('keywords may name attributes and blocks', () => {
      const file = parseOk('if = 1\nin = 2\nfor x {}\n');
      expect(file.body.items.map((i) => (i.kind === 'Attribute' ? i.name : i.type))).to.deep.equal(['if', 'in', 'for']);
    });
    it('comments of all three kinds are collected in order, and ignored by the grammar', () => {
      const file = parseOk('# one\na = 1 // two\n/* three\n   lines */ b = [1, # four\n 2]\n');
      expect(file.comments.map((c) => c.text)).to.deep.equal(['# one', '// two', '/* three\n   lines */', '# four']);
      expect(file.body.items.map((i) => (i as Attribute).name)).to.deep.equal(['a', 'b']);
    });
    it('an empty file, only comments, CRLF line ends, no final newline', () => {
      expect(parseOk('').body.items).to.deep.equal([]);
      expect(parseOk('# nothing\n\n').body.items).to.deep.equal([]);
      expect(shape(parseOk('a = 1\r\nb {\r\n  c = "x"\r\n}\r\n').body.items.map((i) => i.kind))).to.deep.equal(['Attribute', 'Block']);
      expect(parseOk('a = 1').body.items.length).to.equal(1);
    });
  });

  describe('ranges', () => {
    it('are 1-based line/column, 0-based offset, end exclusive', () => {
      const file = parseOk('locals {\n  serial = var.serail\n}\n');
      const a = (file.body.items[0] as Block).body?.items[0] as Attribute;
      expect(plain(a.nameRange)).to.deep.equal({
        file: 'main.infra',
        start: { line: 2, column: 3, offset: 11 },
        end: { line: 2, column: 9, offset: 17 },
      });
      expect(a.expr.range.start).to.deep.equal({ line: 2, column: 12, offset: 20 });
      expect(a.expr.range.end).to.deep.equal({ line: 2, column: 22, offset: 30 });
      const ref = a.expr as Expr & { nameRange: unknown };
      expect(plain(ref.nameRange)).to.deep.include({ start: { line: 2, column: 16, offset: 24 } });
      expect((file.body.items[0] as Block).range.end).to.deep.equal({ line: 3, column: 2, offset: 32 });
    });
    it('every node carries one', () => {
      const file = parseOk('a = [for k, v in { x = "${y}" } : f(k, v...)[0].z if !(k == "q")]\nb = <<EOT\n${c}\nEOT\n');
      const walk = (node: unknown, path: string): void => {
        if (Array.isArray(node)) return node.forEach((x, i) => walk(x, `${path}[${i}]`));
        if (node === null || typeof node !== 'object') return;
        const rec = node as Record<string, unknown>;
        if ('kind' in rec || 'key' in rec) expect(plain(rec.range), path).to.have.keys('file', 'start', 'end');
        for (const [k, v] of Object.entries(rec)) if (k !== 'range' && k !== 'source') walk(v, `${path}.${k}`);
      };
      walk(file, 'file');
    });
  });

  describe('parseExpression', () => {
    it('parses a --var value and reports garbage after it', () => {
      expect(expr(' ["a", "b"] ')).to.deep.equal({ kind: 'Tuple', items: [str('a'), str('b')] });
      const r = parseExpression('1 2', '--var x');
      expect(r.diagnostics.map((d) => [d.summary, d.range?.file])).to.deep.equal([['Expected the end of the file, found "2"', '--var x']]);
    });
    it('reports an empty value', () => {
      const r = parseExpression('');
      expect(r.expr).to.equal(null);
      expect(r.diagnostics.map((d) => d.summary)).to.deep.equal(['Expected an expression, found the end of the file']);
    });
  });

  describe('parseTemplate', () => {
    it('text and interpolations with the file\'s own positions; no backslash escapes', () => {
      const r = parseTemplate('hello ${name}\n$${lit} \\n', 'motd.tpl');
      expect(r.diagnostics).to.deep.equal([]);
      expect(shape(r.template)).to.deep.equal({
        kind: 'Template',
        parts: [text('hello '), { kind: 'Interpolation', expr: v('name') }, text('\n${lit} \\n')],
      });
      const interp = r.template?.parts[1];
      expect(plain(interp?.range)).to.deep.equal({
        file: 'motd.tpl',
        start: { line: 1, column: 7, offset: 6 },
        end: { line: 1, column: 14, offset: 13 },
      });
    });
    it('reports errors where they are in the file', () => {
      const r = parseTemplate('line one\nbad ${x +}\n', 'a.tpl');
      expect(r.template).to.equal(null);
      expect(r.diagnostics.map((d) => [d.summary, d.range?.start.line, d.range?.start.column])).to.deep.equal([
        ['Expected an expression, found "}"', 2, 10],
      ]);
    });
  });
});
