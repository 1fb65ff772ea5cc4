/**
 * `linode_service_address`: a public IPv4 of its own, allocated on the load balancer with the
 * Networking API and moved between load balancers with `POST /networking/ips/assign`, so DNS
 * and glue records that name it never change. Linode requires every Linode to keep a public IPv4
 * after an assignment: the address is an extra one, so both load balancers keep their own and
 * the move is a single assignment (no swap).
 *
 * A move (an update whose `linode` differs) is: the new load balancer brings the address up on
 * its interface and its nginx listens on it, the address is assigned to it (Linode's network
 * sends it there when the call returns), and the old one's listener and interface address go.
 * Linode configures extra addresses on the guest only at boot (Network Helper), so the provider
 * does it at run time, over the same SSH as the listener.
 */
import { error, hasErrors, warning, type Diagnostic } from '../../diagnostics.js';
import type { Json } from '../../evaluate/value.js';
import type {
  CreateRequest,
  CreateResponse,
  DeleteRequest,
  DeleteResponse,
  OperationContext,
  PlanRequest,
  PlanResponse,
  ReadRequest,
  ReadResponse,
  ResourceType,
  UpdateRequest,
  UpdateResponse,
} from '../contract.js';
import { parseHost, runOnHost, shellQuote, stateKnownHostsFile, type HostRef } from '../hostexec.js';
import { installListener, removeListener } from '../nginx_upstream/listener.js';
import { failureDiagnostic } from './errors.js';
import { linodeServiceAddress as schema } from './schema.js';
import { openSession } from './session.js';
import { stringifyJson } from '../../evaluate/json-text.js';

interface Target {
  readonly id: number;
  readonly region: string;
  readonly ipv4: readonly string[];
  /** How its nginx is reached; null when no listener is wanted (`ports = []`). */
  readonly host: HostRef | null;
  readonly ports: readonly number[];
}

/** The Linode a configuration (or recorded state) names, or what is wrong with it. */
function readTarget(config: Readonly<Record<string, Json>>, address: string): Target | Diagnostic {
  const linode = config.linode;
  const obj = linode !== null && typeof linode === 'object' && !Array.isArray(linode) ? (linode as Record<string, Json>) : null;
  if (!obj || typeof obj.id !== 'number' || typeof obj.region !== 'string') {
    return error(`Invalid "linode" for ${address}`, 'Expected a linode_instance object (with "id" and "region"), such as linode_instance.lb["ns1"].');
  }
  const ports = config.ports ?? [53];
  if (!Array.isArray(ports) || ports.some((p) => typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535)) {
    return error(`Invalid "ports" for ${address}`, `Expected a list of port numbers from 1 to 65535, got ${stringifyJson(ports)}.`);
  }
  const host = parseHost(obj);
  if (typeof host === 'string' && ports.length > 0) return error(`Invalid "linode" for ${address}`, `Its nginx is reached over ssh: ${host}.`);
  const ipv4 = Array.isArray(obj.ipv4) ? obj.ipv4.filter((a): a is string => typeof a === 'string') : typeof obj.ipv4 === 'string' ? [obj.ipv4] : [];
  return { id: obj.id, region: obj.region, ipv4, host: typeof host === 'string' || ports.length === 0 ? null : host, ports: ports as number[] };
}

/**
 * A shell script that brings `address` up (as a /32) on the interface holding the host's own
 * address `own`, unless some interface has it already. Exit 3: no interface holds `own`.
 */
export function addressUpScript(address: string, own: string): string {
  return [
    `a=${shellQuote(address)}; own=${shellQuote(own)}`,
    `ip -o -4 addr show | awk -v a="$a" '{ split($4, x, "/"); if (x[1] == a) found = 1 } END { exit !found }' && exit 0`,
    `dev=$(ip -o -4 addr show | awk -v o="$own" '{ split($4, x, "/"); if (x[1] == o) { print $2; exit } }')`,
    `[ -n "$dev" ] || { echo "no interface holds $own" >&2; exit 3; }`,
    `ip addr add "$a/32" dev "$dev"`,
  ].join('\n');
}

/** A shell script that takes `address` off every interface that has it (with whatever prefix). */
export function addressDownScript(address: string): string {
  return [
    `a=${shellQuote(address)}`,
    `ip -o -4 addr show | awk -v a="$a" '{ split($4, x, "/"); if (x[1] == a) print $2, $4 }' | while read -r dev cidr; do ip addr del "$cidr" dev "$dev" || exit 1; done`,
  ].join('\n');
}

/**
 * Brings the address up on the host's interface, lets nginx bind it before Linode routes it
 * there (`net.ipv4.ip_nonlocal_bind=1`), then installs the listener.
 */
async function listen(t: Target, address: string, resource: string, ctx: OperationContext): Promise<readonly Diagnostic[]> {
  if (t.host === null) return [];
  const opts = { signal: ctx.signal, timeoutMs: 60_000, knownHostsFile: stateKnownHostsFile(ctx) };
  const up = await runOnHost(t.host, ['sh', '-c', addressUpScript(address, t.host.ipv4)], opts);
  if (!up.ok) return [error(`Could not bring ${address} up on ${t.host.ipv4}`, up.problem ?? up.stderr.trim())];
  const sysctl = await runOnHost(t.host, ['sh', '-c', '[ "$(cat /proc/sys/net/ipv4/ip_nonlocal_bind)" = 1 ] || sysctl -qw net.ipv4.ip_nonlocal_bind=1'], opts);
  if (!sysctl.ok) return [error(`Could not let nginx on ${t.host.ipv4} listen on ${address}`, sysctl.problem ?? sysctl.stderr.trim())];
  return installListener({ address, host: t.host, ports: t.ports, resource }, ctx);
}

/** Removes the listener and takes the address off the host's interfaces; problems are warnings (the address has moved on). */
async function letGo(t: Target, address: string, ctx: OperationContext): Promise<Diagnostic[]> {
  if (t.host === null) return [];
  const removed = [...(await removeListener(t.host, address, ctx))];
  const down = await runOnHost(t.host, ['sh', '-c', addressDownScript(address)], { signal: ctx.signal, timeoutMs: 60_000, knownHostsFile: stateKnownHostsFile(ctx) });
  if (!down.ok) removed.push(error(`Could not take ${address} off ${t.host.ipv4}`, down.problem ?? down.stderr.trim()));
  return removed.map((d) => ({ ...d, severity: 'warning' as const }));
}

function state(config: Readonly<Record<string, Json>>, address: string, region: string): Record<string, Json> {
  return { ...config, address, region };
}

async function create(req: CreateRequest, ctx: OperationContext): Promise<CreateResponse> {
  const t = readTarget(req.config, req.address);
  if ('severity' in t) return { state: null, diagnostics: [t] };
  const opened = openSession(ctx);
  if (!opened.ok) return { state: null, diagnostics: opened.diagnostics };
  const { api, log } = opened.session;
  const got = await api.allocatePublicIpv4(t.id, t.ipv4);
  if (!got.ok) return { state: null, diagnostics: [failureDiagnostic(`Could not allocate a service address on Linode ${t.id}`, got)] };
  const ip = got.value;
  log(`Allocated ${ip.address} on Linode ${t.id} (${ip.region})`);
  const made = state(req.config, ip.address, ip.region);
  const listening = await listen(t, ip.address, req.address, ctx);
  // The address exists: returned with the error, it is recorded (tainted) and released again.
  return { state: made, diagnostics: listening };
}

async function read(req: ReadRequest, ctx: OperationContext): Promise<ReadResponse> {
  const address = typeof req.prior.address === 'string' ? req.prior.address : undefined;
  if (address === undefined) return { state: null, diagnostics: [] };
  const opened = openSession(ctx);
  if (!opened.ok) return { state: req.prior, diagnostics: opened.diagnostics };
  const got = await opened.session.api.getIpAddress(address);
  if (!got.ok) return { state: req.prior, diagnostics: [failureDiagnostic(`Could not read service address ${address}`, got)] };
  if (got.value === null) return { state: null, diagnostics: [] };
  const t = readTarget(req.prior, req.address);
  const diagnostics: Diagnostic[] = [];
  if (!('severity' in t) && got.value.linode_id !== t.id) {
    diagnostics.push(
      warning(
        `${address} of ${req.address} is assigned to Linode ${got.value.linode_id}, not ${t.id}`,
        'It was moved outside infra; the next apply that moves it (a deploy of the load balancer) assigns it again.',
      ),
    );
  }
  return { state: { ...req.prior, region: got.value.region }, diagnostics };
}

async function update(req: UpdateRequest, ctx: OperationContext): Promise<UpdateResponse> {
  const address = typeof req.prior.address === 'string' ? req.prior.address : '';
  const region = typeof req.prior.region === 'string' ? req.prior.region : '';
  const next = readTarget(req.config, req.address);
  if ('severity' in next) return { state: req.prior, diagnostics: [next] };
  const before = readTarget(req.prior, req.address);
  if (next.region !== region) {
    return {
      state: req.prior,
      diagnostics: [error(`${address} cannot move to Linode ${next.id} in ${next.region}`, `A Linode address moves only within its region (${region}). Replace ${req.address} to get an address in ${next.region}.`)],
    };
  }
  const opened = openSession(ctx);
  if (!opened.ok) return { state: req.prior, diagnostics: opened.diagnostics };
  const { api, log } = opened.session;
  const listening = await listen(next, address, req.address, ctx);
  if (hasErrors(listening)) return { state: req.prior, diagnostics: listening };
  if ('severity' in before || before.id === next.id) return { state: state(req.config, address, region), diagnostics: listening };
  const moved = await api.assignIps(region, [{ address, linode_id: next.id }]);
  if (!moved.ok) {
    const undo = await letGo(next, address, ctx);
    return { state: req.prior, diagnostics: [failureDiagnostic(`Could not move ${address} to Linode ${next.id}`, moved), ...undo] };
  }
  log(`Moved ${address} from Linode ${before.id} to Linode ${next.id}`);
  const leftovers = await letGo(before, address, ctx);
  return { state: state(req.config, address, region), diagnostics: [...listening, ...leftovers] };
}

async function remove(req: DeleteRequest, ctx: OperationContext): Promise<DeleteResponse> {
  const address = typeof req.prior.address === 'string' ? req.prior.address : undefined;
  if (address === undefined) return { diagnostics: [] };
  const opened = openSession(ctx);
  if (!opened.ok) return { diagnostics: opened.diagnostics };
  const { api, log } = opened.session;
  const got = await api.getIpAddress(address);
  if (!got.ok) return { diagnostics: [failureDiagnostic(`Could not read service address ${address}`, got)] };
  if (got.value === null) return { diagnostics: [] };
  const t = readTarget(req.prior, req.address);
  const diagnostics: Diagnostic[] = [];
  if (!('severity' in t)) diagnostics.push(...(await letGo(t, address, ctx)));
  const released = await api.releaseIp(got.value.linode_id, address);
  if (!released.ok) return { diagnostics: [...diagnostics, failureDiagnostic(`Could not release ${address}`, released)] };
  log(`Released ${address}`);
  return { diagnostics };
}

function plan(req: PlanRequest): PlanResponse {
  // The address is the resource's for life: an update (a move) keeps it.
  const prior = req.prior;
  return { planned: typeof prior?.address === 'string' ? { address: prior.address, ...(typeof prior.region === 'string' ? { region: prior.region } : {}) } : {}, diagnostics: [] };
}

/** The `linode_service_address` resource type. */
export const linodeServiceAddressType: ResourceType = { schema, plan, read, create, update, delete: remove };
