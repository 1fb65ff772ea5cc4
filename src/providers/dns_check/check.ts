/**
 * Running a check: every probe (the zone's SOA, then each `expect`) over every protocol, again
 * with growing pauses until all pass or the time is up. A probe passes only on an authoritative
 * (AA) answer holding exactly what was expected; a failure says what was expected and what came
 * back, in one line: `www.example.test A over tcp: expected [192.0.2.10], got [192.0.2.99]`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordType } from 'dns-packet';
import type { CheckSpec, Expectation } from './config.js';
import { formatDurationDecimal } from '../../duration.js';
import { formatServer, queryOnce, type DnsProtocol } from './query.js';
import { answerValues, soaSerial, type DnsResponse } from './records.js';

/** Longest wait for one answer; a longer `timeout` means more tries, not longer ones. */
const TRY_TIMEOUT_MS = 2000;
const FIRST_PAUSE_MS = 200;
const LONGEST_PAUSE_MS = 2000;

export interface CheckResult {
  readonly passed: boolean;
  /** Passed: what was confirmed. Failed: one line per failing probe, then how long it tried. */
  readonly details: string;
  readonly aborted: boolean;
}

interface Probe {
  readonly name: string;
  readonly type: RecordType;
  /** Why the answer is not the expected one (without the probe's prefix), or undefined. */
  judge(response: DnsResponse, protocol: DnsProtocol): { readonly failure?: string; readonly label?: string; readonly seen: string };
}

function rcodeOf(response: DnsResponse): string {
  return response.rcode ?? 'NOERROR';
}

function shown(values: readonly string[]): string {
  return `[${values.join(', ')}]`;
}

function soaProbe(spec: CheckSpec): Probe {
  return {
    name: spec.zone,
    type: 'SOA',
    judge(response) {
      const rcode = rcodeOf(response);
      const serial = soaSerial(response);
      if (rcode !== 'NOERROR' || serial === undefined) return { failure: `expected an SOA record, got ${rcode === 'NOERROR' ? 'none' : rcode}`, seen: rcode };
      if (spec.serial !== undefined && serial !== spec.serial) {
        return { label: 'SOA serial', failure: `expected ${spec.serial}, got ${serial}`, seen: `SOA serial ${serial}` };
      }
      return { seen: `SOA serial ${serial}` };
    },
  };
}

function expectationProbe(e: Expectation): Probe {
  return {
    name: e.name,
    type: e.type,
    judge(response) {
      const rcode = rcodeOf(response);
      const got = answerValues(response, e.type);
      const gotText = rcode === 'NOERROR' ? shown(got) : rcode;
      if (e.rcode !== undefined && rcode !== e.rcode) {
        return { failure: `expected ${e.rcode}, got ${rcode}${rcode === 'NOERROR' ? ` ${shown(got)}` : ''}`, seen: gotText };
      }
      if (e.comparable !== undefined) {
        const same = rcode === 'NOERROR' && got.length === e.comparable.length && got.every((v, i) => v === e.comparable?.[i]);
        if (!same) return { failure: `expected ${shown(e.values ?? [])}, got ${gotText}`, seen: gotText };
      }
      return { seen: `${e.name} ${e.type} ${gotText}` };
    },
  };
}

interface AttemptResult {
  readonly failures: readonly string[];
  readonly seen: readonly string[];
  readonly aborted: boolean;
}

async function attempt(spec: CheckSpec, probes: readonly Probe[], signal: AbortSignal): Promise<AttemptResult> {
  const tryTimeout = Math.min(TRY_TIMEOUT_MS, spec.timeoutMs);
  const runs = spec.protocols.flatMap((protocol) => probes.map((probe) => ({ protocol, probe })));
  const outcomes = await Promise.all(
    runs.map(async ({ protocol, probe }) => {
      const prefix = `${probe.name} ${probe.type} over ${protocol}`;
      const outcome = await queryOnce(spec.server, probe.name, probe.type, protocol, tryTimeout, signal);
      switch (outcome.kind) {
        case 'aborted':
          return { aborted: true };
        case 'timeout':
          return { failure: `${prefix}: no answer within ${formatDurationDecimal(tryTimeout)}` };
        case 'error':
          return { failure: `${prefix}: ${outcome.message}` };
        case 'answer': {
          const { response, latencyMs } = outcome;
          if (!response.flag_aa) {
            const rcode = rcodeOf(response);
            return { failure: `${prefix}: answer lacks the AA flag${rcode === 'NOERROR' ? '' : ` (${rcode})`}` };
          }
          if (spec.maxLatencyMs !== undefined && latencyMs > spec.maxLatencyMs) {
            return { failure: `${prefix}: answered in ${formatDurationDecimal(latencyMs)}, above max_latency ${formatDurationDecimal(spec.maxLatencyMs)}` };
          }
          const verdict = probe.judge(response, protocol);
          if (verdict.failure === undefined) return { seen: verdict.seen };
          const label = verdict.label === undefined ? prefix : `${verdict.label} over ${protocol}`;
          return { failure: `${label}: ${verdict.failure}` };
        }
      }
    }),
  );
  return {
    aborted: outcomes.some((o) => 'aborted' in o),
    failures: outcomes.flatMap((o) => ('failure' in o && o.failure !== undefined ? [o.failure] : [])),
    seen: [...new Set(outcomes.flatMap((o) => ('seen' in o && o.seen !== undefined ? [o.seen] : [])))],
  };
}

/**
 * Runs `spec` until every probe passes or `spec.timeoutMs` has gone by (the try under way is
 * finished first). `log` hears about failing attempts that will be retried.
 */
export async function runCheck(spec: CheckSpec, signal: AbortSignal, log: (line: string) => void): Promise<CheckResult> {
  const probes = [soaProbe(spec), ...spec.expectations.map(expectationProbe)];
  const server = formatServer(spec.server);
  const started = performance.now();
  let pause = FIRST_PAUSE_MS;
  let tries = 0;
  let lastLogged = '';
  for (;;) {
    tries++;
    const result = await attempt(spec, probes, signal);
    if (result.aborted || signal.aborted) return { passed: false, aborted: true, details: `interrupted while checking ${server}` };
    if (result.failures.length === 0) {
      return {
        passed: true,
        aborted: false,
        details: `${server} answered authoritatively over ${spec.protocols.join(' and ')}: ${result.seen.join('; ')}`,
      };
    }
    const elapsed = performance.now() - started;
    const wait = Math.min(pause, spec.timeoutMs - elapsed);
    if (wait <= 0) {
      return {
        passed: false,
        aborted: false,
        details: `${result.failures.join('\n')}\n(${server}: ${tries} ${tries === 1 ? 'try' : 'tries'} in ${formatDurationDecimal(Math.round(elapsed))})`,
      };
    }
    const summary = result.failures.join('; ');
    if (summary !== lastLogged) {
      log(`${server}: ${summary}; trying again for up to ${formatDurationDecimal(Math.round(spec.timeoutMs - elapsed))}`);
      lastLogged = summary;
    }
    try {
      await sleep(wait, undefined, { signal });
    } catch {
      return { passed: false, aborted: true, details: `interrupted while checking ${server}` };
    }
    pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
  }
}
