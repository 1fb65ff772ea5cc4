import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordingProvider } from '../support/recording-provider.js';
import { runCli, tempConfig } from '../support/cli.js';
import { startLinodeEmulator, type LinodeEmulator } from '../support/linode-emulator.js';
import { fastProviderBlock } from '../support/linode-harness.js';

/** A machine whose image is read from a file next to the configuration (`data "local_file"`). */
const FILE_CONFIG = `
data "local_file" "image" {
  filename = "\${path.root}/image.txt"
}

resource "test_instance" "web" {
  name  = "web"
  image = data.local_file.image.content
  size  = data.local_file.image.content_md5
}
`;

describe('cli: data sources (data "local_file")', function () {
  this.timeout(60_000);
  let provider: RecordingProvider;
  let unregister: () => void;
  let cfg: { dir: string; cleanup: () => void };
  const cli = (...args: string[]) => runCli(args, { cwd: cfg.dir });
  const state = () => JSON.parse(readFileSync(join(cfg.dir, 'infra.state.json'), 'utf8'));

  beforeEach(() => {
    provider = new RecordingProvider();
    unregister = provider.register();
  });
  afterEach(() => {
    unregister();
    cfg.cleanup();
  });

  it('reads the file during plan, and a change of the file replaces what uses it', async () => {
    cfg = tempConfig({ 'main.infra': FILE_CONFIG, 'image.txt': 'debian12' });
    const first = await cli('plan');
    expect(first.stderr).to.equal('');
    expect(first.code).to.equal(0);
    expect(first.stdout).to.include('+ image  = "debian12"');
    expect(first.stdout).to.include(`+ size   = "${createHash('md5').update('debian12').digest('hex')}"`);
    expect((await cli('apply', '-auto-approve')).code).to.equal(0);
    expect(provider.calls.filter((c) => c.op === 'create').map((c) => c.config?.image)).to.deep.equal(['debian12']);

    const unchanged = await cli('plan');
    expect(unchanged.stdout).to.include('No changes.');

    writeFileSync(join(cfg.dir, 'image.txt'), 'debian13');
    const changed = await cli('plan');
    expect(changed.code).to.equal(0);
    expect(changed.stdout).to.include('# test_instance.web must be replaced');
    expect(changed.stdout).to.include('~ image = "debian12" -> "debian13" # forces replacement');
  });

  it('records what it read in the state, mode "data"', async () => {
    cfg = tempConfig({ 'main.infra': FILE_CONFIG, 'image.txt': 'debian12' });
    expect((await cli('apply', '-auto-approve')).code).to.equal(0);
    const s = state();
    expect(s.resources.map((r: { address: string }) => r.address)).to.deep.equal(['test_instance.web']);
    expect(s.data_sources).to.have.length(1);
    const d = s.data_sources[0];
    expect({ mode: d.mode, address: d.address, type: d.type, name: d.name, index: d.index, provider: d.provider }).to.deep.equal({
      mode: 'data',
      address: 'data.local_file.image',
      type: 'local_file',
      name: 'image',
      index: null,
      provider: 'local',
    });
    expect(d.attributes.content).to.equal('debian12');
    expect(d.attributes.filename).to.equal(join(cfg.dir, 'image.txt'));
  });

  it('count and for_each make one read per instance', async () => {
    cfg = tempConfig({
      'main.infra': `
data "local_file" "keys" {
  for_each = toset(["a", "b"])
  filename = "\${path.root}/\${each.key}.pub"
}

data "local_file" "first" {
  count    = 1
  filename = "\${path.root}/a.pub"
}

resource "test_instance" "web" {
  name  = data.local_file.first[0].content
  image = join(",", [for k, f in data.local_file.keys : "\${k}=\${f.content}"])
}
`,
      'a.pub': 'key-a',
      'b.pub': 'key-b',
    });
    const r = await cli('plan');
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.include('+ image  = "a=key-a,b=key-b"');
    expect(r.stdout).to.include('+ name   = "key-a"');
  });

  it('an unknown data source type is an error at its label', async () => {
    cfg = tempConfig({ 'main.infra': 'data "local_flie" "x" {\n  filename = "a"\n}\n' });
    const r = await cli('plan');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      'main.infra:1:6: Error: Unknown data source type "local_flie"\n' +
        '    1 | data "local_flie" "x" {\n' +
        '      |      ^^^^^^^^^^^^\n' +
        'Did you mean "local_file"?\n',
    );
  });

  it('an unknown argument is an error at its name', async () => {
    cfg = tempConfig({ 'main.infra': 'data "local_file" "x" {\n  filenme = "a"\n}\n' });
    const r = await cli('plan');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('main.infra:2:3: Error: Unsupported argument "filenme"\n');
    expect(r.stderr).to.include('Did you mean "filename"?');
  });

  it('a read that fails is an error at the data block, naming the file', async () => {
    cfg = tempConfig({ 'main.infra': 'data "local_file" "x" {\n  filename = "missing.txt"\n}\n' });
    const r = await cli('plan');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      'main.infra:2:14: Error: Failed to read data.local_file.x\n' +
        '    2 |   filename = "missing.txt"\n' +
        '      |              ^^^^^^^^^^^^^\n' +
        `Cannot read ${join(cfg.dir, 'missing.txt')}: no such file.\n`,
    );
  });

  it('a reference to an undeclared data source says so', async () => {
    cfg = tempConfig({ 'main.infra': 'resource "test_instance" "web" {\n  image = data.local_file.nope.content\n}\n' });
    const r = await cli('plan');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('main.infra:2:11: Error: Reference to undeclared data source "data.local_file.nope"\n');
  });

  it('a data source whose arguments are known only after apply is read during apply', async () => {
    cfg = tempConfig({
      'main.infra': `
resource "test_instance" "src" {
  name = "src"
}

data "local_file" "late" {
  filename = "\${path.root}/\${test_instance.src.id}.txt"
}

resource "test_instance" "web" {
  name = data.local_file.late.content
}
`,
      'i-1.txt': 'from-file',
    });
    const r = await cli('plan');
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.include('  # data.local_file.late will be read during apply\n  # (config refers to values not yet known)\n <= data "local_file" "late" {\n');
    expect(r.stdout).to.include('+ content              = (known after apply)');
    expect(r.stdout).to.include(' <= read (data resources)\n');
    expect(r.stdout).to.include('+ name   = (known after apply)');
    const a = await cli('apply', '-auto-approve');
    expect(a.stderr).to.equal('');
    expect(a.code).to.equal(0);
    const web = provider.calls.find((c) => c.op === 'create' && c.address === 'test_instance.web');
    expect(web?.config?.name).to.equal('from-file');
  });

  it('depends_on a resource with a change pending defers the read to apply, with that reason', async () => {
    cfg = tempConfig({
      'main.infra': `
resource "test_instance" "src" {
  name = "src"
}

data "local_file" "after" {
  filename   = "\${path.root}/a.txt"
  depends_on = [test_instance.src]
}

output "a" {
  value = data.local_file.after.content
}
`,
      'a.txt': 'A',
    });
    const r = await cli('plan');
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.include('  # data.local_file.after will be read during apply\n  # (depends on a resource or a module with changes pending)\n');
    expect(r.stdout).to.include('+ a = (known after apply)');
    expect((await cli('apply', '-auto-approve')).code).to.equal(0);
    const again = await cli('plan');
    expect(again.stdout).to.include('No changes.');
    expect(state().outputs.a.value).to.equal('A');
  });

  it('a read during apply that fails fails the apply, naming the data source, and what needs it is not created', async () => {
    cfg = tempConfig({
      'main.infra': `
resource "test_instance" "src" {
  name = "src"
}

data "local_file" "late" {
  filename = "\${path.root}/\${test_instance.src.id}.txt"
}

resource "test_instance" "web" {
  name = data.local_file.late.content
}
`,
    });
    const a = await cli('apply', '-auto-approve');
    expect(a.code).to.equal(1);
    expect(a.stderr).to.include(`main.infra:7:14: Error: Failed to read data.local_file.late\n`);
    expect(a.stderr).to.include(`Cannot read ${join(cfg.dir, 'i-1.txt')}: no such file.`);
    expect(provider.calls.filter((c) => c.op === 'create').map((c) => c.address)).to.deep.equal(['test_instance.src']);
  });

  it('destroy reads no data source: a file gone since does not stop it, and the state forgets the data sources', async () => {
    cfg = tempConfig({ 'main.infra': FILE_CONFIG, 'image.txt': 'debian12' });
    expect((await cli('apply', '-auto-approve')).code).to.equal(0);
    rmSync(join(cfg.dir, 'image.txt'));
    const d = await cli('destroy', '-auto-approve');
    expect(d.stderr).to.equal('');
    expect(d.code).to.equal(0);
    expect(state().resources).to.deep.equal([]);
    expect(state()).to.not.have.property('data_sources');
  });

  it('a saved plan keeps what was read and what is left to read during apply', async () => {
    cfg = tempConfig({
      'main.infra': `
resource "test_instance" "src" {
  name = data.local_file.early.content
}

data "local_file" "early" {
  filename = "\${path.root}/early.txt"
}

data "local_file" "late" {
  filename = "\${path.root}/\${test_instance.src.id}.txt"
}

resource "test_instance" "web" {
  name = data.local_file.late.content
}
`,
      'early.txt': 'early',
      'i-1.txt': 'late',
    });
    expect((await cli('plan', '-out=p.plan')).code).to.equal(0);
    // The JSON view as terraform show -json: read now -> prior_state, read during apply -> a
    // "read" change and a planned value; the configuration lists the data blocks, mode "data".
    const json = JSON.parse((await cli('show', 'p.plan', '-json')).stdout);
    const modes = (rs: { address: string; mode: string }[]) => rs.map((r) => `${r.mode} ${r.address}`);
    expect(modes(json.prior_state.values.root_module.resources)).to.deep.equal(['data data.local_file.early']);
    expect(json.prior_state.values.root_module.resources[0].values.content).to.equal('early');
    expect(modes(json.planned_values.root_module.resources)).to.deep.equal(['data data.local_file.late', 'managed test_instance.src', 'managed test_instance.web']);
    const read = json.resource_changes[0];
    expect([read.address, read.mode, read.change.actions, read.action_reason, read.change.after_unknown.content]).to.deep.equal([
      'data.local_file.late',
      'data',
      ['read'],
      'read_because_config_unknown',
      true,
    ]);
    expect(modes(json.configuration.root_module.resources)).to.deep.equal([
      'managed test_instance.src',
      'managed test_instance.web',
      'data data.local_file.early',
      'data data.local_file.late',
    ]);
    expect(json.configuration.root_module.resources[3].expressions.filename).to.deep.equal({ references: ['path.root', 'test_instance.src'] });
    const a = await cli('apply', 'p.plan');
    expect(a.stderr).to.equal('');
    expect(provider.calls.filter((c) => c.op === 'create').map((c) => [c.address, c.config?.name])).to.deep.equal([
      ['test_instance.src', 'early'],
      ['test_instance.web', 'late'],
    ]);
    expect(state().data_sources.map((d: { address: string; attributes: { content: string } }) => [d.address, d.attributes.content])).to.deep.equal([
      ['data.local_file.early', 'early'],
      ['data.local_file.late', 'late'],
    ]);
  });

  it('validate checks data blocks without reading them', async () => {
    cfg = tempConfig({ 'main.infra': 'data "local_file" "x" {\n  filename = "missing.txt"\n}\n\noutput "x" {\n  value = data.local_file.x.content\n}\n' });
    const ok = await cli('validate');
    expect(ok.stderr).to.equal('');
    expect(ok.code).to.equal(0);
    writeFileSync(join(cfg.dir, 'main.infra'), 'data "local_file" "x" {\n  name = "a"\n}\n');
    const bad = await cli('validate');
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('main.infra:2:3: Error: Unsupported argument "name"\n');
  });
});

describe('cli: Linode data sources against the emulator', function () {
  this.timeout(60_000);
  let emu: LinodeEmulator;
  let cfg: { dir: string; cleanup: () => void };
  beforeEach(async () => {
    emu = await startLinodeEmulator();
  });
  afterEach(async () => {
    cfg.cleanup();
    await emu.close();
  });
  const cli = (...args: string[]) => runCli(args, { cwd: cfg.dir, env: { LINODE_TOKEN: emu.token, LINODE_URL: emu.url } });

  it('dynamic "filter" blocks select regions and images; their values reach outputs', async () => {
    cfg = tempConfig({
      'main.infra': `${fastProviderBlock(22)}

variable "countries" {
  default = { country = ["us"], capabilities = ["Vlans"] }
}

data "linode_regions" "us" {
  dynamic "filter" {
    for_each = var.countries
    content {
      name   = filter.key
      values = filter.value
    }
  }
}

data "linode_images" "debian" {
  filter {
    name     = "label"
    values   = ["Debian"]
    match_by = "substring"
  }
  order_by = "label"
  order    = "desc"
}

output "regions" {
  value = [for r in data.linode_regions.us.regions : r.id]
}

output "image" {
  value = data.linode_images.debian.images[0].id
}
`,
    });
    const r = await cli('plan');
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.include('+ image   = "linode/debian12"');
    expect(r.stdout).to.include('+ regions = [\n      + "us-east",\n      + "us-central",\n      + "us-west",\n    ]');
    expect(emu.requests.filter((q) => q.apiPath === '/images').map((q) => q.filter)).to.deep.equal([{ '+order_by': 'label', '+order': 'desc' }]);
  });

  it('a filter on a field that cannot be filtered is an error at the data block', async () => {
    cfg = tempConfig({ 'main.infra': `${fastProviderBlock(22)}\n\ndata "linode_regions" "x" {\n  filter {\n    name   = "colour"\n    values = ["blue"]\n  }\n}\n` });
    const r = await cli('plan');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('Error: Invalid filter on data.linode_regions.x\n');
    expect(r.stderr).to.include('"colour" is not a filterable field of linode_regions');
  });
});
