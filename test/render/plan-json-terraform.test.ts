/**
 * infra's plan JSON against a plan JSON Terraform itself wrote for the equivalent configuration
 * (test/fixtures/terraform-plan-json, README there says how it was made). No Terraform at test
 * time: the fixture is committed. Two checks: the same keys with the same JSON types at every
 * path (values of resources are compared by type only, as the attributes differ), with exactly the
 * deliberate differences listed below; and the same answers to policies written for Terraform.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DELIBERATE_DIFFERENCES } from '../../src/render/plan-json.js';
import { useRecordingProject } from '../support/recording-project.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'terraform-plan-json');
const fixture = (name: string): string => readFileSync(join(FIXTURE, name), 'utf8');

type JsonValue = null | string | number | boolean | JsonValue[] | { [k: string]: JsonValue };

/** Paths whose objects are keyed by names of the user's (variables, outputs, providers). */
const MAPS = [
  'variables',
  'output_changes',
  'planned_values.outputs',
  'prior_state.values.outputs',
  'configuration.provider_config',
  'configuration.root_module.outputs',
  'configuration.root_module.variables',
  'configuration.root_module.resources[].expressions',
];

/** Paths holding a resource's attributes (or their marks): compared by JSON type only. */
const OPAQUE = [
  /\.change\.(before|after|after_unknown|before_sensitive|after_sensitive)$/,
  /^output_changes\.\{\}\.(before|after|after_unknown|before_sensitive|after_sensitive)$/,
  /\.(values|sensitive_values)$/,
  /^(variables|configuration\.root_module\.variables)\.\{\}\.(value|default)$/,
  /outputs\.\{\}\.(value|type)$/,
];

function typeOf(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Every `path: type` the document has (keys beginning `infra_` are infra's own, left out). */
function shapes(v: JsonValue, path = '', out = new Set<string>()): Set<string> {
  out.add(`${path || '(root)'}: ${typeOf(v)}`);
  if (OPAQUE.some((re) => re.test(path))) return out;
  if (Array.isArray(v)) for (const x of v) shapes(x, `${path}[]`, out);
  else if (v !== null && typeof v === 'object') {
    const isMap = MAPS.includes(path);
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('infra_')) continue;
      shapes(x, isMap ? `${path}.{}` : path ? `${path}.${k}` : k, out);
    }
  }
  return out;
}

/**
 * The differences the shape comparison finds, each explained by an entry of
 * DELIBERATE_DIFFERENCES (src/render/plan-json.ts; docs/plan-format.md lists the same).
 */
const EXPECTED_DIFFERENCES = {
  onlyTerraform: [
    // DELIBERATE_DIFFERENCES.terraform_version, prior_state.terraform_version
    'prior_state.terraform_version: string',
    // DELIBERATE_DIFFERENCES.relevant_attributes
    'relevant_attributes: array',
    'relevant_attributes[]: object',
    'relevant_attributes[].attribute: array',
    'relevant_attributes[].attribute[]: string',
    'relevant_attributes[].resource: string',
    // configuration...constant_value: expressions carry references only
    'configuration.root_module.resources[].expressions.{}.constant_value: string',
    // configuration.root_module.variables.{}.default
    'configuration.root_module.variables.{}.default: array',
    'configuration.root_module.variables.{}.default: number',
    'configuration.root_module.variables.{}.default: string',
    'terraform_version: string',
  ],
  onlyInfra: [
    // 'sensitive values': a sensitive output's values and a sensitive variable's value are null
    'output_changes.{}.after: null',
    'output_changes.{}.before: null',
    'variables.{}.value: null',
  ],
};

describe('plan JSON matches what Terraform writes (test/fixtures/terraform-plan-json)', () => {
  const project = useRecordingProject({ 'main.infra': fixture('v1.infra') });
  const terraform = JSON.parse(fixture('plan.json')) as JsonValue & Record<string, JsonValue>;

  async function infraPlan(): Promise<Record<string, JsonValue>> {
    const applied = await project.cli('apply', '-auto-approve');
    expect(applied.code, applied.stderr).to.equal(0);
    writeFileSync(join(project.dir, 'main.infra'), fixture('v2.infra'));
    const r = await project.cli('plan', '-json', '-replace=test_instance.web[0]');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    return JSON.parse(r.stdout) as Record<string, JsonValue>;
  }

  it('has the same keys and value types at every path, but for the deliberate differences', async () => {
    const ours = shapes(await infraPlan());
    const theirs = shapes(terraform);
    const onlyTerraform = [...theirs].filter((s) => !ours.has(s)).sort();
    const onlyInfra = [...ours].filter((s) => !theirs.has(s)).sort();
    expect({ onlyTerraform, onlyInfra }).to.deep.equal({ onlyTerraform: [...EXPECTED_DIFFERENCES.onlyTerraform].sort(), onlyInfra: EXPECTED_DIFFERENCES.onlyInfra });
    for (const key of ['terraform_version', 'relevant_attributes', 'sensitive values', 'configuration.root_module.variables.{}.default']) {
      expect(DELIBERATE_DIFFERENCES, key).to.have.property(key);
    }
  });

  it('gives every change the actions and action_reason Terraform gives the same change', async () => {
    const ours = await infraPlan();
    const summary = (plan: Record<string, JsonValue>, rename: (a: string) => string): string[] =>
      (plan.resource_changes as { address: string; index?: string | number; change: { actions: string[]; replace_paths?: string[][] }; action_reason?: string }[]).map(
        (rc) => `${rename(rc.address)} ${JSON.stringify(rc.change.actions)} ${rc.action_reason ?? '-'} index=${JSON.stringify(rc.index ?? null)} replace=${rc.change.replace_paths ? 'yes' : 'no'}`,
      );
    expect(summary(ours, (a) => a.replace('test_instance.', 'T.')).sort()).to.deep.equal(summary(terraform, (a) => a.replace('terraform_data.', 'T.')).sort());
    expect((ours.output_changes as Record<string, JsonValue>).release).to.deep.equal({ actions: ['update'], before: 'i-3', after_unknown: true, before_sensitive: false, after_sensitive: false });
  });

  it('answers a policy written for Terraform plan JSON the same way (deletes found, secrets absent)', async () => {
    const ours = await infraPlan();
    // As an OPA/conftest rule or `jq '[.resource_changes[] | select(.change.actions | index("delete")) | .address]'` reads it.
    const deleted = (plan: Record<string, JsonValue>): string[] =>
      (plan.resource_changes as { address: string; change: { actions: string[] } }[]).filter((rc) => rc.change.actions.includes('delete')).map((rc) => rc.address.replace(/^[a-z_]+\./, ''));
    expect(deleted(ours).sort()).to.deep.equal(['image', 'ns["ns1"]', 'ns["ns2"]', 'old', 'web[0]', 'web[1]']);
    expect(deleted(ours).sort()).to.deep.equal(deleted(terraform).sort());
    // Terraform writes the sensitive variable in clear; infra never does.
    expect(JSON.stringify(terraform)).to.include('s3cret-one');
    expect(JSON.stringify(ours)).to.not.include('s3cret-one');
  });

  it('the text plan uses Terraform\'s headlines and summary line, which tools parse', async () => {
    const applied = await project.cli('apply', '-auto-approve');
    expect(applied.code, applied.stderr).to.equal(0);
    writeFileSync(join(project.dir, 'main.infra'), fixture('v2.infra'));
    const r = await project.cli('plan', '-no-color', '-replace=test_instance.web[0]');
    expect(r.code, r.stderr).to.equal(0);
    const told = (text: string, type: string): string[] =>
      text
        .split('\n')
        .filter((l) => /^  # \S+ (will|must) /.test(l) || l.startsWith('Plan: '))
        .map((l) => l.replace(`# ${type}.`, '# T.'))
        .sort();
    const terraformText = told(fixture('plan.txt'), 'terraform_data')
      // Deliberate: infra says why under the headline, "# (replacement requested (-replace))".
      .map((l) => l.replace('will be replaced, as requested', 'must be replaced'));
    expect(told(r.stdout, 'test_instance')).to.deep.equal(terraformText);
    expect(terraformText).to.include.members(['  # T.config will be updated in-place', '  # T.fresh will be created', '  # T.image must be replaced', '  # T.old will be destroyed', 'Plan: 4 to add, 1 to change, 6 to destroy.']);
  });
});
