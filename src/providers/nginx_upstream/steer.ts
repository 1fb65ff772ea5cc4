/**
 * Switching without a reload (`switch = "nftables"`, docs/providers/nginx_upstream.md,
 * "Switching with nftables"): nginx proxies to a fixed steer point on the load balancer
 * (`LB:steer_port`), and an nftables rule on the load balancer sends what goes there to the
 * servers. A switch replaces that rule in one nftables transaction; nginx keeps running the
 * same configuration, so no worker exits with a UDP session in flight. A UDP session or TCP
 * connection nginx opened before the switch keeps going to blue (its conntrack entry holds the
 * translation) until it ends; every one opened after it goes to green.
 *
 * UDP conntrack entries of the steer point get a short timeout policy (1 s once answered,
 * nginx's own `proxy_timeout` while unanswered) instead of the kernel's 30 s: nginx opens a new
 * socket per UDP session from a random port, and a new session that happened to reuse the port
 * of an old one would otherwise follow the old entry to blue for up to 30 s after the switch.
 *
 * Pure rendering and parsing here; `SteerSite` below runs them on the load balancer (this
 * machine for a local one, over ssh otherwise), the same commands either way.
 */
import { error, type Diagnostic } from '../../diagnostics.js';
import type { OperationContext } from '../contract.js';
import { runOnHost, shellQuote, stateKnownHostsFile, type HostRef } from '../hostexec.js';
import type { OpenSockets } from './connections.js';

/** What the steering rules are made from. */
export interface SteerSettings {
  /** The load balancer's address: nginx connects to `lbIpv4:port`. */
  readonly lbIpv4: string;
  readonly port: number;
  /** `ADDR:PORT` (IPv4) of each server. */
  readonly servers: readonly string[];
  /** Upstream name; the table is `infra_<name>_<lb address>`. */
  readonly name: string;
}

/** How long an answered UDP session's translation lives (seconds): a reused port finds no stale one after it. */
export const UDP_REPLIED_TIMEOUT_S = 1;
/** How long an unanswered one lives: nginx's UDP `proxy_timeout` (render.ts), after which nginx gives up on it too. */
export const UDP_UNREPLIED_TIMEOUT_S = 2;

/** First and last port of the default steer points (below Linux's ephemeral range). */
const STEER_PORT_BASE = 20000;
const STEER_PORT_SPAN = 10000;

/** The default steer port of upstream `name`: stable, so the nginx file never changes with the servers. */
export function defaultSteerPort(name: string): number {
  // FNV-1a, 32 bits.
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(name, 'utf8')) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return STEER_PORT_BASE + (h % STEER_PORT_SPAN);
}

/**
 * `infra_<name>_<lb address>` with "-" and "." made "_" (nftables names are identifiers). The
 * address is part of it because local load balancers share this machine's kernel: the blue and
 * the green load balancer of a deploy each have the upstream, each with its own table.
 */
export function steerTable(name: string, lbIpv4: string): string {
  return `infra_${name.replace(/-/g, '_')}_${lbIpv4.replace(/\./g, '_')}`;
}

function splitEndpoint(endpoint: string): { readonly addr: string; readonly port: string } {
  const at = endpoint.lastIndexOf(':');
  return { addr: endpoint.slice(0, at), port: endpoint.slice(at + 1) };
}

/**
 * The nftables script: loading it creates the table the first time and replaces both chains'
 * rules every time, in one transaction (a reader sees the old rule or the new one, never none).
 */
export function renderSteering(s: SteerSettings, address: string): string {
  const table = steerTable(s.name, s.lbIpv4);
  const target =
    s.servers.length === 1
      ? `dnat to ${s.servers[0]}`
      : `dnat ip addr . port to numgen inc mod ${s.servers.length} map { ${s.servers
          .map((srv, i) => {
            const e = splitEndpoint(srv);
            return `${i} : ${e.addr} . ${e.port}`;
          })
          .join(', ')} }`;
  return `# ${address}: written by infra; a change made here is overwritten on the next apply.
# nginx sends this upstream's traffic to ${s.lbIpv4}:${s.port}; these rules send it on.
table ip ${table} {
    ct timeout dns_udp {
        protocol udp;
        l3proto ip;
        policy = { unreplied : ${UDP_UNREPLIED_TIMEOUT_S}, replied : ${UDP_REPLIED_TIMEOUT_S} };
    }
    chain steer {
        type nat hook output priority -100; policy accept;
    }
    chain expire {
        type filter hook output priority 0; policy accept;
    }
}
flush chain ip ${table} steer
flush chain ip ${table} expire
table ip ${table} {
    chain steer {
        ip daddr ${s.lbIpv4} meta l4proto { tcp, udp } th dport ${s.port} ${target}
    }
    chain expire {
        meta l4proto udp ct original ip daddr ${s.lbIpv4} ct original proto-dst ${s.port} ct timeout set "dns_udp"
    }
}
`;
}

/** The servers a loaded table sends to, read from `nft list table` (sorted), or null when it has no steer rule. */
export function steeredServers(listing: string): string[] | null {
  const single = /\bdnat (?:ip )?to (\d+\.\d+\.\d+\.\d+:\d+)/.exec(listing);
  if (single) return [single[1]];
  const map = /\bdnat ip (?:addr \. port )?to numgen inc mod \d+ map \{([^}]*)\}/.exec(listing);
  if (!map) return null;
  return map[1]
    .split(',')
    .map((e) => /\d+\s*:\s*(\d+\.\d+\.\d+\.\d+)\s*\.\s*(\d+)/.exec(e))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}:${m[2]}`)
    .sort();
}

/**
 * Counts, in `conntrack -L` output, the flows through the steer point `lbIpv4:port` that were
 * sent to one of `servers` and can still carry a query: TCP being set up or established, UDP
 * unanswered or answered less than its timeout ago.
 */
export function countSteeredFlows(listing: string, lbIpv4: string, port: number, servers: readonly string[]): OpenSockets {
  const wanted = new Set(servers);
  let tcp = 0;
  let udp = 0;
  for (const line of listing.split('\n')) {
    const words = line.trim().split(/\s+/);
    const proto = words[0];
    if (proto !== 'tcp' && proto !== 'udp') continue;
    const fields = (key: string): string[] => words.filter((w) => w.startsWith(`${key}=`)).map((w) => w.slice(key.length + 1));
    // The original direction first, then the reply: src= dst= sport= dport= ... src= dst= sport= dport=.
    const [src, dst, sport, dport] = [fields('src'), fields('dst'), fields('sport'), fields('dport')];
    if (dst[0] !== lbIpv4 || dport[0] !== String(port) || src.length < 2 || sport.length < 2) continue;
    if (!wanted.has(`${src[1]}:${sport[1]}`)) continue;
    const timeout = Number(words[2]);
    if (proto === 'tcp' && ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED'].includes(words[3] ?? '')) tcp++;
    if (proto === 'udp' && (words.includes('[UNREPLIED]') || timeout > 0)) udp++;
  }
  return { tcp, udp };
}

/** The steering of one upstream on one load balancer. */
export class SteerSite {
  readonly table: string;
  readonly file: string;
  readonly description: string;

  constructor(
    private readonly host: HostRef,
    readonly name: string,
  ) {
    this.table = steerTable(name, host.ipv4);
    const dir = host.connection === 'local' && host.dir !== undefined ? `${host.dir}/nginx/steer` : '/etc/infra/steer';
    this.file = `${dir}/${name}.nft`;
    this.description = host.connection === 'local' ? `local_host ${host.ipv4}` : `host ${host.ipv4}`;
  }

  private run(script: string, ctx: OperationContext, input?: string) {
    return runOnHost(this.host, ['sh', '-c', script], {
      signal: ctx.signal,
      timeoutMs: 30_000,
      knownHostsFile: stateKnownHostsFile(ctx),
      ...(input !== undefined ? { input } : {}),
    });
  }

  /**
   * Loads `script` (one transaction; a rejected script changes nothing) and keeps it in the
   * steer directory, from where the load balancer loads it again at boot. Refuses a steer point
   * another upstream's table on the same load balancer already uses.
   */
  async install(script: string, settings: SteerSettings, ctx: OperationContext): Promise<readonly Diagnostic[]> {
    const f = shellQuote(this.file);
    const dir = shellQuote(this.file.slice(0, this.file.lastIndexOf('/')));
    const clash = `nft list ruleset 2>/dev/null | awk -v own=${shellQuote(this.table)} '/^table /{ t=$3 } t != own && t ~ /^infra_/ && /ip daddr ${settings.lbIpv4.replace(/\./g, '\\.')} .* th dport ${settings.port} / { print t; exit }'`;
    const r = await this.run(
      [
        'PATH="$PATH:/usr/sbin:/sbin"',
        `command -v nft >/dev/null 2>&1 || { echo "nft is not installed (Debian package nftables)" >&2; exit 13; }`,
        `other=$(${clash}); [ -z "$other" ] || { echo "table $other already steers ${settings.lbIpv4}:${settings.port}" >&2; exit 15; }`,
        `mkdir -p ${dir} && cat > ${f}.new || exit 1`,
        `if ! nft -f ${f}.new; then rm -f ${f}.new; exit 11; fi`,
        `mv -f ${f}.new ${f}`,
      ].join('\n'),
      ctx,
      script,
    );
    if (r.ok) {
      ctx.log(`nftables on ${this.description}: ${settings.lbIpv4}:${settings.port} now goes to ${settings.servers.join(', ')}`);
      return [];
    }
    const said = r.stderr.trim() || r.problem || 'unknown failure';
    if (r.exitCode === 13) return [error(`nftables is not installed on ${this.description} - provision it with ansible/loadbalancer.yml first`, `${said}.`)];
    if (r.exitCode === 15) return [error(`Steer port ${settings.port} of ${this.name} is taken on ${this.description}`, `${said}; give one of them another steer_port.`)];
    if (r.exitCode === 11) return [error(`nft rejected the steering of ${this.name} on ${this.description}`, `${said}\nThe live rules are unchanged.`)];
    return [error(`Changing the steering of ${this.name} on ${this.description} failed`, said)];
  }

  /** Deletes the table and its file; a table that is gone is success. */
  async remove(ctx: OperationContext): Promise<readonly Diagnostic[]> {
    const t = shellQuote(this.table);
    const r = await this.run(
      ['PATH="$PATH:/usr/sbin:/sbin"', `if command -v nft >/dev/null 2>&1 && nft list table ip ${t} >/dev/null 2>&1; then nft delete table ip ${t} || exit 1; fi`, `rm -f ${shellQuote(this.file)}`].join('\n'),
      ctx,
    );
    return r.ok ? [] : [error(`Removing the steering of ${this.name} from ${this.description} failed`, r.stderr.trim() || r.problem || 'unknown failure')];
  }

  /**
   * The kept script when the live table sends traffic where it says; otherwise a text saying
   * what is live (a table deleted or changed outside shows as a change to undo); null when
   * neither the table nor the file exists.
   */
  async read(ctx: OperationContext): Promise<{ readonly content: string | null; readonly diagnostics: readonly Diagnostic[] }> {
    const r = await this.run(
      ['PATH="$PATH:/usr/sbin:/sbin"', `cat ${shellQuote(this.file)} 2>/dev/null`, 'echo "#### live"', `nft list table ip ${shellQuote(this.table)} 2>/dev/null`, 'true'].join('\n'),
      ctx,
    );
    if (!r.ok) return { content: null, diagnostics: [error(`Cannot read the steering of ${this.name} on ${this.description}`, r.problem ?? 'unknown failure')] };
    const at = r.stdout.lastIndexOf('#### live\n');
    const kept = r.stdout.slice(0, at);
    const live = r.stdout.slice(at + '#### live\n'.length);
    const liveServers = steeredServers(live);
    if (kept === '' && liveServers === null) return { content: null, diagnostics: [] };
    const keptServers = steeredServers(kept.replace(/^#.*$/gm, ''));
    if (kept !== '' && liveServers !== null && keptServers !== null && liveServers.join(',') === keptServers.join(',')) return { content: kept, diagnostics: [] };
    return {
      content: liveServers === null ? `# table ip ${this.table} is not loaded on ${this.description}\n` : `# table ip ${this.table} on ${this.description} sends traffic to ${liveServers.join(', ')}\n`,
      diagnostics: [],
    };
  }

  /** The flows through the steer point that still go to any of `servers` (conntrack), or why they cannot be seen. */
  async flowsTo(lbIpv4: string, port: number, servers: readonly string[], ctx: OperationContext): Promise<{ readonly open?: OpenSockets; readonly problem?: string }> {
    const d = shellQuote(lbIpv4);
    const r = await this.run(
      [
        'PATH="$PATH:/usr/sbin:/sbin"',
        `command -v conntrack >/dev/null 2>&1 || { echo "conntrack is not installed (Debian package conntrack)" >&2; exit 13; }`,
        `conntrack -L -p udp -d ${d} 2>/dev/null && conntrack -L -p tcp -d ${d} 2>/dev/null`,
      ].join('\n'),
      ctx,
    );
    if (!r.ok) return { problem: r.stderr.trim() || r.problem || 'unknown failure' };
    return { open: countSteeredFlows(r.stdout, lbIpv4, port, servers) };
  }
}
