/**
 * How DNS answers read as text: one string per record, the same form a configuration writes in
 * `expect ... { values = [...] }` and the load generator counts in `answersSeen`.
 */
import type { Answer, DecodedPacket } from 'dns-packet';

/** A decoded response; dns-packet decodes the rcode but its type declarations leave it out. */
export type DnsResponse = DecodedPacket & { readonly rcode?: string };

/** Record types an `expect` block may name. */
export const CHECKABLE_TYPES = ['A', 'AAAA', 'CAA', 'CNAME', 'DNAME', 'MX', 'NS', 'PTR', 'SOA', 'SRV', 'TXT'] as const;
/** A record type an `expect` block may name. */
export type CheckableType = (typeof CHECKABLE_TYPES)[number];

/** Response codes as dns-packet names them. */
export const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'] as const;

const NAME_TYPES = new Set(['CNAME', 'DNAME', 'NS', 'PTR']);

/** Domain names compare without case and without a trailing dot. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * A configured value in the form `recordText` produces, so the two compare as strings:
 * names lose case and trailing dots, everything else only surrounding space.
 */
export function normalizeValue(type: string, value: string): string {
  const v = value.trim();
  if (NAME_TYPES.has(type)) return normalizeName(v);
  if (type === 'AAAA') return v.toLowerCase();
  if (type === 'MX' || type === 'SRV' || type === 'SOA') {
    return v
      .split(/\s+/)
      .map((part) => (/^\d+$/.test(part) ? part : normalizeName(part)))
      .join(' ');
  }
  return v;
}

function text(chunk: string | Buffer): string {
  return typeof chunk === 'string' ? chunk : chunk.toString('utf8');
}

/** One record's data as text: `192.0.2.10`, `10 mail.example.test`, `v=spf1 -all`. */
export function recordText(answer: Answer): string {
  switch (answer.type) {
    case 'A':
    case 'AAAA':
      return answer.data.toLowerCase();
    case 'CNAME':
    case 'DNAME':
    case 'NS':
    case 'PTR':
      return normalizeName(answer.data);
    case 'MX':
      return `${answer.data.preference ?? 0} ${normalizeName(answer.data.exchange)}`;
    case 'SRV':
      return `${answer.data.priority ?? 0} ${answer.data.weight ?? 0} ${answer.data.port} ${normalizeName(answer.data.target)}`;
    case 'SOA': {
      const d = answer.data;
      return [normalizeName(d.mname), normalizeName(d.rname), d.serial, d.refresh, d.retry, d.expire, d.minimum].join(' ');
    }
    case 'TXT':
      return Array.isArray(answer.data) ? answer.data.map(text).join('') : text(answer.data);
    case 'CAA':
      return `${answer.data.flags ?? 0} ${answer.data.tag} ${answer.data.value}`;
    default:
      return `(${answer.type} record)`;
  }
}

/** The records of `type` in the answer section, as sorted text. */
export function answerValues(response: DnsResponse, type: string): string[] {
  return (response.answers ?? [])
    .filter((a) => a.type === type)
    .map(recordText)
    .sort();
}

/** The SOA serial of the answer section, if it holds an SOA record. */
export function soaSerial(response: DnsResponse): number | undefined {
  for (const a of response.answers ?? []) if (a.type === 'SOA') return a.data.serial;
  return undefined;
}
