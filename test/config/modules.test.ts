import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';

/** Loads the files (path -> text) from a temporary directory; each diagnostic as `file:line:col: summary: detail`. */
function load(files: Record<string, string>): { modules: string[]; diagnostics: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'infra-modules-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const r = loadConfig('.', { cwd: dir });
    return {
      modules: [...(r.config?.modules?.keys() ?? [])],
      diagnostics: r.diagnostics.map((d) => `${d.range ? `${d.range.file}:${d.range.start.line}:${d.range.start.column}: ` : ''}${d.summary}: ${d.detail}`),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const MODULE = `variable "name" {
  type = string
}

variable "size" {
  default = "small"
}
`;

describe('Module calls (loading)', () => {
  it('loads a local module and checks its arguments against its variables', () => {
    expect(load({ 'main.infra': 'module "a" {\n  source = "./m"\n  name   = "x"\n}\n', 'm/main.infra': MODULE })).to.deep.equal({ modules: ['a'], diagnostics: [] });
    expect(load({ 'main.infra': 'module "a" {\n  source = "./m"\n  nmae   = "x"\n}\n', 'm/main.infra': MODULE }).diagnostics).to.deep.equal([
      'main.infra:1:1: Missing required argument: The argument "name" is required, but no definition was found.',
      'main.infra:3:3: Unsupported argument: An argument named "nmae" is not expected here. Did you mean "name"?',
    ]);
  });

  it('names the location of a remote source, a missing directory and a module calling itself', () => {
    expect(load({ 'main.infra': 'module "a" {\n  source = "hashicorp/consul/aws"\n}\n' }).diagnostics).to.deep.equal([
      'main.infra:2:12: Unsupported module source "hashicorp/consul/aws": Only local modules are supported: the source is a directory path starting with ./ or ../, relative to the calling module (source = "./modules/NAME"). Registry, Git and HTTP sources are not.',
    ]);
    expect(load({ 'main.infra': 'module "a" {\n  source = "./nowhere"\n}\n' }).diagnostics).to.deep.equal([
      'main.infra:2:12: Unreadable module directory "./nowhere": The module\'s source must be a directory of *.infra files; nowhere is not one.',
    ]);
    expect(load({ 'main.infra': 'module "a" {\n  source = "./m"\n}\n', 'm/main.infra': 'module "again" {\n  source = "../m"\n}\n' }).diagnostics).to.deep.equal([
      'm/main.infra:2:12: Module "again" calls itself: ../m is already being loaded by a module that calls this one; modules cannot call themselves, directly or through others.',
    ]);
  });

  it('keeps provider blocks in the root module', () => {
    expect(load({ 'main.infra': 'module "a" {\n  source = "./m"\n}\n', 'm/main.infra': 'provider "linode" {\n}\n' }).diagnostics).to.deep.equal([
      'm/main.infra:1:1: Provider block not allowed in a module: Modules use the provider configurations of the root module; move this provider block to the root module.',
    ]);
  });

  it('loads a data block inside a module, and refuses its lifecycle block as in the root module', () => {
    expect(load({ 'main.infra': 'module "a" {\n  source = "./m"\n}\n', 'm/main.infra': 'data "local_file" "zone" {\n  filename = "zone.db"\n}\n' })).to.deep.equal({ modules: ['a'], diagnostics: [] });
    expect(load({ 'main.infra': 'module "a" {\n  source = "./m"\n}\n', 'm/main.infra': 'data "local_file" "zone" {\n  filename = "zone.db"\n  lifecycle {\n  }\n}\n' }).diagnostics).to.deep.equal([
      'm/main.infra:3:3: Unsupported lifecycle block in data block: A data source is read, never created, replaced or destroyed: it has no lifecycle.',
    ]);
  });

  it('checks an import block into a module against the module\'s resource blocks', () => {
    const module = 'resource "test_instance" "this" {\n}\n';
    const root = (to: string): string => `module "a" {\n  source = "./m"\n}\n\nimport {\n  to = ${to}\n  id = "i-1"\n}\n`;
    expect(load({ 'main.infra': root('module.a.test_instance.this'), 'm/main.infra': module }).diagnostics).to.deep.equal([]);
    expect(load({ 'main.infra': root('module.a.test_instance.that'), 'm/main.infra': module }).diagnostics).to.deep.equal([
      'main.infra:5:1: Configuration for import target does not exist: The configuration has no resource block for module.a.test_instance.that. Did you mean "test_instance.this"? Write the resource "test_instance" "that" block the object is imported as in the module of module.a.',
    ]);
    expect(load({ 'main.infra': root('module.b.test_instance.this'), 'm/main.infra': module }).diagnostics).to.deep.equal([
      'main.infra:5:1: Configuration for import target does not exist: The configuration has no module call module.b for module.b.test_instance.this. Write the module block the object is imported into.',
    ]);
    expect(load({ 'main.infra': root('module.a.test_instance.this[0]'), 'm/main.infra': module }).diagnostics).to.deep.equal([
      'main.infra:5:1: Import target module.a.test_instance.this[0] has a key, but module.a.test_instance.this has neither for_each nor count: Import it as module.a.test_instance.this.',
    ]);
  });

  it('requires a source, and rejects version and providers', () => {
    expect(load({ 'main.infra': 'module "a" {\n  version = "1.0"\n}\n' }).diagnostics).to.deep.equal([
      'main.infra:1:1: Missing argument "source" in module "a": A module block names the module\'s directory: module "NAME" { source = "./modules/NAME" }.',
      'main.infra:2:3: Unsupported argument "version" in module block: Only local modules are supported, and they have no versions.',
    ]);
  });
});
