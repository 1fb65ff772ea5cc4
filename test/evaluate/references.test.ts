import { expect } from 'chai';
import { loadConfig } from '../../src/config/load.js';
import { bodyReferences, referencesOf, type Reference } from '../../src/evaluate/references.js';
import { expr } from './helpers.js';
import { removeTemp, tempConfig } from './support.js';

const show = (refs: Reference[]): string[] =>
  refs.map((r) => `${r.kind}:${r.type ? `${r.type}.` : ''}${r.name}${r.key !== undefined ? `[${JSON.stringify(r.key)}]` : ''}@${r.range.start.column}-${r.range.end.column}`);

describe('referencesOf', () => {
  it('finds every traversal root in source order', () => {
    expect(show(referencesOf(expr('"${var.a}-${local.b.c}" == local_host.ns["ns1"].ipv4 ? each.key : count.index + path.root')))).to.deep.equal([
      'var:a@4-9',
      'local:b@13-20',
      'resource:local_host.ns["ns1"]@28-48',
      'each:key@56-64',
      'count:index@67-78',
      'path:root@81-90',
    ]);
  });

  it('a data source reference is a resource reference whose type is data.TYPE', () => {
    expect(show(referencesOf(expr('data.local_file.key.content == data.linode_images.d["a"].images[0].id')))).to.deep.equal([
      'resource:data.local_file.key@1-20',
      'resource:data.linode_images.d["a"]@32-57',
    ]);
  });

  it('looks into index keys, calls, collections, splats and for expressions', () => {
    expect(
      show(
        referencesOf(
          expr('f(a.b[var.i], [x.y[*].z], { (local.k) = t.n[0] }, [for v in var.list : v.id if local.on], { for k, v in m.n : k => v... })'),
        ),
      ),
    ).to.deep.equal(['resource:a.b@3-6', 'var:i@7-12', 'resource:x.y@16-19', 'local:k@30-37', 'resource:t.n[0]@41-47', 'var:list@61-69', 'local:on@80-88', 'resource:m.n@105-108']);
  });

  it('finds references in the traversal a splat applies to each element (index keys, nested splats)', () => {
    expect(show(referencesOf(expr('local_host.x[*].groups[var.i][*].rules[local.j].name')))).to.deep.equal(['resource:local_host.x@1-13', 'var:i@24-29', 'local:j@40-47']);
  });

  it('for-expression variables shadow roots of the same name, only inside the expression', () => {
    expect(show(referencesOf(expr('[for var in local_host.x : var.a]')))).to.deep.equal(['resource:local_host.x@13-25']);
    expect(show(referencesOf(expr('concat([for each in [] : each.key], [each.key])')))).to.deep.equal(['each:key@38-46']);
  });

  it('looks into template directives; a %{ for } variable shadows only inside its body', () => {
    expect(show(referencesOf(expr('"%{ if var.on }${local.a}%{ else }${t.x}%{ endif }%{ for var in local.l }${var.y}%{ endfor }${var.z}"')))).to.deep.equal([
      'var:on@8-14',
      'local:a@18-25',
      'resource:t.x@37-40',
      'local:l@65-72',
      'var:z@95-100',
    ]);
  });

  it('ignores roots without a name', () => {
    expect(referencesOf(expr('[var, local_host, x]'))).to.deep.equal([]);
  });

  it('is not bothered by very deep expressions', () => {
    const deep = '['.repeat(95) + 'var.x' + ']'.repeat(95);
    expect(referencesOf(expr(deep)).map((r) => r.name)).to.deep.equal(['x']);
  });
});

describe('bodyReferences', () => {
  it('covers attributes and nested blocks', () => {
    const dir = tempConfig({
      'main.infra': 'resource "t" "a" {\n  x = var.a\n  inner "l" {\n    y = local.b\n    deeper {\n      z = t.c.id\n    }\n  }\n}\n',
    });
    const config = loadConfig(dir, { cwd: dir }).config!;
    removeTemp(dir);
    expect(bodyReferences(config.resources[0].body).map((r) => `${r.kind}:${r.name}`).sort()).to.deep.equal(['local:b', 'resource:c', 'var:a']);
  });
});
