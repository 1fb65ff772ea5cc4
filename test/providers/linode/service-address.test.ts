import { expect } from 'chai';
import type { Json } from '../../../src/evaluate/value.js';
import { provider } from '../../../src/providers/linode/index.js';
import { startLinodeEmulator, type LinodeEmulator } from '../../support/linode-emulator.js';
import { fastProviderConfig, recordingContext } from '../../support/linode-harness.js';

const LINEAGE = '6f1d2c3b-4a59-4e8f-9b7a-0c1d2e3f4a5b';
const ADDRESS = 'linode_service_address.lb["ns1"]';
const type = provider.resourceTypes.linode_service_address;

describe('linode_service_address against the emulator (no nginx listener: ports = [])', () => {
  let emu: LinodeEmulator;
  const lb = (id: number): Record<string, Json> => {
    const i = emu.instance(id)!;
    return { id: i.id, region: i.region, ipv4: i.ipv4[0] };
  };
  const config = (id: number): Record<string, Json> => ({ linode: lb(id), ports: [] });
  const ctx = () => recordingContext(fastProviderConfig(emu), LINEAGE);
  let blue: number;
  let green: number;

  beforeEach(async () => {
    emu = await startLinodeEmulator();
    blue = emu.seedInstance({ label: 'lb-ns1-g1', region: 'us-east', ipv4: ['127.80.7.1'] }).id;
    green = emu.seedInstance({ label: 'lb-ns1-g2', region: 'us-east', ipv4: ['127.80.7.2'] }).id;
  });
  afterEach(async () => {
    await emu.close();
  });

  it('allocates an address on the load balancer, moves it to the green one with one assignment (both keep their own), and releases it', async () => {
    const created = await type.create({ address: ADDRESS, generation: 0, config: config(blue), configDir: '/' }, ctx().ctx);
    expect(created.diagnostics).to.deep.equal([]);
    const address = created.state!.address as string;
    expect(created.state).to.deep.equal({ ...config(blue), address, region: 'us-east' });
    expect(emu.instance(blue)!.ipv4).to.deep.equal(['127.80.7.1', address]);

    emu.clearRequests();
    const { ctx: c, logs } = ctx();
    const moved = await type.update({ address: ADDRESS, generation: 0, prior: created.state!, config: config(green), configDir: '/' }, c);
    expect(moved.diagnostics).to.deep.equal([]);
    expect(moved.state).to.deep.equal({ ...config(green), address, region: 'us-east' });
    expect([emu.instance(blue)!.ipv4, emu.instance(green)!.ipv4]).to.deep.equal([['127.80.7.1'], ['127.80.7.2', address]]);
    expect(emu.requests.map((r) => [r.method, r.apiPath, r.body])).to.deep.equal([['POST', '/networking/ips/assign', { region: 'us-east', assignments: [{ address, linode_id: green }] }]]);
    expect(logs).to.deep.equal([`Moved ${address} from Linode ${blue} to Linode ${green}`]);

    const read = await type.read({ address: ADDRESS, generation: 0, prior: moved.state! }, ctx().ctx);
    expect(read).to.deep.equal({ state: moved.state, diagnostics: [] });

    expect((await type.delete({ address: ADDRESS, generation: 0, prior: moved.state! }, ctx().ctx)).diagnostics).to.deep.equal([]);
    expect(emu.instance(green)!.ipv4).to.deep.equal(['127.80.7.2']);
    expect(await type.read({ address: ADDRESS, generation: 0, prior: moved.state! }, ctx().ctx)).to.deep.equal({ state: null, diagnostics: [] });
    // Deleting what is gone is success.
    expect((await type.delete({ address: ADDRESS, generation: 0, prior: moved.state! }, ctx().ctx)).diagnostics).to.deep.equal([]);
  });

  it('refuses to move the address to another region, before calling the API', async () => {
    const far = emu.seedInstance({ label: 'lb-eu', region: 'eu-central', ipv4: ['127.80.7.3'] }).id;
    const created = await type.create({ address: ADDRESS, generation: 0, config: config(blue), configDir: '/' }, ctx().ctx);
    emu.clearRequests();
    const r = await type.update({ address: ADDRESS, generation: 0, prior: created.state!, config: config(far), configDir: '/' }, ctx().ctx);
    expect(r.state).to.deep.equal(created.state);
    expect(r.diagnostics.map((d) => [d.severity, d.summary, d.detail])).to.deep.equal([
      ['error', `${created.state!.address as string} cannot move to Linode ${far} in eu-central`, `A Linode address moves only within its region (us-east). Replace ${ADDRESS} to get an address in eu-central.`],
    ]);
    expect(emu.requests).to.deep.equal([]);
  });

  it("reports the API's refusal of an assignment with Linode's reasons, and keeps the prior state", async () => {
    const created = await type.create({ address: ADDRESS, generation: 0, config: config(blue), configDir: '/' }, ctx().ctx);
    emu.deleteOutside(green);
    const r = await type.update({ address: ADDRESS, generation: 0, prior: created.state!, config: { linode: { id: green, region: 'us-east', ipv4: '127.80.7.2' }, ports: [] }, configDir: '/' }, ctx().ctx);
    expect(r.state).to.deep.equal(created.state);
    expect(r.diagnostics.map((d) => [d.summary, d.detail])).to.deep.equal([
      [`Could not move ${created.state!.address as string} to Linode ${green}`, `The Linode API answered HTTP 400 Bad Request:\n  - assignments[0].linode_id: Linode ${green} not found`],
    ]);
  });

  it('plans the address and region it has for an update: a move never changes them', () => {
    const r = type.plan!({ address: ADDRESS, generation: 0, config: {}, prior: { address: '127.80.9.9', region: 'us-east' }, configDir: '/' });
    expect(r).to.deep.equal({ planned: { address: '127.80.9.9', region: 'us-east' }, diagnostics: [] });
  });
});
