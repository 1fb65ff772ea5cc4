/**
 * A DNS load generator for demos, benchmarks and tests of zero-downtime switches: a steady rate
 * of queries over UDP and TCP against load-balancer endpoints, each query retried like a
 * resolver would, with counts of what was lost on the first try and what failed for good.
 *
 * It only ever sends to 127.0.0.0/8 and to 198.51.100.0/24, the documentation range the lab's
 * hosts use inside network namespaces the tests make (test/support/lab): it exists to load this
 * project's own stacks, never anyone else's.
 */
import net from 'node:net';
import dnsPacket, { type RecordType } from 'dns-packet';
import { answerValues, soaSerial, type DnsResponse } from '../providers/dns_check/records.js';
import { allSamples, ProtocolCounter, summarize, type LoadProtocol, type LoadStats, type ProtocolStats } from './stats.js';
import { PersistentTcpTransport, TcpTransport, UdpTransport, type Attempt, type Endpoint, type Transport, type TransportEvents } from './transports.js';

export type { LoadProtocol, LoadStats, ProtocolStats } from './stats.js';

/** What to send, where, how fast and for how long. */
export interface DnsLoadOptions {
  /** `ADDR:PORT` endpoints within 127.0.0.0/8 or 198.51.100.0/24; queries are spread evenly over them. */
  readonly targets: readonly string[];
  readonly qname: string;
  readonly qtype: RecordType;
  /** Queries per second, over all targets and protocols. */
  readonly rate: number;
  /** Hard bound: no query is started after this; the run then settles its last queries. */
  readonly durationMs: number;
  /** Ends the run early, like `stop()`. */
  readonly signal?: AbortSignal;
  /** Protocols used in turn (default `['udp', 'tcp']`): `['udp', 'udp', 'tcp']` is 2:1. */
  readonly protocols?: readonly LoadProtocol[];
  /** How long one try waits for its answer (default 500). */
  readonly timeoutMs?: number;
  /** Tries after the first (default 1). */
  readonly retries?: number;
  /** UDP sockets to send from (default 32). */
  readonly udpSockets?: number;
  /** TCP connections kept open per target (default 4). */
  readonly tcpConnectionsPerTarget?: number;
  /** `tcp-persistent` connections per target (default 4), open for the whole run. */
  readonly persistentConnectionsPerTarget?: number;
  /**
   * `tcp-persistent` queries ask for edns-tcp-keepalive (RFC 7828) and a connection whose server
   * answers TIMEOUT 0 closes once its answers are in, as RFC 7828 clients do (default true).
   * False: the client never leaves a connection by itself.
   */
  readonly honourKeepalive?: boolean;
}

/** A running load; `stop` ends it (idempotent) and resolves when the last query has settled. */
export interface DnsLoad {
  stop(): Promise<LoadStats>;
  /** Settles when the run ends by itself (duration or signal) or after `stop`. */
  readonly finished: Promise<LoadStats>;
}

interface Query {
  readonly protocol: LoadProtocol;
  readonly target: Endpoint;
  readonly startedAt: number;
}

interface QueryAttempt extends Attempt {
  readonly query: Query;
  readonly number: number;
}

/** Thrown for options that cannot describe a run (a bug in the caller, not an outside failure). */
export class LoadOptionsError extends Error {
  override readonly name = 'LoadOptionsError';
}

function parseTarget(text: string): Endpoint {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(text);
  if (!m || !net.isIPv4(m[1])) throw new LoadOptionsError(`load target "${text}" is not ADDR:PORT with an IPv4 address`);
  if (!m[1].startsWith('127.') && !m[1].startsWith('198.51.100.')) {
    throw new LoadOptionsError(`load target "${text}" is outside 127.0.0.0/8 and 198.51.100.0/24; the load generator only loads this machine and its lab`);
  }
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new LoadOptionsError(`load target "${text}" has no valid port`);
  return { host: m[1], port, text };
}

function validate(opts: DnsLoadOptions): void {
  if (opts.targets.length === 0) throw new LoadOptionsError('the load needs at least one target');
  if (!(opts.rate > 0) || !Number.isFinite(opts.rate)) throw new LoadOptionsError(`rate must be a positive number, not ${opts.rate}`);
  if (!(opts.durationMs > 0) || !Number.isFinite(opts.durationMs)) throw new LoadOptionsError(`durationMs must be a positive number, not ${opts.durationMs}`);
  if (opts.protocols !== undefined && opts.protocols.length === 0) throw new LoadOptionsError('protocols must not be empty');
}

/** The key a response is counted under in `answersSeen`. */
function answerKey(response: DnsResponse, qtype: RecordType): string {
  if (response.rcode && response.rcode !== 'NOERROR') return response.rcode;
  if (qtype === 'SOA') {
    const serial = soaSerial(response);
    if (serial !== undefined) return String(serial);
  }
  const values = answerValues(response, qtype);
  return values.length > 0 ? values.join(',') : '(no records)';
}

/**
 * Starts sending at once and returns a handle to stop it. Throws `LoadOptionsError` for options
 * no run can have (a target outside 127.0.0.0/8 and the lab's 198.51.100.0/24, a rate of 0).
 */
export function startDnsLoad(opts: DnsLoadOptions): DnsLoad {
  validate(opts);
  const targets = opts.targets.map(parseTarget);
  const protocols = opts.protocols ?? ['udp', 'tcp'];
  const timeoutMs = opts.timeoutMs ?? 500;
  const retries = opts.retries ?? 1;
  const question = { name: opts.qname, type: opts.qtype, class: 'IN' as const };
  const template = dnsPacket.encode({ id: 0, type: 'query', flags: 0, questions: [question] });
  const honourKeepalive = opts.honourKeepalive ?? true;
  const persistentTemplate = honourKeepalive
    ? dnsPacket.encode({ id: 0, type: 'query', flags: 0, questions: [question], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [{ code: 11 }] }] })
    : template;

  const counters: Record<LoadProtocol, ProtocolCounter> = { udp: new ProtocolCounter(), tcp: new ProtocolCounter(), 'tcp-persistent': new ProtocolCounter() };
  const answersSeen: Record<string, number> = {};
  // Every try has the same timeout, so sending order is deadline order: a FIFO is enough.
  let inFlight: QueryAttempt[] = [];
  let inFlightHead = 0;
  let outstanding = 0;
  let finishedRun = false;

  const events: TransportEvents<QueryAttempt> = {
    answer(attempt, message) {
      if (attempt.done || finishedRun) return;
      attempt.done = true;
      outstanding--;
      const counter = counters[attempt.query.protocol];
      counter.answered++;
      counter.recordLatency(performance.now() - attempt.query.startedAt);
      let key: string;
      try {
        key = answerKey(dnsPacket.decode(message), opts.qtype);
      } catch {
        key = '(undecodable answer)';
      }
      answersSeen[key] = (answersSeen[key] ?? 0) + 1;
    },
    fail(attempt) {
      if (attempt.done || finishedRun) return;
      attempt.done = true;
      attempt.forget();
      tryFailed(attempt, true);
    },
  };

  const transports: Record<LoadProtocol, Transport<QueryAttempt> | undefined> = {
    udp: protocols.includes('udp') ? new UdpTransport(template, events, opts.udpSockets ?? 32) : undefined,
    tcp: protocols.includes('tcp')
      ? new TcpTransport(template, events, {
          connectionsPerTarget: opts.tcpConnectionsPerTarget ?? 4,
          queriesPerConnection: 500,
          connectionLifetimeMs: 1000,
        })
      : undefined,
    'tcp-persistent': protocols.includes('tcp-persistent')
      ? new PersistentTcpTransport(persistentTemplate, events, { connectionsPerTarget: opts.persistentConnectionsPerTarget ?? 4, honourKeepalive })
      : undefined,
  };

  const sendTry = (query: Query, number: number): void => {
    const attempt: QueryAttempt = { query, number, retry: number > 0, deadline: performance.now() + timeoutMs, done: false, forget: () => undefined };
    inFlight.push(attempt);
    transports[query.protocol]?.send(attempt, query.target);
  };

  function tryFailed(attempt: QueryAttempt, closed = false): void {
    const counter = counters[attempt.query.protocol];
    if (attempt.number === 0) counter.lostFirstTry++;
    if (attempt.number === 0 && closed) counter.lostFirstTryClosed++;
    if (attempt.number < retries) {
      sendTry(attempt.query, attempt.number + 1);
    } else {
      counter.failedAfterRetry++;
      outstanding--;
    }
  }

  const sweep = (now: number): void => {
    while (inFlightHead < inFlight.length && inFlight[inFlightHead].deadline <= now) {
      const attempt = inFlight[inFlightHead++];
      if (attempt.done) continue;
      attempt.done = true;
      attempt.forget();
      tryFailed(attempt);
    }
    if (inFlightHead > 4096) {
      inFlight = inFlight.slice(inFlightHead);
      inFlightHead = 0;
    }
  };

  const startedAt = performance.now();
  let issued = 0;
  let sending = true;
  const issue = (now: number): void => {
    const due = Math.min(Math.floor(((now - startedAt) / 1000) * opts.rate), Math.floor((opts.durationMs / 1000) * opts.rate));
    // After a stall (a busy event loop), catch up over several ticks rather than in one burst.
    const limit = Math.max(1, Math.ceil(opts.rate / 50));
    for (let n = 0; issued < due && n < limit; n++) {
      const i = issued++;
      const protocol = protocols[i % protocols.length];
      const target = targets[Math.floor(i / protocols.length) % targets.length];
      counters[protocol].sent++;
      outstanding++;
      sendTry({ protocol, target, startedAt: performance.now() }, 0);
    }
  };

  let resolveFinished: (stats: LoadStats) => void = () => undefined;
  const finished = new Promise<LoadStats>((resolve) => (resolveFinished = resolve));

  const finish = (): void => {
    finishedRun = true;
    clearInterval(timer);
    opts.signal?.removeEventListener('abort', stopSending);
    for (const t of Object.values(transports)) t?.close();
    const persistent = transports['tcp-persistent'] as PersistentTcpTransport<QueryAttempt> | undefined;
    const used = protocols.filter((p, i) => protocols.indexOf(p) === i);
    const byProtocol: Partial<Record<LoadProtocol, ProtocolStats>> = {};
    for (const p of used) byProtocol[p] = counters[p].snapshot();
    const usedCounters = used.map((p) => counters[p]);
    resolveFinished({
      ...summarize(usedCounters, allSamples(usedCounters)),
      byProtocol,
      answersSeen: { ...answersSeen },
      durationMs: Math.round(performance.now() - startedAt),
      ...(persistent ? { persistentConnections: { opened: persistent.opened, closedByPeer: persistent.closedByPeer } } : {}),
    });
  };

  const timer = setInterval(() => {
    const now = performance.now();
    if (sending) issue(now);
    if (sending && now - startedAt >= opts.durationMs) sending = false;
    sweep(now);
    if (!sending && outstanding === 0) finish();
  }, 5);

  function stopSending(): void {
    sending = false;
  }
  if (opts.signal?.aborted) stopSending();
  opts.signal?.addEventListener('abort', stopSending, { once: true });

  return {
    finished,
    stop() {
      stopSending();
      return finished;
    },
  };
}

/** Runs a load for `durationMs` (or until `signal`) and resolves with what it saw. */
export function runDnsLoad(opts: DnsLoadOptions): Promise<LoadStats> {
  return startDnsLoad(opts).finished;
}
