/**
 * What still goes from a load balancer to a set of servers, read from the kernel's socket tables
 * (/proc/net/tcp, udp, tcp6, udp6: the same on this machine and on a remote Debian host, with
 * nothing to install): sockets whose remote end is one of the servers, and that can still carry
 * a query - TCP connections being set up or established, and connected UDP sockets (nginx
 * connects one per UDP session to its upstream). This is how a switch's old path is known to
 * be drained.
 */
import net from 'node:net';

/** Open sockets to the servers, by transport. */
export interface OpenSockets {
  readonly tcp: number;
  readonly udp: number;
}

/** TCP states that can still carry a query: SYN_SENT, SYN_RECV, ESTABLISHED. UDP 01: connected. */
const TCP_LIVE = new Set(['01', '02', '03']);
const UDP_LIVE = new Set(['01']);

/** The command that prints the tables, each after a `# NAME` line (files that are missing are skipped). */
export const SOCKET_TABLES_SCRIPT = 'for f in tcp udp tcp6 udp6; do echo "# $f"; cat /proc/net/$f 2>/dev/null; done; true';

/** `ADDR:PORT` (`[V6]:PORT` for IPv6) as /proc/net writes a remote end: hex words in the host's (little-endian) byte order. */
export function procEndpoint(endpoint: string): { readonly key: string; readonly v6: boolean } | null {
  const v4 = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(endpoint);
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(endpoint);
  const m = v4 ?? v6;
  if (!m) return null;
  const port = Number(m[2]).toString(16).toUpperCase().padStart(4, '0');
  if (v4 && net.isIPv4(m[1])) {
    const bytes = m[1].split('.').map(Number);
    return { key: `${bytes.reverse().map(hex2).join('')}:${port}`, v6: false };
  }
  if (v6 && net.isIPv6(m[1])) {
    const bytes = ipv6Bytes(m[1]);
    let words = '';
    for (let i = 0; i < 16; i += 4) words += bytes.slice(i, i + 4).reverse().map(hex2).join('');
    return { key: `${words}:${port}`, v6: true };
  }
  return null;
}

function hex2(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

function ipv6Bytes(text: string): number[] {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const part = (s: string | undefined): number[] => (s ? s.split(':').flatMap((g) => (g.includes('.') ? g.split('.').map(Number) : [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff])) : []);
  const a = part(head);
  const b = tail === undefined ? [] : part(tail);
  return [...a, ...new Array(16 - a.length - b.length).fill(0), ...b];
}

/** Counts, in the tables `SOCKET_TABLES_SCRIPT` printed, the live sockets whose remote end is one of `servers`. */
export function countOpenSockets(tables: string, servers: readonly string[]): OpenSockets {
  const wanted = new Map<string, boolean>();
  for (const s of servers) {
    const e = procEndpoint(s);
    if (e) wanted.set(e.key, e.v6);
  }
  let table = '';
  let tcp = 0;
  let udp = 0;
  for (const line of tables.split('\n')) {
    const header = /^# (tcp6?|udp6?)$/.exec(line.trim());
    if (header) {
      table = header[1];
      continue;
    }
    const fields = line.trim().split(/\s+/);
    // "sl local_address rem_address st ...": the header line of each table has no ':' in field 1.
    if (fields.length < 4 || !/^\d+:$/.test(fields[0]) || !wanted.has(fields[2])) continue;
    if (table.startsWith('tcp') && TCP_LIVE.has(fields[3])) tcp++;
    else if (table.startsWith('udp') && UDP_LIVE.has(fields[3])) udp++;
  }
  return { tcp, udp };
}

/** "2 TCP connections and 1 UDP session", or '' for none. */
export function describeOpen(open: OpenSockets): string {
  const parts = [
    ...(open.tcp > 0 ? [`${open.tcp} TCP connection${open.tcp === 1 ? '' : 's'}`] : []),
    ...(open.udp > 0 ? [`${open.udp} UDP session${open.udp === 1 ? '' : 's'}`] : []),
  ];
  return parts.join(' and ');
}
