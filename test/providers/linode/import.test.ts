import { expect } from 'chai';
import { forgetListings, provider } from '../../../src/providers/linode/index.js';
import { startLinodeEmulator, type LinodeEmulator } from '../../support/linode-emulator.js';
import { fastProviderConfig, recordingContext } from '../../support/linode-harness.js';

const LINEAGE = '6f1d2c3b-4a59-4e8f-9b7a-0c1d2e3f4a5b';
const instance = provider.resourceTypes.linode_instance;

describe('linode_instance importById against the emulator', () => {
  let emu: LinodeEmulator;

  beforeEach(async () => {
    emu = await startLinodeEmulator({ provisioningMs: 30, bootingMs: 30, deletingMs: 30 });
    forgetListings();
  });
  afterEach(async () => {
    await emu.close();
  });

  const ctx = () => recordingContext(fastProviderConfig(emu), LINEAGE).ctx;

  it('reads the instance with GETs only; root_pass is named unreadable, blue-green copies keep the label without the generation', async () => {
    const seeded = emu.seedInstance({ label: 'lb1', region: 'eu-west', tags: ['edge'] });
    emu.clearRequests();
    const r = await instance.importById!({ address: 'linode_instance.lb', generation: 1, id: String(seeded.id) }, ctx());
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.unreadable).to.deep.equal(['root_pass']);
    expect(r.state).to.deep.include({ id: seeded.id, label: 'lb1', linode_label: 'lb1', region: 'eu-west', tags: ['edge'], authorized_keys: [], ipv4: seeded.ipv4[0] });
    expect(r.state).not.to.have.property('root_pass');
    expect(emu.requests.map((q) => `${q.method} ${q.apiPath}`)).to.deep.equal([`GET /linode/instances/${seeded.id}`]);
  });

  it('an ID Linode does not have, and one that is not a Linode ID, are errors naming it', async () => {
    const missing = await instance.importById!({ address: 'linode_instance.lb', generation: 0, id: '777' }, ctx());
    expect(missing.state).to.equal(null);
    expect(missing.diagnostics.map((d) => d.summary)).to.deep.equal(['Cannot import linode_instance.lb: no Linode instance with ID 777']);
    emu.clearRequests();
    const bad = await instance.importById!({ address: 'linode_instance.lb', generation: 0, id: '12ab' }, ctx());
    expect(bad.state).to.equal(null);
    expect(bad.diagnostics.map((d) => d.summary)).to.deep.equal(['Cannot import linode_instance.lb: "12ab" is not a Linode ID']);
    expect(emu.requests).to.deep.equal([]);
  });
});
