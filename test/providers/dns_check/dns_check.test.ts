import { expect } from 'chai';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Json } from '../../../src/evaluate/value.js';
import type { OperationContext, ResourceType } from '../../../src/providers/contract.js';
import { provider } from '../../../src/providers/dns_check/index.js';
import { startBind, zone, type BindServer } from '../../support/bind.js';
import { addLoopbackAddress, type LoopbackAddress } from '../../support/loopback.js';

const ADDRESS = 'dns_check.ns1';

function context(signal: AbortSignal = new AbortController().signal): OperationContext & { lines: string[] } {
  const lines: string[] = [];
  return { stateDir: '/nonexistent', lineage: 'test', providerConfig: {}, log: (l) => lines.push(l), signal, env: process.env, lines };
}

/** The failure lines of a verify's details, without the closing "(N tries in T)" line. */
function failureLines(details: string): string[] {
  return details.split('\n').filter((l) => !l.startsWith('('));
}

/**
 * A DNS server that answers every question with an SOA record but without the AA flag, as a
 * caching resolver would (or, with `delayMs`, late), or never at all (`silent`).
 */
async function startFakeServer(address: string, port: number, mode: { silent?: boolean; delayMs?: number; authoritative?: boolean }) {
  const answer = (query: Buffer): Buffer => {
    const q = dnsPacket.decode(query);
    return dnsPacket.encode({
      id: q.id,
      type: 'response',
      flags: mode.authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0,
      questions: q.questions,
      answers: [{ type: 'SOA', name: 'example.test', ttl: 60, data: { mname: 'ns1.example.test', rname: 'hostmaster.example.test', serial: 7 } }],
    });
  };
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    if (mode.silent) return;
    setTimeout(() => udp.send(answer(msg), rinfo.port, rinfo.address), mode.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => udp.bind(port, address, resolve));
  const tcp = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      if (mode.silent) return;
      const length = chunk.readUInt16BE(0);
      const reply = answer(chunk.subarray(2, 2 + length));
      const framed = Buffer.alloc(2 + reply.length);
      framed.writeUInt16BE(reply.length, 0);
      reply.copy(framed, 2);
      setTimeout(() => socket.end(framed), mode.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => tcp.listen(port, address, resolve));
  return {
    endpoint: `${address}:${port}`,
    async stop() {
      udp.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}

describe('dns_check', function () {
  this.timeout(20_000);
  const check: ResourceType = provider.resourceTypes['dns_check'];
  let lo: LoopbackAddress | undefined;
  let ns: BindServer | undefined;
  const fakes: { stop(): Promise<void> }[] = [];
  let nonAuthoritative = '';
  let silent = '';
  let slow = '';

  before(async () => {
    lo = await addLoopbackAddress();
    ns = await startBind({ address: lo.address, zones: [zone('example.test', 2024010101, { www: '192.0.2.10' })] });
    const fake = await startFakeServer(lo.address, 5300, {});
    const quiet = await startFakeServer(lo.address, 5301, { silent: true });
    const late = await startFakeServer(lo.address, 5302, { delayMs: 300, authoritative: true });
    fakes.push(fake, quiet, late);
    nonAuthoritative = fake.endpoint;
    silent = quiet.endpoint;
    slow = late.endpoint;
  });

  after(async () => {
    for (const f of fakes) await f.stop().catch(() => undefined);
    await ns?.stop();
    await lo?.remove();
  });

  const verify = (config: Record<string, Json>, ctx = context()) => {
    if (!check.verify) throw new Error('dns_check has no verify');
    return check.verify({ address: ADDRESS, generation: 0, config, configDir: '.' }, ctx);
  };

  it('passes when the server answers authoritatively with the expected records over UDP and TCP', async () => {
    const r = await verify({
      server: ns!.endpoint,
      zone: 'example.test',
      serial: 2024010101,
      expect: [
        { name: 'www.example.test', type: 'A', values: ['192.0.2.10'], rcode: null },
        { name: 'nx.example.test', type: 'A', values: null, rcode: 'NXDOMAIN' },
      ],
      protocols: ['udp', 'tcp'],
      timeout: '5s',
    });
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.details).to.equal(
      `${ns!.endpoint} answered authoritatively over udp and tcp: SOA serial 2024010101; www.example.test A [192.0.2.10]; nx.example.test A NXDOMAIN`,
    );
    expect(r.passed).to.equal(true);
  });

  it('uses port 53 and both protocols when the configuration leaves them out', async () => {
    const r = await verify({ server: lo!.address, zone: 'example.test' });
    expect(r.details).to.equal(`${ns!.endpoint} answered authoritatively over udp and tcp: SOA serial 2024010101`);
  });

  it('says which value was expected and which came back', async () => {
    const r = await verify({
      server: ns!.endpoint,
      zone: 'example.test',
      expect: [{ name: 'www.example.test', type: 'A', values: ['192.0.2.99'] }],
      timeout: '300ms',
    });
    expect(r.passed).to.equal(false);
    expect(failureLines(r.details)).to.deep.equal([
      'www.example.test A over udp: expected [192.0.2.99], got [192.0.2.10]',
      'www.example.test A over tcp: expected [192.0.2.99], got [192.0.2.10]',
    ]);
    expect(r.details.split('\n').at(-1)).to.match(new RegExp(`^\\(${ns!.endpoint.replace(/\./g, '\\.')}: \\d+ tries in [\\d.]+m?s\\)$`));
  });

  it('says which serial was expected and which came back', async () => {
    const r = await verify({ server: ns!.endpoint, zone: 'example.test', serial: 2024010102, protocols: ['udp'], timeout: '300ms' });
    expect(failureLines(r.details)).to.deep.equal(['SOA serial over udp: expected 2024010102, got 2024010101']);
  });

  it('fails when a name expected not to exist does, and when an expected name does not', async () => {
    const r = await verify({
      server: ns!.endpoint,
      zone: 'example.test',
      expect: [
        { name: 'www.example.test', type: 'A', rcode: 'NXDOMAIN' },
        { name: 'nx.example.test', type: 'A', values: ['192.0.2.1'] },
      ],
      protocols: ['tcp'],
      timeout: '300ms',
    });
    expect(failureLines(r.details)).to.deep.equal([
      'www.example.test A over tcp: expected NXDOMAIN, got NOERROR [192.0.2.10]',
      'nx.example.test A over tcp: expected [192.0.2.1], got NXDOMAIN',
    ]);
  });

  it('fails on an answer without the AA flag', async () => {
    const r = await verify({ server: nonAuthoritative, zone: 'example.test', timeout: '300ms' });
    expect(failureLines(r.details)).to.deep.equal([
      'example.test SOA over udp: answer lacks the AA flag',
      'example.test SOA over tcp: answer lacks the AA flag',
    ]);
  });

  it('fails a zone the server is not authoritative for', async () => {
    const r = await verify({ server: ns!.endpoint, zone: 'other.test', protocols: ['udp'], timeout: '300ms' });
    expect(failureLines(r.details)).to.deep.equal(['other.test SOA over udp: answer lacks the AA flag (REFUSED)']);
  });

  it('gives up when no answer comes within the timeout', async () => {
    const r = await verify({ server: silent, zone: 'example.test', protocols: ['udp'], timeout: '500ms' });
    expect(r.passed).to.equal(false);
    expect(failureLines(r.details)).to.deep.equal(['example.test SOA over udp: no answer within 500ms']);
  });

  it('fails an answer slower than max_latency', async () => {
    const r = await verify({ server: slow, zone: 'example.test', protocols: ['udp'], timeout: '1s', max_latency: '100ms' });
    expect(failureLines(r.details)).to.have.length(1);
    expect(failureLines(r.details)[0]).to.match(/^example\.test SOA over udp: answered in \d+ms, above max_latency 100ms$/);
  });

  it('tries again until the server answers', async () => {
    const extra = await addLoopbackAddress();
    let late: BindServer | undefined;
    try {
      const ctx = context();
      const pending = verify({ server: extra.address, zone: 'example.test', serial: 5, protocols: ['tcp'], timeout: '15s' }, ctx);
      await new Promise((r) => setTimeout(r, 300));
      late = await startBind({ address: extra.address, zones: [zone('example.test', 5)] });
      const r = await pending;
      expect(r.details).to.equal(`${extra.address}:53 answered authoritatively over tcp: SOA serial 5`);
      expect(ctx.lines[0]).to.match(new RegExp(`^dns_check\\.ns1: ${extra.address.replace(/\./g, '\\.')}:53: example\\.test SOA over tcp: connect ECONNREFUSED`));
    } finally {
      await late?.stop();
      await extra.remove();
    }
  });

  it('stops early when interrupted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const r = await verify({ server: silent, zone: 'example.test', protocols: ['udp'], timeout: '30s' }, context(controller.signal));
    expect(r.passed).to.equal(false);
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal(['Checking dns_check.ns1 was interrupted']);
  });

  it('create verifies: state on success, an error and no state on failure', async () => {
    const good = { server: ns!.endpoint, zone: 'example.test', serial: 2024010101 };
    const created = await check.create({ address: ADDRESS, generation: 0, config: good, configDir: '.' }, context());
    expect(created).to.deep.equal({ state: good, diagnostics: [] });

    const bad = { server: ns!.endpoint, zone: 'example.test', serial: 1, protocols: ['udp'], timeout: '300ms' };
    const failed = await check.create({ address: ADDRESS, generation: 0, config: bad, configDir: '.' }, context());
    expect(failed.state).to.equal(null);
    expect(failed.diagnostics.map((d) => [d.severity, d.summary])).to.deep.equal([['error', 'dns_check.ns1 failed']]);
    expect(failureLines(failed.diagnostics[0].detail ?? '')).to.deep.equal(['SOA serial over udp: expected 1, got 2024010101']);
  });

  it('update verifies the new configuration and keeps the prior state when it fails', async () => {
    const prior = { server: ns!.endpoint, zone: 'example.test', serial: 2024010101 };
    const next = { ...prior, serial: 2024010102, timeout: '300ms' };
    const r = await check.update({ address: ADDRESS, generation: 0, prior, config: next, configDir: '.' }, context());
    expect(r.state).to.deep.equal(prior);
    expect(r.diagnostics[0].summary).to.equal('dns_check.ns1 failed');
  });

  it('read keeps the prior state and delete does nothing', async () => {
    const prior = { server: '127.0.0.1', zone: 'example.test' };
    expect(await check.read({ address: ADDRESS, generation: 0, prior }, context())).to.deep.equal({ state: prior, diagnostics: [] });
    expect(await check.delete({ address: ADDRESS, generation: 0, prior }, context())).to.deep.equal({ diagnostics: [] });
  });

  it('plan reports configuration mistakes', () => {
    const r = check.plan!({
      address: ADDRESS,
      generation: 0,
      prior: null,
      configDir: '.',
      config: { server: 'ns1:99999', zone: 'example.test', timeout: '30 seconds', expect: [{ name: 'www.example.test', type: 'A', values: null, rcode: null }] },
    });
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal([
      'Invalid "server" in dns_check.ns1',
      'Invalid "timeout" in dns_check.ns1',
      'Nothing to expect in expect "www.example.test" "A" in dns_check.ns1',
    ]);
  });
});
