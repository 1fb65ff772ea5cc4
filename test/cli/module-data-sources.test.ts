import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useRecordingProject } from '../support/recording-project.js';

/** A name server module that reads its zone from a file in its own directory (`path.module`). */
const MODULE = `
variable "zone" {
  type = string
}

data "local_file" "zone" {
  filename = "\${path.module}/\${var.zone}.db"
}

resource "test_instance" "ns" {
  name  = "ns-\${var.zone}"
  image = data.local_file.zone.content
}
`;

const ROOT = `
module "dns" {
  for_each = toset(["a", "b"])
  source   = "./modules/dns"
  zone     = each.key
}
`;

describe('cli: data sources inside a module used twice', function () {
  this.timeout(60_000);
  const project = useRecordingProject(
    { 'main.infra': ROOT, 'modules/dns/main.infra': MODULE, 'modules/dns/a.db': 'zone-a-1', 'modules/dns/b.db': 'zone-b-1' },
    { applied: true },
  );

  it('reads the file of each module instance, records it under its full address, and a change of one shows in the next plan', async () => {
    expect(project.provider.calls.filter((c) => c.op === 'create').map((c) => [c.address, c.config?.image])).to.deep.equal([
      ['module.dns["a"].test_instance.ns', 'zone-a-1'],
      ['module.dns["b"].test_instance.ns', 'zone-b-1'],
    ]);
    const recorded = project.state().data_sources ?? [];
    expect(recorded.map((d) => [d.address, d.name, d.index, d.attributes.filename, d.attributes.content])).to.deep.equal([
      ['module.dns["a"].data.local_file.zone', 'zone', null, join(project.dir, 'modules/dns/a.db'), 'zone-a-1'],
      ['module.dns["b"].data.local_file.zone', 'zone', null, join(project.dir, 'modules/dns/b.db'), 'zone-b-1'],
    ]);
    expect((await project.cli('plan')).stdout).to.include('No changes.');

    writeFileSync(join(project.dir, 'modules/dns/b.db'), 'zone-b-2');
    const changed = await project.cli('plan');
    expect(changed.stderr).to.equal('');
    expect(changed.code).to.equal(0);
    expect(changed.stdout).to.include('# module.dns["b"].test_instance.ns must be replaced');
    expect(changed.stdout).to.include('~ image = "zone-b-1" -> "zone-b-2" # forces replacement');
    expect(changed.stdout).to.not.include('module.dns["a"].test_instance.ns must be replaced');
    expect(changed.stdout).to.include('Plan: 1 to add, 0 to change, 1 to destroy.');
  });
});
