/**
 * Counting what a load run saw: per protocol and in total, with latency percentiles over the
 * queries that were answered (from the first try's send to the answer that settled the query).
 */

/**
 * The transports a load mixes: UDP; TCP over pooled connections retired after a second (as a
 * stub resolver that closes idle TCP); TCP over connections kept open for the whole run, queries
 * back to back on them (as a resolver keeps them, RFC 7766).
 */
export type LoadProtocol = 'udp' | 'tcp' | 'tcp-persistent';

/** Counts for one protocol, or for all of them. */
export interface ProtocolStats {
  /** Queries started (a retry is part of its query, not a new one). */
  readonly sent: number;
  /** Queries answered, on the first try or a retry. */
  readonly answered: number;
  /** Queries with no answer after every retry. */
  readonly failedAfterRetry: number;
  /** Queries whose first try got no answer in time (answered by a retry or not at all). */
  readonly lostFirstTry: number;
  /** Of those, the first tries whose connection closed (or whose send failed) before an answer; the others timed out. */
  readonly lostFirstTryClosed: number;
  /** Latency percentiles over answered queries, in milliseconds; 0 when none were answered. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** The outcome of a load run. */
export interface LoadStats extends ProtocolStats {
  readonly byProtocol: Readonly<Partial<Record<LoadProtocol, ProtocolStats>>>;
  /**
   * How often each answer was seen: the answer's records as text (`192.0.2.10`; for SOA the
   * serial, `2024010102`), or the rcode when it was not NOERROR (`NXDOMAIN`).
   */
  readonly answersSeen: Readonly<Record<string, number>>;
  /** Wall time from the first query to the last settled one. */
  readonly durationMs: number;
  /** With `tcp-persistent`: connections opened over the run, and how many the other side closed. */
  readonly persistentConnections?: { readonly opened: number; readonly closedByPeer: number };
}

/** Mutable counters for one protocol; `snapshot` computes the percentiles. */
export class ProtocolCounter {
  sent = 0;
  answered = 0;
  failedAfterRetry = 0;
  lostFirstTry = 0;
  lostFirstTryClosed = 0;
  private latencies = new Float64Array(4096);
  private count = 0;

  recordLatency(ms: number): void {
    if (this.count === this.latencies.length) {
      const bigger = new Float64Array(this.latencies.length * 2);
      bigger.set(this.latencies);
      this.latencies = bigger;
    }
    this.latencies[this.count++] = ms;
  }

  latencySamples(): Float64Array {
    return this.latencies.subarray(0, this.count);
  }

  snapshot(): ProtocolStats {
    return summarize([this], this.latencySamples());
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[rank] * 1000) / 1000;
}

/** Adds counters up and takes percentiles over `samples`. */
export function summarize(counters: readonly ProtocolCounter[], samples: Float64Array): ProtocolStats {
  const sorted = Float64Array.from(samples).sort();
  return {
    sent: counters.reduce((n, c) => n + c.sent, 0),
    answered: counters.reduce((n, c) => n + c.answered, 0),
    failedAfterRetry: counters.reduce((n, c) => n + c.failedAfterRetry, 0),
    lostFirstTry: counters.reduce((n, c) => n + c.lostFirstTry, 0),
    lostFirstTryClosed: counters.reduce((n, c) => n + c.lostFirstTryClosed, 0),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}

/** Joins the latency samples of several counters. */
export function allSamples(counters: readonly ProtocolCounter[]): Float64Array {
  const total = counters.reduce((n, c) => n + c.latencySamples().length, 0);
  const out = new Float64Array(total);
  let at = 0;
  for (const c of counters) {
    out.set(c.latencySamples(), at);
    at += c.latencySamples().length;
  }
  return out;
}
