/**
 * A `dns_check`'s configuration, read and validated once into a `CheckSpec` for plan (to report
 * mistakes early) and for verify (to run it).
 */
import { error, type Diagnostic } from '../../diagnostics.js';
import { containsUnknown, type Json, type Value } from '../../evaluate/value.js';
import { parseDuration } from '../../duration.js';
import { parseServer, type DnsProtocol, type ServerAddress } from './query.js';
import { CHECKABLE_TYPES, normalizeName, normalizeValue, RCODES, type CheckableType } from './records.js';

/** One `expect "NAME" "TYPE" { ... }` block. */
export interface Expectation {
  readonly name: string;
  readonly type: CheckableType;
  /** Values as configured, for messages. */
  readonly values?: readonly string[];
  /** The same values in comparable form, sorted. */
  readonly comparable?: readonly string[];
  readonly rcode?: string;
}

/** A validated check: what to ask, where, over what, and for how long. */
export interface CheckSpec {
  readonly server: ServerAddress;
  readonly zone: string;
  readonly serial?: number;
  readonly expectations: readonly Expectation[];
  readonly protocols: readonly DnsProtocol[];
  readonly timeoutMs: number;
  readonly maxLatencyMs?: number;
}

type Input = Readonly<Record<string, Value | Json>>;

function isStringList(v: unknown): v is readonly string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function readExpectation(raw: unknown, address: string, diagnostics: Diagnostic[]): Expectation | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    diagnostics.push(error(`Invalid expect block in ${address}`, 'Expected an object with name, type and values or rcode.'));
    return undefined;
  }
  const block = raw as Record<string, unknown>;
  const { name, type, values, rcode } = block;
  const where = `expect ${JSON.stringify(name)} ${JSON.stringify(type)} in ${address}`;
  if (typeof name !== 'string' || name.trim() === '') {
    diagnostics.push(error(`Invalid ${where}`, 'The first label is the name to look up, such as "www.example.test".'));
    return undefined;
  }
  const upper = typeof type === 'string' ? type.toUpperCase() : '';
  if (!(CHECKABLE_TYPES as readonly string[]).includes(upper)) {
    diagnostics.push(error(`Unsupported record type in ${where}`, `The second label is one of ${CHECKABLE_TYPES.join(', ')}.`));
    return undefined;
  }
  const recordType = upper as CheckableType;
  const hasValues = values !== undefined && values !== null;
  const hasRcode = rcode !== undefined && rcode !== null;
  if (!hasValues && !hasRcode) {
    diagnostics.push(error(`Nothing to expect in ${where}`, 'Give values = [...] (the records the answer must hold, exactly) or rcode = "NXDOMAIN".'));
    return undefined;
  }
  if (hasValues && !isStringList(values)) {
    diagnostics.push(error(`Invalid values in ${where}`, 'values is a list of strings, such as ["192.0.2.10"].'));
    return undefined;
  }
  let code: string | undefined;
  if (hasRcode) {
    code = typeof rcode === 'string' ? rcode.toUpperCase() : '';
    if (!(RCODES as readonly string[]).includes(code)) {
      diagnostics.push(error(`Invalid rcode in ${where}`, `rcode is one of ${RCODES.join(', ')}.`));
      return undefined;
    }
    if (hasValues && code !== 'NOERROR') {
      diagnostics.push(error(`Conflicting expectations in ${where}`, `An answer with rcode ${code} holds no records; leave values out.`));
      return undefined;
    }
  }
  const given = hasValues ? (values as readonly string[]).map((v) => v.trim()) : undefined;
  return {
    name: normalizeName(name.trim()),
    type: recordType,
    ...(given ? { values: given, comparable: given.map((v) => normalizeValue(recordType, v)).sort() } : {}),
    ...(code ? { rcode: code } : {}),
  };
}

/**
 * Reads a check's configuration. `unknown: true` when some input is not known yet (at plan
 * time): nothing is wrong, there is just nothing to check.
 */
export function readCheckSpec(config: Input, address: string): { readonly spec?: CheckSpec; readonly unknown: boolean; readonly diagnostics: readonly Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  if (Object.values(config).some((v) => v !== undefined && containsUnknown(v as Value))) return { unknown: true, diagnostics };
  const { server, zone, serial, expect, protocols, timeout, max_latency: maxLatency } = config;

  const serverAddress = typeof server === 'string' ? parseServer(server.trim()) : undefined;
  if (!serverAddress) diagnostics.push(error(`Invalid "server" in ${address}`, `Expected "ADDR" or "ADDR:PORT" (port 53 by default), got ${JSON.stringify(server)}.`));

  if (typeof zone !== 'string' || zone.trim() === '') diagnostics.push(error(`Invalid "zone" in ${address}`, 'Expected the zone name, such as "example.test".'));

  if (serial !== undefined && serial !== null && (typeof serial !== 'number' || !Number.isInteger(serial) || serial < 0 || serial > 0xffffffff)) {
    diagnostics.push(error(`Invalid "serial" in ${address}`, `A SOA serial is a whole number from 0 to 4294967295, got ${JSON.stringify(serial)}.`));
  }

  const protocolList = protocols === undefined || protocols === null ? ['udp', 'tcp'] : protocols;
  if (!isStringList(protocolList) || protocolList.length === 0 || protocolList.some((p) => p !== 'udp' && p !== 'tcp')) {
    diagnostics.push(error(`Invalid "protocols" in ${address}`, `Expected a non-empty list of "udp" and "tcp", got ${JSON.stringify(protocols)}.`));
  }

  const timeoutText = timeout === undefined || timeout === null ? '30s' : timeout;
  const timeoutMs = typeof timeoutText === 'string' ? (parseDuration(timeoutText) ?? undefined) : undefined;
  if (timeoutMs === undefined || timeoutMs <= 0) diagnostics.push(error(`Invalid "timeout" in ${address}`, `Expected a duration such as "500ms", "30s" or "2m", got ${JSON.stringify(timeout)}.`));

  let maxLatencyMs: number | undefined;
  if (maxLatency !== undefined && maxLatency !== null) {
    maxLatencyMs = typeof maxLatency === 'string' ? (parseDuration(maxLatency) ?? undefined) : undefined;
    if (maxLatencyMs === undefined || maxLatencyMs <= 0) diagnostics.push(error(`Invalid "max_latency" in ${address}`, `Expected a duration such as "200ms", got ${JSON.stringify(maxLatency)}.`));
  }

  const expectations: Expectation[] = [];
  const blocks = expect === undefined || expect === null ? [] : Array.isArray(expect) ? expect : [expect];
  for (const raw of blocks) {
    const e = readExpectation(raw, address, diagnostics);
    if (e) expectations.push(e);
  }

  if (diagnostics.length > 0 || !serverAddress || timeoutMs === undefined) return { unknown: false, diagnostics };
  return {
    unknown: false,
    diagnostics,
    spec: {
      server: serverAddress,
      zone: normalizeName((zone as string).trim()),
      ...(typeof serial === 'number' ? { serial } : {}),
      expectations,
      protocols: [...new Set(protocolList as DnsProtocol[])],
      timeoutMs,
      ...(maxLatencyMs !== undefined ? { maxLatencyMs } : {}),
    },
  };
}
