import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { useRecordingProject } from '../support/recording-project.js';
import { BLUE_GREEN } from '../support/configs.js';

const OTHER = `
variable "others" {
  type    = list(string)
  default = ["x"]
}

resource "test_instance" "other" {
  for_each = toset(var.others)
  name     = "other-\${each.key}"
  image    = "debian12"
}

output "other_ips" {
  value = [for k, o in test_instance.other : o.ipv4]
}
`;

describe('cli: bugs a first day finds', function () {
  this.timeout(60_000);
  const project = useRecordingProject({ 'main.infra': BLUE_GREEN, 'other.infra': OTHER }, { applied: true });
  const cli = project.cli;

  it('a targeted apply keeps the outputs it did not evaluate', async () => {
    const before = JSON.parse((await cli('output', '--json')).stdout);
    expect(before.other_ips.value).to.have.length(1);
    // test_instance.other["y"] is not targeted: not created, so other_ips cannot be known yet.
    const r = await cli('apply', '--auto-approve', '--target', 'test_instance.ns["a"]', '--var', 'version=v2', '--var', 'others=["x","y"]');
    expect(r.code).to.equal(0);
    const after = await cli('output', '--json');
    expect(after.code).to.equal(0);
    expect(JSON.parse(after.stdout).other_ips).to.deep.equal(before.other_ips);
    expect(JSON.parse(after.stdout).targets.value).to.have.length(2);
  });

  it('show PLANFILE --json prints what plan --json printed', async () => {
    const planned = await cli('plan', '--var', 'version=v2', '--json', '--out', 'p.plan');
    expect(planned.code).to.equal(0);
    const shown = await cli('show', 'p.plan', '--json');
    expect(shown.code).to.equal(0);
    expect(JSON.parse(shown.stdout)).to.deep.equal(JSON.parse(planned.stdout));
  });

  it('a saved plan whose JSON is valid but incomplete is an error naming the fields, not a TypeError', async () => {
    writeFileSync(join(project.dir, 'empty.plan'), JSON.stringify({ format: 'infra-plan', version: 2, plan: {} }));
    const empty = await cli('show', 'empty.plan');
    expect(empty.code).to.equal(1);
    expect(empty.stderr).to.not.include('internal error');
    expect(empty.stderr.split('\n').slice(0, 4)).to.deep.equal([
      'Error: Invalid saved plan',
      'empty.plan:',
      '  plan.formatVersion: missing',
      '  plan.mode: missing',
    ]);
    writeFileSync(join(project.dir, 'bad.plan'), JSON.stringify({ format: 'infra-plan', version: 2, plan: null }));
    const bad = await cli('apply', 'bad.plan');
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.equal('Error: Invalid saved plan\nbad.plan:\n  plan: expected an object, got null\n');
    expect((await cli('plan', '--var', 'version=v2', '--out', 'p.plan')).code).to.equal(0);
    const good = JSON.parse(readFileSync(join(project.dir, 'p.plan'), 'utf8'));
    good.plan.changes[0].actions = 'create';
    delete good.plan.steps[1].id;
    writeFileSync(join(project.dir, 'edited.plan'), JSON.stringify(good));
    const edited = await cli('show', 'edited.plan', '--json');
    expect(edited.code).to.equal(1);
    expect(edited.stderr).to.equal(
      'Error: Invalid saved plan\n' +
        'edited.plan:\n' +
        `  plan.changes[0] (${good.plan.changes[0].address}).actions: expected a list of actions, got "create"\n` +
        `  plan.steps[1] (${good.plan.steps[1].address}).id: missing\n`,
    );
  });

  it('plan --out to a missing directory or a full device is a clear error, not an internal one', async () => {
    const missing = await cli('plan', '--out', '/nonexistent/dir/x');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal('Error: Cannot save the plan to /nonexistent/dir/x\nENOENT: no such file or directory, open \'/nonexistent/dir/x\'\n');
    if (existsSync('/dev/full')) {
      const full = await cli('plan', '-out=/dev/full');
      expect(full.code).to.equal(1);
      expect(full.stderr).to.equal('Error: Cannot save the plan to /dev/full\nENOSPC: no space left on device, write\n');
    }
    // The lock was released: the next command runs.
    expect((await cli('plan')).code).to.equal(0);
  });

  it('--var-file /dev/zero is refused at the size limit instead of hanging', async () => {
    const started = Date.now();
    const r = await cli('plan', '--var-file', '/dev/zero');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('Error: Cannot read variable file "/dev/zero"\nIt is larger than 16 MiB; variable files are read whole.\n');
    expect(Date.now() - started).to.be.below(10_000);
  });

  it('-C /dev/zero is refused at the size limit instead of hanging', async () => {
    const r = await cli('validate', '-C', '/dev/zero');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(`Error: Cannot read "${relative(project.dir, '/dev/zero')}": larger than 16 MiB\n`);
  });

  it('validate and plan print syntax errors with the source excerpt', async () => {
    writeFileSync(join(project.dir, 'bad.infra'), 'variable "a" {\n  default = "x"\n\n');
    const expected = 'bad.infra:2:16: Error: Unclosed "{" opened at 1:14\n' + '    2 |   default = "x"\n' + '      |                ^\n' + 'Expected "}".\n';
    for (const command of ['validate', 'plan']) {
      const r = await cli(command);
      expect(r.code, command).to.equal(1);
      expect(r.stderr, command).to.equal(expected);
    }
  });
});
