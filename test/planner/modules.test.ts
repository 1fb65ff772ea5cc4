import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { flattenModules } from '../../src/evaluate/modules.js';
import { summarizeConfiguration } from '../../src/planner/plan-configuration.js';
import { planToJson } from '../../src/render/plan-json.js';
import { Sensitive } from '../../src/evaluate/value.js';
import { appliedState, planFixture, planOf } from './fixture.js';

/** A module of one server with its check: the server's name from a variable, its address as an output. */
const SERVER_MODULE = {
  'modules/server/main.infra': `
variable "name" {
  type = string
}

variable "image" {
  type    = string
  default = "debian12"
}

locals {
  label = "srv-\${var.name}"
}

resource "test_instance" "this" {
  name  = local.label
  image = var.image
}

resource "test_check" "this" {
  target = test_instance.this.ipv4
  expect = null
}

output "address" {
  value = test_instance.this.ipv4
}

output "label" {
  value = local.label
}
`,
};

function addresses(init: Parameters<typeof planOf>[0]): string[] {
  return planOf(init).changes.map((c) => `${c.actions.join(',')} ${c.address}`);
}

describe('Modules', () => {
  it('flattens a module call: its resources by their module addresses, its inputs and outputs', () => {
    const p = planOf({
      files: SERVER_MODULE,
      config: `
module "web" {
  source = "./modules/server"
  name   = "web"
}

resource "test_route" "web" {
  targets = [module.web.address]
}

output "label" {
  value = module.web.label
}
`,
    });
    expect(p.changes.map((c) => `${c.actions.join(',')} ${c.address}`)).to.deep.equal([
      'create module.web.test_check.this',
      'create module.web.test_instance.this',
      'create test_route.web',
    ]);
    const instance = p.changes.find((c) => c.address === 'module.web.test_instance.this')!;
    expect((instance.after as Record<string, unknown>).name).to.equal('srv-web');
    expect((instance.after as Record<string, unknown>).image).to.equal('debian12');
    expect(p.outputs.find((o) => o.name === 'label')?.after).to.equal('srv-web');
    const route = p.changes.find((c) => c.address === 'test_route.web')!;
    expect(route.dependencies).to.deep.equal(['module.web.test_instance.this']);
  });

  it('makes one module instance per for_each key (each.key and each.value in the arguments) and per count index', () => {
    expect(
      addresses({
        files: SERVER_MODULE,
        config: `
locals {
  images = { a = "debian12", b = "debian13" }
}

module "ns" {
  for_each = local.images
  source   = "./modules/server"
  name     = each.key
  image    = each.value
}

module "spare" {
  count  = 1
  source = "./modules/server"
  name   = "spare\${count.index}"
}

resource "test_route" "ns" {
  for_each = module.ns
  targets  = [each.value.address]
}
`,
      }),
    ).to.deep.equal([
      'create module.ns["a"].test_check.this',
      'create module.ns["a"].test_instance.this',
      'create module.ns["b"].test_check.this',
      'create module.ns["b"].test_instance.this',
      'create module.spare[0].test_check.this',
      'create module.spare[0].test_instance.this',
      'create test_route.ns["a"]',
      'create test_route.ns["b"]',
    ]);
    const images = planOf({
      files: SERVER_MODULE,
      config: 'locals {\n  images = { a = "debian12", b = "debian13" }\n}\n\nmodule "ns" {\n  for_each = local.images\n  source   = "./modules/server"\n  name     = each.key\n  image    = each.value\n}\n',
    });
    expect(images.changes.filter((c) => c.type === 'test_instance').map((c) => [c.address, (c.after as Record<string, unknown>).image])).to.deep.equal([
      ['module.ns["a"].test_instance.this', 'debian12'],
      ['module.ns["b"].test_instance.this', 'debian13'],
    ]);
    const p = planOf({
      files: SERVER_MODULE,
      config: `
module "ns" {
  for_each = toset(["a", "b"])
  source   = "./modules/server"
  name     = each.value
}

resource "test_route" "a" {
  targets = [module.ns["a"].address]
}
`,
    });
    expect((p.changes.find((c) => c.address === 'module.ns["b"].test_instance.this')!.after as Record<string, unknown>).name).to.equal('srv-b');
    // Reading one instance's output depends on that instance only.
    expect(p.changes.find((c) => c.address === 'test_route.a')!.dependencies).to.deep.equal(['module.ns["a"].test_instance.this']);
  });

  it('nests modules and waits for a module named in depends_on', () => {
    const p = planOf({
      files: {
        ...SERVER_MODULE,
        'modules/pair/main.infra': `
variable "prefix" {
  type = string
}

module "one" {
  source = "../server"
  name   = "\${var.prefix}-1"
}

output "first" {
  value = module.one.label
}
`,
      },
      config: `
module "pair" {
  source = "./modules/pair"
  prefix = "p"
}

resource "test_instance" "after" {
  name       = module.pair.first
  depends_on = [module.pair]
}
`,
    });
    expect(p.changes.map((c) => c.address)).to.deep.equal([
      'module.pair.module.one.test_check.this',
      'module.pair.module.one.test_instance.this',
      'test_instance.after',
    ]);
    expect((p.changes.find((c) => c.address === 'test_instance.after')!.after as Record<string, unknown>).name).to.equal('srv-p-1');
    expect(p.changes.find((c) => c.address === 'test_instance.after')!.dependencies).to.deep.equal([
      'module.pair.module.one.test_check.this',
      'module.pair.module.one.test_instance.this',
    ]);
  });

  it('rejects a for_each that depends on resources', () => {
    const r = planFixture({
      files: SERVER_MODULE,
      config: `
resource "test_instance" "x" {
  name = "x"
}

module "ns" {
  for_each = toset([test_instance.x.ipv4])
  source   = "./modules/server"
  name     = each.key
}
`,
    });
    expect(r.plan).to.equal(null);
    expect(r.diagnostics.map((d) => `${d.summary} @${d.range?.start.line}:${d.range?.start.column}`)).to.deep.equal(['Invalid for_each argument @7:14']);
    expect(r.diagnostics[0].detail).to.equal(
      'The "for_each" set includes values derived from resource attributes that cannot be determined until apply, and so infra cannot determine the full set of keys that will identify the instances of this module.\n\n' +
        "When working with unknown values in for_each, it's better to use a map value where the keys are defined statically in your configuration and where only the values contain apply-time results.\n\n" +
        'Alternatively, you could use the -target planning option to first apply only the resources that the for_each value depends on, and then apply a second time to fully converge.',
    );
  });

  it('rejects a count that depends on resources not created yet, in Terraform\'s words', () => {
    const r = planFixture({
      files: SERVER_MODULE,
      config: 'resource "test_instance" "x" {\n  name = "x"\n}\n\nmodule "ns" {\n  count  = length(test_instance.x.ipv4)\n  source = "./modules/server"\n  name   = "n"\n}\n',
    });
    expect(r.diagnostics.map((d) => `${d.summary} @${d.range?.start.line}:${d.range?.start.column}: ${d.detail}`)).to.deep.equal([
      'Invalid count argument @6:12: The "count" value depends on resource attributes that cannot be determined until apply, so infra cannot predict how many instances will be created. To work around this, use the -target argument to first apply only the resources that the count depends on.',
    ]);
  });

  it('decides a for_each from a resource attribute known when planning: in the same plan as the resource\'s creation, as Terraform', () => {
    const p = planOf({
      files: SERVER_MODULE,
      config: 'resource "test_instance" "x" {\n  name = "a,b"\n}\n\nmodule "ns" {\n  for_each = toset(split(",", test_instance.x.name))\n  source   = "./modules/server"\n  name     = each.key\n}\n',
    });
    expect(p.changes.map((c) => `${c.actions.join(',')} ${c.address}`)).to.deep.equal([
      'create module.ns["a"].test_check.this',
      'create module.ns["a"].test_instance.this',
      'create module.ns["b"].test_check.this',
      'create module.ns["b"].test_instance.this',
      'create test_instance.x',
    ]);
    expect((p.changes.find((c) => c.address === 'module.ns["b"].test_instance.this')!.after as Record<string, unknown>).name).to.equal('srv-b');
  });

  it('a mistake in the resource a module for_each reads is reported, before the for_each it leaves unknown', () => {
    const r = planFixture({
      files: SERVER_MODULE,
      config: 'resource "test_instance" "x" {\n  name = var.nope\n}\n\nmodule "ns" {\n  for_each = toset([test_instance.x.name])\n  source   = "./modules/server"\n  name     = each.key\n}\n',
    });
    expect(r.diagnostics.map((d) => `${d.summary} @${d.range?.start.line}:${d.range?.start.column}`)).to.deep.equal(['Reference to undeclared variable "nope" @2:10', 'Invalid for_each argument @6:14']);
  });

  it('decides a module for_each from a resource a moved block renames, as the plan sees the state', () => {
    const state = appliedState({ files: SERVER_MODULE, config: 'resource "test_instance" "old" {\n  name = "a"\n}\n' });
    const p = planOf({
      files: SERVER_MODULE,
      state,
      config:
        'resource "test_instance" "x" {\n  name = "a"\n}\n\nmoved {\n  from = test_instance.old\n  to   = test_instance.x\n}\n\nmodule "ns" {\n  for_each = toset([test_instance.x.ipv4])\n  source   = "./modules/server"\n  name     = each.key\n}\n',
    });
    expect(p.changes.map((c) => `${c.actions.join(',')} ${c.address}`)).to.deep.equal([
      'create module.ns["computed:ipv4"].test_check.this',
      'create module.ns["computed:ipv4"].test_instance.this',
      'no-op test_instance.x',
    ]);
  });

  it('-target of what the for_each reads plans it alone; -target of the call itself is refused at its for_each', () => {
    const config =
      'resource "test_instance" "x" {\n  name = "a"\n}\n\nmodule "ns" {\n  for_each = toset([test_instance.x.ipv4])\n  source   = "./modules/server"\n  name     = each.key\n}\n\nmodule "nsx" {\n  source = "./modules/server"\n  name   = "b"\n}\n';
    const changed = (targets: string[]): string[] =>
      planOf({ files: SERVER_MODULE, config, targets })
        .changes.filter((c) => c.actions[0] !== 'no-op')
        .map((c) => `${c.actions.join(',')} ${c.address}`);
    expect(changed(['test_instance.x'])).to.deep.equal(['create test_instance.x']);
    expect(changed(['module.nsx'])).to.deep.equal(['create module.nsx.test_check.this', 'create module.nsx.test_instance.this']);
    for (const target of ['module.ns', 'module.ns["x"].test_instance.this']) {
      const r = planFixture({ files: SERVER_MODULE, config, targets: [target] });
      expect(r.diagnostics.map((d) => `${d.summary} @${d.range?.start.line}:${d.range?.start.column}`), target).to.deep.equal(['Invalid for_each argument @6:14']);
    }
  });

  it('a destroy plan of a module call whose for_each reads a resource destroys what the state records', () => {
    const config = 'resource "test_instance" "x" {\n  name = "a"\n}\n\nmodule "ns" {\n  for_each = toset([test_instance.x.ipv4])\n  source   = "./modules/server"\n  name     = each.key\n}\n';
    // Applied as Terraform advises: what the for_each reads first, then the rest.
    const state = appliedState({ files: SERVER_MODULE, config, state: appliedState({ files: SERVER_MODULE, config: config.slice(0, config.indexOf('module')) }) });
    expect(state.map((s) => s.address)).to.deep.equal([
      'module.ns["computed:ipv4"].test_check.this',
      'module.ns["computed:ipv4"].test_instance.this',
      'test_instance.x',
    ]);
    const p = planOf({ files: SERVER_MODULE, config, state, mode: 'destroy' });
    expect(p.changes.map((c) => `${c.actions.join(',')} ${c.address}`)).to.deep.equal([
      'delete module.ns["computed:ipv4"].test_check.this',
      'delete module.ns["computed:ipv4"].test_instance.this',
      'delete test_instance.x',
    ]);
    // Nothing recorded: nothing to destroy, although the for_each is not known.
    expect(planOf({ files: SERVER_MODULE, config, mode: 'destroy' }).changes).to.deep.equal([]);
  });

  it('decides a for_each and count from the state once the resource they read is applied, nested calls too', () => {
    const files = {
      ...SERVER_MODULE,
      'modules/pair/main.infra':
        'variable "seed" {\n  type = string\n}\n\nresource "test_instance" "seed" {\n  name = var.seed\n}\n\nmodule "inner" {\n  count  = length(test_instance.seed.ipv4) > 0 ? 2 : 0\n  source = "../server"\n  name   = "in-${count.index}"\n}\n',
    };
    const x = 'resource "test_instance" "x" {\n  name = "x"\n}\n';
    const state = appliedState({ files, config: x });
    const config = `${x}\nmodule "ns" {\n  for_each = toset([test_instance.x.ipv4])\n  source   = "./modules/pair"\n  seed     = each.key\n}\n`;
    const unknown = planFixture({ files, state, config });
    // The nested count reads an attribute of a resource this plan creates: known only after apply.
    expect(unknown.diagnostics.map((d) => `${d.summary} @${d.range?.file.split('/').slice(-3).join('/')}:${d.range?.start.line}:${d.range?.start.column}`)).to.deep.equal([
      'Invalid count argument @modules/pair/main.infra:10:12',
    ]);
    const known = planOf({ files: { ...files, 'modules/pair/main.infra': files['modules/pair/main.infra'].replace('seed.ipv4', 'seed.name') }, state, config });
    expect(known.changes.map((c) => `${c.actions.join(',')} ${c.address}`)).to.deep.equal([
      'create module.ns["computed:ipv4"].module.inner[0].test_check.this',
      'create module.ns["computed:ipv4"].module.inner[0].test_instance.this',
      'create module.ns["computed:ipv4"].module.inner[1].test_check.this',
      'create module.ns["computed:ipv4"].module.inner[1].test_instance.this',
      'create module.ns["computed:ipv4"].test_instance.seed',
      'no-op test_instance.x',
    ]);
  });

  describe('addresses everywhere', () => {
    const TWO = `
module "ns" {
  for_each = toset(["a", "b"])
  source   = "./modules/server"
  name     = each.key
}
`;

    it('-target selects a module instance, or one resource inside it', () => {
      expect(addresses({ files: SERVER_MODULE, config: TWO, targets: ['module.ns["b"]'] }).filter((a) => !a.startsWith('no-op'))).to.deep.equal([
        'create module.ns["b"].test_check.this',
        'create module.ns["b"].test_instance.this',
      ]);
      expect(addresses({ files: SERVER_MODULE, config: TWO, targets: ['module.ns["a"].test_instance.this'] }).filter((a) => !a.startsWith('no-op'))).to.deep.equal(['create module.ns["a"].test_instance.this']);
    });

    it('-replace names an instance inside a module', () => {
      const state = appliedState({ files: SERVER_MODULE, config: TWO });
      expect(addresses({ files: SERVER_MODULE, config: TWO, state }).filter((a) => !a.startsWith('no-op'))).to.deep.equal([]);
      expect(addresses({ files: SERVER_MODULE, config: TWO, state, replace: ['module.ns["a"].test_instance.this'] }).filter((a) => !a.startsWith('no-op'))).to.deep.equal([
        'update module.ns["a"].test_check.this',
        'delete,create module.ns["a"].test_instance.this',
      ]);
    });

    it('a moved block moves a resource into a module: nothing is replaced', () => {
      const before = appliedState({ config: 'resource "test_instance" "this" {\n  name  = "srv-a"\n  image = "debian12"\n}\n' });
      const p = planOf({
        files: SERVER_MODULE,
        state: before,
        config: `${TWO}
moved {
  from = test_instance.this
  to   = module.ns["a"].test_instance.this
}
`,
      });
      expect(p.moves).to.deep.equal([{ from: 'test_instance.this', to: 'module.ns["a"].test_instance.this' }]);
      expect(p.changes.filter((c) => c.address.startsWith('module.ns["a"]')).map((c) => `${c.actions.join(',')} ${c.address}`)).to.deep.equal([
        'create module.ns["a"].test_check.this',
        'no-op module.ns["a"].test_instance.this',
      ]);
    });
  });

  it('a moved block moves an instance of a for_each resource to the single resource of a module instance', () => {
    const flat = 'resource "test_instance" "ns" {\n  for_each = toset(["a", "b"])\n  name     = "srv-${each.key}"\n  image    = "debian12"\n}\n';
    const before = appliedState({ config: flat });
    const p = planOf({
      files: SERVER_MODULE,
      state: before,
      config: `
module "ns" {
  for_each = toset(["a", "b"])
  source   = "./modules/server"
  name     = each.key
}

moved {
  from = test_instance.ns["a"]
  to   = module.ns["a"].test_instance.this
}

moved {
  from = test_instance.ns["b"]
  to   = module.ns["b"].test_instance.this
}
`,
    });
    expect(p.moves).to.deep.equal([
      { from: 'test_instance.ns["a"]', to: 'module.ns["a"].test_instance.this' },
      { from: 'test_instance.ns["b"]', to: 'module.ns["b"].test_instance.this' },
    ]);
    expect(p.changes.map((c) => `${c.actions.join(',')} ${c.address}`)).to.deep.equal([
      'create module.ns["a"].test_check.this',
      'no-op module.ns["a"].test_instance.this',
      'create module.ns["b"].test_check.this',
      'no-op module.ns["b"].test_instance.this',
    ]);
  });

  it('a blue-green instance inside a module forms its deploy unit with its check and a route outside the module', () => {
    const files = {
      'modules/bg/main.infra': `
variable "image" {
  type = string
}

resource "test_instance" "this" {
  name  = "web"
  image = var.image

  lifecycle blue_green
}

resource "test_check" "this" {
  target = test_instance.this.ipv4
  expect = null
}

output "ipv4" {
  value = test_instance.this.ipv4
}
`,
    };
    const config = (image: string): string => `
module "web" {
  source = "./modules/bg"
  image  = "${image}"
}

resource "test_route" "web" {
  targets = [module.web.ipv4]
}
`;
    const state = appliedState({ files, config: config('debian12') });
    const p = planOf({ files, config: config('debian13'), state });
    expect(p.units.map((u) => ({ address: u.address, checks: u.checks, routes: u.routes }))).to.deep.equal([
      { address: 'module.web.test_instance.this', checks: ['module.web.test_check.this'], routes: ['test_route.web'] },
    ]);
  });

  it('the plan JSON has Terraform\'s module_address, child_modules and configuration module_calls', () => {
    const config = `
module "ns" {
  for_each = toset(["a", "b"])
  source   = "./modules/server"
  name     = each.key
}

resource "test_route" "web" {
  targets = [module.ns["a"].address]
}
`;
    const dir = mkdtempSync(join(tmpdir(), 'infra-modules-json-'));
    let summary;
    try {
      for (const [path, text] of Object.entries({ ...SERVER_MODULE, 'main.infra': config })) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const loaded = loadConfig(dir, { cwd: dir });
      summary = summarizeConfiguration(flattenModules(loaded.config!, new Map(), {}).value);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const json = planToJson({ ...planOf({ files: SERVER_MODULE, config }), configuration: summary });
    expect(json.resource_changes.map((c) => [c.address, c.module_address, c.type, c.name])).to.deep.equal([
      ['module.ns["a"].test_check.this', 'module.ns["a"]', 'test_check', 'this'],
      ['module.ns["a"].test_instance.this', 'module.ns["a"]', 'test_instance', 'this'],
      ['module.ns["b"].test_check.this', 'module.ns["b"]', 'test_check', 'this'],
      ['module.ns["b"].test_instance.this', 'module.ns["b"]', 'test_instance', 'this'],
      ['test_route.web', undefined, 'test_route', 'web'],
    ]);
    const root = json.planned_values.root_module;
    expect(root.resources.map((r) => r.address)).to.deep.equal(['test_route.web']);
    expect(root.child_modules?.map((m) => [m.address, m.resources.map((r) => r.address)])).to.deep.equal([
      ['module.ns["a"]', ['module.ns["a"].test_check.this', 'module.ns["a"].test_instance.this']],
      ['module.ns["b"]', ['module.ns["b"].test_check.this', 'module.ns["b"].test_instance.this']],
    ]);
    const rootConfig = (json.configuration as { root_module: Record<string, unknown> }).root_module;
    expect((rootConfig.resources as { address: string }[]).map((r) => r.address)).to.deep.equal(['test_route.web']);
    const call = (rootConfig.module_calls as Record<string, Record<string, unknown>>).ns;
    expect(call.source).to.equal('./modules/server');
    expect(call.expressions).to.deep.equal({ name: { references: ['each.key'] } });
    expect(call.for_each_expression).to.deep.equal({});
    const module = call.module as Record<string, unknown>;
    expect((module.resources as { address: string }[]).map((r) => r.address)).to.deep.equal(['test_instance.this', 'test_check.this']);
    expect(module.outputs).to.deep.equal({
      address: { expression: { references: ['test_instance.this'] } },
      label: { expression: { references: ['local.label'] } },
    });
    expect(module.variables).to.deep.equal({ image: {}, name: {} });
  });

  it('converts an argument to its variable\'s type, and reports one that does not convert at the argument', () => {
    const files = { 'modules/n/main.infra': 'variable "size" {\n  type = number\n}\n\nresource "test_instance" "this" {\n  name = "n-${var.size + 1}"\n}\n' };
    const p = planOf({ files, config: 'module "n" {\n  source = "./modules/n"\n  size   = "41"\n}\n' });
    expect((p.changes[0].after as Record<string, unknown>).name).to.equal('n-42');
    const r = planFixture({ files, config: 'module "n" {\n  source = "./modules/n"\n  size   = "many"\n}\n' });
    expect(r.diagnostics.map((d) => `${d.range?.file}:${d.range?.start.line}:${d.range?.start.column}: ${d.summary}: ${d.detail}`)).to.deep.equal([
      'main.infra:3:3: Invalid value for input variable: The given value is not suitable for module.n.var.size: a number is required, got a string that is not a number.',
    ]);
  });

  it('names undeclared variables, locals and modules inside a module, and undeclared modules in the root', () => {
    const files = { 'modules/n/main.infra': 'resource "test_instance" "this" {\n  name = "${var.nmae}-${local.x}-${module.y.z}"\n}\n\nresource "test_check" "c" {\n  target = test_instance.thsi.ipv4\n}\n' };
    const r = planFixture({ files, config: 'module "n" {\n  source = "./modules/n"\n}\n\noutput "o" {\n  value = module.m.out\n}\n' });
    expect(r.diagnostics.map((d) => `${d.range?.file}:${d.range?.start.line}:${d.range?.start.column}: ${d.summary}: ${d.detail}`)).to.deep.equal([
      'modules/n/main.infra:2:13: Reference to undeclared input variable: An input variable with the name "nmae" has not been declared. This variable can be declared with a variable "nmae" {} block.',
      'modules/n/main.infra:2:25: Reference to undeclared local value: A local value with the name "x" has not been declared.',
      'modules/n/main.infra:2:36: Reference to undeclared module: No module call named "y" is declared in this module.',
      'modules/n/main.infra:6:12: Reference to undeclared resource: A resource "test_instance" "thsi" has not been declared in module.n. Did you mean "test_instance.this"?',
    ]);
    const root = planFixture({ files: { 'modules/n/main.infra': '' }, config: 'module "n" {\n  source = "./modules/n"\n}\n\noutput "o" {\n  value = module.m.out\n}\n' });
    expect(root.diagnostics.map((d) => `${d.range?.file}:${d.range?.start.line}:${d.range?.start.column}: ${d.summary}: ${d.detail}`)).to.deep.equal([
      'main.infra:6:11: Reference to undeclared module: No module call named "m" is declared in the root module.',
    ]);
  });

  it('a call\'s depends_on holds for every resource inside it, and a sensitive output stays sensitive', () => {
    const files = {
      'modules/s/main.infra': 'resource "test_instance" "this" {\n  name = "s"\n}\n\noutput "secret" {\n  value     = "hunter2"\n  sensitive = true\n}\n',
    };
    const p = planOf({
      files,
      config: 'resource "test_instance" "first" {\n  name = "first"\n}\n\nmodule "s" {\n  source     = "./modules/s"\n  depends_on = [test_instance.first]\n}\n\noutput "o" {\n  value     = module.s.secret\n  sensitive = true\n}\n',
    });
    expect(p.changes.find((c) => c.address === 'module.s.test_instance.this')!.dependencies).to.deep.equal(['test_instance.first']);
    const o = p.outputs.find((x) => x.name === 'o')!;
    expect(o.sensitive).to.equal(true);
    expect(o.after).to.be.instanceOf(Sensitive);
    // As for a sensitive variable: a root output showing it must say so.
    const r = planFixture({ files, config: 'module "s" {\n  source = "./modules/s"\n}\n\noutput "o" {\n  value = module.s.secret\n}\n' });
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal(['Output "o" refers to sensitive values']);
  });
});
