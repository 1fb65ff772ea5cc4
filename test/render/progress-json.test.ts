/**
 * `infra apply -json`: Terraform's machine-readable UI as JSON lines (render/progress-json.ts),
 * from a real apply with the recording provider. Every line must parse; the types come in
 * exactly the order apply makes them; secrets are scrubbed; errors are `diagnostic` lines.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BLUE_GREEN } from '../support/configs.js';
import { useRecordingProject } from '../support/recording-project.js';

const SECRET = 'pr0gress-json-s3cret';

const SMALL = `
variable "secret" {
  type      = string
  default   = "${SECRET}"
  sensitive = true
}

resource "test_instance" "a" {
  name   = "a"
  secret = var.secret
}

resource "test_instance" "b" {
  name = "b-\${test_instance.a.ipv4}"
}

output "b_name" {
  value = test_instance.b.name
}

output "secret" {
  value     = var.secret
  sensitive = true
}
`;

interface Line {
  readonly type: string;
  readonly '@level': string;
  readonly '@message': string;
  readonly '@module': string;
  readonly '@timestamp': string;
  readonly [k: string]: unknown;
}

/** Every line of stdout as JSON (a line that does not parse fails the test). */
function lines(stdout: string): Line[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}

describe('apply -json: JSON lines like terraform apply -json', () => {
  const project = useRecordingProject({ 'main.infra': SMALL });

  it('streams version, planned changes, summary, each step, summary and outputs, every line with @level/@message/@module/@timestamp', async () => {
    const r = await project.cli('apply', '-json', '-auto-approve');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const out = lines(r.stdout);
    expect(out.map((l) => l.type)).to.deep.equal(['version', 'planned_change', 'planned_change', 'change_summary', 'apply_start', 'apply_complete', 'apply_start', 'apply_complete', 'change_summary', 'outputs']);
    for (const l of out) {
      expect(Object.keys(l).slice(0, 4)).to.deep.equal(['@level', '@message', '@module', '@timestamp']);
      expect(l['@module']).to.equal('infra.ui');
      expect(l['@timestamp']).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    expect(out.map((l) => l['@message'])).to.deep.equal([
      out[0]['@message'],
      'test_instance.a: Plan to create',
      'test_instance.b: Plan to create',
      'Plan: 2 to add, 0 to change, 0 to destroy.',
      'test_instance.a: Creating...',
      'test_instance.a: Creation complete after 0s',
      'test_instance.b: Creating...',
      'test_instance.b: Creation complete after 0s',
      'Apply complete! Resources: 2 added, 0 changed, 0 destroyed.',
      'Outputs: 2',
    ]);
    expect(out[0]['@message']).to.match(/^infra \d+\.\d+\.\d+/);
    expect(out[1].change).to.deep.equal({
      resource: { addr: 'test_instance.a', module: '', resource: 'test_instance.a', implied_provider: 'test', resource_type: 'test_instance', resource_name: 'a', resource_key: null },
      action: 'create',
      infra_blue_green: false,
    });
    expect((out[5].hook as Record<string, unknown>).action).to.equal('create');
    expect(out[8].changes).to.deep.equal({ add: 2, change: 0, import: 0, remove: 0, operation: 'apply' });
    expect(out[9].outputs).to.deep.equal({ b_name: { sensitive: false, type: 'string', value: 'b-10.0.0.2' }, secret: { sensitive: true, type: 'string' } });
    expect(r.stdout).to.not.include(SECRET);
  });

  it('a failed step is apply_errored, then a diagnostic in Terraform\'s shape, exit 1; secrets scrubbed', async () => {
    project.provider.fail = (call) => (call.op === 'create' && call.address === 'test_instance.b' ? `quota exceeded for ${SECRET}` : undefined);
    const r = await project.cli('apply', '-json', '-auto-approve');
    expect(r.code).to.equal(1);
    const out = lines(r.stdout);
    expect(out.map((l) => l.type)).to.deep.equal(['version', 'planned_change', 'planned_change', 'change_summary', 'apply_start', 'apply_complete', 'apply_start', 'apply_errored', 'diagnostic']);
    const diag = out[8];
    expect(diag['@level']).to.equal('error');
    expect(diag['@message']).to.match(/^Error: /);
    expect(Object.keys(diag.diagnostic as object)).to.include.members(['severity', 'summary', 'detail']);
    expect((diag.diagnostic as { severity: string }).severity).to.equal('error');
    expect(r.stdout).to.not.include(SECRET);
    expect(r.stdout).to.include('(sensitive value)');
  });

  it('destroy -json ends with the destroy summary, and a saved plan applies with -json too', async () => {
    expect((await project.cli('plan', '-out=p.plan')).code).to.equal(0);
    const saved = await project.cli('apply', '-json', 'p.plan');
    expect(saved.code, saved.stdout).to.equal(0);
    expect(lines(saved.stdout).map((l) => l.type).slice(-2)).to.deep.equal(['change_summary', 'outputs']);
    const r = await project.cli('destroy', '-json', '-auto-approve');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const out = lines(r.stdout);
    expect(out.map((l) => l.type)).to.deep.equal(['version', 'planned_change', 'planned_change', 'change_summary', 'apply_start', 'apply_complete', 'apply_start', 'apply_complete', 'change_summary']);
    expect(out.map((l) => l['@message']).slice(4)).to.deep.equal([
      'test_instance.b: Destroying...',
      'test_instance.b: Destruction complete after 0s',
      'test_instance.a: Destroying...',
      'test_instance.a: Destruction complete after 0s',
      'Destroy complete! Resources: 2 destroyed.',
    ]);
    expect(out[8].changes).to.deep.equal({ add: 0, change: 0, import: 0, remove: 2, operation: 'destroy' });
  });

  it('without -auto-approve or a saved plan it says so as a diagnostic line', async () => {
    const r = await project.cli('apply', '-json');
    expect(r.code).to.equal(1);
    const out = lines(r.stdout);
    expect(out.map((l) => l.type)).to.deep.equal(['version', 'diagnostic']);
    expect(out[1].diagnostic).to.deep.equal({
      severity: 'error',
      summary: '-json needs -auto-approve or a saved plan',
      detail: 'With -json there is no one to ask for "yes": add -auto-approve, or apply a plan saved with infra plan -out FILE.',
    });
  });

  it('a syntax error is a diagnostic with a range {filename, start {line, column, byte}, end}', async () => {
    writeFileSync(join(project.dir, 'main.infra'), 'resource "test_instance" "a" {\n  name = \n}\n');
    const r = await project.cli('apply', '-json', '-auto-approve');
    expect(r.code).to.equal(1);
    const out = lines(r.stdout);
    expect(out.map((l) => l.type)).to.deep.equal(['version', 'diagnostic']);
    const range = (out[1].diagnostic as { range: Record<string, unknown> }).range;
    expect(Object.keys(range)).to.deep.equal(['filename', 'start', 'end']);
    expect(range.filename).to.equal('main.infra');
    expect(Object.keys(range.start as object)).to.deep.equal(['line', 'column', 'byte']);
  });
});

describe('apply -json: blue-green steps', () => {
  const project = useRecordingProject({ 'main.infra': BLUE_GREEN });

  it('verify and switch steps have types of their own; every hook names its step, colour and unit', async () => {
    expect((await project.cli('apply', '-auto-approve')).code).to.equal(0);
    const r = await project.cli('apply', '-json', '-auto-approve', '-var', 'version=v2', '-parallelism=1');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const out = lines(r.stdout);
    const unitA = out.filter((l) => ((l.hook as { infra_step?: { unit: string } } | undefined)?.infra_step?.unit ?? '') === 'test_instance.ns["a"]').map((l) => `${l.type} ${l['@message']}`);
    expect(unitA.filter((l) => l.includes('_start '))).to.deep.equal([
      'apply_start test_instance.ns["a"] (green): Creating...',
      'apply_start test_provision.ns["a"] (green): Creating...',
      'verify_start test_check.ns["a"] (green): Verifying...',
      'switch_start test_route.ns["a"] (green): Switching...',
      'verify_start test_check.lb["a"] (green): Verifying...',
      'apply_start test_provision.ns["a"] (blue): Destroying...',
      'apply_start test_instance.ns["a"] (blue): Destroying...',
    ]);
    const sw = out.find((l) => l.type === 'switch_complete')!;
    expect((sw.hook as { infra_step: unknown }).infra_step).to.deep.include({ kind: 'switch', color: 'green', unit: 'test_instance.ns["a"]', rollback: false });
    const planned = out.find((l) => l.type === 'planned_change' && (l.change as { resource: { addr: string } }).resource.addr === 'test_instance.ns["a"]')!;
    expect(planned.change).to.deep.include({ action: 'replace', reason: 'replace_triggered_by', infra_blue_green: true });
  });
});
