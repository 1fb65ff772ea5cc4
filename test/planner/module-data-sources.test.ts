/**
 * Data sources inside modules (evaluate/modules.ts flattens them like the module's resources):
 * one read per module instance under the instance's address, references inside the module to
 * that instance's data source, `path.module` the module's directory, reads during apply when the
 * arguments are unknown, and the Terraform plan JSON's module shape.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { flattenModules } from '../../src/evaluate/modules.js';
import { summarizeConfiguration } from '../../src/planner/plan-configuration.js';
import { canonicalJson } from '../../src/evaluate/value.js';
import type { DataReadResult } from '../../src/planner/planner.js';
import { planToJson } from '../../src/render/plan-json.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { planFixture, planOf } from './fixture.js';

const ZONE_MODULE = {
  'modules/dns/main.infra': `
variable "zone" {
  type = string
}

data "local_file" "zone" {
  filename = "\${var.zone}.db"
}

resource "test_instance" "ns" {
  name  = "ns-\${var.zone}"
  image = data.local_file.zone.content
}

output "serial" {
  value = data.local_file.zone.content_md5
}
`,
};

const ROOT = `
module "dns" {
  for_each = toset(["a", "b"])
  source   = "./modules/dns"
  zone     = each.key
}

output "serials" {
  value = { for k, m in module.dns : k => m.serial }
}
`;

const read = (config: Record<string, string>, content: string): DataReadResult => ({
  configKey: canonicalJson(config),
  state: { ...config, content, content_md5: `md5-${content}` },
});

const READS = new Map([
  ['module.dns["a"].data.local_file.zone', read({ filename: 'a.db' }, 'zone a')],
  ['module.dns["b"].data.local_file.zone', read({ filename: 'b.db' }, 'zone b')],
]);

describe('planner: data sources inside modules', () => {
  it('asks for one read per module instance, by the instance\'s address', () => {
    const r = planFixture({ config: ROOT, files: ZONE_MODULE });
    expect(r.plan).to.equal(null);
    expect(r.reads?.map((x) => [x.address, x.type, x.config])).to.deep.equal([
      ['module.dns["a"].data.local_file.zone', 'local_file', { filename: 'a.db' }],
      ['module.dns["b"].data.local_file.zone', 'local_file', { filename: 'b.db' }],
    ]);
    expect(r.reads?.[0].range.file).to.equal('modules/dns/main.infra');
    expect(r.reads?.[0].range.start).to.deep.include({ line: 7, column: 14 });
  });

  it('gives each instance\'s resources and outputs its own read, and records the reads by their full address', () => {
    const p = planOf({ config: ROOT, files: ZONE_MODULE, dataReads: READS });
    expect(p.changes.map((c) => [c.address, c.actions, c.after?.image])).to.deep.equal([
      ['module.dns["a"].test_instance.ns', ['create'], 'zone a'],
      ['module.dns["b"].test_instance.ns', ['create'], 'zone b'],
    ]);
    expect(p.outputs.find((o) => o.name === 'serials')?.after).to.deep.equal({ a: 'md5-zone a', b: 'md5-zone b' });
    expect(p.data?.map((d) => [d.address, d.type, d.name, d.index, d.values.content, d.deferred ?? null])).to.deep.equal([
      ['module.dns["a"].data.local_file.zone', 'local_file', 'zone', null, 'zone a', null],
      ['module.dns["b"].data.local_file.zone', 'local_file', 'zone', null, 'zone b', null],
    ]);
  });

  it('path.module in a data source\'s arguments is the module\'s directory', () => {
    const files = { 'modules/dns/main.infra': ZONE_MODULE['modules/dns/main.infra'].replace('"${var.zone}.db"', '"${path.module}/${var.zone}.db"') };
    const r = planFixture({ config: ROOT, files });
    const filenames = r.reads?.map((x) => String(x.config.filename)) ?? [];
    expect(filenames).to.have.length(2);
    expect(filenames[0]).to.match(/^\/.+\/infra-planner-[^/]+\/modules\/dns\/a\.db$/);
    expect(filenames[1]).to.match(/^\/.+\/infra-planner-[^/]+\/modules\/dns\/b\.db$/);
  });

  it('a module\'s data source reading a resource not created yet is read during apply, shown under its module address', () => {
    const files = {
      'modules/dns/main.infra': `
variable "zone" {
  type = string
}

resource "test_instance" "src" {
  name = var.zone
}

data "local_file" "zone" {
  filename = test_instance.src.id
}

resource "test_instance" "ns" {
  name  = "ns"
  image = data.local_file.zone.content
}
`,
    };
    const p = planOf({ config: 'module "dns" {\n  source = "./modules/dns"\n  zone   = "a"\n}\n', files });
    expect(p.data?.map((d) => [d.address, d.deferred, d.dependencies])).to.deep.equal([['module.dns.data.local_file.zone', 'config-unknown', ['module.dns.test_instance.src']]]);
    const text = renderPlanText(p, { color: false });
    expect(text).to.include('  # module.dns.data.local_file.zone will be read during apply\n  # (config refers to values not yet known)\n <= data "local_file" "zone" {');
    const json = planToJson(p) as unknown as {
      resource_changes: { address: string; module_address?: string; mode: string; change: { actions: string[] }; action_reason?: string }[];
      planned_values: { root_module: { resources: unknown[]; child_modules?: { address: string; resources: { address: string; mode: string }[] }[] } };
    };
    const change = json.resource_changes.find((c) => c.mode === 'data')!;
    expect([change.address, change.module_address, change.change.actions, change.action_reason]).to.deep.equal([
      'module.dns.data.local_file.zone',
      'module.dns',
      ['read'],
      'read_because_config_unknown',
    ]);
    expect(json.planned_values.root_module.resources).to.deep.equal([]);
    expect(json.planned_values.root_module.child_modules?.map((m) => [m.address, m.resources.map((r) => `${r.mode} ${r.address}`)])).to.deep.equal([
      ['module.dns', ['data module.dns.data.local_file.zone', 'managed module.dns.test_instance.ns', 'managed module.dns.test_instance.src']],
    ]);
  });

  it('puts data sources read while planning in the module instances of prior_state, as Terraform does', () => {
    const p = planOf({ config: ROOT, files: ZONE_MODULE, dataReads: READS });
    const json = planToJson(p) as unknown as { prior_state: { values: { root_module: { resources: unknown[]; child_modules?: { address: string; resources: { address: string; mode: string; values: { content: string } }[] }[] } } } };
    const root = json.prior_state.values.root_module;
    expect(root.resources).to.deep.equal([]);
    expect(root.child_modules?.map((m) => [m.address, m.resources.map((r) => [r.mode, r.address, r.values.content])])).to.deep.equal([
      ['module.dns["a"]', [['data', 'module.dns["a"].data.local_file.zone', 'zone a']]],
      ['module.dns["b"]', [['data', 'module.dns["b"].data.local_file.zone', 'zone b']]],
    ]);
  });

  it('-target of one module instance reads that instance\'s data source only', () => {
    const r = planFixture({ config: ROOT, files: ZONE_MODULE, targets: ['module.dns["b"]'] });
    expect(r.reads?.map((x) => x.address)).to.deep.equal(['module.dns["b"].data.local_file.zone']);
    const resource = planFixture({ config: ROOT, files: ZONE_MODULE, targets: ['module.dns["a"].test_instance.ns'] });
    expect(resource.reads?.map((x) => x.address)).to.deep.equal(['module.dns["a"].data.local_file.zone']);
  });

  it('a module\'s data source with for_each: one read per key of each module instance', () => {
    const files = {
      'modules/dns/main.infra': `
variable "zone" {
  type = string
}

data "local_file" "part" {
  for_each = toset(["soa", "ns"])
  filename = "\${var.zone}-\${each.key}.db"
}

resource "test_instance" "ns" {
  name  = "ns-\${var.zone}"
  image = data.local_file.part["ns"].content
}
`,
    };
    const r = planFixture({ config: 'module "dns" {\n  source = "./modules/dns"\n  zone   = "a"\n}\n', files });
    expect(r.reads?.map((x) => [x.address, x.config.filename])).to.deep.equal([
      ['module.dns.data.local_file.part["ns"]', 'a-ns.db'],
      ['module.dns.data.local_file.part["soa"]', 'a-soa.db'],
    ]);
  });

  it('the configuration summary (the plan JSON\'s configuration) lists a module\'s data blocks in the module, not the root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'infra-module-data-'));
    try {
      mkdirSync(join(dir, 'modules/dns'), { recursive: true });
      writeFileSync(join(dir, 'main.infra'), ROOT);
      writeFileSync(join(dir, 'modules/dns/main.infra'), ZONE_MODULE['modules/dns/main.infra']);
      const loaded = loadConfig(dir, { cwd: dir });
      const summary = summarizeConfiguration(flattenModules(loaded.config!, new Map(), {}).value);
      expect(summary.resources).to.deep.equal([]);
      expect(summary.moduleCalls?.[0].module.resources.map((r) => `${r.mode ?? 'managed'} ${r.address}`)).to.deep.equal(['managed test_instance.ns', 'data data.local_file.zone']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('depends_on = [module.dns] waits for the module\'s data sources too', () => {
    const config = `${ROOT}
resource "test_instance" "after" {
  name       = "after"
  depends_on = [module.dns]
}
`;
    const p = planOf({ config, files: ZONE_MODULE, dataReads: READS });
    expect(p.changes.find((c) => c.address === 'test_instance.after')?.directDependencies).to.deep.equal([
      'module.dns["a"].data.local_file.zone',
      'module.dns["a"].test_instance.ns',
      'module.dns["b"].data.local_file.zone',
      'module.dns["b"].test_instance.ns',
    ]);
  });

  it('a reference inside a module to a data source it does not declare names the module\'s file', () => {
    const files = { 'modules/dns/main.infra': 'resource "test_instance" "ns" {\n  name = data.local_file.nowhere.content\n}\n' };
    const r = planFixture({ config: 'module "dns" {\n  source = "./modules/dns"\n}\n', files });
    expect(r.diagnostics.map((d) => `${d.range?.file}:${d.range?.start.line}:${d.range?.start.column}: ${d.summary}: ${d.detail}`)).to.deep.equal([
      'modules/dns/main.infra:2:10: Reference to undeclared data source "data.local_file.nowhere": A data source "local_file" "nowhere" has not been declared in module.dns.',
    ]);
  });
  it('a module for_each over a data source read while planning: the read is asked for first, then the call has its instances', () => {
    const config = `
data "local_file" "zones" {
  filename = "zones.txt"
}

module "dns" {
  for_each = toset(split(",", data.local_file.zones.content))
  source   = "./modules/dns"
  zone     = each.key
}
`;
    const first = planFixture({ files: ZONE_MODULE, config });
    expect(first.plan).to.equal(null);
    expect(first.diagnostics).to.deep.equal([]);
    expect(first.reads?.map((r) => r.address)).to.deep.equal(['data.local_file.zones']);
    const zones = new Map([['data.local_file.zones', read({ filename: 'zones.txt' }, 'a,b')]]);
    const second = planFixture({ files: ZONE_MODULE, config, dataReads: zones });
    expect(second.reads?.map((r) => r.address)).to.deep.equal(['module.dns["a"].data.local_file.zone', 'module.dns["b"].data.local_file.zone']);
    const p = planOf({ files: ZONE_MODULE, config, dataReads: new Map([...zones, ...READS]) });
    expect(p.changes.map((c) => `${c.actions.join(',')} ${c.address}`)).to.deep.equal(['create module.dns["a"].test_instance.ns', 'create module.dns["b"].test_instance.ns']);
    expect(p.moduleInstances).to.deep.equal([{ address: 'module.dns', keys: ['a', 'b'], eachValue: 'key' }]);
  });
});
