/**
 * Asks a server for a zone's SOA serial over UDP or TCP (dns-packet), retrying until it answers
 * or the attempts run out; tests use it to see what a nameserver really serves.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import dnsPacket from 'dns-packet';

async function queryUdp(server: string, packet: Buffer): Promise<Buffer> {
  const socket = createSocket('udp4');
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timeout')), 1000);
      socket.once('message', (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      socket.once('error', reject);
      socket.send(packet, 53, server);
    });
  } finally {
    socket.close();
  }
}

async function queryTcp(server: string, packet: Buffer): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const socket = connect(53, server);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timeout'));
    }, 1000);
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(packet.length);
      socket.write(Buffer.concat([len, packet]));
    });
    socket.on('data', (d) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (all.length >= 2 && all.length >= 2 + all.readUInt16BE(0)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(all.subarray(2, 2 + all.readUInt16BE(0)));
      }
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** The SOA serial `server`:53 answers for `zone`, or throws after `attempts` failures. */
export async function soaSerial(server: string, zone: string, protocol: 'udp' | 'tcp' = 'udp', attempts = 20): Promise<number> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    const packet = dnsPacket.encode({ type: 'query', id: 1 + i, flags: 0, questions: [{ type: 'SOA', name: zone }] });
    try {
      const reply = dnsPacket.decode(protocol === 'udp' ? await queryUdp(server, packet) : await queryTcp(server, packet));
      const soa = reply.answers?.find((a) => a.type === 'SOA');
      if (soa && soa.type === 'SOA' && soa.data.serial !== undefined) return soa.data.serial;
      last = new Error(`no SOA in the answer (flags ${reply.flags ?? 0})`);
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`${server}:53 (${protocol}) did not answer ${zone} SOA: ${String(last)}`);
}
