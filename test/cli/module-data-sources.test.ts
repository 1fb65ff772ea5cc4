import { expect } from 'chai';
import { rmSync, writeFileSync } from 'node:fs';
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

describe('cli: infra graph draws data sources', function () {
  this.timeout(60_000);
  const project = useRecordingProject({
    'main.infra': `
resource "test_instance" "src" {
  name = "src"
}

data "local_file" "key" {
  filename = "\${path.root}/\${test_instance.src.name}.txt"
}

data "local_file" "again" {
  filename = data.local_file.key.filename
}

resource "test_instance" "web" {
  name  = "web"
  image = data.local_file.again.content
}

module "dns" {
  source = "./modules/dns"
  zone   = "a"
}
`,
    'modules/dns/main.infra': MODULE,
    'src.txt': 'key',
    'modules/dns/a.db': 'zone-a',
  });

  it('as nodes, with an edge from what reads each to it and from it to what it reads', async () => {
    const r = await project.cli('graph');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout.split('\n')).to.deep.equal([
      'digraph resources {',
      '  rankdir=LR;',
      '  node [style=filled, fontname="Helvetica", fontsize=10];',
      '  "data.local_file.again" [shape=cylinder, fillcolor="#f1f3f5"];',
      '  "data.local_file.key" [shape=cylinder, fillcolor="#f1f3f5"];',
      '  "module.dns.data.local_file.zone" [shape=cylinder, fillcolor="#f1f3f5"];',
      '  "module.dns.test_instance.ns" [shape=box, fillcolor="#e7f5ff"];',
      '  "test_instance.src" [shape=box, fillcolor="#e7f5ff"];',
      '  "test_instance.web" [shape=box, fillcolor="#e7f5ff"];',
      '  "module.dns.test_instance.ns" -> "module.dns.data.local_file.zone";',
      '  "test_instance.web" -> "data.local_file.again";',
      '  "data.local_file.again" -> "data.local_file.key";',
      '  "data.local_file.key" -> "test_instance.src";',
      '}',
      '',
    ]);
  });
});

describe('cli: -target reads only the data sources the targets need', function () {
  this.timeout(60_000);
  const project = useRecordingProject(
    {
      'main.infra': `
data "local_file" "image" {
  filename = "\${path.root}/image.txt"
}

data "local_file" "gone" {
  filename = "\${path.root}/gone.txt"
}

resource "test_instance" "web" {
  name  = "web"
  image = data.local_file.image.content
}

resource "test_instance" "db" {
  name  = "db"
  image = data.local_file.gone.content
}
`,
      'image.txt': 'debian12',
      'gone.txt': 'debian11',
    },
    { applied: true },
  );

  it('a data source the targets do not need is not read (its file may be gone) and stays recorded', async () => {
    rmSync(join(project.dir, 'gone.txt'));
    const all = await project.cli('plan');
    expect(all.code).to.equal(1);
    expect(all.stderr).to.include('Failed to read data.local_file.gone');

    writeFileSync(join(project.dir, 'image.txt'), 'debian13');
    const targeted = await project.cli('apply', '-auto-approve', '-target=test_instance.web');
    expect(targeted.stderr).to.equal('');
    expect(targeted.code).to.equal(0);
    expect(targeted.stdout).to.include('~ image = "debian12" -> "debian13" # forces replacement');
    expect(targeted.stdout).to.not.include('test_instance.db');
    const recorded = project.state().data_sources ?? [];
    expect(recorded.map((d) => [d.address, d.attributes.content])).to.deep.equal([
      ['data.local_file.gone', 'debian11'],
      ['data.local_file.image', 'debian13'],
    ]);

    const data = await project.cli('plan', '-target=data.local_file.image');
    expect(data.code).to.equal(0);
    expect(data.stdout).to.include('No changes.');
    const gone = await project.cli('plan', '-target=data.local_file.gone');
    expect(gone.code).to.equal(1);
    expect(gone.stderr).to.include('Failed to read data.local_file.gone');
  });
});

describe('cli: a mistake in a data block of a module used several times', function () {
  this.timeout(60_000);
  const project = useRecordingProject({
    'main.infra': 'module "dns" {\n  for_each = toset(["a", "b", "c"])\n  source   = "./m"\n}\n',
    'm/main.infra': 'data "local_flie" "zone" {\n  filename = "zone.db"\n}\n',
  });

  it('is reported once, at its place in the module, by validate and plan', async () => {
    for (const command of ['validate', 'plan']) {
      const r = await project.cli(command);
      expect(r.code, command).to.equal(1);
      expect(r.stderr.match(/Error: Unknown data source type "local_flie"/g), command).to.have.length(1);
      expect(r.stderr, command).to.include('m/main.infra:1:6');
    }
  });
});

describe('cli: a module for_each over a data source, and data sources in state list and state show', function () {
  this.timeout(60_000);
  const project = useRecordingProject(
    {
      'main.infra': `
data "local_file" "zones" {
  filename = "\${path.root}/zones.txt"
}

module "dns" {
  for_each = toset(split(",", data.local_file.zones.content))
  source   = "./modules/dns"
  zone     = each.key
}

resource "test_instance" "web" {
  name = "web"
}
`,
      'zones.txt': 'a,b',
      'modules/dns/main.infra': MODULE,
      'modules/dns/a.db': 'zone-a-1',
      'modules/dns/b.db': 'zone-b-1',
    },
    { applied: true },
  );

  it('the first apply reads the data source and makes the module instances it names', async () => {
    expect(project.provider.calls.filter((c) => c.op === 'create').map((c) => c.address).sort()).to.deep.equal([
      'module.dns["a"].test_instance.ns',
      'module.dns["b"].test_instance.ns',
      'test_instance.web',
    ]);
    expect((await project.cli('plan')).stdout).to.include('No changes.');
  });

  it('state list lists data sources in Terraform\'s order: the root module first, data sources before resources', async () => {
    const list = await project.cli('state', 'list');
    expect(list.stderr).to.equal('');
    expect(list.stdout).to.equal(
      [
        'data.local_file.zones',
        'test_instance.web',
        'module.dns["a"].data.local_file.zone',
        'module.dns["a"].test_instance.ns',
        'module.dns["b"].data.local_file.zone',
        'module.dns["b"].test_instance.ns',
        '',
      ].join('\n'),
    );
  });

  it('state show shows a data source as the last apply read it', async () => {
    const show = await project.cli('state', 'show', 'module.dns["b"].data.local_file.zone');
    expect(show.stderr).to.equal('');
    expect(show.stdout).to.equal(
      [
        '# module.dns["b"].data.local_file.zone',
        'data "local_file" "zone" {',
        '  content              = "zone-b-1"',
        '  content_base64       = "em9uZS1iLTE="',
        '  content_base64sha256 = "FRtutAThE3pyqdFD1tPiVfZd9hWo1AaoN35Bw2GN58M="',
        '  content_base64sha512 = "BnWu9vRJ4ub4tFxyU88AT4EqHQ8XXvXxus8+IkMkBHUnbRty+CqiXxHa3Xm7haX+yCmNQE3lDFNgbFY1TUNLww=="',
        '  content_md5          = "a43eec27d291ab00c8012e855f77c39e"',
        '  content_sha1         = "0fdfe8318475a56b1ffbe7cb663b1f11b0215b98"',
        '  content_sha256       = "151b6eb404e1137a72a9d143d6d3e255f65df615a8d406a8377e41c3618de7c3"',
        '  content_sha512       = "0675aef6f449e2e6f8b45c7253cf004f812a1d0f175ef5f1bacf3e2243240475276d1b72f82aa25f11dadd79bb85a5fec8298d404de50c53606c56354d434bc3"',
        `  filename             = ${JSON.stringify(join(project.dir, 'modules/dns/b.db'))}`,
        '  id                   = "0fdfe8318475a56b1ffbe7cb663b1f11b0215b98"',
        '}',
        '',
      ].join('\n'),
    );
    const missing = await project.cli('state', 'show', 'data.local_file.zone');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include('No instance data.local_file.zone in the state');
    expect(missing.stderr).to.include('data.local_file.zones');
  });
});
