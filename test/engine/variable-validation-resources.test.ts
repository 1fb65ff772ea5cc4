/**
 * A variable's validation rule that reads a resource's attributes, as Terraform 1.11 checks it
 * (checked with terraform_data and `terraform apply`): not at plan while the attribute is unknown,
 * during apply once the resource is known (the apply fails with the rule's message, after the
 * resource was created, which state keeps), and at plan when the state already knows it.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { type TestFolder, useRecordingProvider } from '../support/recording-project.js';

const CONFIG = `variable "name" {
  default = "zzz"
  validation {
    condition     = var.name == test_instance.x.ipv4
    error_message = "The name must be the instance's address."
  }
}

resource "test_instance" "x" {
  name = "x"
}

output "n" {
  value = var.name
}
`;

const FAILED = 'main.infra:1:1: Error: Invalid value for variable\n    1 | variable "name" {\n      | ^^^^^^^^^^^^^^^\n' + "The name must be the instance's address.\n\nThis was checked by the validation rule at main.infra:3,3-13.";

describe('engine: variable validation reading resource attributes', () => {
  const recording = useRecordingProvider();
  let cfg: TestFolder;

  it('is not checked at plan while the attribute is unknown; apply checks it once the resource exists and fails with its message', async () => {
    cfg = recording.folder({ 'main.infra': CONFIG });
    const plan = await runCli(['plan'], { cwd: cfg.dir });
    expect(plan.code, plan.stderr).to.equal(0);
    const r = await runCli(['apply', '--auto-approve'], { cwd: cfg.dir });
    expect(r.code).to.equal(1);
    expect(r.stderr.replace(/after [^:]+:/, 'after T:')).to.equal(`${FAILED}\nApply failed after T: var.name failed; 1 of 1 steps done.\n`);
    expect(recording.provider.calls.filter((c) => c.op === 'create').map((c) => c.address)).to.deep.equal(['test_instance.x']);
    // The object exists, so state keeps it, as Terraform's does.
    expect((await runCli(['state', 'list'], { cwd: cfg.dir })).stdout.trim()).to.equal('test_instance.x');
    // Outputs are recorded before the check, as Terraform records them.
    expect((await runCli(['output', 'n'], { cwd: cfg.dir })).stdout).to.equal('"zzz"\n');
  });

  it('is checked at plan when the state knows the attribute: a wrong value fails the plan, the right one passes', async () => {
    cfg = recording.folder({ 'main.infra': CONFIG });
    await runCli(['apply', '--auto-approve'], { cwd: cfg.dir });
    const again = await runCli(['plan'], { cwd: cfg.dir });
    expect(again.code).to.equal(1);
    expect(again.stderr).to.equal(`${FAILED}\n`);
    const state = JSON.parse(readFileSync(join(cfg.dir, 'infra.state.json'), 'utf8'));
    const ipv4 = state.resources[0].attributes.ipv4 as string;
    const ok = await runCli(['apply', '--auto-approve', '--var', `name=${ipv4}`], { cwd: cfg.dir });
    expect(ok.stderr).to.equal('');
    expect(ok.code).to.equal(0);
    expect((await runCli(['output', 'n'], { cwd: cfg.dir })).stdout).to.equal(`"${ipv4}"\n`);
  });

  it('reads a data source, which plan reads: a wrong value fails the plan', async () => {
    cfg = recording.folder({
      'f.txt': 'abc',
      'main.infra': `variable "name" {
  default = "zzz"
  validation {
    condition     = var.name == data.local_file.f.content
    error_message = "The name must be the file's content."
  }
}

data "local_file" "f" {
  filename = "f.txt"
}
`,
    });
    const plan = await runCli(['plan'], { cwd: cfg.dir });
    expect(plan.code).to.equal(1);
    expect(plan.stderr).to.equal(
      'main.infra:1:1: Error: Invalid value for variable\n    1 | variable "name" {\n      | ^^^^^^^^^^^^^^^\n' +
        "The name must be the file's content.\n\nThis was checked by the validation rule at main.infra:3,3-13.\n",
    );
    const ok = await runCli(['plan', '--var', 'name=abc'], { cwd: cfg.dir });
    expect(ok.stderr).to.equal('');
    expect(ok.code).to.equal(0);
  });
});
