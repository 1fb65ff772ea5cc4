/**
 * Whatever a provider prints, and whatever its diagnostics say, reaches the terminal without
 * the run's secrets: the engine scrubs every line, so a provider quoting a tool's output
 * verbatim (Ansible's failure line holds the task's variables) cannot leak one.
 */
import { expect } from 'chai';
import { useRecordingProject } from '../support/recording-project.js';

const CONFIG = `
variable "password" {
  type      = string
  sensitive = true
}

resource "test_server" "web" {
  name = "web"
}

resource "test_provision" "web" {
  host   = test_server.web
  script = "login \${var.password}"
}
`;

/** Has a quote, so the JSON a tool prints spells it differently (escaped) from the value itself. */
const PASSWORD = 'pa"ss-1234';

describe('engine: provider output is scrubbed of secrets', () => {
  const project = useRecordingProject({ 'main.infra': CONFIG });
  const cli = project.cli;

  it('a progress line and a diagnostic quoting a sensitive variable and a provider-made password', async () => {
    project.provider.print = (c) =>
      c.op === 'create' && c.type === 'test_provision'
        ? `failed: [web] => ${JSON.stringify({ msg: 'login refused', script: c.config!.script, root_pass: (c.config!.host as Record<string, string>).root_pass })}`
        : undefined;
    project.provider.fail = (c) =>
      c.op === 'create' && c.type === 'test_provision' ? `ran "${String(c.config!.script)}" as root with ${(c.config!.host as Record<string, string>).root_pass}` : undefined;
    const r = await cli('apply', '--auto-approve', '--var', `password=${PASSWORD}`);
    expect(r.code).to.equal(1);
    const out = r.stdout + r.stderr;
    expect(out).to.not.include('pa"ss');
    expect(out).to.not.include('pa\\"ss');
    expect(out).to.not.include('root password of');
    const progress = r.stdout.split('\n').filter((l) => l.startsWith('test_provision.web: '));
    expect(progress.map((l) => l.replace(/after [\d.]+s/, 'after Ns'))).to.deep.equal([
      'test_provision.web: Creating...',
      'test_provision.web: │ failed: [web] => {"msg":"login refused","script":"(sensitive value)","root_pass":"(sensitive value)"}',
      'test_provision.web: Failed after Ns: create test_provision.web failed',
    ]);
    expect(r.stderr).to.include('Error: create test_provision.web failed\nran "(sensitive value)" as root with (sensitive value)\n');
  });

  it('a refresh line and a refresh diagnostic quoting a sensitive variable', async () => {
    expect((await cli('apply', '--auto-approve', '--var', `password=${PASSWORD}`)).code).to.equal(0);
    project.provider.print = (c) => (c.op === 'read' && c.type === 'test_provision' ? `checking with ${PASSWORD}` : undefined);
    project.provider.fail = (c) => (c.op === 'read' && c.type === 'test_provision' ? `login ${PASSWORD} refused` : undefined);
    const r = await cli('plan', '--var', `password=${PASSWORD}`);
    expect(r.code).to.equal(1);
    expect(r.stdout + r.stderr).to.not.include('pa"ss');
    expect(r.stderr).to.include('checking with (sensitive value)\n');
    expect(r.stderr).to.include('Error: read test_provision.web failed\nlogin (sensitive value) refused\n');
  });
});
