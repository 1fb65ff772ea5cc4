/**
 * `local_service_address`: an address on the loopback interface that stays the same while the
 * load balancer behind it is replaced. It is claimed in the machine-wide registry (claims.ts)
 * like a host's own address, with a directory of its own beside the hosts' (holding only its
 * record), and answered by a listener on the load balancer's nginx (nginx_upstream/listener.ts).
 *
 * Moving it (an update whose `host` differs: the switch of the load balancer's deploy) installs
 * the listener on the new load balancer first and only then removes it from the old one; both
 * listen with `reuseport`, so for the moment in between the kernel spreads new queries over
 * both, and the address never has no listener.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { error, hasErrors, warning, type Diagnostic } from '../../diagnostics.js';
import type { Json, Value } from '../../evaluate/value.js';
import { containsUnknown, toJson } from '../../evaluate/value.js';
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
import { parseHost, type HostRef } from '../hostexec.js';
import { installListener, listenerSite, removeListener } from '../nginx_upstream/listener.js';
import { sameNginx } from '../nginx_upstream/site.js';
import { claimAddress, DEFAULT_CLAIMS_DIR, readClaim, releaseClaim } from './claims.js';
import { addLoopbackAddress, loopbackAddresses, removeLoopbackAddress } from './loopback.js';
import { localServiceAddressSchema } from './schema.js';
import { stringifyJson } from '../../evaluate/json-text.js';

/** The file in the address's directory recording it. */
const ADDRESS_FILE = 'service-address.json';

/**
 * `<stateDir>/.infra/addresses/<readable>-<hash>`: the directory of a service address, unique per
 * (state lineage, resource address), so an interrupted create's claim is found again.
 */
export function addressDir(stateDir: string, lineage: string, address: string): string {
  const readable = address.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60);
  const hash = createHash('sha256').update(`${lineage}\0${address}`).digest('hex').slice(0, 8);
  return join(resolve(stateDir), '.infra', 'addresses', `${readable}-${hash}`);
}

interface Settings {
  readonly host: HostRef;
  readonly ports: readonly number[];
}

/** The host and ports of a configuration (or recorded state), or what is wrong with them. */
function readSettings(config: Readonly<Record<string, Json>>, address: string): Settings | Diagnostic {
  const host = parseHost(config.host ?? undefined);
  if (typeof host === 'string') return error(`Invalid "host" for ${address}`, `The load balancer must be a host: ${host}.`);
  if (host.connection !== 'local') {
    return error(`Invalid "host" for ${address}`, `A local_service_address lives on this machine's loopback interface; ${host.ipv4} is reached over ssh. Use a local_host.`);
  }
  const ports = config.ports ?? [53];
  if (!Array.isArray(ports) || ports.length === 0 || ports.some((p) => typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535)) {
    return error(`Invalid "ports" for ${address}`, `Expected a non-empty list of port numbers from 1 to 65535, got ${stringifyJson(ports)}.`);
  }
  return { host, ports: ports as number[] };
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function needsRoot(what: string): Diagnostic {
  return error(`local_service_address needs root to ${what}`, 'Its address is a 127.x.y.z address on the loopback interface ("ip addr add ADDR/32 dev lo"). Run infra as root.');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function state(config: Readonly<Record<string, Json>>, address: string): Record<string, Json> {
  return { ...config, address };
}

/** Removes the address from `lo` and releases its claim when `dir` holds it, then removes `dir`. Returns a problem, or null. */
async function releaseAddress(ipv4: string | undefined, dir: string): Promise<string | null> {
  if (ipv4 !== undefined && (await readClaim(ipv4))?.dir === dir) {
    const problem = await removeLoopbackAddress(ipv4);
    if (problem) return problem;
    await releaseClaim(ipv4, dir);
  }
  await rm(dir, { recursive: true, force: true });
  return null;
}

async function create(req: CreateRequest, ctx: OperationContext): Promise<CreateResponse> {
  const settings = readSettings(req.config, req.address);
  if ('severity' in settings) return { state: null, diagnostics: [settings] };
  if (!isRoot()) return { state: null, diagnostics: [needsRoot('add a loopback address')] };
  const stateDir = resolve(ctx.stateDir);
  const dir = addressDir(stateDir, ctx.lineage, req.address);
  // Left by a create that was interrupted before the state recorded it: its claim names the
  // directory, so releasing it finds the address.
  const onLo = await loopbackAddresses();
  if (typeof onLo === 'string') return { state: null, diagnostics: [error('Could not list the loopback addresses', onLo)] };
  let ipv4: string | null;
  try {
    ipv4 = await claimAddress(
      { dir, stateDir, lineage: ctx.lineage, address: req.address, generation: 0, pid: process.pid, createdAt: new Date().toISOString() },
      { taken: onLo },
    );
  } catch (e) {
    return { state: null, diagnostics: [error(`Could not claim a loopback address in ${DEFAULT_CLAIMS_DIR}`, (e as Error).message)] };
  }
  if (ipv4 === null) return { state: null, diagnostics: [error('No free loopback address found', `Every address tried in 127.64.0.0/10 was claimed; see ${DEFAULT_CLAIMS_DIR}.`)] };
  const undo = async (d: Diagnostic): Promise<CreateResponse> => {
    await removeListener(settings.host, ipv4, ctx);
    const problem = await releaseAddress(ipv4, dir);
    return { state: null, diagnostics: problem ? [d, error(`Could not release ${ipv4} again`, problem)] : [d] };
  };
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await writeFile(join(dir, ADDRESS_FILE), `${JSON.stringify({ ipv4, address: req.address, lineage: ctx.lineage, stateDir }, null, 2)}\n`);
  } catch (e) {
    return undo(error(`Could not create the directory of ${req.address}`, (e as Error).message));
  }
  const added = await addLoopbackAddress(ipv4);
  if (added) return undo(error(`Could not add ${ipv4} to the loopback interface`, added));
  const installed = await installListener({ address: ipv4, host: settings.host, ports: settings.ports, resource: req.address }, ctx);
  if (hasErrors(installed)) return undo(installed.find((d) => d.severity === 'error')!);
  ctx.log(`Service address ${ipv4} added to lo, answered by ${settings.host.ipv4}`);
  return { state: state(req.config, ipv4), diagnostics: installed };
}

async function read(req: ReadRequest, ctx: OperationContext): Promise<ReadResponse> {
  const ipv4 = typeof req.prior.address === 'string' ? req.prior.address : undefined;
  const dir = addressDir(ctx.stateDir, ctx.lineage, req.address);
  if (ipv4 === undefined || (await readClaim(ipv4))?.dir !== dir || !(await exists(dir))) return { state: null, diagnostics: [] };
  const settings = readSettings(req.prior, req.address);
  if ('severity' in settings) return { state: req.prior, diagnostics: [] };
  const { content, diagnostics } = await listenerSite(settings.host, ipv4).read(ctx);
  if (diagnostics.length === 0 && content === null) {
    return {
      state: req.prior,
      diagnostics: [warning(`${ipv4} of ${req.address} has no listener on ${settings.host.ipv4}`, `Something removed it outside infra; the address answers nothing. Put it back: infra apply -replace='${req.address}'.`)],
    };
  }
  return { state: req.prior, diagnostics };
}

async function update(req: UpdateRequest, ctx: OperationContext): Promise<UpdateResponse> {
  const ipv4 = typeof req.prior.address === 'string' ? req.prior.address : '';
  const next = readSettings(req.config, req.address);
  if ('severity' in next) return { state: req.prior, diagnostics: [next] };
  const before = readSettings(req.prior, req.address);
  const listener = { address: ipv4, host: next.host, ports: next.ports, resource: req.address };
  // The new load balancer listens first: the address always has a listener.
  const installed = await installListener(listener, ctx);
  if (hasErrors(installed)) return { state: req.prior, diagnostics: installed };
  if ('severity' in before || sameNginx(before.host, next.host)) return { state: state(req.config, ipv4), diagnostics: installed };
  ctx.log(`Service address ${ipv4} now answered by ${next.host.ipv4}; taking it off ${before.host.ipv4}`);
  const removed = await removeListener(before.host, ipv4, ctx);
  const leftovers = removed.map((d) => ({
    ...d,
    severity: 'warning' as const,
    detail: `${d.detail ?? ''}\n${ipv4} is answered by ${next.host.ipv4} now; the old load balancer ${before.host.ipv4} may still answer part of its queries until it is destroyed.`.trim(),
  }));
  return { state: state(req.config, ipv4), diagnostics: [...installed, ...leftovers] };
}

async function remove(req: DeleteRequest, ctx: OperationContext): Promise<DeleteResponse> {
  const ipv4 = typeof req.prior.address === 'string' ? req.prior.address : undefined;
  const dir = addressDir(ctx.stateDir, ctx.lineage, req.address);
  if (!(await exists(dir)) && (ipv4 === undefined || (await readClaim(ipv4))?.dir !== dir)) return { diagnostics: [] };
  if (!isRoot()) return { diagnostics: [needsRoot('remove its loopback address')] };
  const settings = readSettings(req.prior, req.address);
  const diagnostics: Diagnostic[] = [];
  if (!('severity' in settings) && ipv4 !== undefined) {
    const removed = await removeListener(settings.host, ipv4, ctx);
    if (hasErrors(removed)) return { diagnostics: removed };
  }
  const problem = await releaseAddress(ipv4, dir);
  if (problem) diagnostics.push(error(`Could not remove ${ipv4} from the loopback interface`, problem));
  else if (ipv4 !== undefined) ctx.log(`Removed service address ${ipv4} from lo`);
  return { diagnostics };
}

function plan(req: PlanRequest): PlanResponse {
  // The address is the resource's for life: an update (a move) keeps it.
  const prior = req.prior?.address;
  const ports = req.config.ports as Value | undefined;
  const diagnostics: Diagnostic[] = [];
  if (ports !== undefined && !containsUnknown(ports)) {
    const s = readSettings({ host: { ipv4: '127.0.0.1', connection: 'local', dir: '/' }, ports: toJson(ports) }, req.address);
    if ('severity' in s) diagnostics.push(req.ranges?.ports ? { ...s, range: req.ranges.ports } : s);
  }
  return { planned: typeof prior === 'string' ? { address: prior } : {}, diagnostics };
}

/** The `local_service_address` resource type. */
export const localServiceAddress: ResourceType = { schema: localServiceAddressSchema, plan, read, create, update, delete: remove };
