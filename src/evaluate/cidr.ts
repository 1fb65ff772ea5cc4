/**
 * IP address arithmetic for `cidrhost`, `cidrsubnet` and `cidrsubnets`, as Terraform does it
 * (Go's `net` and `go-cidr`): IPv4 and IPv6, addresses as BigInt, IPv6 printed in the RFC 5952
 * form Go prints (lowercase, longest run of two or more zero groups as `::`).
 */

/** A parsed `ADDRESS/BITS` prefix, its host bits cleared (Go's `net.ParseCIDR`). */
export interface Prefix {
  readonly v6: boolean;
  readonly network: bigint;
  readonly bits: number;
}

const width = (p: { v6: boolean }): number => (p.v6 ? 128 : 32);

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const part of parts) {
    // Go refuses leading zeros (ambiguous octal) and anything but decimal digits.
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    n = (n << 8n) | BigInt(part);
  }
  return n;
}

function parseV6(s: string): bigint | undefined {
  let groups: string[];
  const v4Tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  let tail: bigint | undefined;
  if (v4Tail) {
    tail = parseV4(v4Tail[2]);
    if (tail === undefined) return undefined;
    s = v4Tail[1] + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  if (halves.length === 2) {
    const rest = halves[1] === '' ? [] : halves[1].split(':');
    if (head.length + rest.length > 7) return undefined;
    groups = [...head, ...new Array<string>(8 - head.length - rest.length).fill('0'), ...rest];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail !== undefined) n = (n & ~0xffffffffn) | tail;
  return n;
}

/** Parses `10.0.0.0/8` or `fd00::/56`; a string saying what is wrong otherwise. */
export function parsePrefix(text: string): Prefix | string {
  const slash = text.indexOf('/');
  if (slash < 0) return `"${text}" is not a CIDR prefix (ADDRESS/BITS, like "10.0.0.0/16")`;
  const addr = text.slice(0, slash);
  const bitsText = text.slice(slash + 1);
  const v6 = addr.includes(':');
  const n = v6 ? parseV6(addr) : parseV4(addr);
  if (n === undefined) return `"${addr}" is not an IP address`;
  const w = v6 ? 128 : 32;
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > w) return `"/${bitsText}" is not a prefix length for ${v6 ? 'IPv6 (0 to 128)' : 'IPv4 (0 to 32)'}`;
  const bits = Number(bitsText);
  const hostMask = (1n << BigInt(w - bits)) - 1n;
  return { v6, network: n & ~hostMask, bits };
}

/** The address as Go prints it. */
export function formatAddress(n: bigint, v6: boolean): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The `hostnum`th address of the prefix (negative counts back from its last address). */
export function cidrHost(p: Prefix, hostnum: bigint): string | { error: string } {
  const size = 1n << BigInt(width(p) - p.bits);
  const index = hostnum < 0n ? size + hostnum : hostnum;
  if (index < 0n || index >= size) return { error: `prefix of ${p.bits} bits cannot accommodate a host numbered ${hostnum}` };
  return formatAddress(p.network + index, p.v6);
}

/** The `netnum`th subnet of `newbits` extra bits. */
export function cidrSubnet(p: Prefix, newbits: number, netnum: bigint): Prefix | { error: string } {
  const bits = p.bits + newbits;
  if (bits > width(p)) return { error: `insufficient address space to extend prefix of ${p.bits} by ${newbits}` };
  const count = 1n << BigInt(newbits);
  if (netnum < 0n || netnum >= count) return { error: `prefix extension of ${newbits} does not accommodate a subnet numbered ${netnum}` };
  return { v6: p.v6, network: p.network | (netnum << BigInt(width(p) - bits)), bits };
}

/**
 * Consecutive subnets of the given extra bits, each at the next free address aligned to its
 * size (go-cidr's `NextSubnet`, as Terraform's `cidrsubnets` uses it).
 */
export function cidrSubnets(p: Prefix, newbits: readonly number[]): Prefix[] | { error: string; index: number } {
  const w = width(p);
  const end = p.network + (1n << BigInt(w - p.bits));
  const out: Prefix[] = [];
  let next = p.network;
  for (let i = 0; i < newbits.length; i++) {
    const bits = p.bits + newbits[i];
    if (newbits[i] < 1 || bits > w) return { error: `would extend prefix to ${bits} bits, which is too long for an ${p.v6 ? 'IPv6' : 'IPv4'} address`, index: i };
    const size = 1n << BigInt(w - bits);
    const start = ((next + size - 1n) / size) * size;
    if (start + size > end) return { error: `not enough remaining address space for a subnet with a prefix of ${bits} bits after ${out.length > 0 ? formatPrefix(out[out.length - 1]) : 'the start'}`, index: i };
    out.push({ v6: p.v6, network: start, bits });
    next = start + size;
  }
  return out;
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.network, p.v6)}/${p.bits}`;
}
