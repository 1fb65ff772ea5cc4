/**
 * The planner's data sources (planner/data-sources.ts), planned directly: it asks for the reads
 * it needs instead of reading, uses a read only for the arguments it was made with, and leaves a
 * read to apply when the arguments are unknown or a dependency has a change pending.
 */
import { expect } from 'chai';
import { canonicalJson } from '../../src/evaluate/value.js';
import type { DataReadResult } from '../../src/planner/planner.js';
import { copy, planFixture, planOf } from './fixture.js';

const CONFIG = `
data "local_file" "image" {
  filename = "image.txt"
}

resource "test_instance" "web" {
  name  = "web"
  image = data.local_file.image.content
}
`;

const read = (config: Record<string, string>, content: string): DataReadResult => ({ configKey: canonicalJson(config), state: { ...config, content } });

describe('planner: data sources', () => {
  it('asks for a read of a data source whose arguments are known, and plans nothing yet', () => {
    const r = planFixture({ config: CONFIG });
    expect(r.plan).to.equal(null);
    expect(r.reads?.map((x) => [x.address, x.type, x.provider, x.config])).to.deep.equal([['data.local_file.image', 'local_file', 'local', { filename: 'image.txt' }]]);
    expect(r.reads?.[0].range.start).to.deep.include({ line: 3, column: 14 });
  });

  it('plans with the read; a read made for other arguments is asked for again', () => {
    const p = planOf({ config: CONFIG, dataReads: new Map([['data.local_file.image', read({ filename: 'image.txt' }, 'debian12')]]) });
    expect(p.changes.map((c) => [c.address, c.actions, c.after?.image])).to.deep.equal([['test_instance.web', ['create'], 'debian12']]);
    expect(p.data).to.deep.equal([
      { address: 'data.local_file.image', type: 'local_file', name: 'image', index: null, provider: 'local', values: { filename: 'image.txt', content: 'debian12' }, dependencies: [] },
    ]);
    const stale = planFixture({ config: CONFIG, dataReads: new Map([['data.local_file.image', read({ filename: 'other.txt' }, 'x')]]) });
    expect(stale.reads?.map((x) => x.address)).to.deep.equal(['data.local_file.image']);
  });

  it('a changed read replaces the resource that uses it', () => {
    const state = [copy({ address: 'test_instance.web', attributes: { name: 'web', image: 'debian12', size: null, id: 'i-1', ipv4: '10.0.0.1' } })];
    const p = planOf({ config: CONFIG, state, dataReads: new Map([['data.local_file.image', read({ filename: 'image.txt' }, 'debian13')]]) });
    expect(p.changes.map((c) => [c.address, c.actions, c.replacePaths])).to.deep.equal([['test_instance.web', ['delete', 'create'], ['image']]]);
  });

  it('a data source reading a resource that is not created yet is read during apply, and so is one reading it', () => {
    const p = planOf({
      config: `
resource "test_instance" "src" {
  name = "src"
}

data "local_file" "first" {
  filename = test_instance.src.id
}

data "local_file" "second" {
  filename = data.local_file.first.content
}
`,
    });
    expect(p.data?.map((d) => [d.address, d.deferred, d.dependencies])).to.deep.equal([
      ['data.local_file.first', 'config-unknown', ['test_instance.src']],
      ['data.local_file.second', 'config-unknown', ['test_instance.src']],
    ]);
  });
});
