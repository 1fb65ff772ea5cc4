import { expect } from 'chai';
import { startLinodeEmulator, type LinodeEmulator } from '../../support/linode-emulator.js';

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

describe('Linode API emulator: the Networking API of a service address', () => {
  let emu: LinodeEmulator;
  let blue: number;
  let green: number;
  let faraway: number;
  const ip = (id: number): string[] => [...emu.instance(id)!.ipv4];

  const call = async (method: string, path: string, body?: unknown, token: string | null = emu.token): Promise<Reply> => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    const res = await fetch(`${emu.origin}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: await res.json() };
  };

  beforeEach(async () => {
    emu = await startLinodeEmulator();
    blue = emu.seedInstance({ label: 'lb-blue', region: 'us-east', ipv4: ['127.80.9.1'] }).id;
    green = emu.seedInstance({ label: 'lb-green', region: 'us-east', ipv4: ['127.80.9.2'] }).id;
    faraway = emu.seedInstance({ label: 'lb-eu', region: 'eu-central', ipv4: ['127.80.9.3'] }).id;
  });
  afterEach(async () => {
    await emu.close();
  });

  it('allocates one more public IPv4 on a Linode and answers its IPAddress; GET shows it', async () => {
    const r = await call('POST', '/v4/networking/ips', { type: 'ipv4', public: true, linode_id: blue });
    expect(r.status).to.equal(200);
    const address = (r.body as { address: string }).address;
    expect(r.body).to.deep.equal({
      address,
      gateway: address.replace(/\.\d+$/, '.1'),
      subnet_mask: '255.255.255.0',
      prefix: 24,
      type: 'ipv4',
      public: true,
      rdns: `${address.replaceAll('.', '-')}.ip.linodeusercontent.com`,
      linode_id: blue,
      interface_id: null,
      region: 'us-east',
      vpc_nat_1_1: null,
    });
    expect(ip(blue)).to.deep.equal(['127.80.9.1', address]);
    expect(await call('GET', `/v4/networking/ips/${address}`)).to.deep.equal({ status: 200, body: r.body });
    expect(await call('GET', '/v4/networking/ips/203.0.113.77')).to.deep.equal({ status: 404, body: { errors: [{ reason: 'Not found' }] } });
  });

  it('refuses an allocation without type ipv4, public or a known linode_id, every problem at once', async () => {
    const r = await call('POST', '/v4/networking/ips', { type: 'ipv6', linode_id: 99 });
    expect(r).to.deep.equal({
      status: 400,
      body: {
        errors: [
          { field: 'type', reason: 'Only IPv4 address may be allocated through this endpoint.' },
          { field: 'public', reason: 'public is required' },
          { field: 'linode_id', reason: 'Not found' },
        ],
      },
    });
  });

  it('moves an extra address to another Linode of the region and answers {}', async () => {
    const address = ((await call('POST', '/v4/networking/ips', { type: 'ipv4', public: true, linode_id: blue })).body as { address: string }).address;
    const r = await call('POST', '/v4/networking/ips/assign', { region: 'us-east', assignments: [{ address, linode_id: green }] });
    expect(r).to.deep.equal({ status: 200, body: {} });
    expect([ip(blue), ip(green)]).to.deep.equal([['127.80.9.1'], ['127.80.9.2', address]]);
    expect(((await call('GET', `/v4/networking/ips/${address}`)).body as { linode_id: number }).linode_id).to.equal(green);
  });

  it("refuses to move a Linode's only public IPv4, and allows the swap", async () => {
    const lone = await call('POST', '/v4/networking/ips/assign', { region: 'us-east', assignments: [{ address: '127.80.9.1', linode_id: green }] });
    expect(lone).to.deep.equal({ status: 400, body: { errors: [{ reason: `Linode ${blue} must have at least one public IPv4 address after assignment` }] } });
    expect([ip(blue), ip(green)]).to.deep.equal([['127.80.9.1'], ['127.80.9.2']]);
    const swap = await call('POST', '/v4/networking/ips/assign', {
      region: 'us-east',
      assignments: [
        { address: '127.80.9.1', linode_id: green },
        { address: '127.80.9.2', linode_id: blue },
      ],
    });
    expect(swap).to.deep.equal({ status: 200, body: {} });
    expect([ip(blue), ip(green)]).to.deep.equal([['127.80.9.2'], ['127.80.9.1']]);
  });

  it('refuses another region, unknown addresses and Linodes, and an address assigned twice, every problem at once, changing nothing', async () => {
    const r = await call('POST', '/v4/networking/ips/assign', {
      region: 'us-east',
      assignments: [
        { address: '127.80.9.3', linode_id: green },
        { address: '203.0.113.9', linode_id: 4 },
        { address: '127.80.9.2', linode_id: faraway },
        { address: '127.80.9.2', linode_id: blue },
      ],
    });
    expect(r).to.deep.equal({
      status: 400,
      body: {
        errors: [
          { field: 'assignments[0].address', reason: 'Address 127.80.9.3 is in use in region eu-central, not us-east' },
          { field: 'assignments[1].address', reason: 'Address 203.0.113.9 not found' },
          { field: 'assignments[1].linode_id', reason: 'Linode 4 not found' },
          { field: 'assignments[2].linode_id', reason: `Linode ${faraway} is in region eu-central, not us-east` },
          { field: 'assignments[3].address', reason: 'Address 127.80.9.2 is assigned more than once' },
        ],
      },
    });
    expect([ip(blue), ip(green), ip(faraway)]).to.deep.equal([['127.80.9.1'], ['127.80.9.2'], ['127.80.9.3']]);
    expect(await call('POST', '/v4/networking/ips/assign', { region: 'mars-1', assignments: [] })).to.deep.equal({
      status: 400,
      body: { errors: [{ field: 'region', reason: 'Region mars-1 does not exist' }, { field: 'assignments', reason: 'assignments is required' }] },
    });
  });

  it('needs a valid token', async () => {
    const r = await call('POST', '/v4/networking/ips/assign', { region: 'us-east', assignments: [{ address: '127.80.9.2', linode_id: blue }] }, 'wrong');
    expect(r).to.deep.equal({ status: 401, body: { errors: [{ reason: 'Invalid Token' }] } });
  });

  it('releases an extra address, but never a Linode\'s last public IPv4', async () => {
    const address = ((await call('POST', '/v4/networking/ips', { type: 'ipv4', public: true, linode_id: blue })).body as { address: string }).address;
    expect(await call('DELETE', `/v4/linode/instances/${blue}/ips/${address}`)).to.deep.equal({ status: 200, body: {} });
    expect(ip(blue)).to.deep.equal(['127.80.9.1']);
    expect(await call('DELETE', `/v4/linode/instances/${blue}/ips/127.80.9.1`)).to.deep.equal({
      status: 400,
      body: { errors: [{ reason: 'You cannot delete the last public IPv4 address of a Linode' }] },
    });
    expect(await call('DELETE', `/v4/linode/instances/${blue}/ips/${address}`)).to.deep.equal({ status: 404, body: { errors: [{ reason: 'Not found' }] } });
  });
});
