import { expect } from 'chai';
import { loadConfig } from '../../src/config/load.js';
import { removeTemp, tempConfig } from '../evaluate/support.js';

function load(source: string) {
  const dir = tempConfig({ 'main.infra': source });
  try {
    return loadConfig(dir, { cwd: dir });
  } finally {
    removeTemp(dir);
  }
}

/** `moved` blocks, four lines each, from each pair's first address to its second. */
function moves(...pairs: [from: string, to: string][]): string {
  return pairs.map(([from, to]) => `moved {\n  from = ${from}\n  to   = ${to}\n}\n`).join('');
}

describe('config: moved and removed blocks', () => {
  it('decodes moved and removed blocks, addresses written as references', () => {
    const r = load(`
moved {
  from = linode_instance.lb
  to   = linode_instance.edge
}
moved {
  from = local_host.ns["a"]
  to   = local_host.ns["b"]
}
removed {
  from = local_host.old[0]
}
`);
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.config!.moves!.map((m) => [m.from, m.to])).to.deep.equal([
      ['linode_instance.lb', 'linode_instance.edge'],
      ['local_host.ns["a"]', 'local_host.ns["b"]'],
      ['local_host.old[0]', null],
    ]);
  });

  it('reports unknown and missing arguments with did-you-mean, and addresses that are not references', () => {
    const r = load(`
moved {
  from = linode_instance.lb
  too  = linode_instance.edge
}
removed {
  from = "linode_instance.lb"
  to   = linode_instance.edge
}
`);
    expect(r.diagnostics.map((d) => `${d.range?.start.line}: ${d.summary} / ${d.detail}`)).to.deep.equal([
      '2: Missing argument "to" in moved block / Write it as: moved { from = TYPE.NAME, to = TYPE.NEW_NAME }',
      '4: Unsupported argument "too" in moved block / Did you mean "to"?',
      '7: Invalid address in "from" / Write a resource or instance address, without quotes: TYPE.NAME, TYPE.NAME[0] or TYPE.NAME["key"].',
      '8: Unsupported argument "to" in removed block / A removed block accepts from.',
    ]);
  });
});

describe('config: the static rules of moved and removed blocks (Terraform\'s)', () => {
  const lines = (source: string) => load(source).diagnostics.map((d) => `${d.range?.start.line}: ${d.summary}\n${d.detail}`);

  it('refuses a move from a resource still declared, and a removal of one', () => {
    expect(
      lines(`resource "test_instance" "a" {
  name = "a"
}
moved {
  from = test_instance.a
  to   = test_instance.b
}
removed {
  from = test_instance.a
}
`),
    ).to.deep.equal([
      '4: Moved object still exists\nThis statement declares a move from test_instance.a, but that resource is still declared at main.infra:1,1.\n\nChange your configuration so that this resource will be declared as test_instance.b instead.',
      '8: Removed resource still exists\nThis statement declares that test_instance.a was removed, but it is still declared at main.infra:1,1.\n\nRemove the resource block, or remove this removed block to keep managing it.',
    ]);
  });

  it('refuses cycles, ambiguous statements, redundant and cross-type moves', () => {
    expect(
      lines(
        moves(
          ['test_instance.a', 'test_instance.b'],
          ['test_instance.b', 'test_instance.a'],
          ['test_instance.a', 'test_instance.c'],
          ['test_instance.d', 'test_instance.b'],
          ['test_instance.e', 'test_instance.e'],
          ['test_instance.f', 'test_check.f'],
          ['test_instance.g', 'test_instance.g["x"]'],
        ),
      ),
    ).to.deep.equal([
      '1: Cyclic dependency in move statements\nThe following chained move statements form a cycle, and so there is no final location to move objects to:\n  - main.infra:1,1: test_instance.a -> test_instance.b\n  - main.infra:5,1: test_instance.b -> test_instance.a\n\nA chain of move statements must end with an address that doesn\'t appear in any other statements for which it is the source.',
      '9: Ambiguous move statements\nA statement at main.infra:1,1 declared that test_instance.a moved to test_instance.b, but this statement instead declares that it moved to test_instance.c.\n\nEach resource can move to only one destination.',
      '13: Ambiguous move statements\nA statement at main.infra:1,1 declared that test_instance.a moved to test_instance.b, but this statement instead declares that test_instance.d moved there.\n\nEach resource can have moved from only one source.',
      '17: Redundant move statement\nThis statement declares a move from test_instance.e to the same address, which is the same as not declaring this move at all.',
      '21: Resource type mismatch\nThis statement declares a move from test_instance.f to test_check.f, which is a resource of a different type: infra only renames, it cannot turn one type of object into another.',
      '25: Invalid move statement\nThis statement moves test_instance.g to test_instance.g["x"]: move a whole resource to a resource address (TYPE.NAME), or one instance to an instance address (TYPE.NAME[KEY]).',
    ]);
  });
});

describe('config: import blocks', () => {
  const lines = (source: string) => load(source).diagnostics.map((d) => `${d.range?.start.line}: ${d.summary}\n${d.detail}`);
  const resources = `resource "test_instance" "web" {
  name = "web"
}
resource "test_check" "probe" {
  for_each = toset(["a"])
  target   = each.key
  expect   = null
}
`;

  it('decodes import blocks: the address written as a reference, the ID a string', () => {
    const r = load(`${resources}import {
  to = test_instance.web
  id = "12345"
}
import {
  to = test_check.probe["a"]
  id = "p-1"
}
`);
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.config!.imports!.map((i) => [i.to, i.id, i.range.start.line])).to.deep.equal([
      ['test_instance.web', '12345', 9],
      ['test_check.probe["a"]', 'p-1', 13],
    ]);
  });

  it('reports missing and unknown arguments, quoted addresses, empty IDs, duplicates and targets the configuration lacks', () => {
    expect(
      lines(`${resources}import {
  to = test_instance.web
}
import {
  to  = "test_instance.web"
  id  = "1"
  ids = "2"
}
import {
  to = test_instance.web
  id = ""
}
import {
  to = test_instance.web
  id = "1"
}
import {
  to = test_instance.web
  id = "2"
}
import {
  to = test_instance.wbe
  id = "3"
}
import {
  to = test_check.probe
  id = "4"
}
import {
  to = test_instance.web[0]
  id = "5"
}
`),
    ).to.deep.equal([
      '9: Missing argument "id" in import block\nWrite it as: import { to = TYPE.NAME, id = "ID" }',
      '13: Invalid address in "to"\nWrite a resource or instance address, without quotes: TYPE.NAME, TYPE.NAME[0] or TYPE.NAME["key"].',
      '15: Unsupported argument "ids" in import block\nDid you mean "id"?',
      '19: Invalid value for "id"\nIt is the object\'s ID in its provider (a Linode ID such as "12345"), so it cannot be empty.',
      '25: Duplicate import configuration for "test_instance.web"\nAn import block for test_instance.web is already at main.infra:21. Only one import block per address is allowed.',
      '29: Configuration for import target does not exist\nThe configuration has no resource block for test_instance.wbe. Did you mean "test_instance.web"? Write the resource "test_instance" "wbe" block the object is imported as.',
      '33: Import target test_check.probe has for_each\nImport one instance of it: test_check.probe["KEY"].',
      '37: Import target test_instance.web[0] has a key, but test_instance.web has neither for_each nor count\nImport it as test_instance.web.',
    ]);
  });
});
