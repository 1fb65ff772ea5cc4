/**
 * `nginx_upstream`'s `drained` against a real nginx and BIND: a TCP client that keeps its
 * connection open stays on the old workers, and so on blue, after the switch; the old path is
 * drained once it closes.
 */
import { expect } from 'chai';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { OperationContext } from '../../../src/providers/contract.js';
import { provider } from '../../../src/providers/nginx_upstream/index.js';
import { countOpenSockets, describeOpen, procEndpoint } from '../../../src/providers/nginx_upstream/connections.js';
import { startSwitchRig, type SwitchRig } from '../../support/switch-rig.js';

function context(): OperationContext {
  return { stateDir: '/nonexistent', lineage: 'test', providerConfig: {}, log: () => undefined, signal: new AbortController().signal, env: process.env };
}

/** Sends one SOA query on `socket` and resolves with the answer's serial. */
function ask(socket: net.Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => {
      const answer = dnsPacket.streamDecode(chunk);
      const soa = answer.answers?.find((a) => a.type === 'SOA');
      if (soa?.type === 'SOA' && soa.data.serial !== undefined) resolve(soa.data.serial);
      else reject(new Error('no SOA in the answer'));
    });
    socket.write(dnsPacket.streamEncode({ id: 7, type: 'query', questions: [{ name: 'example.test', type: 'SOA' }] }));
  });
}

describe('nginx_upstream: drained', function () {
  this.timeout(30_000);
  let rig: SwitchRig | undefined;

  before(async () => {
    rig = await startSwitchRig();
  });

  after(async () => {
    await rig?.stop();
  });

  it('is not drained while a client keeps its TCP connection to blue open through the old workers, and is once it closes', async () => {
    const upstream = provider.resourceTypes['nginx_upstream'];
    const { lb, nginx, blue, green } = rig!;
    const config = (servers: string[]) => ({ lb: nginx.lb(lb), servers, listen: 53, name: null });
    const address = 'nginx_upstream.drain';
    const created = await upstream.create({ address, generation: 0, config: config([blue.endpoint]), configDir: '.' }, context());
    expect(created.diagnostics).to.deep.equal([]);
    const client = net.connect({ host: lb, port: 53 });
    await new Promise((r) => client.once('connect', r));
    try {
      expect(await ask(client)).to.equal(1);
      const switched = await upstream.update({ address, generation: 0, prior: created.state!, config: config([green.endpoint]), configDir: '.' }, context());
      expect(switched.diagnostics).to.deep.equal([]);
      // The old worker still carries this client to blue; a new connection reaches green.
      expect(await ask(client)).to.equal(1);
      const request = { address, generation: 0, current: switched.state, previous: created.state! };
      expect(await upstream.drained!(request, context())).to.deep.equal({
        drained: false,
        remaining: `1 TCP connection from local_host ${lb} to ${blue.endpoint}`,
        diagnostics: [],
      });
      client.end();
      let answer = await upstream.drained!(request, context());
      for (let i = 0; i < 50 && !answer.drained; i++) {
        await new Promise((r) => setTimeout(r, 100));
        answer = await upstream.drained!(request, context());
      }
      expect(answer).to.deep.equal({ drained: true, remaining: '', diagnostics: [] });
      await upstream.delete({ address, generation: 0, prior: switched.state }, context());
    } finally {
      client.destroy();
    }
  });

  it('reads remote ends from the kernel tables as /proc/net writes them', () => {
    expect(procEndpoint('127.0.0.1:53')).to.deep.equal({ key: '0100007F:0035', v6: false });
    expect(procEndpoint('[::1]:53')).to.deep.equal({ key: '00000000000000000000000001000000:0035', v6: true });
    expect(procEndpoint('nonsense')).to.equal(null);
    const tables = [
      '# tcp',
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0500407F:D431 0500407F:0035 01 00000000:00000000 00:00000000 00000000     0        0 1',
      '   1: 0500407F:D432 0500407F:0035 06 00000000:00000000 00:00000000 00000000     0        0 2',
      '   2: 0500407F:0035 0500407F:D433 01 00000000:00000000 00:00000000 00000000     0        0 3',
      '# udp',
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      '   9: 0500407F:9C41 0500407F:0035 01 00000000:00000000 00:00000000 00000000     0        0 4 2 0 0',
      '# tcp6',
    ].join('\n');
    // Established to 127.64.0.5:53 (not TIME_WAIT, not the server's own end), and one UDP session.
    expect(countOpenSockets(tables, ['127.64.0.5:53'])).to.deep.equal({ tcp: 1, udp: 1 });
    expect(countOpenSockets(tables, ['127.64.0.6:53'])).to.deep.equal({ tcp: 0, udp: 0 });
    expect(describeOpen({ tcp: 2, udp: 1 })).to.equal('2 TCP connections and 1 UDP session');
    expect(describeOpen({ tcp: 0, udp: 0 })).to.equal('');
  });
});
