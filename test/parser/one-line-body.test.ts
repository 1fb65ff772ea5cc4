import { expect } from 'chai';
import { parseFile } from '../../src/parser/index.js';
import type { Attribute, Block } from '../../src/parser/ast.js';

describe('parser: one-line block bodies with commas', () => {
  it('reads `lifecycle { a = 1, b = [x], c = true }` as three attributes', () => {
    const src = 'resource "t" "n" {\n  lifecycle { prevent_destroy = true, ignore_changes = [dir], create_before_destroy = true }\n}\n';
    const r = parseFile('main.infra', src);
    expect(r.diagnostics).to.deep.equal([]);
    const resource = r.file.body.items[0] as Block;
    const lifecycle = resource.body!.items[0] as Block;
    expect(lifecycle.body!.items.map((i) => (i as Attribute).name)).to.deep.equal(['prevent_destroy', 'ignore_changes', 'create_before_destroy']);
  });

  it('keeps commas in objects as object separators', () => {
    const r = parseFile('main.infra', 'a = { x = 1, y = 2 }\nb { c = { d = 1, e = 2 }, f = 3 }\n');
    expect(r.diagnostics).to.deep.equal([]);
    const b = r.file.body.items[1] as Block;
    expect(b.body!.items.map((i) => (i as Attribute).name)).to.deep.equal(['c', 'f']);
    expect(((b.body!.items[0] as Attribute).expr as { kind: string }).kind).to.equal('Object');
  });
});
