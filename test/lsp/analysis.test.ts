/**
 * The protocol-free part of the language server (src/lsp/analysis.ts): declarations, where a
 * reference points, hover text and completions, on in-memory files. Positions are 0-based.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completions, declarations, definition, hover, referenceAt, validateTexts } from '../../src/lsp/analysis.js';

const file = '/config/main.infra';
const other = '/config/lb.infra';
const files = new Map([
  [
    file,
    [
      'variable "image" {',
      '  default = "linode/debian12"',
      '}',
      'resource "linode_instance" "ns" {',
      '  image = var.image',
      '  label = linode_instance.lb.label',
      '  ssh {',
      '    port = 22',
      '  }',
      '}',
      '',
    ].join('\n'),
  ],
  [other, 'resource "linode_instance" "lb" {\n  label = "lb"\n}\n'],
]);

describe('language server analysis', () => {
  it('declarations across the files of the directory', () => {
    expect(declarations(files).map((d) => `${d.kind} ${d.address} ${d.span.file}:${d.span.start.line}`)).to.deep.equal([
      'variable var.image /config/main.infra:0',
      'resource linode_instance.ns /config/main.infra:3',
      'resource linode_instance.lb /config/lb.infra:0',
    ]);
  });

  it('a reference is ROOT.NAME under the cursor, not the tail of a longer traversal', () => {
    expect(referenceAt('  label = linode_instance.lb.label', 12)).to.equal('linode_instance.lb');
    expect(referenceAt('  label = linode_instance.lb.label', 30)).to.equal(undefined);
    expect(referenceAt('  label = "x"', 5)).to.equal(undefined);
  });

  it('goes to a resource declared in another file', () => {
    expect(definition(files, file, { line: 5, character: 20 })?.span).to.deep.equal({
      file: other,
      start: { line: 0, character: 0 },
      end: { line: 2, character: 1 },
    });
  });

  it('hovers on an attribute of a nested block with its schema description', () => {
    expect(hover(files, file, { line: 7, character: 5 })).to.equal('**port** (optional)\n\nTCP port of sshd on the host.');
  });

  it('completes the attributes of the nested block the cursor is in', () => {
    const lines = (files.get(file) as string).split('\n');
    lines.splice(8, 0, '    ');
    const edited = new Map(files).set(file, lines.join('\n'));
    expect(completions(edited, file, { line: 8, character: 4 }).map((c) => c.label)).to.deep.equal(['user', 'port', 'private_key_file', 'host_key_checking', 'known_hosts_file']);
  });

  it('completes data source types after data "', () => {
    const edited = new Map(files).set(file, 'data "loc');
    expect(completions(edited, file, { line: 0, character: 6 }).map((c) => c.label)).to.deep.equal(['linode_images', 'linode_instances', 'linode_regions', 'local_file']);
  });

  it('completes the arguments of a data block and of its nested filter block, not what it reads', () => {
    const text = 'data "linode_images" "d" {\n  \n  filter {\n    \n  }\n}\n';
    const edited = new Map(files).set(file, text);
    expect(completions(edited, file, { line: 1, character: 2 }).map((c) => c.label)).to.deep.equal(['order_by', 'order', 'latest']);
    expect(completions(edited, file, { line: 3, character: 4 }).map((c) => c.label)).to.deep.equal(['name', 'values', 'match_by']);
  });
});

describe('language server validation with modules', () => {
  it('finds the modules a configuration calls, and leaves out their own files\' diagnostics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'infra-lsp-modules-'));
    try {
      mkdirSync(join(dir, 'modules', 'm'), { recursive: true });
      const module = 'variable "name" {\n  type = string\n}\n\noutput "name" {\n  value = "${var.name}-${local.nope}"\n}\n';
      writeFileSync(join(dir, 'modules', 'm', 'main.infra'), module);
      const main = 'module "m" {\n  source = "./modules/m"\n  name   = "x"\n  nmae   = "y"\n}\n';
      const diags = await validateTexts(new Map([['main.infra', main]]), dir);
      expect(diags.map((d) => `${d.range?.file}:${d.range?.start.line}:${d.range?.start.column}: ${d.summary}`)).to.deep.equal(['main.infra:4:3: Unsupported argument']);
      // The linked module folder is still there: cleaning up the copy removed the link only.
      expect(readFileSync(join(dir, 'modules', 'm', 'main.infra'), 'utf8')).to.equal(module);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
