/**
 * `ansible_playbook`'s `retire` with real ansible and BIND: nameserver.yml run again with
 * infra_retiring=true makes named answer TCP clients with edns-tcp-keepalive TIMEOUT 0 (RFC 7828)
 * while it keeps serving; a playbook that never mentions infra_retiring is not run.
 */
import net from 'node:net';
import { expect } from 'chai';
import dnsPacket from 'dns-packet';
import type { Json } from '../../../src/evaluate/value.js';
import { ansiblePlaybook } from '../../../src/providers/ansible/playbook.js';
import { localHost } from '../../../src/providers/local/host.js';
import { keepaliveTimeout } from '../../../src/loadgen/transports.js';
import { requireCommands, requireRoot } from '../../support/root.js';
import { testContext, type TestContext } from '../local/context.js';

const CONFIG_DIR = new URL('../../../', import.meta.url).pathname.replace(/\/$/, '');

/** One SOA query over TCP asking for edns-tcp-keepalive; the serial and the TIMEOUT of the answer. */
function askWithKeepalive(ipv4: string): Promise<{ serial: number | undefined; timeout: number | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: ipv4, port: 53 });
    let buffered = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
      const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
      const soa = dnsPacket.decode(message).answers?.find((a) => a.type === 'SOA');
      socket.destroy();
      resolve({ serial: soa?.type === 'SOA' ? soa.data.serial : undefined, timeout: keepaliveTimeout(message) });
    });
    socket.write(
      dnsPacket.streamEncode({
        id: 9,
        type: 'query',
        questions: [{ name: 'example.test', type: 'SOA' }],
        additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [{ code: 11 as const }] }],
      }),
    );
  });
}

describe('ansible_playbook: retire', function () {
  this.timeout(90_000);
  let ctx: TestContext;
  let ns: Record<string, Json>;

  before(async function () {
    requireRoot('ansible_playbook tests');
    requireCommands('ansible-playbook', 'named', 'named-checkzone');
    ctx = await testContext('retire');
    const r = await localHost.create({ address: 'local_host.ns', generation: 1, config: {}, configDir: CONFIG_DIR }, ctx);
    expect(r.diagnostics).to.deep.equal([]);
    ns = r.state as Record<string, Json>;
  });

  after(async () => {
    await ctx?.dispose();
  });

  it('makes the retiring named ask every TCP client to leave, and it still answers', async () => {
    const config = { playbook: 'ansible/nameserver.yml', host: ns, vars: { zone: 'example.test', serial: 4, records: [] } };
    const created = await ansiblePlaybook.create({ address: 'ansible_playbook.ns', generation: 1, config, configDir: CONFIG_DIR }, ctx);
    expect(created.diagnostics).to.deep.equal([]);
    // BIND's default: 30 s.
    expect(await askWithKeepalive(ns.ipv4 as string)).to.deep.equal({ serial: 4, timeout: 300 });
    ctx.lines.length = 0;
    const retired = await ansiblePlaybook.retire!({ address: 'ansible_playbook.ns', generation: 1, prior: created.state!, configDir: CONFIG_DIR }, ctx);
    expect(retired.diagnostics).to.deep.equal([]);
    expect(ctx.lines[0]).to.equal(`Running ansible/nameserver.yml against ${ns.ipv4} with infra_retiring=true`);
    expect(await askWithKeepalive(ns.ipv4 as string)).to.deep.equal({ serial: 4, timeout: 0 });
  });

  it('does not run a playbook that never mentions infra_retiring, nor one whose variables state keeps only as a hash', async () => {
    ctx.lines.length = 0;
    const lb = { playbook: 'ansible/loadbalancer.yml', host: ns, vars: {}, checksum: 'x' };
    expect(await ansiblePlaybook.retire!({ address: 'ansible_playbook.lb', generation: 0, prior: lb, configDir: CONFIG_DIR }, ctx)).to.deep.equal({ diagnostics: [] });
    expect(ctx.lines).to.deep.equal([]);
    const secret = { playbook: 'ansible/nameserver.yml', host: ns, vars: { zone: 'example.test', key: 'sensitive:sha256:abcd' }, checksum: 'x' };
    expect(await ansiblePlaybook.retire!({ address: 'ansible_playbook.ns', generation: 1, prior: secret, configDir: CONFIG_DIR }, ctx)).to.deep.equal({ diagnostics: [] });
    expect(ctx.lines).to.deep.equal(['Not retiring ansible_playbook.ns: its variables hold a secret the state keeps only as a hash']);
  });
});
