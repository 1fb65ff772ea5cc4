import { expect } from 'chai';
import { loadConfig } from '../../src/config/load.js';
import type { Config, ResourceDecl } from '../../src/config/types.js';
import type { EvalScope } from '../../src/evaluate/evaluate.js';
import { decodeBody, expandInstances, instanceAddress, parseAddress } from '../../src/evaluate/resource.js';
import { Sensitive, UNKNOWN, Unknown, sensitive } from '../../src/evaluate/value.js';
import { TEST_SCHEMA } from './pipeline.js';
import { removeTemp, tempConfig } from './support.js';

function load(text: string): Config {
  const dir = tempConfig({ 'main.infra': text });
  const r = loadConfig(dir, { cwd: dir });
  removeTemp(dir);
  expect(r.diagnostics.map((d) => d.summary)).to.deep.equal([]);
  return r.config!;
}

const scope: EvalScope = {
  configDir: '/c',
  variables: new Map<string, import('../../src/evaluate/value.js').Value>([
    ['u', UNKNOWN],
    ['secret', sensitive('pw')],
    ['names', ['b', 'a', 'b']],
  ]),
  local: () => undefined,
  resource: () => undefined,
  env: {},
};

function decl(text: string): ResourceDecl {
  return load(text).resources[0];
}

describe('expandInstances', () => {
  it('a block without for_each or count has one instance', () => {
    expect(expandInstances(decl('resource "t" "a" {\n}\n'), scope).value).to.deep.equal({ keys: [{ index: null }] });
  });

  it('for_each over a map sorts its keys; over a list dedupes and sorts', () => {
    const m = expandInstances(decl('resource "t" "a" {\n  for_each = { b = 2, a = 1 }\n}\n'), scope).value;
    expect(m).to.deep.equal({ keys: [{ index: 'a', each: { key: 'a', value: 1 } }, { index: 'b', each: { key: 'b', value: 2 } }] });
    const l = expandInstances(decl('resource "t" "a" {\n  for_each = var.names\n}\n'), scope).value;
    expect(l).to.deep.equal({ keys: [{ index: 'a', each: { key: 'a', value: 'a' } }, { index: 'b', each: { key: 'b', value: 'b' } }] });
  });

  it('count makes indexes 0..n-1', () => {
    expect(expandInstances(decl('resource "t" "a" {\n  count = "2"\n}\n'), scope).value).to.deep.equal({
      keys: [
        { index: 0, countIndex: 0 },
        { index: 1, countIndex: 1 },
      ],
    });
    expect(expandInstances(decl('resource "t" "a" {\n  count = 0\n}\n'), scope).value).to.deep.equal({ keys: [] });
  });

  it('unknown for_each or count is reported as unknown, not as an error', () => {
    expect(expandInstances(decl('resource "t" "a" {\n  count = var.u\n}\n'), scope).value).to.deep.equal({ unknown: true });
    expect(expandInstances(decl('resource "t" "a" {\n  for_each = var.u\n}\n'), scope).value).to.deep.equal({ unknown: true });
    expect(expandInstances(decl('resource "t" "a" {\n  for_each = ["a", var.u]\n}\n'), scope).value).to.deep.equal({ unknown: true });
    expect(expandInstances(decl('resource "t" "a" {\n  for_each = { a = var.u }\n}\n'), scope).value).to.deep.equal({
      keys: [{ index: 'a', each: { key: 'a', value: UNKNOWN } }],
    });
  });

  it('for_each over a set made by setsubtract, setunion or setproduct makes one instance per element', () => {
    const r = expandInstances(decl('resource "t" "a" {\n  for_each = setsubtract(["web", "db", "cache"], ["db"])\n}\n'), scope);
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.value).to.deep.equal({
      keys: [
        { index: 'cache', each: { key: 'cache', value: 'cache' } },
        { index: 'web', each: { key: 'web', value: 'web' } },
      ],
    });
    const u = expandInstances(decl('resource "t" "a" {\n  for_each = setunion(["b"], ["a", "b"])\n}\n'), scope);
    expect(u.value).to.deep.equal({
      keys: [
        { index: 'a', each: { key: 'a', value: 'a' } },
        { index: 'b', each: { key: 'b', value: 'b' } },
      ],
    });
    const p = expandInstances(decl('resource "t" "a" {\n  for_each = { for pair in setproduct(toset(["x"]), ["1", "2"]) : join("-", pair) => pair }\n}\n'), scope);
    expect(p.value).to.deep.equal({
      keys: [
        { index: 'x-1', each: { key: 'x-1', value: ['x', '1'] } },
        { index: 'x-2', each: { key: 'x-2', value: ['x', '2'] } },
      ],
    });
  });

  it('sensitive for_each is an error; a map with sensitive values is fine', () => {
    const r = expandInstances(decl('resource "t" "a" {\n  for_each = toset([var.secret])\n}\n'), scope);
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal(['Invalid for_each argument: sensitive value']);
    const ok = expandInstances(decl('resource "t" "a" {\n  for_each = { a = var.secret }\n}\n'), scope);
    expect(ok.diagnostics).to.deep.equal([]);
  });

  it('bad values are errors with the meta-argument\'s range', () => {
    const r = expandInstances(decl('resource "t" "a" {\n  count = -1\n}\n'), scope);
    expect(r.diagnostics[0].summary).to.equal('Invalid count argument');
    expect(r.diagnostics[0].range?.start).to.include({ line: 2, column: 11 });
    expect(r.value).to.deep.equal({ keys: [] });
    expect(expandInstances(decl('resource "t" "a" {\n  for_each = 3\n}\n'), scope).diagnostics[0].summary).to.equal('Invalid for_each argument');
    expect(expandInstances(decl('resource "t" "a" {\n  count = 9007199254740993\n}\n'), scope).diagnostics[0].detail).to.equal('count may be at most 100000.');
    expect(expandInstances(decl('resource "t" "a" {\n  for_each = var.nope\n}\n'), scope).diagnostics[0].summary).to.equal(
      'Reference to undeclared variable "nope"',
    );
  });
});

describe('instanceAddress and parseAddress', () => {
  it('quotes keys as JSON', () => {
    expect(instanceAddress({ address: 'local_host.ns' }, null)).to.equal('local_host.ns');
    expect(instanceAddress({ address: 'local_host.ns' }, 0)).to.equal('local_host.ns[0]');
    expect(instanceAddress({ address: 'local_host.ns' }, 'ns "1"')).to.equal('local_host.ns["ns \\"1\\""]');
  });

  it('parses the three forms and round-trips', () => {
    expect(parseAddress('local_host.ns').value).to.deep.equal({ type: 'local_host', name: 'ns' });
    expect(parseAddress('local_host.ns[2]').value).to.deep.equal({ type: 'local_host', name: 'ns', index: 2 });
    expect(parseAddress('local_host.ns["a]b"]').value).to.deep.equal({ type: 'local_host', name: 'ns', index: 'a]b' });
    const key = 'ns "1"';
    expect(parseAddress(instanceAddress({ address: 'a.b' }, key)).value).to.deep.equal({ type: 'a', name: 'b', index: key });
  });

  it('rejects anything else with a diagnostic', () => {
    for (const bad of ['ns', 'a.b.c', 'a.b[x]', 'a.b["x]', 'a.b[-1]', '1a.b', '']) {
      const r = parseAddress(bad);
      expect(r.value, bad).to.equal(null);
      expect(r.diagnostics[0].summary).to.equal(`Invalid resource address ${JSON.stringify(bad)}`);
    }
  });
});

describe('decodeBody', () => {
  const body = (text: string) => decl(`resource "t" "a" {\n${text}\n}\n`).body;

  it('evaluates, converts, applies defaults and nulls, leaves computed attributes out', () => {
    const r = decodeBody(body('  name = "n"\n  port = "54"\n  tags = { a = 1 }\n  password = "pw"'), TEST_SCHEMA, scope);
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.value).to.deep.equal({
      name: 'n',
      port: 54,
      tags: { a: '1' },
      password: new Sensitive('pw'),
      enabled: null,
      addresses: null,
      host: null,
      expect: [],
      settings: null,
    });
    expect('id' in r.value).to.equal(false);
  });

  it('a number beyond 2^53 for a number argument is an error (a provider takes floats); as a string it stays exact', () => {
    const r = decodeBody(body('  name = 9007199254740993\n  port = 9007199254740993'), TEST_SCHEMA, scope);
    expect(r.diagnostics.map((d) => [d.summary, d.detail, `${d.range?.start.line}:${d.range?.start.column}`])).to.deep.equal([
      ['Invalid value for "port"', 'The number 9007199254740993 is beyond 9007199254740992 (2^53), the largest whole number a provider argument holds exactly; write it as a string if the argument takes one.', '3:10'],
    ]);
    expect(r.value.name).to.equal('9007199254740993');
  });

  it('decodes nested blocks with labels, list and single nesting', () => {
    const r = decodeBody(
      body('  name = "n"\n  expect "www" "A" {\n    values = ["1"]\n  }\n  expect "mx" "MX" {\n    values = []\n  }\n  settings {\n    level = 2\n  }'),
      TEST_SCHEMA,
      scope,
    );
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.value.expect).to.deep.equal([
      { values: ['1'], name: 'www', type: 'A' },
      { values: [], name: 'mx', type: 'MX' },
    ]);
    expect(r.value.settings).to.deep.equal({ level: 2 });
  });

  it('keeps unknowns (typed by the schema) and sensitive marks', () => {
    const r = decodeBody(body('  name = var.u\n  host = var.secret'), TEST_SCHEMA, scope);
    expect(r.value.name).to.be.instanceOf(Unknown);
    expect((r.value.name as Unknown).type).to.equal('string');
    expect(r.value.host).to.deep.equal(new Sensitive('pw'));
  });

  it('reports unknown names, computed-only attributes, missing required ones and wrong types', () => {
    const r = decodeBody(body('  nmae = "n"\n  id = "x"\n  port = true\n  expect "a" {\n    values = []\n  }'), TEST_SCHEMA, scope);
    expect(r.diagnostics.map((d) => `${d.summary} | ${d.detail}`)).to.deep.equal([
      'Unsupported argument "nmae" | Did you mean "name"?',
      'Cannot set "id" | "id" is computed by the provider; it cannot be set in configuration.',
      'Invalid value for "port" | A number is required, got bool.',
      'Missing required argument "name" | "name": The name.',
      'Wrong number of labels on "expect" block | Each "expect" block has 2 labels (name, type): expect "NAME" "TYPE" { ... }',
    ]);
  });

  it('a schema default is used only when the attribute is absent; a sensitive one is marked', () => {
    const r = decodeBody(body(''), { attributes: { p: { type: 'string', description: '', optional: true, default: 'd', sensitive: true } } }, scope);
    expect(r.value).to.deep.equal({ p: new Sensitive('d') });
  });
});
