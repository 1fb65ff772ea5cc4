import { expect } from 'chai';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { runDnsLoad, startDnsLoad } from '../../src/loadgen/index.js';
import { keepaliveTimeout } from '../../src/loadgen/transports.js';
import { startBind, zone, type BindServer } from '../support/bind.js';
import { addLoopbackAddress, type LoopbackAddress } from '../support/loopback.js';

/**
 * A DNS-over-TCP server of the test's own (dns-packet): answers every query with an SOA, and can
 * be told to close every connection it has (with a query it read left unanswered), or to answer
 * with edns-tcp-keepalive TIMEOUT 0 ("close this connection", RFC 7828).
 */
class ScriptedServer {
  readonly server: net.Server;
  readonly sockets = new Set<net.Socket>();
  /** Queries read on each connection, in the order they were accepted. */
  readonly queriesPerConnection: number[] = [];
  accepted = 0;
  keepaliveZero = false;
  /** Set: the next query read is not answered, and every connection is closed at once. */
  dropNext = false;

  constructor() {
    this.server = net.createServer((socket) => {
      const index = this.accepted++;
      this.queriesPerConnection.push(0);
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          const query = dnsPacket.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
          buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
          this.queriesPerConnection[index]++;
          if (this.dropNext) {
            this.dropNext = false;
            for (const s of this.sockets) s.destroy();
            return;
          }
          const asked = query.additionals?.some((a) => a.type === 'OPT' && a.options.some((o) => o.code === 11));
          const framed = dnsPacket.streamEncode({
              id: query.id,
              type: 'response',
              flags: dnsPacket.AUTHORITATIVE_ANSWER,
              questions: query.questions,
              answers: [{ type: 'SOA', name: 'example.test', data: { mname: 'ns1.example.test', rname: 'h.example.test', serial: 7 } }],
              additionals: asked
                ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [{ code: 11, timeout: 300 }] }]
                : [],
          });
          // dns-packet writes TIMEOUT 0 as an empty option; the option is the message's last 2 bytes.
          if (asked && this.keepaliveZero) framed.writeUInt16BE(0, framed.length - 2);
          socket.write(framed);
        }
      });
    });
  }

  listen(host: string): Promise<string> {
    return new Promise((resolve) => this.server.listen(0, host, () => resolve(`${host}:${(this.server.address() as net.AddressInfo).port}`)));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('loadgen: persistent TCP (RFC 7766)', function () {
  this.timeout(30_000);
  let lo: LoopbackAddress | undefined;
  let ns: BindServer | undefined;

  before(async () => {
    lo = await addLoopbackAddress();
    ns = await startBind({ address: lo.address, zones: [zone('example.test', 3)] });
  });

  after(async () => {
    await ns?.stop();
    await lo?.remove();
  });

  it('keeps its connections to BIND open for the whole run, queries back to back on each', async () => {
    const stats = await runDnsLoad({ targets: [ns!.endpoint], qname: 'example.test', qtype: 'SOA', rate: 1000, durationMs: 2500, protocols: ['tcp-persistent'], persistentConnectionsPerTarget: 3 });
    expect(stats.sent).to.be.greaterThan(2000);
    expect(stats).to.include({ answered: stats.sent, lostFirstTry: 0, failedAfterRetry: 0 });
    expect(stats.answersSeen).to.deep.equal({ '3': stats.sent });
    // Rotating connections (the `tcp` protocol) would have opened one per second and connection.
    expect(stats.persistentConnections).to.deep.equal({ opened: 3, closedByPeer: 0 });
    expect(Object.keys(stats.byProtocol)).to.deep.equal(['tcp-persistent']);
  });

  it('spreads the queries to each of several targets over all of its connections (none idles until a proxy closes it)', async () => {
    const servers = [new ScriptedServer(), new ScriptedServer()];
    const targets = [await servers[0].listen(lo!.address), await servers[1].listen(lo!.address)];
    try {
      const stats = await runDnsLoad({ targets, qname: 'example.test', qtype: 'SOA', rate: 400, durationMs: 1000, protocols: ['tcp-persistent'], persistentConnectionsPerTarget: 4 });
      expect(stats).to.include({ answered: stats.sent, lostFirstTry: 0 });
      for (const s of servers) {
        expect(s.queriesPerConnection).to.have.length(4);
        // 200 queries per target over 4 connections: about 50 each.
        for (const n of s.queriesPerConnection) expect(n).to.be.within(40, 60);
      }
    } finally {
      for (const s of servers) await s.close();
    }
  });

  it('counts the queries outstanding on a connection the server closes as lost on the first try, and answers them on a fresh connection', async () => {
    const server = new ScriptedServer();
    const target = await server.listen(lo!.address);
    try {
      const load = startDnsLoad({ targets: [target], qname: 'example.test', qtype: 'SOA', rate: 400, durationMs: 1500, protocols: ['tcp-persistent'], persistentConnectionsPerTarget: 2 });
      await wait(600);
      expect(server.accepted).to.equal(2);
      server.dropNext = true;
      const stats = await load.finished;
      expect(stats.lostFirstTry).to.be.greaterThan(0);
      expect(stats).to.include({ answered: stats.sent, failedAfterRetry: 0, lostFirstTryClosed: stats.lostFirstTry });
      // Both were closed by the server; one may have been retired first for a retry's fresh one.
      expect(stats.persistentConnections!.closedByPeer).to.be.within(1, 2);
      // Two replacements; a retry that finds the pool full gets a fresh connection of its own.
      expect(stats.persistentConnections!.opened).to.be.within(4, 4 + stats.lostFirstTry);
      expect(server.accepted).to.equal(stats.persistentConnections!.opened);
    } finally {
      await server.close();
    }
  });

  it('fails a query whose retry finds no server either', async () => {
    const server = new ScriptedServer();
    const target = await server.listen(lo!.address);
    await server.close();
    const stats = await runDnsLoad({ targets: [target], qname: 'example.test', qtype: 'SOA', rate: 50, durationMs: 200, protocols: ['tcp-persistent'], timeoutMs: 200 });
    expect(stats.sent).to.be.greaterThan(0);
    expect(stats).to.include({ answered: 0, lostFirstTry: stats.sent, failedAfterRetry: stats.sent });
  });

  it('leaves a connection whose server answers edns-tcp-keepalive TIMEOUT 0 once its answers are in, losing nothing', async () => {
    const server = new ScriptedServer();
    const target = await server.listen(lo!.address);
    try {
      const load = startDnsLoad({ targets: [target], qname: 'example.test', qtype: 'SOA', rate: 400, durationMs: 1500, protocols: ['tcp-persistent'], persistentConnectionsPerTarget: 2 });
      await wait(500);
      server.keepaliveZero = true;
      await wait(300);
      server.keepaliveZero = false;
      const stats = await load.finished;
      expect(stats).to.include({ answered: stats.sent, lostFirstTry: 0, failedAfterRetry: 0 });
      expect(stats.persistentConnections!.closedByPeer).to.equal(0);
      expect(stats.persistentConnections!.opened).to.be.greaterThan(2);
    } finally {
      await server.close();
    }
  });

  it('stays on its connection when told to ignore the keepalive signal', async () => {
    const server = new ScriptedServer();
    server.keepaliveZero = true;
    const target = await server.listen(lo!.address);
    try {
      const stats = await runDnsLoad({ targets: [target], qname: 'example.test', qtype: 'SOA', rate: 200, durationMs: 500, protocols: ['tcp-persistent'], persistentConnectionsPerTarget: 2, honourKeepalive: false });
      expect(stats).to.include({ answered: stats.sent, lostFirstTry: 0 });
      expect(stats.persistentConnections).to.deep.equal({ opened: 2, closedByPeer: 0 });
    } finally {
      await server.close();
    }
  });

  it('reads the edns-tcp-keepalive TIMEOUT of a response', () => {
    const base = { id: 1, type: 'response' as const, questions: [{ type: 'SOA' as const, name: 'example.test' }] };
    const opt = (timeout?: number) => ({ type: 'OPT' as const, name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [{ code: 12 as const, length: 8 }, { code: 11 as const, ...(timeout === undefined ? {} : { timeout }) }] });
    const zero = dnsPacket.encode({ ...base, additionals: [opt(1)] });
    zero.writeUInt16BE(0, zero.length - 2);
    expect(keepaliveTimeout(zero)).to.equal(0);
    expect(keepaliveTimeout(dnsPacket.encode({ ...base, additionals: [opt(300)] }))).to.equal(300);
    expect(keepaliveTimeout(dnsPacket.encode({ ...base, additionals: [opt()] }))).to.equal(undefined);
    expect(keepaliveTimeout(dnsPacket.encode(base))).to.equal(undefined);
    expect(keepaliveTimeout(Buffer.from([0, 1, 0, 0, 0, 1]))).to.equal(undefined);
  });
});
