/**
 * The Linode data sources (linode_instances, linode_images, linode_regions) against the
 * emulator: `filter { name, values, match_by }` blocks, `order_by`/`order`, `latest`, the
 * X-Filter header sent for exact matches, paging, and errors.
 */
import { expect } from 'chai';
import type { Json } from '../../../src/evaluate/value.js';
import { provider } from '../../../src/providers/linode/index.js';
import { startLinodeEmulator, type LinodeEmulator } from '../../support/linode-emulator.js';
import { fastProviderConfig, recordingContext } from '../../support/linode-harness.js';

const LINEAGE = '0e6a9b1c-2d3e-4f50-8a1b-2c3d4e5f6a7b';

type Filter = { name: string; values: string[]; match_by?: string };
const filters = (...fs: Filter[]): Json => fs.map((f) => ({ name: f.name, values: f.values, match_by: f.match_by ?? 'exact' }));

describe('linode data sources against the emulator', () => {
  let emu: LinodeEmulator;
  beforeEach(async () => {
    emu = await startLinodeEmulator({ provisioningMs: 10, bootingMs: 10, deletingMs: 10 });
  });
  afterEach(async () => {
    await emu.close();
  });
  const ctx = () => recordingContext(fastProviderConfig(emu), LINEAGE).ctx;
  const read = (type: string, config: Record<string, Json>) =>
    provider.dataSources![type].read({ address: `data.${type}.x`, config: { filter: [], order_by: null, order: null, latest: null, ...config }, configDir: '/' }, ctx());

  it('linode_instances: exact filters go to the API as X-Filter, values or-ed, filters and-ed; order_by/order sort', async () => {
    emu.seedInstance({ label: 'web-1', region: 'eu-west', tags: ['web'] });
    emu.seedInstance({ label: 'web-2', region: 'us-east', tags: ['web'] });
    emu.seedInstance({ label: 'db-1', region: 'eu-west', tags: ['db'] });
    emu.clearRequests();
    const r = await read('linode_instances', {
      filter: filters({ name: 'tags', values: ['web'] }, { name: 'region', values: ['eu-west', 'us-east'] }),
      order_by: 'label',
      order: 'desc',
    });
    expect(r.diagnostics).to.deep.equal([]);
    const instances = r.state!.instances as { label: string; region: string; tags: string[]; ipv4: string[]; id: number }[];
    expect(instances.map((i) => `${i.label} ${i.region}`)).to.deep.equal(['web-2 us-east', 'web-1 eu-west']);
    expect(typeof instances[0].id).to.equal('number');
    expect(instances[0].ipv4).to.have.length(1);
    const get = emu.requests.filter((q) => q.apiPath === '/linode/instances');
    expect(get.map((q) => q.filter)).to.deep.equal([
      { '+and': [{ '+or': [{ tags: 'web' }] }, { '+or': [{ region: 'eu-west' }, { region: 'us-east' }] }], '+order_by': 'label', '+order': 'desc' },
    ]);
  });

  it('linode_instances: substring and regex matches are made here, over every page', async () => {
    for (let i = 0; i < 3; i++) emu.seedInstance({ label: `ns-${i}` });
    emu.seedInstance({ label: 'lb-0' });
    const sub = await read('linode_instances', { filter: filters({ name: 'label', values: ['ns-'], match_by: 'substring' }) });
    expect((sub.state!.instances as { label: string }[]).map((i) => i.label)).to.deep.equal(['ns-0', 'ns-1', 'ns-2']);
    const re = await read('linode_instances', { filter: filters({ name: 'label', values: ['^(lb|ns)-0$'], match_by: 'regex' }) });
    expect((re.state!.instances as { label: string }[]).map((i) => i.label)).to.deep.equal(['ns-0', 'lb-0']);
  });

  it('reads every page of 500 (page, pages, results, data)', async () => {
    for (let i = 0; i < 501; i++) emu.seedInstance({ label: `n-${String(i).padStart(3, '0')}` });
    emu.clearRequests();
    const r = await read('linode_instances', { filter: filters({ name: 'label', values: ['n-5'], match_by: 'substring' }) });
    expect((r.state!.instances as { label: string }[]).map((i) => i.label)).to.deep.equal(['n-500']);
    expect(emu.requests.filter((q) => q.apiPath === '/linode/instances').map((q) => q.query.page)).to.deep.equal(['1', '2']);
  });

  it('linode_images: filters by is_public and vendor, latest keeps the newest', async () => {
    const r = await read('linode_images', { filter: filters({ name: 'vendor', values: ['Debian'] }, { name: 'is_public', values: ['true'] }), order_by: 'label' });
    expect(r.diagnostics).to.deep.equal([]);
    expect((r.state!.images as { id: string }[]).map((i) => i.id)).to.deep.equal(['linode/debian11', 'linode/debian12']);
    const sent = emu.requests.filter((q) => q.apiPath === '/images').at(-1)!.filter;
    expect(sent).to.deep.equal({ '+and': [{ '+or': [{ vendor: 'Debian' }] }, { '+or': [{ is_public: true }] }], '+order_by': 'label', '+order': 'asc' });
    const latest = await read('linode_images', { filter: filters({ name: 'label', values: ['Debian'], match_by: 'substring' }), latest: true });
    expect((latest.state!.images as { id: string }[]).length).to.equal(1);
  });

  it('linode_regions: filters on country and capabilities (a list contains the value)', async () => {
    const r = await read('linode_regions', { filter: filters({ name: 'country', values: ['us'] }, { name: 'capabilities', values: ['Vlans'] }) });
    expect(r.diagnostics).to.deep.equal([]);
    const regions = r.state!.regions as { id: string; label: string; country: string; status: string; resolvers: { ipv4: string } }[];
    expect(regions.map((x) => x.id)).to.deep.equal(['us-east', 'us-central', 'us-west']);
    expect(regions[0]).to.deep.include({ label: 'Newark, NJ', country: 'us', status: 'ok' });
    expect(regions[0].resolvers.ipv4).to.equal('192.0.2.53,192.0.2.54');
  });

  it('a field that cannot be filtered, a bad match_by, a bad regex and a bad order are errors naming them', async () => {
    const field = await read('linode_regions', { filter: filters({ name: 'colour', values: ['blue'] }) });
    expect(field.state).to.equal(null);
    expect(field.diagnostics.map((d) => [d.summary, d.detail])).to.deep.equal([
      ['Invalid filter on data.linode_regions.x', '"colour" is not a filterable field of linode_regions; these are: capabilities, country, id, label, site_type, status.'],
    ]);
    const match = await read('linode_images', { filter: filters({ name: 'label', values: ['x'], match_by: 'glob' }) });
    expect(match.diagnostics.map((d) => d.detail)).to.deep.equal(['match_by is "exact", "substring" or "regex", not "glob".']);
    const regex = await read('linode_images', { filter: filters({ name: 'label', values: ['('], match_by: 'regex' }) });
    expect(regex.diagnostics.map((d) => d.detail)).to.deep.equal(['"(" is not a regular expression: Invalid regular expression: /(/: Unterminated group']);
    const order = await read('linode_instances', { order_by: 'label', order: 'up' });
    expect(order.diagnostics.map((d) => d.detail)).to.deep.equal(['order is "asc" or "desc", not "up".']);
  });

  it('an API failure is an error saying what was asked', async () => {
    const r = await provider.dataSources!.linode_instances.read(
      { address: 'data.linode_instances.x', config: { filter: [] }, configDir: '/' },
      recordingContext(fastProviderConfig(emu, { token: 'wrong' }), LINEAGE).ctx,
    );
    expect(r.state).to.equal(null);
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal(['Failed to read data.linode_instances.x']);
  });
});
