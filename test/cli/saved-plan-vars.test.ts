import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordingProvider } from '../support/recording-provider.js';
import { runCli, tempConfig } from '../support/cli.js';

const CONFIG = `
variable "version" {
  type = string
}

variable "replicas" {
  type = number
}

variable "token" {
  type      = string
  sensitive = true
}

resource "test_instance" "web" {
  name  = "web-\${var.version}-\${var.replicas}"
  image = "debian12"
}

output "version" {
  value = var.version
}

output "token" {
  value     = var.token
  sensitive = true
}
`;

describe('cli: a saved plan carries the variable values it was made with', function () {
  this.timeout(60_000);
  let unregister: () => void;
  let cfg: { dir: string; cleanup: () => void };
  const cli = (args: string[], answer?: string) => runCli(args, { cwd: cfg.dir, ...(answer !== undefined ? { answer } : {}) });

  beforeEach(async () => {
    unregister = new RecordingProvider().register();
    cfg = tempConfig({ 'main.infra': CONFIG });
    const r = await cli(['plan', '-var', 'version=v2', '-var', 'replicas=3', '-var', 'token=s3cret-t0ken', '-out=saved.plan']);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
  });
  afterEach(() => {
    unregister();
    cfg.cleanup();
  });

  it('non-sensitive values are in the file in clear; the sensitive one never is', () => {
    const file = readFileSync(join(cfg.dir, 'saved.plan'), 'utf8');
    const basis = JSON.parse(file).plan.basis.variables;
    expect(basis.version).to.deep.equal({ value: 'v2' });
    expect(basis.replicas).to.deep.equal({ value: 3 });
    expect(Object.keys(basis.token)).to.deep.equal(['sha256']);
    expect(file).to.not.include('s3cret-t0ken');
  });

  it('apply PLANFILE without a terminal names the sensitive variables to supply again, and changes nothing', async () => {
    const r = await cli(['apply', 'saved.plan']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      'Error: Sensitive variable "token" must be supplied again\n' +
        'saved.plan holds only a hash of it. Give it as when planning: --var token=VALUE, INFRA_VAR_token, or a variable file; on a terminal infra asks for it.\n',
    );
    const state = await cli(['state', 'list']);
    expect(state.stdout).to.equal('');
  });

  it('apply PLANFILE needs only the sensitive value, given with -var', async () => {
    const given = await cli(['apply', 'saved.plan', '-var', 'token=s3cret-t0ken']);
    expect(given.stderr).to.equal('');
    expect(given.code).to.equal(0);
    expect(given.stdout).to.include('Apply complete! Resources: 1 added, 0 changed, 0 destroyed');
    expect(given.stdout).to.include('version = "v2"');
    expect(given.stdout).to.not.include('s3cret-t0ken');
    const token = await cli(['output', 'token', '-raw']);
    expect(token.stdout).to.equal('s3cret-t0ken');
  });

  it('asks for a missing sensitive value by name on a terminal', async () => {
    const asked = await cli(['apply', 'saved.plan'], 's3cret-t0ken');
    expect(asked.stderr).to.equal('');
    expect(asked.code).to.equal(0);
    expect(asked.stdout).to.include('var.token (sensitive; the value the plan was made with): ');
    expect(asked.stdout).to.include('Apply complete! Resources: 1 added');
  });

  it('a wrong sensitive value or a different -var makes the plan stale', async () => {
    const wrong = await cli(['apply', 'saved.plan'], 'not-the-token');
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.include('Error: Saved plan is stale');
    expect(wrong.stderr).to.include('variable "token" has a different value (sensitive values must be supplied again, unchanged)');
    const other = await cli(['apply', 'saved.plan', '-var', 'version=v3', '-var', 'token=s3cret-t0ken']);
    expect(other.code).to.equal(1);
    expect(other.stderr).to.include('variable "version" has a different value');
  });
});

describe('cli: a saved plan made with a value other than the default', function () {
  this.timeout(60_000);

  it('applies with the planned value, not the default, without the -var again', async () => {
    const unregister = new RecordingProvider().register();
    const cfg = tempConfig({
      'main.infra': `variable "version" {\n  type    = string\n  default = "v1"\n}\n\nresource "test_instance" "web" {\n  name  = "web-\${var.version}"\n  image = "debian12"\n}\n\noutput "version" {\n  value = var.version\n}\n`,
    });
    try {
      const cli = (args: string[]) => runCli(args, { cwd: cfg.dir });
      expect((await cli(['plan', '-var', 'version=v2', '-out=saved.plan'])).code).to.equal(0);
      const r = await cli(['apply', 'saved.plan']);
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      expect(r.stdout).to.include('version = "v2"');
      const other = await cli(['plan', '-var', 'version=v2', '-out=again.plan']);
      expect(other.code).to.equal(0);
      const stale = await cli(['apply', 'again.plan', '-var', 'version=v1']);
      expect(stale.code).to.equal(1);
      expect(stale.stderr).to.include('variable "version" has a different value');
    } finally {
      unregister();
      cfg.cleanup();
    }
  });
});
