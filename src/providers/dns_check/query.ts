/**
 * One DNS question, one answer: a fresh UDP socket or TCP connection per query, so a check
 * never reads an answer meant for someone else. Outside failures (timeout, refused connection,
 * garbage) come back as values, never as exceptions.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import dnsPacket, { type RecordType } from 'dns-packet';
import type { DnsResponse } from './records.js';

/** The transports a question can be asked over. */
export type DnsProtocol = 'udp' | 'tcp';

/** Where a server listens. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

/** `ADDR`, `ADDR:PORT` or `[V6ADDR]:PORT`; port 53 when absent. Undefined when malformed. */
export function parseServer(text: string): ServerAddress | undefined {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return withPort(bracketed[1], bracketed[2]);
  if (net.isIPv6(text)) return { host: text, port: 53 };
  const plain = /^([^:\s]+)(?::(\d+))?$/.exec(text);
  if (!plain) return undefined;
  return withPort(plain[1], plain[2]);
}

function withPort(host: string, port: string | undefined): ServerAddress | undefined {
  const p = port === undefined ? 53 : Number(port);
  if (!Number.isInteger(p) || p < 1 || p > 65535) return undefined;
  return { host, port: p };
}

/** `127.0.0.1:53`, `[::1]:53`. */
export function formatServer(s: ServerAddress): string {
  return net.isIPv6(s.host) ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

/** What became of one question: an answer (with its latency), or why there is none. */
export type QueryOutcome =
  | { readonly kind: 'answer'; readonly response: DnsResponse; readonly latencyMs: number }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'aborted' };

/** Asks `server` one question over `protocol`, waiting at most `timeoutMs`. Never rejects. */
export function queryOnce(
  server: ServerAddress,
  name: string,
  type: RecordType,
  protocol: DnsProtocol,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<QueryOutcome> {
  const id = randomInt(0, 65536);
  const question = { id, type: 'query' as const, flags: 0, questions: [{ type, name, class: 'IN' as const }] };
  return new Promise<QueryOutcome>((resolve) => {
    if (signal?.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    const started = performance.now();
    let cleanup = (): void => undefined;
    let settled = false;
    const settle = (outcome: QueryOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      cleanup();
      resolve(outcome);
    };
    const onAbort = (): void => settle({ kind: 'aborted' });
    const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    const accept = (message: Buffer): boolean => {
      let response: DnsResponse;
      try {
        response = dnsPacket.decode(message);
      } catch {
        return false;
      }
      // A stray datagram (or a late answer to someone else) must not pass for ours.
      if (response.id !== id || response.type !== 'response') return false;
      settle({ kind: 'answer', response, latencyMs: performance.now() - started });
      return true;
    };

    if (protocol === 'udp') {
      const socket = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
      cleanup = () => socket.close();
      socket.on('error', (err) => settle({ kind: 'error', message: err.message }));
      socket.on('message', (msg, rinfo) => {
        if (rinfo.port === server.port) accept(msg);
      });
      socket.send(dnsPacket.encode(question), server.port, server.host);
      return;
    }

    const socket = net.connect({ host: server.host, port: server.port });
    cleanup = () => socket.destroy();
    let buffered = Buffer.alloc(0);
    socket.on('error', (err) => settle({ kind: 'error', message: err.message }));
    socket.on('close', () => settle({ kind: 'error', message: 'connection closed before an answer' }));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) return;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        if (accept(message)) return;
      }
    });
    socket.write(dnsPacket.streamEncode(question));
  });
}
