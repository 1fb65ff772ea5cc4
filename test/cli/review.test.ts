import { expect } from 'chai';
import { useRecordingProject } from '../support/recording-project.js';
import { BLUE_GREEN } from '../support/configs.js';

describe('cli: plans for review (markdown, graphs, show)', function () {
  this.timeout(60_000);
  const project = useRecordingProject({ 'main.infra': BLUE_GREEN }, { per: 'suite', applied: true });
  const cli = project.cli;

  it('plan --format markdown: summary first, the destroy list in bold, the sequence as Mermaid, exit 2 with --detailed-exitcode', async () => {
    const r = await cli('plan', '--var', 'version=v2', '--format', 'markdown', '--detailed-exitcode');
    expect(r.code).to.equal(2);
    const lines = r.stdout.split('\n');
    expect(lines[0]).to.equal('**Plan: 4 to add, 6 to change, 4 to destroy; 2 blue-green deploys.**');
    expect(r.stdout).to.include('**`test_instance.ns["a"]`**');
    expect(r.stdout).to.include('```mermaid\nflowchart TD');
    expect(r.stdout).to.include('<details>');
  });

  it('show PLANFILE renders a saved plan in every format; graph draws it', async () => {
    expect((await cli('plan', '--var', 'version=v2', '--out', 'plan.json')).code).to.equal(0);
    const text = await cli('show', 'plan.json');
    expect(text.stdout).to.include('Plan: 4 to add, 6 to change, 4 to destroy; 2 blue-green deploys.');
    const json = JSON.parse((await cli('show', 'plan.json', '--json')).stdout);
    expect(json.infra_summary).to.deep.equal({ add: 4, change: 6, destroy: 4, blue_green: 2 });
    const md = await cli('show', 'plan.json', '--format', 'markdown');
    expect(md.stdout.split('\n')[0]).to.equal('**Plan: 4 to add, 6 to change, 4 to destroy; 2 blue-green deploys.**');
    const mermaid = await cli('graph', '--plan', 'plan.json', '--format', 'mermaid');
    expect(mermaid.stdout.startsWith('flowchart')).to.equal(true);
    const svg = await cli('graph', '--plan', 'plan.json', '--format', 'svg');
    expect(svg.code).to.equal(0);
    expect(svg.stdout).to.match(/<svg[\s>]/);
    const dot = await cli('graph');
    expect(dot.stdout.startsWith('digraph')).to.equal(true);
    expect(dot.stdout).to.include('test_route.ns');
  });

  it('state list, state show and output read the state', async () => {
    const list = await cli('state', 'list');
    expect(list.stdout.split('\n')).to.include('test_instance.ns["a"]  (blue g1)');
    const show = await cli('state', 'show', 'test_instance.ns["a"]');
    expect(show.stdout).to.include('resource "test_instance" "ns" {');
    const out = await cli('output', '--json');
    expect(JSON.parse(out.stdout).targets.value).to.have.length(2);
    const missing = await cli('state', 'show', 'test_instance.nx["a"]');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include('Did you mean "test_instance.ns["a"]"?');
  });

  it('rejects a wrong flag and a wrong value with a message and exit 1', async () => {
    const flag = await cli('plan', '--no-such-flag');
    expect(flag.code).to.equal(1);
    expect(flag.stderr).to.include("unknown option '--no-such-flag'");
    const fmt = await cli('plan', '--format', 'yaml');
    expect(fmt.code).to.equal(1);
    expect(fmt.stderr).to.include('yaml');
    const par = await cli('apply', '--parallelism', 'zero', '--auto-approve');
    expect(par.code).to.equal(1);
    expect(par.stderr).to.include('Error: Invalid value for --parallelism: "zero"');
  });
});
