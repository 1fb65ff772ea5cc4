import { expect } from 'chai';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { removeTemp, tempConfig } from '../evaluate/support.js';

describe('loadConfig', () => {
  let dir: string;
  before(() => {
    dir = tempConfig({
      'b.infra': `
variable "serial" {
  type        = list(map(number))
  default     = []
  description = "Serials"
  sensitive   = true
}

resource "local_host" "ns" {
  for_each   = toset(["ns1", "ns2"])
  name       = each.key
  depends_on = [local_host.lb, local_host.lb["x"], local_host.lb[0]]

  lifecycle blue_green {
    max_parallel = 2
    verify_timeout = "30s"
  }
  lifecycle {
    prevent_destroy       = true
    ignore_changes        = [tags, tags.owner, "name"]
    create_before_destroy = true
  }
  expect "a" "A" {
    values = []
  }
}
`,
      'a.infra': `
locals {
  x = 1
}

provider "linode" {
  token = "t"
}

resource "local_host" "lb" {
  count = 2
  name  = "lb"
  lifecycle blue_green
}

output "addr" {
  value       = local.x
  sensitive   = true
  description = "The address"
}
`,
      'ignored.txt': 'resource',
      'sub/c.infra': 'this is not read',
    });
  });
  after(() => removeTemp(dir));

  it('loads every *.infra file of a directory, sorted, as one configuration', () => {
    const { config, diagnostics } = loadConfig(dir, { cwd: dir });
    expect(diagnostics).to.deep.equal([]);
    expect(config!.dir).to.equal(dir);
    expect([...config!.files.keys()]).to.deep.equal(['a.infra', 'b.infra']);
    expect(config!.resources.map((r) => r.address)).to.deep.equal(['local_host.lb', 'local_host.ns']);
    expect(config!.hash).to.match(/^[0-9a-f]{64}$/);
  });

  it('decodes variables, locals, providers and outputs', () => {
    const config = loadConfig(dir, { cwd: dir }).config!;
    const v = config.variables.get('serial')!;
    expect(v).to.include({ name: 'serial', description: 'Serials', sensitive: true });
    expect(v.type).to.deep.equal({ list: { map: 'number' } });
    expect(v.default?.kind).to.equal('Tuple');
    expect(config.locals.get('x')?.expr.kind).to.equal('Literal');
    expect(config.providers.get('linode')?.body.items.length).to.equal(1);
    expect(config.outputs.get('addr')).to.include({ sensitive: true, description: 'The address' });
  });

  it('takes meta-arguments and lifecycle out of resource bodies', () => {
    const config = loadConfig(dir, { cwd: dir }).config!;
    const [lb, ns] = config.resources;
    expect(lb.count?.kind).to.equal('Literal');
    expect(lb.lifecycle.blueGreen?.maxParallel).to.equal(1);
    expect(lb.lifecycle.blueGreen?.range.start.line).to.equal(13);
    expect(ns.forEach?.kind).to.equal('Call');
    expect(ns.body.items.map((i) => (i.kind === 'Attribute' ? i.name : i.type))).to.deep.equal(['name', 'expect']);
    expect(ns.dependsOn.map((d) => d.address)).to.deep.equal(['local_host.lb', 'local_host.lb["x"]', 'local_host.lb[0]']);
    expect(ns.lifecycle).to.deep.include({ preventDestroy: true, createBeforeDestroy: true, ignoreChanges: ['tags', 'tags.owner', 'name'] });
    expect(ns.lifecycle.blueGreen?.maxParallel).to.equal(2);
    expect([...(ns.lifecycle.blueGreen?.options.keys() ?? [])]).to.deep.equal(['verify_timeout']);
    expect(ns.typeRange.start).to.include({ line: 9, column: 10 });
    expect(ns.nameRange.start).to.include({ line: 9, column: 23 });
  });

  it('records file paths relative to cwd', () => {
    const r = loadConfig(dir, { cwd: join(dir, '..') });
    const name = dir.split('/').pop()!;
    expect([...r.config!.files.keys()]).to.deep.equal([`${name}/a.infra`, `${name}/b.infra`]);
    expect(r.config!.resources[0].range.file).to.equal(`${name}/a.infra`);
  });

  it('accepts a single file', () => {
    const r = loadConfig('a.infra', { cwd: dir });
    expect(r.config!.resources.map((x) => x.address)).to.deep.equal(['local_host.lb']);
    expect(r.config!.dir).to.equal(dir);
  });

  it('the hash changes with any file\'s name or content', () => {
    const a = tempConfig({ 'main.infra': 'locals {\n  a = 1\n}\n' });
    const b = tempConfig({ 'main.infra': 'locals {\n  a = 2\n}\n' });
    const c = tempConfig({ 'other.infra': 'locals {\n  a = 1\n}\n' });
    const d = tempConfig({ 'main.infra': 'locals {\n  a = 1\n}\n' });
    const hash = (x: string): string => loadConfig(x, { cwd: x }).config!.hash;
    expect(hash(a)).not.to.equal(hash(b));
    expect(hash(a)).not.to.equal(hash(c));
    expect(hash(a)).to.equal(hash(d));
    for (const x of [a, b, c, d]) removeTemp(x);
  });

  it('a missing path or a directory without configuration files is a diagnostic', () => {
    const missing = loadConfig('nope', { cwd: dir });
    expect(missing.config).to.equal(null);
    expect(missing.diagnostics[0].summary).to.equal('Configuration path "nope" does not exist');
    const other = tempConfig({ 'docs/README': 'no configuration here' });
    const empty = loadConfig('docs', { cwd: other });
    expect(empty.config).to.equal(null);
    expect(empty.diagnostics[0].summary).to.equal('No configuration files in "docs"');
    removeTemp(other);
  });

  it('collects the syntax errors of every file and returns their sources', () => {
    const bad = tempConfig({ 'a.infra': 'locals {\n  a = [\n}\n', 'b.infra': 'resource "x" {\n  a = "\n}\n' });
    const r = loadConfig(bad, { cwd: bad });
    expect(r.config).to.equal(null);
    expect(new Set(r.diagnostics.map((d) => d.range?.file))).to.deep.equal(new Set(['a.infra', 'b.infra']));
    expect([...r.files.keys()]).to.deep.equal(['a.infra', 'b.infra']);
    removeTemp(bad);
  });

  it('decodes data blocks apart from resources, as data.TYPE.NAME; lifecycle and duplicates are errors', () => {
    const d = tempConfig({
      'main.infra': 'data "local_file" "k" {\n  count      = 2\n  filename   = "k"\n  depends_on = [local_host.a]\n}\n\nresource "local_host" "a" {\n  depends_on = [data.local_file.k[0]]\n}\n',
    });
    const r = loadConfig(d, { cwd: d });
    removeTemp(d);
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.config!.resources.map((x) => [x.address, x.dependsOn.map((e) => e.address)])).to.deep.equal([['local_host.a', ['data.local_file.k[0]']]]);
    expect(r.config!.dataSources!.map((x) => [x.mode, x.address, x.type, x.name, x.count !== undefined, x.dependsOn.map((e) => e.address)])).to.deep.equal([
      ['data', 'data.local_file.k', 'local_file', 'k', true, ['local_host.a']],
    ]);
    const bad = tempConfig({ 'main.infra': 'data "local_file" "k" {\n  filename = "k"\n  lifecycle {\n  }\n}\n\ndata "local_file" "k" {\n  filename = "j"\n}\n' });
    const b = loadConfig(bad, { cwd: bad });
    removeTemp(bad);
    expect(b.diagnostics.map((x) => `${x.range?.start.line}:${x.range?.start.column} ${x.summary}`)).to.deep.equal([
      '3:3 Unsupported lifecycle block in data block',
      '7:1 Duplicate data source "data.local_file.k"',
    ]);
  });
});
