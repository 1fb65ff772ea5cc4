/**
 * From an `nginx_upstream`'s configuration to the stream config file nginx loads. Pure and
 * synchronous: `plan()` renders the same text apply writes, so the plan shows the real change.
 */
import net from 'node:net';
import { error, type Diagnostic } from '../../diagnostics.js';
import { containsUnknown, toJson, type Json, type Value } from '../../evaluate/value.js';
import { parseHost, type HostRef } from '../hostexec.js';
import { stringifyJson } from '../../evaluate/json-text.js';
import { defaultSteerPort, renderSteering } from './steer.js';

/** What the file is made from. */
export interface UpstreamSettings {
  readonly lb: HostRef;
  readonly servers: readonly string[];
  readonly listen: number;
  /** Upstream and file name. */
  readonly name: string;
  /**
   * How a change of `servers` reaches traffic: `reload` writes them into the nginx file and
   * reloads; `nftables` keeps the file fixed (nginx proxies to `lb:steerPort`) and replaces an
   * nftables rule (steer.ts).
   */
  readonly switchBy: 'reload' | 'nftables';
  readonly steerPort: number;
}

/** The ways a switch can be carried out (the `switch` attribute). */
export const SWITCH_KINDS = ['reload', 'nftables'] as const;

/** UDP sessions end after one answer; this bounds a session whose answer never comes. */
export const UDP_PROXY_TIMEOUT = '2s';
/**
 * An idle TCP client connection is closed after this, so a reload's old workers (which keep
 * serving their open connections, to the old servers) are gone soon after a switch.
 */
export const TCP_PROXY_TIMEOUT = '10s';

/** `nginx_upstream.dns["ns1"]` -> `nginx_upstream_dns_ns1`: the default upstream and file name. */
export function defaultUpstreamName(address: string): string {
  const name = address
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  return name === '' ? 'upstream' : name;
}

const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** `ADDR:PORT` with an IPv4 address, or `[V6]:PORT`. */
export function isServerEndpoint(text: string): boolean {
  const v4 = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(text);
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text);
  const m = v4 ?? v6;
  if (!m) return false;
  const port = Number(m[2]);
  return (v4 ? net.isIPv4(m[1]) : net.isIPv6(m[1])) && port >= 1 && port <= 65535;
}

/**
 * Reads the settings from a configuration that may still hold unknowns (at plan time) or is
 * fully known (at apply). `unknown: true` means some input is not known yet: nothing can be
 * rendered, and nothing is wrong.
 */
export function readSettings(
  config: Readonly<Record<string, Value | Json>>,
  address: string,
): { readonly settings?: UpstreamSettings; readonly unknown: boolean; readonly diagnostics: readonly Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const { lb, servers, listen, name } = config;
  const switchAttr = config.switch;
  const steerPortAttr = config.steer_port;
  if ([lb, servers, listen, name, switchAttr, steerPortAttr].some((v) => v !== undefined && containsUnknown(v as Value))) {
    return { unknown: true, diagnostics };
  }

  const host = parseHost(lb === undefined ? undefined : toJson(lb as Value));
  if (typeof host === 'string') diagnostics.push(error(`Invalid "lb" for ${address}`, `The load balancer must be a host: ${host}.`));

  const serverList: string[] = [];
  if (!Array.isArray(servers) || servers.some((s) => typeof s !== 'string')) {
    diagnostics.push(error(`Invalid "servers" for ${address}`, 'Expected a list of "ADDR:PORT" strings.'));
  } else {
    for (const s of servers as string[]) {
      if (isServerEndpoint(s)) serverList.push(s);
      else diagnostics.push(error(`Invalid server "${s}" for ${address}`, 'A server is "ADDR:PORT", such as "127.64.0.5:53".'));
    }
    if (servers.length === 0) diagnostics.push(error(`No servers for ${address}`, 'An upstream needs at least one server to send traffic to.'));
  }

  const port = listen === undefined || listen === null ? 53 : listen;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    diagnostics.push(error(`Invalid "listen" for ${address}`, `Expected a port number from 1 to 65535, got ${stringifyJson(port)}.`));
  }

  let upstream = defaultUpstreamName(address);
  if (name !== undefined && name !== null) {
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      diagnostics.push(error(`Invalid "name" for ${address}`, `Use letters, digits, "_" and "-" (it names a file and an nginx upstream); got ${JSON.stringify(name)}.`));
    } else {
      upstream = name;
    }
  }

  let switchBy: UpstreamSettings['switchBy'] = 'reload';
  if (switchAttr !== undefined && switchAttr !== null) {
    if (typeof switchAttr !== 'string' || !(SWITCH_KINDS as readonly string[]).includes(switchAttr)) {
      diagnostics.push(error(`Invalid "switch" for ${address}`, `Expected "reload" (rewrite the nginx file and reload nginx) or "nftables" (replace an nftables rule; nginx is not reloaded), got ${stringifyJson(switchAttr as Json)}.`));
    } else {
      switchBy = switchAttr as UpstreamSettings['switchBy'];
    }
  }
  let steerPort = defaultSteerPort(upstream);
  if (steerPortAttr !== undefined && steerPortAttr !== null) {
    if (switchBy !== 'nftables') {
      diagnostics.push(error(`"steer_port" needs switch = "nftables" for ${address}`, 'The steer port is where nginx sends traffic for nftables to steer; a reload switch has none.'));
    } else if (typeof steerPortAttr !== 'number' || !Number.isInteger(steerPortAttr) || steerPortAttr < 1 || steerPortAttr > 65535) {
      diagnostics.push(error(`Invalid "steer_port" for ${address}`, `Expected a port number from 1 to 65535, got ${stringifyJson(steerPortAttr as Json)}.`));
    } else {
      steerPort = steerPortAttr;
    }
  }
  if (switchBy === 'nftables') {
    for (const srv of serverList) {
      if (!/^\d+\.\d+\.\d+\.\d+:\d+$/.test(srv)) diagnostics.push(error(`Server "${srv}" of ${address} is not IPv4`, 'switch = "nftables" steers IPv4 traffic (the load balancer\'s ipv4) to IPv4 servers.'));
    }
  }

  if (diagnostics.length > 0 || typeof host === 'string') return { unknown: false, diagnostics };
  return { settings: { lb: host, servers: serverList, listen: port as number, name: upstream, switchBy, steerPort }, unknown: false, diagnostics };
}

/** The stream config file for one upstream: the upstream, a UDP listener and a TCP listener. */
export function renderStreamConfig(s: UpstreamSettings, address: string): string {
  const listen = `${s.lb.ipv4}:${s.listen}`;
  const servers =
    s.switchBy === 'nftables'
      ? `    # switch = "nftables": nftables sends what reaches this address to the servers (${s.name}.nft).\n    server ${s.lb.ipv4}:${s.steerPort};`
      : s.servers.map((server) => `    server ${server};`).join('\n');
  return `# ${address}: written by infra; a change made here is overwritten on the next apply.
upstream ${s.name} {
${servers}
}

# DNS over UDP: a session ends with its one answer.
server {
    listen ${listen} udp;
    proxy_pass ${s.name};
    proxy_responses 1;
    proxy_timeout ${UDP_PROXY_TIMEOUT};
}

# DNS over TCP.
server {
    listen ${listen};
    proxy_pass ${s.name};
    proxy_timeout ${TCP_PROXY_TIMEOUT};
}
`;
}

/** The nftables rules of an upstream with switch = "nftables"; null for a reload switch. */
export function renderSteeringOf(s: UpstreamSettings, address: string): string | null {
  if (s.switchBy !== 'nftables') return null;
  return renderSteering({ lbIpv4: s.lb.ipv4, port: s.steerPort, servers: s.servers, name: s.name }, address);
}
