import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useRecordingProject } from '../support/recording-project.js';

/** A module of one blue-green server with its provisioning and check; the routes to it are in the root. */
const MODULE = `
variable "name" {
  type = string
}

variable "release" {
  type = string
}

resource "test_instance" "this" {
  name  = var.name
  image = "debian12"

  lifecycle blue_green
}

resource "test_provision" "this" {
  host   = test_instance.this
  script = "deploy \${var.release}"
}

resource "test_check" "this" {
  target = test_provision.this.host.ipv4
  expect = var.release
}

output "ipv4" {
  value = test_instance.this.ipv4
}
`;

const ROOT = `
variable "version" {
  type    = string
  default = "v1"
}

module "ns" {
  for_each = toset(["a", "b"])
  source   = "./modules/server"
  name     = "ns-\${each.key}"
  release  = var.version
}

resource "test_route" "ns" {
  for_each = module.ns
  targets  = ["\${each.value.ipv4}:53"]
}

output "targets" {
  value = [for k, r in test_route.ns : r.targets[0]]
}
`;

describe('cli: modules', function () {
  this.timeout(60_000);
  const project = useRecordingProject({ 'main.infra': ROOT, 'modules/server/main.infra': MODULE }, { applied: true });
  const cli = project.cli;

  it('state list and state show name resources inside module instances (the root module first, as Terraform lists them)', async () => {
    const list = await cli('state', 'list');
    expect(list.stdout.split('\n').filter(Boolean)).to.deep.equal([
      'test_route.ns["a"]',
      'test_route.ns["b"]',
      'module.ns["a"].test_check.this',
      'module.ns["a"].test_instance.this  (blue g1)',
      'module.ns["a"].test_provision.this',
      'module.ns["b"].test_check.this',
      'module.ns["b"].test_instance.this  (blue g1)',
      'module.ns["b"].test_provision.this',
    ]);
    const show = await cli('state', 'show', 'module.ns["a"].test_instance.this');
    expect(show.code).to.equal(0);
    expect(show.stdout).to.include('# module.ns["a"].test_instance.this');
    expect(show.stdout).to.include('name');
    expect(show.stdout).to.include('"ns-a"');
  });

  it('a changed module argument deploys each module instance blue-green, its route outside the module switched', async () => {
    const r = await cli('apply', '--auto-approve', '--var', 'version=v2');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const plan = await cli('plan', '-json', '--var', 'version=v2');
    const json = JSON.parse(plan.stdout) as { resource_changes: { address: string; module_address?: string; change: { actions: string[] } }[] };
    expect(json.resource_changes.filter((c) => c.change.actions[0] !== 'no-op')).to.deep.equal([]);
    const units = project.provider.calls.filter((c) => c.op === 'create' && c.type === 'test_instance').map((c) => c.address);
    expect(units).to.deep.equal(['module.ns["a"].test_instance.this', 'module.ns["b"].test_instance.this', 'module.ns["a"].test_instance.this', 'module.ns["b"].test_instance.this']);
    expect(json.resource_changes.find((c) => c.address === 'module.ns["a"].test_instance.this')?.module_address).to.equal('module.ns["a"]');
  });

  it('apply -json names the module instance and the address inside it, as Terraform\'s hooks do', async () => {
    const r = await cli('apply', '-json', '-auto-approve', '-replace=module.ns["a"].test_instance.this');
    expect(r.code, r.stderr).to.equal(0);
    const planned = r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { type: string; change?: { resource: Record<string, unknown> } })
      .find((l) => l.type === 'planned_change' && l.change?.resource.addr === 'module.ns["a"].test_instance.this');
    expect(planned?.change?.resource).to.deep.equal({
      addr: 'module.ns["a"].test_instance.this',
      module: 'module.ns["a"]',
      resource: 'test_instance.this',
      implied_provider: 'test',
      resource_type: 'test_instance',
      resource_name: 'this',
      resource_key: null,
    });
  });

  it('state mv moves an instance into a module instance, and state rm takes module addresses', async () => {
    const r = await cli('state', 'mv', 'test_route.ns["a"]', 'module.ns["a"].test_route.this');
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal('Moved test_route.ns["a"] to module.ns["a"].test_route.this (1 record).\n');
    const rm = await cli('state', 'rm', 'module.ns["b"].test_check.this');
    expect(rm.code, rm.stderr).to.equal(0);
    const list = (await cli('state', 'list')).stdout.split('\n');
    expect(list).to.include('module.ns["a"].test_route.this');
    expect(list).to.not.include('test_route.ns["a"]');
    expect(list).to.not.include('module.ns["b"].test_check.this');
  });

  it('-target and -replace take module addresses', async () => {
    const plan = await cli('plan', '-replace=module.ns["b"].test_instance.this', '-target=module.ns["b"]');
    expect(plan.code).to.equal(0);
    expect(plan.stdout).to.include('module.ns["b"].test_instance.this');
    expect(plan.stdout).to.not.include('module.ns["a"].test_instance.this will');
    const graph = await cli('graph');
    expect(graph.code).to.equal(0);
    expect(graph.stdout).to.include('"module.ns[\\"a\\"].test_instance.this"');
  });
});

describe('cli: a mistake inside a module used several times', function () {
  this.timeout(60_000);
  const project = useRecordingProject({
    'main.infra': 'module "ns" {\n  for_each = toset(["a", "b", "c"])\n  source   = "./m"\n}\n',
    'm/main.infra': 'resource "test_instanse" "this" {\n}\n',
  });

  it('is reported once, at its place in the module, by validate and plan', async () => {
    for (const command of ['validate', 'plan']) {
      const r = await project.cli(command);
      expect(r.code, command).to.equal(1);
      expect(r.stderr.match(/Error: Unknown resource type "test_instanse"/g), command).to.have.length(1);
      expect(r.stderr, command).to.include('m/main.infra:1:10');
    }
  });
});

/** A module whose input has a validation rule, whose instance has a postcondition reading self, and whose provisioning is replaced when the image changes. */
const CHECKED_MODULE = `
variable "name" {
  type = string
  validation {
    condition     = startswith(var.name, "ns-")
    error_message = "Names start with ns-."
  }
}

variable "image" {
  type = string
}

resource "test_instance" "this" {
  name  = var.name
  image = var.image

  lifecycle {
    postcondition {
      condition     = self.image != "forbidden"
      error_message = "\${var.name} may not run the forbidden image."
    }
  }
}

resource "test_provision" "this" {
  host   = test_instance.this
  script = "deploy"

  lifecycle {
    replace_triggered_by = [test_instance.this.image]
  }
}

output "image" {
  value = var.image
  precondition {
    condition     = var.image != "retired"
    error_message = "\${var.name}: the retired image is gone."
  }
}
`;

const CHECKED_ROOT = `
variable "names" {
  type    = list(string)
  default = ["ns-a", "ns-b"]
}

variable "image" {
  type    = string
  default = "debian12"
}

module "ns" {
  for_each = toset(var.names)
  source   = "./m"
  name     = each.key
  image    = var.image
}
`;

describe('cli: validation, conditions and replace_triggered_by inside a module', function () {
  this.timeout(60_000);
  const project = useRecordingProject({ 'main.infra': CHECKED_ROOT, 'm/main.infra': CHECKED_MODULE }, { applied: true });

  it("checks a module input's validation rule for each instance, at the module's argument", async () => {
    const r = await project.cli('plan', '--var', 'names=["ns-a", "bad"]');
    expect(r.code).to.equal(1);
    expect(r.stderr.match(/Error: Invalid value for variable/g)).to.have.length(1);
    expect(r.stderr).to.include('main.infra:15:3');
    expect(r.stderr).to.include('Names start with ns-.');
    expect(r.stderr).to.include('This was checked by the validation rule at m/main.infra:4,3-13.');
  });

  it("checks a postcondition that reads self, with the module's own values in its message", async () => {
    const r = await project.cli('plan', '--var', 'image=forbidden');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('Error: Resource postcondition failed');
    expect(r.stderr).to.include('ns-a may not run the forbidden image.');
    expect(r.stderr).to.include('ns-b may not run the forbidden image.');
  });

  it("checks a module output's precondition for each instance", async () => {
    const r = await project.cli('plan', '--var', 'image=retired');
    expect(r.code).to.equal(1);
    expect(r.stderr.match(/Error: Module output value precondition failed/g)).to.have.length(2);
    expect(r.stderr).to.include('ns-a: the retired image is gone.');
    expect(r.stderr).to.include('ns-b: the retired image is gone.');
  });

  it('replaces the provisioning of each module instance when its image changes', async () => {
    const r = await project.cli('plan', '-json', '--var', 'image=debian13');
    expect(r.code).to.equal(0);
    const json = JSON.parse(r.stdout) as { resource_changes: { address: string; action_reason?: string; change: { actions: string[] } }[] };
    const provisions = json.resource_changes.filter((c) => c.address.endsWith('test_provision.this'));
    expect(provisions.map((c) => [c.address, c.change.actions.includes('create') && c.change.actions.includes('delete'), c.action_reason])).to.deep.equal([
      ['module.ns["ns-a"].test_provision.this', true, 'replace_by_triggers'],
      ['module.ns["ns-b"].test_provision.this', true, 'replace_by_triggers'],
    ]);
  });
});

describe('cli: validate with modules', function () {
  this.timeout(60_000);
  const project = useRecordingProject({
    'main.infra': `
variable "names" {
  type = list(string)
}

module "ns" {
  for_each = toset(var.names)
  source   = "./modules/server"
  name     = each.key
  release  = "v1"
}

resource "test_route" "all" {
  targets = [for m in values(module.ns) : m.ipv4]
}

output "ips" {
  value = { for k, m in module.ns : k => m.ipv4 }
}
`,
    'modules/server/main.infra': MODULE,
  });

  it('accepts a module for_each over a variable that has no value yet, and plan asks for it', async () => {
    const r = await project.cli('validate');
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal('Success! The configuration is valid.\n');
    const plan = await project.cli('plan', '--var', 'names=["a"]');
    expect(plan.code, plan.stderr).to.equal(0);
    expect(plan.stdout).to.include('module.ns["a"].test_instance.this');
  });
});


describe('cli: a module for_each that reads a resource', function () {
  this.timeout(60_000);
  const project = useRecordingProject({
    'main.infra':
      'resource "test_instance" "seed" {\n  name  = "seed"\n  image = "debian12"\n}\n\nmodule "ns" {\n  for_each = toset([test_instance.seed.ipv4])\n  source   = "./m"\n  name     = "ns-${each.key}"\n}\n',
    'm/main.infra': 'variable "name" {\n  type = string\n}\n\nresource "test_instance" "this" {\n  name  = var.name\n  image = "debian12"\n}\n',
  });

  it('is refused while the attribute is unknown, at the for_each; applied first with -target, the next apply makes the instances', async () => {
    const plan = await project.cli('plan');
    expect(plan.code).to.equal(1);
    expect(plan.stderr).to.include('Error: Invalid for_each argument');
    expect(plan.stderr).to.include('main.infra:7:14');
    const first = await project.cli('apply', '-auto-approve', '-target=test_instance.seed');
    expect(first.code, first.stderr).to.equal(0);
    const second = await project.cli('apply', '-auto-approve');
    expect(second.code, second.stderr).to.equal(0);
    const ipv4 = project.state().resources.find((r) => r.address === 'test_instance.seed')!.attributes.ipv4 as string;
    expect(ipv4).to.match(/^10\.0\.0\.\d+$/);
    const list = (await project.cli('state', 'list')).stdout.split('\n').filter(Boolean);
    expect(list).to.deep.equal(['test_instance.seed', `module.ns["${ipv4}"].test_instance.this`]);
    const created = project.provider.calls.filter((c) => c.op === 'create').map((c) => c.address);
    expect(created).to.deep.equal(['test_instance.seed', `module.ns["${ipv4}"].test_instance.this`]);
    const again = await project.cli('plan');
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.include('No changes.');
  });

  it('is decided in the plan that creates the resource when the attribute is known from the configuration, and kept in a saved plan', async () => {
    const path = join(project.dir, 'main.infra');
    writeFileSync(path, readFileSync(path, 'utf8').replace('test_instance.seed.ipv4', 'test_instance.seed.name'));
    const plan = await project.cli('plan', '-out', 'p.plan');
    expect(plan.code, plan.stderr).to.equal(0);
    expect(plan.stdout).to.include('module.ns["seed"].test_instance.this will be created');
    // The saved plan keeps the instances it decided: applying it makes them.
    const saved = JSON.parse(readFileSync(join(project.dir, 'p.plan'), 'utf8')) as { plan: { moduleInstances?: unknown } };
    expect(saved.plan.moduleInstances).to.deep.equal([{ address: 'module.ns', keys: ['seed'], eachValue: 'key' }]);
    const r = await project.cli('apply', 'p.plan');
    expect(r.code, r.stderr).to.equal(0);
    const list = (await project.cli('state', 'list')).stdout.split('\n').filter(Boolean);
    expect(list).to.deep.equal(['test_instance.seed', 'module.ns["seed"].test_instance.this']);
    expect((await project.cli('state', 'show', 'module.ns["seed"].test_instance.this')).stdout).to.include('"ns-seed"');
  });
});
