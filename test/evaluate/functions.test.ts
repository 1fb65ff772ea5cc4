import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS } from '../../src/evaluate/functions.js';
import { Sensitive, UNKNOWN, isUnknown, sensitive } from '../../src/evaluate/value.js';
import { failure, scope, value } from './helpers.js';

describe('functions', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'infra-fn-'));
    writeFileSync(join(dir, 'plain.txt'), 'line 1\nline 2\n');
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates', 'zone.tpl'), 'ns ${name}\n${join("\\n", [for a in addresses : "A ${a}"])}\n$${literal}');
    writeFileSync(join(dir, 'templates', 'bad.tpl'), '${name');
    writeFileSync(
      join(dir, 'templates', 'named.conf.tpl'),
      [
        '%{ for zone in zones ~}',
        'zone "${zone}" {',
        '  type master;',
        '%{~ if notify }',
        '  notify yes;',
        '%{~ else }',
        '  notify no;',
        '%{~ endif }',
        '};',
        '%{ endfor ~}',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'templates', 'unclosed.tpl'), 'a\n%{ for z in zones }\n${z}\n');
    writeFileSync(join(dir, 'templates', 'cond.tpl'), 'x\n%{ if n }\ny\n%{ endif }\n');
    writeFileSync(join(dir, 'binary.bin'), Buffer.from([0xff, 0xfe, 0x00]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const s = (): ReturnType<typeof scope> => scope({ configDir: dir, env: { HOME_X: '/home/x' }, vars: { u: UNKNOWN, secret: sensitive('s3') } });

  it('env', () => {
    expect(value('env("HOME_X")', s())).to.equal('/home/x');
    expect(value('env("MISSING", "d")', s())).to.equal('d');
    expect(failure('env("MISSING")', s()).summary).to.equal('Environment variable "MISSING" is not set');
  });

  it('file reads relative to the configuration directory', () => {
    expect(value('file("plain.txt")', s())).to.equal('line 1\nline 2\n');
    expect(value(`file("${join(dir, 'plain.txt')}")`, s())).to.equal('line 1\nline 2\n');
    const d = failure('file("missing.txt")', s());
    expect(d.summary).to.equal('Cannot read file "missing.txt": no such file');
    expect(d.range?.start.column).to.equal(1);
    expect(failure('file("binary.bin")', s()).summary).to.equal('Cannot read file "binary.bin": not UTF-8 text');
  });

  it('templatefile renders with only the given variables', () => {
    expect(value('templatefile("templates/zone.tpl", { name = "ns1", addresses = ["1.1.1.1", "2.2.2.2"] })', s())).to.equal(
      'ns ns1\nA 1.1.1.1\nA 2.2.2.2\n${literal}',
    );
    const missing = failure('templatefile("templates/zone.tpl", { name = "x" })', s());
    expect(missing.summary).to.equal('Error in template "templates/zone.tpl"');
    expect(missing.detail).to.match(/^templates\/zone\.tpl:2:\d+: Reference to undeclared template variable "addresses"/);
    expect(failure('templatefile("templates/bad.tpl", {})', s()).summary).to.equal('Invalid template "templates/bad.tpl"');
    expect(isUnknown(value('templatefile("templates/zone.tpl", { name = var.u, addresses = [] })', s()))).to.equal(true);
    expect(value('templatefile("templates/zone.tpl", { name = var.secret, addresses = [] })', s())).to.be.instanceOf(Sensitive);
  });

  it('templatefile with %{ for } and %{ if } directives, "~" stripping the whitespace beside them', () => {
    expect(value('templatefile("templates/named.conf.tpl", { zones = ["a.test", "b.test"], notify = true })', s())).to.equal(
      'zone "a.test" {\n  type master;\n  notify yes;\n};\nzone "b.test" {\n  type master;\n  notify yes;\n};\n',
    );
    expect(value('templatefile("templates/named.conf.tpl", { zones = ["a.test"], notify = false })', s())).to.equal(
      'zone "a.test" {\n  type master;\n  notify no;\n};\n',
    );
    expect(value('templatefile("templates/named.conf.tpl", { zones = [], notify = false })', s())).to.equal('');
    // An unknown list or condition makes the whole text unknown; a sensitive one makes it sensitive.
    expect(isUnknown(value('templatefile("templates/named.conf.tpl", { zones = var.u, notify = true })', s()))).to.equal(true);
    expect(isUnknown(value('templatefile("templates/named.conf.tpl", { zones = ["a"], notify = var.u })', s()))).to.equal(true);
    expect(value('templatefile("templates/named.conf.tpl", { zones = ["a"], notify = var.secret == "s3" })', s())).to.be.instanceOf(Sensitive);
    // Errors name the template file, line and column.
    const unclosed = failure('templatefile("templates/unclosed.tpl", { zones = [] })', s());
    expect(unclosed.summary).to.equal('Invalid template "templates/unclosed.tpl"');
    expect(unclosed.detail).to.equal('templates/unclosed.tpl:2:1: Unclosed %{ for }\nExpected %{ endfor } before the end of the template.');
    const cond = failure('templatefile("templates/cond.tpl", { n = 3 })', s());
    expect(cond.detail).to.equal('templates/cond.tpl:2:7: Invalid template condition\nThe condition of %{ if } must be a bool, got number.');
  });

  it('format', () => {
    expect(value('format("%s-%d-%05d-%.2f-%q-%v-%v-%t-%x-%%", "a", 7, 42, 3.14159, "q\\"", 1.5, [1], true, 255)')).to.equal(
      'a-7-00042-3.14-"q\\""-1.5-[1]-true-ff-%',
    );
    expect(value('format("%-5s|%5s|%+d", "ab", "cd", 3)')).to.equal('ab   |   cd|+3');
    expect(failure('format("%s")').detail).to.equal('Not enough arguments for the format string: "%s" has no value.');
    expect(failure('format("x", 1)').detail).to.equal('Too many arguments for the format string: it uses 0, got 1.');
    expect(failure('format("%d", "x")').detail).to.equal('"%d" needs a number, got string.');
    expect(failure('format("%")').detail).to.equal('The format string ends in an incomplete verb "%".');
  });

  it('formatlist', () => {
    expect(value('formatlist("%s=%s", ["a", "b"], "x")')).to.deep.equal(['a=x', 'b=x']);
    expect(failure('formatlist("%s%s", ["a"], ["b", "c"])').summary).to.equal('Invalid argument to "formatlist"');
  });

  it('join, split, concat, merge', () => {
    expect(value('join(", ", ["a", 1, true])')).to.equal('a, 1, true');
    expect(value('split(",", "a,b,,c")')).to.deep.equal(['a', 'b', '', 'c']);
    expect(value('concat([1], [], [2, 3])')).to.deep.equal([1, 2, 3]);
    expect(value('merge({ a = 1, b = 1 }, null, { b = 2 })')).to.deep.equal({ a: 1, b: 2 });
    expect(failure('join(",", [null])').detail).to.equal('join() joins strings: element 0 is null.');
  });

  it('lookup, length, keys, values', () => {
    expect(value('lookup({ a = 1 }, "a")')).to.equal(1);
    expect(value('lookup({ a = 1 }, "b", 0)')).to.equal(0);
    expect(value('length("héllo")')).to.equal(5);
    expect(value('length([1, 2])')).to.equal(2);
    expect(value('length({ a = 1 })')).to.equal(1);
    expect(failure('length(1)').detail).to.equal('length() needs a list, map or string, got number.');
    expect(value('keys({ b = 1, a = 2 })')).to.deep.equal(['a', 'b']);
    expect(value('values({ b = 1, a = 2 })')).to.deep.equal([2, 1]);
  });

  it('conversions', () => {
    expect(value('tostring(1.5)')).to.equal('1.5');
    expect(value('tostring(true)')).to.equal('true');
    expect(value('tostring(null)')).to.equal(null);
    expect(value('tonumber("42")')).to.equal(42);
    expect(value('tonumber("-1.5e2")')).to.equal(-150);
    expect(failure('tonumber("0x10")').summary).to.equal('Invalid argument to "tonumber"');
    expect(failure('tostring([1])').detail).to.equal('Argument 1 (value): a string is required, got list.');
    expect(value('tobool("true")')).to.equal(true);
    expect(value('toset(["b", "a", "b", 1])')).to.deep.equal(['1', 'a', 'b']);
    expect(value('tolist([1])')).to.deep.equal([1]);
    expect(value('tomap({ a = 1 })')).to.deep.equal({ a: 1 });
  });

  it('strings', () => {
    expect(value('lower("AbC")')).to.equal('abc');
    expect(value('upper("AbC")')).to.equal('ABC');
    expect(value('trimspace("  a b \\n")')).to.equal('a b');
    expect(value('sha256("abc")')).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(value('replace("a.b.c", ".", "-")')).to.equal('a-b-c');
    expect(value('replace("a1b22", "/[0-9]+/", "#")')).to.equal('a#b#');
    expect(value('startswith("ns1.example", "ns")')).to.equal(true);
    expect(value('endswith("ns1.example", "ple")')).to.equal(true);
    expect(value('substr("hello", 1, 3)')).to.equal('ell');
    expect(value('substr("hello", -3, -1)')).to.equal('llo');
    expect(failure('substr("a", 5, 1)').summary).to.equal('Invalid argument to "substr"');
  });

  it('collections', () => {
    expect(value('contains(["a", 1], 1)')).to.equal(true);
    expect(value('contains(["a"], "b")')).to.equal(false);
    expect(value('range(3)')).to.deep.equal([0, 1, 2]);
    expect(value('range(1, 7, 2)')).to.deep.equal([1, 3, 5]);
    expect(value('range(3, 0)')).to.deep.equal([3, 2, 1]);
    expect(failure('range(0, 5, 0)').detail).to.equal('The step must not be zero.');
    expect(value('coalesce(null, "", "x", "y")')).to.equal('x');
    expect(value('element(["a", "b"], 3)')).to.equal('b');
    expect(value('flatten([1, [2, [3]], []])')).to.deep.equal([1, 2, 3]);
    expect(value('distinct([[1], [2], [1]])')).to.deep.equal([[1], [2]]);
    // Terraform: a list's elements have one type; 1 and [1] have none in common.
    expect(failure('distinct([1, 2, 1, [1], [1]])').detail).to.equal('Argument 1 (list): all list elements must have the same type.');
    expect(value('sort(["b", "a", "C"])')).to.deep.equal(['C', 'a', 'b']);
    expect(value('min(3, 1, 2)')).to.equal(1);
    expect(value('max(3, "10")')).to.equal(10);
    expect(value('max([1, 5]...)')).to.equal(5);
    expect(value('abs(-2)')).to.equal(2);
    expect(value('zipmap(["a", "b"], [1, 2])')).to.deep.equal({ a: 1, b: 2 });
  });

  it('json', () => {
    expect(value('jsonencode({ a = [1, "x", null, true] })')).to.equal('{"a":[1,"x",null,true]}');
    expect(value('jsondecode("{\\"a\\": [1, 2]}")')).to.deep.equal({ a: [1, 2] });
    expect(failure('jsondecode("[[[[' + '['.repeat(600) + '")').summary).to.equal('Invalid argument to "jsondecode"');
    expect(failure(`jsondecode("${'['.repeat(600)}${']'.repeat(600)}")`).detail).to.equal('The JSON is nested more than 500 levels deep.');
  });

  it('wrong arity and unknown functions', () => {
    expect(failure('upper()').detail).to.equal('upper(string) takes 1 argument; got 0.');
    expect(failure('lookup({})').detail).to.equal('lookup(map, key, default?) takes 2 to 3 arguments; got 1.');
    expect(failure('min()').detail).to.equal('min(numbers...) takes at least 1 argument; got 0.');
    const d = failure('uper("a")');
    expect(d.summary).to.equal('Call to unknown function "uper"');
    expect(d.detail).to.equal('Did you mean "upper"?');
  });

  it('every function propagates unknown arguments', () => {
    const samples: Record<string, string> = {
      env: 'env(var.u)',
      file: 'file(var.u)',
      templatefile: 'templatefile(var.u, {})',
      format: 'format("%s", var.u)',
      formatlist: 'formatlist("%s", var.u)',
      join: 'join(",", ["a", var.u])',
      split: 'split(",", var.u)',
      concat: 'concat(var.u, [1])',
      merge: 'merge(var.u)',
      lookup: 'lookup({}, var.u, 1)',
      length: 'length(var.u)',
      keys: 'keys(var.u)',
      values: 'values(var.u)',
      tostring: 'tostring(var.u)',
      tonumber: 'tonumber(var.u)',
      tobool: 'tobool(var.u)',
      lower: 'lower(var.u)',
      upper: 'upper(var.u)',
      trimspace: 'trimspace(var.u)',
      sha256: 'sha256(var.u)',
      toset: 'toset(["a", var.u])',
      tolist: 'tolist(var.u)',
      tomap: 'tomap(var.u)',
      contains: 'contains([var.u], 1)',
      range: 'range(var.u)',
      replace: 'replace(var.u, "a", "b")',
      jsonencode: 'jsonencode({ a = var.u })',
      jsondecode: 'jsondecode(var.u)',
      coalesce: 'coalesce(var.u, "x")',
      element: 'element(var.u, 0)',
      flatten: 'flatten([[1], var.u])',
      distinct: 'distinct([var.u])',
      sort: 'sort(["a", var.u])',
      min: 'min(1, var.u)',
      max: 'max(1, var.u)',
      abs: 'abs(var.u)',
      startswith: 'startswith(var.u, "a")',
      endswith: 'endswith(var.u, "a")',
      substr: 'substr(var.u, 0, 1)',
      zipmap: 'zipmap([var.u], [1])',
      sensitive: 'sensitive(var.u)',
      nonsensitive: 'nonsensitive(var.u)',
      chomp: 'chomp(var.u)',
      trim: 'trim(var.u, " ")',
      trimprefix: 'trimprefix(var.u, "a")',
      trimsuffix: 'trimsuffix("a", var.u)',
      strcontains: 'strcontains(var.u, "a")',
      title: 'title(var.u)',
      urlencode: 'urlencode(var.u)',
      regex: 'regex(var.u, "a")',
      regexall: 'regexall("a", var.u)',
      base64encode: 'base64encode(var.u)',
      base64decode: 'base64decode(var.u)',
      md5: 'md5(var.u)',
      sha1: 'sha1(var.u)',
      formatdate: 'formatdate("YYYY", var.u)',
      basename: 'basename(var.u)',
      dirname: 'dirname(var.u)',
      pathexpand: 'pathexpand(var.u)',
      filebase64: 'filebase64(var.u)',
      filemd5: 'filemd5(var.u)',
      slice: 'slice(var.u, 0, 1)',
      compact: 'compact(var.u)',
      coalescelist: 'coalescelist(var.u)',
      one: 'one(var.u)',
      reverse: 'reverse(var.u)',
      index: 'index([var.u], 1)',
      alltrue: 'alltrue([true, var.u])',
      anytrue: 'anytrue([var.u])',
      setunion: 'setunion(["a"], [var.u])',
      setintersection: 'setintersection(var.u, ["a"])',
      setsubtract: 'setsubtract(["a"], [var.u])',
      setproduct: 'setproduct(["a"], var.u)',
      ceil: 'ceil(var.u)',
      floor: 'floor(var.u)',
      pow: 'pow(2, var.u)',
      parseint: 'parseint(var.u, 10)',
      cidrhost: 'cidrhost(var.u, 1)',
      cidrsubnet: 'cidrsubnet("10.0.0.0/8", var.u, 1)',
      cidrsubnets: 'cidrsubnets("10.0.0.0/8", 1, var.u)',
      yamlencode: 'yamlencode({ a = var.u })',
      yamldecode: 'yamldecode(var.u)',
    };
    // timestamp() and uuid() take no arguments.
    expect(Object.keys(samples).sort()).to.deep.equal([...FUNCTIONS.keys()].filter((n) => n !== 'timestamp' && n !== 'uuid').sort());
    for (const [name, src] of Object.entries(samples)) {
      let v = value(src, s());
      if (v instanceof Sensitive) v = v.value;
      expect(isUnknown(v), name).to.equal(true);
    }
  });

  it('every function marks its result sensitive when an argument is', () => {
    const sv = scope({ configDir: dir, env: { s3: 'x' }, vars: { s: sensitive('s3'), n: sensitive(2), l: sensitive(['b', 'a']), m: sensitive({ a: 1 }) } });
    const samples = [
      'env(var.s)',
      'format("%s", var.s)',
      'formatlist("%s", var.l)',
      'join(",", var.l)',
      'split(",", var.s)',
      'concat(var.l)',
      'merge(var.m)',
      'lookup(var.m, "a")',
      'length(var.s)',
      'keys(var.m)',
      'values(var.m)',
      'tostring(var.n)',
      'tonumber(var.n)',
      'lower(var.s)',
      'upper(var.s)',
      'trimspace(var.s)',
      'sha256(var.s)',
      'toset(var.l)',
      'tolist(var.l)',
      'tomap(var.m)',
      'contains(var.l, "a")',
      'range(var.n)',
      'replace(var.s, "3", "4")',
      'jsonencode(var.m)',
      'coalesce(var.s)',
      'element(var.l, 0)',
      'flatten(var.l)',
      'distinct(var.l)',
      'sort(var.l)',
      'min(var.n, 3)',
      'max(var.n, 1)',
      'abs(var.n)',
      'startswith(var.s, "s")',
      'endswith(var.s, "3")',
      'substr(var.s, 0, 1)',
      'zipmap(var.l, [1, 2])',
      'sensitive(1)',
      'jsondecode(jsonencode(var.m))',
    ];
    for (const src of samples) expect(value(src, sv), src).to.be.instanceOf(Sensitive);
  });
});
