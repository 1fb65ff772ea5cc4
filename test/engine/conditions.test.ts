import { expect } from 'chai';
import { runCli } from '../support/cli.js';
import { type TestFolder, useRecordingProvider } from '../support/recording-project.js';

describe('engine: conditions checked at apply', () => {
  const recording = useRecordingProvider();
  let cfg: TestFolder;

  const CONFIG = `resource "test_instance" "db" {
  name = "db"

  lifecycle {
    postcondition {
      condition     = self.ipv4 == "10.0.0.99"
      error_message = "The database got \${self.ipv4}, not its reserved address."
    }
  }
}

resource "test_instance" "web" {
  name = test_instance.db.ipv4
}

resource "test_instance" "cache" {
  name = "cache"

  lifecycle {
    precondition {
      condition     = startswith(test_instance.db.ipv4, "192.")
      error_message = "The database is not on the private network."
    }
  }
}
`;

  it('a postcondition that needs values known only after apply fails after the instance is created, and what depends on it is not applied', async () => {
    cfg = recording.folder({ 'main.infra': CONFIG });
    const plan = await runCli(['plan'], { cwd: cfg.dir });
    expect(plan.code, plan.stderr).to.equal(0);
    const r = await runCli(['apply', '--auto-approve'], { cwd: cfg.dir });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('main.infra:6:23: Error: Resource postcondition failed');
    expect(r.stderr).to.match(/The database got 10\.0\.0\.\d+, not its reserved address\./);
    const created = recording.provider.calls.filter((c) => c.op === 'create').map((c) => c.address);
    // cache's precondition reads db, so cache depends on it and waits for it too.
    expect(created).to.deep.equal(['test_instance.db']);
    // The object exists, so state keeps it (as Terraform does); the next plan sees it.
    expect((await runCli(['state', 'list'], { cwd: cfg.dir })).stdout.trim()).to.equal('test_instance.db');
  });

  it('a precondition that needs values known only after apply is checked before the instance is created', async () => {
    cfg = recording.folder({ 'main.infra': CONFIG.replace(/  lifecycle \{\n    postcondition[\s\S]*?\n  \}\n(?=\})/, '') });
    const r = await runCli(['apply', '--auto-approve'], { cwd: cfg.dir });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('main.infra:15:23: Error: Resource precondition failed');
    expect(r.stderr).to.include('The database is not on the private network.');
    expect(recording.provider.calls.filter((c) => c.op === 'create').map((c) => c.address)).to.deep.equal(['test_instance.db', 'test_instance.web']);
  });

  it('validate, as terraform validate, checks no variable validation nor resource condition, but does check output preconditions', async () => {
    const files = {
      'main.infra': `variable "size" {
  default = "huge"
  validation {
    condition     = var.size != "huge"
    error_message = "Too big."
  }
}

resource "test_instance" "a" {
  name = var.size

  lifecycle {
    precondition {
      condition     = var.size != "huge"
      error_message = "Too big for a."
    }
  }
}
`,
    };
    cfg = recording.folder(files);
    const ok = await runCli(['validate'], { cwd: cfg.dir });
    expect([ok.code, ok.stdout]).to.deep.equal([0, 'Success! The configuration is valid.\n']);
    const plan = await runCli(['plan'], { cwd: cfg.dir });
    expect(plan.code).to.equal(1);
    expect(plan.stderr).to.include('main.infra:1:1: Error: Invalid value for variable');
    cfg.cleanup();
    cfg = recording.folder({ 'main.infra': 'locals {\n  a = 1\n}\n\noutput "o" {\n  value = 1\n  precondition {\n    condition     = local.a > 2\n    error_message = "Out."\n  }\n}\n' });
    const out = await runCli(['validate'], { cwd: cfg.dir });
    expect(out.code).to.equal(1);
    expect(out.stderr).to.include('main.infra:8:21: Error: Module output value precondition failed');
  });
});
