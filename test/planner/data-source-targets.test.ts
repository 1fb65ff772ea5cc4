/**
 * `-target` and data sources: only the data sources the targets depend on are read, and those
 * targeted themselves (`-target=data.local_file.image`), as Terraform does.
 */
import { expect } from 'chai';
import { canonicalJson } from '../../src/evaluate/value.js';
import type { DataReadResult } from '../../src/planner/planner.js';
import { appliedState, planFixture, planOf, webConfig } from './fixture.js';

const CONFIG = `
data "local_file" "image" {
  filename = "image.txt"
}

data "local_file" "other" {
  filename = "other.txt"
}

resource "test_instance" "web" {
  name  = "web"
  image = data.local_file.image.content
}

resource "test_instance" "db" {
  name = "db"
}

resource "test_instance" "src" {
  name = "src"
}

data "local_file" "key" {
  filename = test_instance.src.id
}
`;

const read = (filename: string, content: string): [string, DataReadResult] => [
  `data.local_file.${filename.replace('.txt', '')}`,
  { configKey: canonicalJson({ filename }), state: { filename, content } },
];

describe('planner: -target and data sources', () => {
  it('a target that reads no data source reads none', () => {
    const r = planFixture({ config: CONFIG, targets: ['test_instance.db'] });
    expect(r.reads).to.equal(undefined);
    // Instances outside the targets are in the plan as no-op.
    expect(r.plan?.changes.filter((c) => c.actions[0] !== 'no-op').map((c) => `${c.actions.join(',')} ${c.address}`)).to.deep.equal(['create test_instance.db']);
    expect(r.plan?.data).to.equal(undefined);
  });

  it('a target reads the data sources it depends on, and no other', () => {
    const r = planFixture({ config: CONFIG, targets: ['test_instance.web'] });
    expect(r.reads?.map((x) => x.address)).to.deep.equal(['data.local_file.image']);
    const p = planOf({ config: CONFIG, targets: ['test_instance.web'], dataReads: new Map([read('image.txt', 'debian12')]) });
    expect(p.changes.filter((c) => c.actions[0] !== 'no-op').map((c) => [c.address, c.actions, c.after?.image])).to.deep.equal([['test_instance.web', ['create'], 'debian12']]);
    expect(p.data?.map((d) => d.address)).to.deep.equal(['data.local_file.image']);
  });

  it('a data source can be targeted: it is read, and nothing else is planned', () => {
    const r = planFixture({ config: CONFIG, targets: ['data.local_file.other'] });
    expect(r.reads?.map((x) => x.address)).to.deep.equal(['data.local_file.other']);
    const p = planOf({ config: CONFIG, targets: ['data.local_file.other'], dataReads: new Map([read('other.txt', 'x')]) });
    expect(p.changes.filter((c) => c.actions[0] !== 'no-op')).to.deep.equal([]);
    expect(p.data?.map((d) => [d.address, d.values.content])).to.deep.equal([['data.local_file.other', 'x']]);
  });

  it('a targeted data source that depends on a resource plans that resource, and is read during apply', () => {
    const p = planOf({ config: CONFIG, targets: ['data.local_file.key'] });
    expect(p.changes.filter((c) => c.actions[0] !== 'no-op').map((c) => [c.address, c.actions, c.reasons])).to.deep.equal([['test_instance.src', ['create'], [{ code: 'target-depends-on', target: 'data.local_file.key' }]]]);
    expect(p.data?.map((d) => [d.address, d.deferred])).to.deep.equal([['data.local_file.key', 'config-unknown']]);
  });

  it('a targeted blue-green deploy reads the data sources of the whole deploy unit (its check reads one)', () => {
    const config = webConfig(`
data "local_file" "expect" {
  filename = "expect.txt"
}
`).replace('expect = null', 'expect = data.local_file.expect.content');
    const dataReads = new Map([read('expect.txt', 'ok')]);
    const state = appliedState({ config, dataReads });
    const r = planFixture({ config, state, targets: ['test_instance.web'], vars: ['image=debian13'] });
    expect(r.reads?.map((x) => x.address)).to.deep.equal(['data.local_file.expect']);
    const p = planOf({ config, state, targets: ['test_instance.web'], vars: ['image=debian13'], dataReads });
    expect(p.units.map((u) => [u.address, u.checks])).to.deep.equal([['test_instance.web', ['test_check.web']]]);
    expect(p.changes.find((c) => c.address === 'test_check.web')?.after?.expect).to.equal('ok');
  });

  it('a resource outside the targets whose for_each needs a data source not read is left alone, not an error', () => {
    const config = `${CONFIG}
data "local_file" "names" {
  filename = "names.txt"
}

resource "test_instance" "many" {
  for_each = toset(split(",", data.local_file.names.content))
  name     = each.key
}
`;
    const r = planFixture({ config, targets: ['test_instance.db'] });
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.plan?.changes.map((c) => `${c.actions.join(',')} ${c.address}`)).to.deep.equal(['create test_instance.db', 'no-op test_instance.src', 'no-op test_instance.web']);
  });

  it('a target that matches nothing names the data sources among the suggestions', () => {
    const r = planFixture({ config: CONFIG, targets: ['data.local_file.imag'] });
    expect(r.diagnostics.map((d) => `${d.summary}: ${d.detail}`)).to.deep.equal(['No resource matches --target "data.local_file.imag": Did you mean "data.local_file.image"?']);
  });
});
