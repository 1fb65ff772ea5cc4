/**
 * `infra show PLANFILE -json` and the parts of a saved plan only the JSON view reads (the
 * timestamp and the configuration summary): the same document as the run that saved it, and a
 * hand-edited one is an error naming the fields, never a TypeError.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useRecordingProject } from '../support/recording-project.js';

const CONFIG = `
variable "size" {
  type    = string
  default = "small"
}

resource "test_instance" "a" {
  name = "a"
  size = var.size
}

resource "test_instance" "b" {
  count = 2
  name  = "b-\${test_instance.a.ipv4}"
}
`;

describe('show PLANFILE -json: the saved timestamp and configuration', () => {
  const project = useRecordingProject({ 'main.infra': CONFIG });

  it('prints the timestamp and configuration references the plan run printed', async () => {
    const planned = await project.cli('plan', '-json', '-out=p.plan');
    expect(planned.code, planned.stderr).to.equal(0);
    const json = JSON.parse(planned.stdout);
    expect(json.timestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(json.configuration.root_module.resources.map((r: { address: string; expressions: unknown; count_expression?: unknown }) => [r.address, r.expressions, r.count_expression ?? null])).to.deep.equal([
      ['test_instance.a', { name: {}, size: { references: ['var.size'] } }, null],
      ['test_instance.b', { name: { references: ['test_instance.a'] } }, {}],
    ]);
    const shown = await project.cli('show', 'p.plan', '-json');
    expect(shown.code).to.equal(0);
    expect(shown.stdout).to.equal(planned.stdout);
  });

  it('a saved plan with a bad timestamp or configuration is an error naming the fields', async () => {
    expect((await project.cli('plan', '-out=p.plan')).code).to.equal(0);
    const saved = JSON.parse(readFileSync(join(project.dir, 'p.plan'), 'utf8'));
    saved.plan.createdAt = 7;
    saved.plan.configuration.resources[0].expressions = null;
    saved.plan.configuration.outputs = 'none';
    saved.plan.configuration.resources[1].expressions.name = 5;
    writeFileSync(join(project.dir, 'edited.plan'), JSON.stringify(saved));
    const r = await project.cli('show', 'edited.plan', '-json');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      'Error: Invalid saved plan\n' +
        'edited.plan:\n' +
        '  plan.createdAt: expected an ISO 8601 timestamp, got 7\n' +
        '  plan.configuration.resources[0] (test_instance.a).expressions: expected an object, got null\n' +
        '  plan.configuration.resources[1] (test_instance.b).expressions.name: expected { "references": [...] } or a list of blocks, got 5\n' +
        '  plan.configuration.outputs: expected a list, got "none"\n',
    );
  });
});
