import { expect } from 'chai';
import { evaluateLiteral } from '../../src/evaluate/evaluate.js';
import { Sensitive, UNKNOWN, Unknown, isUnknown, sensitive } from '../../src/evaluate/value.js';
import { expr, failure, run, scope, value } from './helpers.js';

const secret = sensitive('hunter2');
const withSecrets = scope({
  vars: { secret, n: 2, names: ['ns1', 'ns2'], list_with_secret: ['a', secret], flag: true },
  resources: {
    'local_host.ns': { name: 'ns', ipv4: UNKNOWN, tags: { a: '1' } },
    'local_host.many': [{ id: 'a' }, { id: UNKNOWN }],
    'local_host.keyed': { ns1: { id: 'k1' }, ns2: { id: 'k2' } },
  },
  locals: { prefix: 'p', obj: { a: 1, b: [1, 2] } },
});

describe('evaluate: literals, templates, collections', () => {
  it('evaluates literals and collections', () => {
    expect(value('1.5')).to.equal(1.5);
    expect(value('true')).to.equal(true);
    expect(value('null')).to.equal(null);
    expect(value('"a\\tb"')).to.equal('a\tb');
    expect(value('[1, "a", [true]]')).to.deep.equal([1, 'a', [true]]);
    expect(value('{ a = 1, "b c" = 2, (var.n) = 3 }', withSecrets)).to.deep.equal({ a: 1, 'b c': 2, '2': 3 });
  });

  it('template directives: %{ if } / %{ else } and %{ for } in strings and heredocs', () => {
    expect(value('"a%{ if var.flag }yes%{ else }no%{ endif }b"', withSecrets)).to.equal('ayesb');
    expect(value('"a%{ if !var.flag }yes%{ endif }b"', withSecrets)).to.equal('ab');
    expect(value('"%{ for x in [1, 2, 3] }<${x}>%{ endfor }"')).to.equal('<1><2><3>');
    expect(value('"%{ for i, x in ["a", "b"] }${i}=${x} %{ endfor }"')).to.equal('0=a 1=b ');
    expect(value('"%{ for k, v in { b = 2, a = 1 } }${k}=${v};%{ endfor }"')).to.equal('a=1;b=2;');
    expect(value('"%{ for n in var.names }%{ if n != "ns1" }${n}%{ endif }%{ endfor }"', withSecrets)).to.equal('ns2');
    expect(value('<<EOT\n%{ for ip in ["10.0.0.1", "10.0.0.2"] ~}\nserver ${ip};\n%{ endfor ~}\ndone\nEOT\n')).to.equal(
      'server 10.0.0.1;\nserver 10.0.0.2;\ndone\n',
    );
    // A loop variable is the loop's own; outside it the name means what it meant before.
    expect(value('"%{ for prefix in ["x"] }${prefix}%{ endfor }${local.prefix}"', withSecrets)).to.equal('xp');
    // "~" strips the whitespace (newlines too) on its side of an interpolation or directive.
    expect(value('"a  ${~ "b" ~}  c"')).to.equal('abc');
    expect(value('<<EOT\n  a\n  ${~ "b"}\nEOT\n')).to.equal('  ab\n');
    expect(value('"%%{ if } $${ x }"')).to.equal('%{ if } ${ x }');
  });

  it('template directives: unknown and sensitive conditions and lists, bad values', () => {
    expect(value('"%{ if local_host.ns.ipv4 == "" }a%{ endif }"', withSecrets)).to.be.instanceOf(Unknown);
    expect(value('"%{ for x in local_host.ns.ipv4 }a%{ endfor }"', withSecrets)).to.be.instanceOf(Unknown);
    const s = value('"%{ if var.secret == "x" }a%{ else }b%{ endif }"', withSecrets);
    expect(s).to.be.instanceOf(Sensitive);
    expect((s as Sensitive).value).to.equal('b');
    expect(value('"%{ for x in var.list_with_secret }${x}%{ endfor }"', withSecrets)).to.be.instanceOf(Sensitive);
    expect(failure('"%{ if 1 }a%{ endif }"').summary).to.equal('Invalid template condition');
    expect(failure('"%{ for x in 5 }a%{ endfor }"').detail).to.equal('Cannot iterate over a number; a list or an object is required.');
    // One error per loop, not one per element.
    expect(run('"%{ for x in [1, 2, 3] }${x.y}%{ endfor }"').diagnostics.length).to.equal(1);
  });

  it('interpolates numbers, bools and strings', () => {
    expect(value('"${1}-${true}-${"x"}-${1.5}"')).to.equal('1-true-x-1.5');
    expect(value('"${local.prefix}-${var.n + 1}"', withSecrets)).to.equal('p-3');
  });

  it('a template of one interpolation yields the value itself', () => {
    expect(value('"${var.names}"', withSecrets)).to.deep.equal(['ns1', 'ns2']);
  });

  it('heredocs keep their text and interpolate', () => {
    expect(value('<<EOT\nname ${local.prefix}\n$${not}\nEOT\n', withSecrets)).to.equal('name p\n${not}\n');
    expect(value('<<-EOT\n    a\n      b\n    EOT\n')).to.equal('a\n  b\n');
  });

  it('keeps __proto__ and constructor as plain keys', () => {
    const v = value('{ "__proto__" = 1, constructor = 2 }') as Record<string, number>;
    expect(Object.keys(v)).to.deep.equal(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(v)).to.equal(Object.prototype);
    expect(failure('{ a = 1 }.constructor').summary).to.equal('This object has no attribute "constructor"');
    expect(failure('{ a = 1 }["toString"]').summary).to.equal('This object has no key "toString"');
  });
});

describe('evaluate: references and traversal', () => {
  it('reads variables, locals, resources, each, count and path', () => {
    expect(value('var.n', withSecrets)).to.equal(2);
    expect(value('local.obj.b[1]', withSecrets)).to.equal(2);
    expect(value('local_host.ns.name', withSecrets)).to.equal('ns');
    expect(value('local_host.many[0].id', withSecrets)).to.equal('a');
    expect(value('local_host.keyed["ns2"].id', withSecrets)).to.equal('k2');
    expect(value('local_host.many[*].id', withSecrets)).to.deep.equal(['a', UNKNOWN]);
    expect(value('each.key', scope({ each: { key: 'k', value: 'v' } }))).to.equal('k');
    expect(value('each.value', scope({ each: { key: 'k', value: 'v' } }))).to.equal('v');
    expect(value('count.index', scope({ countIndex: 3 }))).to.equal(3);
    expect(value('path.root', scope({ configDir: '/etc/x' }))).to.equal('/etc/x');
  });

  it('indexes lists with numeric strings and objects with numbers', () => {
    expect(value('["a", "b"]["1"]')).to.equal('b');
    expect(value('{ "1" = "x" }[1]')).to.equal('x');
    expect(value('[1, 2].1')).to.equal(2);
  });

  it('splats wrap a single object and turn null into an empty list', () => {
    expect(value('local.obj[*].a', withSecrets)).to.deep.equal([1]);
    expect(value('null[*].a')).to.deep.equal([]);
    expect(value('null[*]')).to.deep.equal([]);
    expect(value('"x"[*]')).to.deep.equal(['x']);
  });

  it('a full splat applies the whole traversal after it to each element: attributes, [i] and another [*] (HCL)', () => {
    expect(value('[{s=["x0","x1"]},{s=["y0","y1"]}][*].s[1]')).to.deep.equal(['x1', 'y1']);
    expect(value('[{s=["x0","x1"]},{s=["y0","y1"]}][*].s')).to.deep.equal([['x0', 'x1'], ['y0', 'y1']]);
    expect(value('[[1, 2], [3, 4]][*][0]')).to.deep.equal([1, 3]);
    expect(value('[{a = [{b = 1}, {b = 2}]}, {a = [{b = 3}]}][*].a[*].b')).to.deep.equal([[1, 2], [3]]);
    // A legacy splat inside a full one ends at its attributes; the index applies per outer element (as terraform console).
    expect(value('[{a = [{b = 1}, {b = 2}]}, {a = [{b = 3}]}][*].a.*.b[0]')).to.deep.equal([1, 3]);
    // Parentheses end the splat's traversal: the index applies to the list it made.
    expect(value('([{s=["x0","x1"]},{s=["y0","y1"]}][*].s)[1]')).to.deep.equal(['y0', 'y1']);
  });

  it('a legacy splat (.*) applies attribute access only; an index after it applies to the list', () => {
    expect(value('[{s=["x0","x1"]},{s=["y0","y1"]}].*.s[1]')).to.deep.equal(['y0', 'y1']);
    expect(value('[{s={t=1}},{s={t=2}}].*.s.t')).to.deep.equal([1, 2]);
  });

  it('flatten of nested splats over real-module-shaped data returns the names', () => {
    const s = scope({
      vars: {
        x: [
          { name: 'web', groups: [{ name: 'g1', rules: [] }, { name: 'g2', rules: [] }] },
          { name: 'db', groups: [{ name: 'g3', rules: [] }] },
          { name: 'empty', groups: [] },
        ],
      },
    });
    expect(value('try(flatten(var.x[*].groups[*].name), [])', s)).to.deep.equal(['g1', 'g2', 'g3']);
    expect(value('var.x[*].groups[0].name', scope({ vars: { x: [{ groups: [{ name: 'a' }] }, { groups: [{ name: 'b' }] }] } }))).to.deep.equal(['a', 'b']);
  });

  it('reports undeclared names with suggestions and the whole traversal as range', () => {
    const s = scope({ vars: { serial: 1 } });
    const d = failure('var.serail', s);
    expect(d.summary).to.equal('Reference to undeclared variable "serail"');
    expect(d.detail).to.equal('Did you mean "serial"?');
    expect([d.range?.start.column, d.range?.end.column]).to.deep.equal([1, 11]);
    expect(failure('local.prefx', withSecrets).detail).to.equal('Did you mean "prefix"?');
    expect(failure('local_host.nss.name', withSecrets).detail).to.equal('Did you mean "local_host.ns"?');
    expect(failure('vr.n', withSecrets).detail).to.equal('Did you mean "var.n"?');
  });

  it('reports unsupported attributes and bad indexes', () => {
    const d = failure('local_host.ns.ipv5', withSecrets);
    expect(d.summary).to.equal('This object has no attribute "ipv5"');
    expect(d.detail).to.equal('Did you mean "ipv4"?');
    expect(failure('local_host.many.id', withSecrets).summary).to.equal('This list has no attribute "id"');
    expect(failure('[1][1]').summary).to.equal('Index 1 out of range');
    expect(failure('[][0]').detail).to.equal('The list is empty.');
    expect(failure('[1][-1]').summary).to.equal('Index -1 out of range');
    expect(failure('[1][0.5]').summary).to.equal('Index 0.5 out of range');
    expect(failure('local_host.keyed["ns3"]', withSecrets).summary).to.equal('This object has no key "ns3"');
    expect(failure('"s"[0]').summary).to.equal('Invalid index');
    expect(failure('null.a').summary).to.equal('Attempt to get attribute "a" from a null value');
  });

  it('never shows a sensitive key in a message', () => {
    const d = failure('{ a = 1 }[var.secret]', withSecrets);
    expect(d.summary).to.equal('This object has no key (sensitive value)');
    expect(JSON.stringify(d)).not.to.contain('hunter2');
  });

  it('each and count outside their blocks are errors', () => {
    expect(failure('each.key').summary).to.equal('Reference to "each" outside for_each');
    expect(failure('count.index').summary).to.equal('Reference to "count.index" outside count');
    expect(failure('each.name', scope({ each: { key: 'k', value: 'v' } })).summary).to.equal('Invalid "each" attribute "name"');
    expect(failure('path.cwd').summary).to.equal('Invalid "path" attribute "cwd"');
  });

  it('for-expression variables shadow references', () => {
    expect(value('[for var in [1, 2] : var * 2]')).to.deep.equal([2, 4]);
    expect(value('[for local_host in [1] : local_host]', withSecrets)).to.deep.equal([1]);
  });
});

describe('evaluate: operators', () => {
  it('does arithmetic with numeric strings converting', () => {
    expect(value('1 + 2 * 3 - 4 / 2 % 3')).to.equal(5);
    expect(value('"1" + 2')).to.equal(3);
    expect(value('-"2"')).to.equal(-2);
    expect(value('"10" > 9')).to.equal(true);
    expect(value('2 <= 2 && 3 >= 4 == false')).to.equal(true);
  });

  it('compares structurally without converting', () => {
    expect(value('[1, { a = "x" }] == [1, { a = "x" }]')).to.equal(true);
    expect(value('1 == "1"')).to.equal(false);
    expect(value('null != null')).to.equal(false);
  });

  it('short-circuits && and ||', () => {
    expect(value('false && var.nope')).to.equal(false);
    expect(value('true || var.nope')).to.equal(true);
    expect(value('"true" && true')).to.equal(true);
  });

  it('reports operand type errors Terraform-style', () => {
    const d = failure('"abc" + true');
    expect(d.summary).to.equal('Invalid operand: cannot add string and bool');
    expect(failure('[1] * 2').summary).to.equal('Invalid operand: cannot multiply list and number');
    expect(failure('1 < "x"').summary).to.equal('Invalid operand: cannot compare number and string');
    expect(failure('!"x"').summary).to.equal('Invalid operand: cannot apply "!" to string');
    expect(failure('1 || true').summary).to.equal('Invalid operand: "||" needs bools, got number');
  });

  it('division and remainder by zero are errors; overflow too', () => {
    expect(failure('1 / 0').summary).to.equal('Division by zero');
    expect(failure('1 % 0').summary).to.equal('Division by zero');
    expect(failure('1e308 * 10').summary).to.equal('Arithmetic overflow');
  });

  it('conditionals pick one branch and need a bool', () => {
    expect(value('true ? 1 : var.nope')).to.equal(1);
    expect(value('"false" ? 1 : 2')).to.equal(2);
    expect(failure('1 ? 2 : 3').summary).to.equal('Invalid condition');
    expect(failure('null ? 2 : 3').summary).to.equal('Null condition');
  });
});

describe('evaluate: for expressions', () => {
  it('iterates lists and objects (keys sorted) with filters', () => {
    expect(value('[for x in [1, 2, 3] : x * 10 if x != 2]')).to.deep.equal([10, 30]);
    expect(value('[for i, x in ["a", "b"] : "${i}${x}"]')).to.deep.equal(['0a', '1b']);
    expect(value('[for k, v in { b = 2, a = 1 } : "${k}=${v}"]')).to.deep.equal(['a=1', 'b=2']);
    expect(value('{ for x in ["a", "b"] : x => upper(x) }')).to.deep.equal({ a: 'A', b: 'B' });
    expect(value('{ for x in ["a", "b", "a"] : x => 1... }')).to.deep.equal({ a: [1, 1], b: [1] });
  });

  it('reports duplicate keys and bad collections', () => {
    expect(failure('{ for x in ["a", "a"] : x => 1 }').summary).to.equal('Duplicate object key "a"');
    expect(failure('[for x in 1 : x]').summary).to.equal('Invalid for expression');
    expect(failure('[for x in null : x]').detail).to.equal('Cannot iterate over a null value.');
    expect(failure('[for x in [1] : x if 1]').summary).to.equal('Invalid for condition');
  });
});

describe('evaluate: unknown values', () => {
  const s = scope({ vars: { u: UNKNOWN, list: ['a', UNKNOWN], obj: { a: UNKNOWN } } });
  const unknown = (src: string): void => {
    const v = value(src, s);
    expect(isUnknown(v), `${src} is unknown`).to.equal(true);
  };

  it('flows through operators, templates, indexing, calls, conditionals and for', () => {
    for (const src of [
      'var.u + 1',
      '-var.u',
      '!var.u',
      'var.u == 1',
      '"x${var.u}y"',
      'var.u[0]',
      '[1][var.u]',
      'var.u.a.b',
      'upper(var.u)',
      'join(",", var.list)',
      'var.u ? 1 : 2',
      '[for x in var.u : x]',
      '{ for x in var.u : x => x }',
      '{ (var.u) = 1 }',
      '[for x in [1] : x if var.u]',
      'var.u[*].a',
      'var.list == ["a", "b"]',
      'var.u && true',
      'var.u || false',
      'concat(var.u...)',
    ]) {
      unknown(src);
    }
  });

  it('stays inside collections: the collection itself is known', () => {
    expect(value('length(var.list)', s)).to.equal(2);
    expect(value('keys(var.obj)', s)).to.deep.equal(['a']);
    expect(value('var.list[0]', s)).to.equal('a');
    expect(isUnknown(value('var.list[1]', s))).to.equal(true);
    expect(value('[var.u, 1]', s)).to.deep.equal([UNKNOWN, 1]);
  });

  it('a decided && or || ignores an unknown side', () => {
    expect(value('false && var.u', s)).to.equal(false);
    expect(value('var.u && false', s)).to.equal(false);
    expect(value('var.u || true', s)).to.equal(true);
  });

  it('typed unknowns say what type they will be', () => {
    expect((value('"${var.u}x"', s) as Unknown).type).to.equal('string');
    expect((value('var.u + 1', s) as Unknown).type).to.equal('number');
  });
});

describe('evaluate: sensitive values', () => {
  const isSensitive = (src: string): void => {
    const v = value(src, withSecrets);
    expect(v, src).to.be.instanceOf(Sensitive);
  };

  it('flows through operators, templates, indexing, calls, conditionals and for', () => {
    for (const src of [
      'var.secret',
      '"pw: ${var.secret}"',
      'upper(var.secret)',
      'length(var.secret)',
      'var.secret == "x"',
      'var.list_with_secret == ["a"]',
      'var.secret != "" ? 1 : 2',
      '[for c in [var.secret] : c][0]',
      '{ (var.secret) = 1 }',
      'join(",", var.list_with_secret)',
      'sha256(var.secret)',
      'jsonencode({ a = var.secret })',
      'sensitive("plain")',
      'var.list_with_secret[1]',
      '[var.secret][0]',
      'var.names[var.secret == "" ? 0 : 1]',
    ]) {
      isSensitive(src);
    }
  });

  it('leaves collections holding a sensitive element unmarked, and their other elements too', () => {
    expect(value('[var.secret, "b"]', withSecrets)).to.deep.equal([secret, 'b']);
    expect(value('var.list_with_secret[0]', withSecrets)).to.equal('a');
    expect(value('concat(var.list_with_secret, ["c"])', withSecrets)).to.deep.equal(['a', secret, 'c']);
  });

  it('a sensitive unknown is both', () => {
    const v = value('var.x + 1', scope({ vars: { x: sensitive(UNKNOWN) } }));
    expect(v).to.be.instanceOf(Sensitive);
    expect((v as Sensitive).value).to.be.instanceOf(Unknown);
  });

  it('an unknown condition with a sensitive branch is sensitive', () => {
    const v = value('var.u ? var.secret : ""', scope({ vars: { u: UNKNOWN, secret } }));
    expect(v).to.be.instanceOf(Sensitive);
  });
});

describe('evaluate: can and try', () => {
  it('can() says whether an expression evaluates', () => {
    expect(value('can([1][5])', scope({ vars: { m: {} } }))).to.equal(false);
    expect(value('can(var.m.missing)', scope({ vars: { m: {} } }))).to.equal(false);
    expect(value('can([1][0])')).to.equal(true);
    expect(isUnknown(value('can(var.u)', scope({ vars: { u: UNKNOWN } })))).to.equal(true);
  });
  it('try() returns the first argument that evaluates', () => {
    expect(value('try(var.m.missing, [1][5], "x")', scope({ vars: { m: {} } }))).to.equal('x');
    expect(failure('try([1][5])').summary).to.equal('Every argument of "try" failed');
  });
  it('can() and try() catch dynamic errors only: a reference to a name never declared is reported', () => {
    expect(failure('try(var.setings.port, 53)', scope({ vars: { settings: {} } }))).to.include({
      summary: 'Reference to undeclared variable "setings"',
      detail: 'Did you mean "settings"?',
    });
    expect(failure('can(local.nope)').summary).to.equal('Reference to undeclared local value "nope"');
    expect(failure('try(nosuch.thing.id, 1)').summary).to.equal('Reference to undeclared resource "nosuch.thing"');
  });
  it('references that make no sense where they are written pass through can() and try() too, as in Terraform', () => {
    const summaries = (src: string, sc = scope()) => run(src, sc).diagnostics.map((d) => `${d.range?.start.column}: ${d.summary}`);
    expect(summaries('try(each.key, 1)')).to.deep.equal(['5: Reference to "each" outside for_each']);
    expect(summaries('try(count.index, 2)')).to.deep.equal(['5: Reference to "count.index" outside count']);
    expect(summaries('try(path.nope, 3)')).to.deep.equal(['5: Invalid "path" attribute "nope"']);
    expect(summaries('can(each.nope)', scope({ each: { key: 'a', value: 1 } }))).to.deep.equal(['5: Invalid "each" attribute "nope"']);
    expect(summaries('can(count.nope)', scope({ countIndex: 0 }))).to.deep.equal(['5: Invalid "count" attribute "nope"']);
    expect(summaries('try(var, 4)')).to.deep.equal(['5: Invalid reference']);
    expect(summaries('try(bare, 5)')).to.deep.equal(['5: Invalid reference']);
    // A dynamic error about a value still falls through.
    expect(value('try(each.value.missing, 6)', scope({ each: { key: 'a', value: {} } }))).to.equal(6);
  });
});

describe('evaluateLiteral', () => {
  it('allows literals and pure functions, not references or impure functions', () => {
    expect(evaluateLiteral(expr('upper("a")')).value).to.equal('A');
    expect(evaluateLiteral(expr('var.x'), 'Why.').diagnostics[0]).to.include({ summary: 'Variables not allowed', detail: 'Why.' });
    expect(evaluateLiteral(expr('env("HOME")')).diagnostics[0].summary).to.equal('Function "env" is not allowed here');
    expect(evaluateLiteral(expr('[for x in [1] : x]')).value).to.deep.equal([1]);
  });
});

describe('evaluate: limits', () => {
  it('stops runaway iteration with a diagnostic, not a hang', () => {
    const r = run('[for a in range(100000) : [for b in range(100000) : 1]]');
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal(['Evaluation too expensive']);
  });
  it('does not throw on deep but parseable input', () => {
    const deep = '['.repeat(90) + '1' + ']'.repeat(90);
    expect(run(deep).diagnostics).to.deep.equal([]);
  });
});
