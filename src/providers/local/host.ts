/**
 * `local_host`: a machine on this one. Each gets a loopback address of its own, claimed in the
 * machine-wide registry (claims.ts) and added to `lo`, and a working directory beside the state
 * file. Everything started for the host lives in that directory and leaves a pid file there
 * (docs/providers/local.md, "Directory layout"), which is how destroying it finds what to stop.
 *
 * The directory's name is derived from the state's lineage, the resource address and the
 * generation, so it is known even when a create was interrupted before its result reached the
 * state: a repeated create or a delete with no recorded attributes still finds and clears it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { error, warning, type Diagnostic } from '../../diagnostics.js';
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
import { claimAddress, DEFAULT_CLAIMS_DIR, listClaims, readClaim, releaseClaim } from './claims.js';
import { addLoopbackAddress, loopbackAddresses, removeLoopbackAddress } from './loopback.js';
import { stopProcesses } from './processes.js';
import { localHostSchema } from './schema.js';

/** The file in a host's directory recording its address and owner (not needed by services). */
export const HOST_FILE = 'host.json';

interface HostRecord {
  readonly ipv4: string;
  readonly address: string;
  readonly generation: number;
  readonly lineage: string;
  readonly stateDir: string;
  readonly createdAt: string;
}

/** `<stateDir>/.infra/hosts`: where every local host of a state keeps its directory. */
export function hostsRoot(stateDir: string): string {
  return join(resolve(stateDir), '.infra', 'hosts');
}

/**
 * The directory of one host copy: readable (`local_host.ns_ns1_.g2-1a2b3c4d`) and unique per
 * (state lineage, resource address, generation) thanks to the hash.
 */
export function hostDir(stateDir: string, lineage: string, address: string, generation: number): string {
  const readable = address.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60);
  const hash = createHash('sha256').update(`${lineage}\0${address}`).digest('hex').slice(0, 8);
  return join(hostsRoot(stateDir), `${readable}.g${generation}-${hash}`);
}

/** Only directories shaped like `.../.infra/hosts/NAME` are ever removed (a damaged state cannot point elsewhere). */
function isHostDir(dir: string): boolean {
  return isAbsolute(dir) && basename(dirname(dir)) === 'hosts' && basename(dirname(dirname(dir))) === '.infra';
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

const NEEDS_ROOT_DETAIL =
  'Each local_host gets its own 127.x.y.z address on the loopback interface ("ip addr add ADDR/32 dev lo"), ' +
  'and its servers listen on port 53 of that address; both need root (CAP_NET_ADMIN, CAP_NET_BIND_SERVICE). ' +
  'Run infra as root, for example "sudo infra apply".';

function needsRoot(what: string): Diagnostic {
  return error(`local_host needs root to ${what}`, NEEDS_ROOT_DETAIL);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function readHostRecord(dir: string): Promise<HostRecord | null> {
  try {
    const v = JSON.parse(await readFile(join(dir, HOST_FILE), 'utf8')) as Partial<HostRecord>;
    return typeof v.ipv4 === 'string' ? (v as HostRecord) : null;
  } catch {
    return null;
  }
}

function attributes(ipv4: string, dir: string): Record<string, Json> {
  return { ipv4, dir, connection: 'local' };
}

/**
 * Takes a host apart: stops the processes of its pid files, removes its address from `lo` and
 * releases its claim (only when the claim is this directory's), removes the directory. Returns
 * problems; on one it stops there, so a retry still finds what is left.
 */
async function teardown(dir: string, ipv4Hint: string | undefined, log: (line: string) => void): Promise<string[]> {
  const ipv4 = ipv4Hint ?? (await readHostRecord(dir))?.ipv4;
  const stopped = await stopProcesses(dir);
  if (stopped.stopped.length > 0) log(`Stopped processes ${stopped.stopped.join(', ')} of ${dir}`);
  if (stopped.problems.length > 0) return [...stopped.problems];
  if (ipv4 !== undefined && (await readClaim(ipv4))?.dir === dir) {
    const problem = await removeLoopbackAddress(ipv4);
    if (problem) return [problem];
    await releaseClaim(ipv4, dir);
    log(`Removed ${ipv4} from lo`);
  }
  if (isHostDir(dir)) await rm(dir, { recursive: true, force: true });
  return [];
}

/** What must be undone for a host, to tell whether a non-root delete has anything to do. */
async function hasRemains(dir: string, ipv4: string | undefined): Promise<boolean> {
  if (await exists(dir)) return true;
  return ipv4 !== undefined && (await readClaim(ipv4))?.dir === dir;
}

function priorString(prior: Readonly<Record<string, Json>>, key: string): string | undefined {
  const v = prior[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

async function create(req: CreateRequest, ctx: OperationContext): Promise<CreateResponse> {
  if (!isRoot()) return { state: null, diagnostics: [needsRoot('add a loopback address')] };
  const stateDir = resolve(ctx.stateDir);
  const dir = hostDir(stateDir, ctx.lineage, req.address, req.generation);
  if (await exists(dir)) {
    // Left by a create that was interrupted before the state recorded it.
    ctx.log(`Clearing ${dir}, left over from an earlier attempt`);
    const problems = await teardown(dir, undefined, ctx.log);
    if (problems.length > 0) {
      return { state: null, diagnostics: [error(`Could not clear the leftover directory of ${req.address}`, problems.join('\n'))] };
    }
  }
  const onLo = await loopbackAddresses();
  if (typeof onLo === 'string') return { state: null, diagnostics: [error('Could not list the loopback addresses', onLo)] };

  let ipv4: string | null;
  try {
    ipv4 = await claimAddress(
      {
        dir,
        stateDir,
        lineage: ctx.lineage,
        address: req.address,
        generation: req.generation,
        pid: process.pid,
        createdAt: new Date().toISOString(),
      },
      { taken: onLo },
    );
  } catch (e) {
    return { state: null, diagnostics: [error(`Could not claim a loopback address in ${DEFAULT_CLAIMS_DIR}`, (e as Error).message)] };
  }
  if (ipv4 === null) {
    return {
      state: null,
      diagnostics: [error('No free loopback address found', `Every address tried in 127.64.0.0/10 was claimed; see ${DEFAULT_CLAIMS_DIR}.`)],
    };
  }

  const record: HostRecord = {
    ipv4,
    address: req.address,
    generation: req.generation,
    lineage: ctx.lineage,
    stateDir,
    createdAt: new Date().toISOString(),
  };
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await writeFile(join(dir, HOST_FILE), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
  } catch (e) {
    await releaseClaim(ipv4, dir);
    await rm(dir, { recursive: true, force: true });
    return { state: null, diagnostics: [error(`Could not create the directory of ${req.address}`, (e as Error).message)] };
  }
  const problem = await addLoopbackAddress(ipv4);
  if (problem) {
    await releaseClaim(ipv4, dir);
    await rm(dir, { recursive: true, force: true });
    return { state: null, diagnostics: [error(`Could not add ${ipv4} to the loopback interface`, problem)] };
  }
  ctx.log(`Added ${ipv4} to lo; directory ${dir}`);
  return { state: attributes(ipv4, dir), diagnostics: [] };
}

async function read(req: ReadRequest): Promise<ReadResponse> {
  const dir = priorString(req.prior, 'dir');
  const ipv4 = priorString(req.prior, 'ipv4');
  if (dir === undefined || ipv4 === undefined) return { state: null, diagnostics: [] };
  if (!(await exists(dir)) || (await readClaim(ipv4))?.dir !== dir) return { state: null, diagnostics: [] };
  const diagnostics: Diagnostic[] = [];
  const onLo = await loopbackAddresses();
  if (typeof onLo !== 'string' && !onLo.has(ipv4)) {
    diagnostics.push(
      warning(
        `${ipv4} of ${req.address} is no longer on the loopback interface`,
        `Something removed it outside infra; its servers cannot be reached. Replace the host: infra apply -replace='${req.address}'.`,
      ),
    );
  }
  return { state: attributes(ipv4, dir), diagnostics };
}

async function update(req: UpdateRequest): Promise<UpdateResponse> {
  // Nothing is configurable: the attributes are all computed.
  return { state: req.prior, diagnostics: [] };
}

async function remove(req: DeleteRequest, ctx: OperationContext): Promise<DeleteResponse> {
  const dir = priorString(req.prior, 'dir') ?? hostDir(ctx.stateDir, ctx.lineage, req.address, req.generation);
  const ipv4 = priorString(req.prior, 'ipv4');
  if (!(await hasRemains(dir, ipv4))) return { diagnostics: [] };
  if (!isRoot()) return { diagnostics: [needsRoot('remove its loopback address and stop its servers')] };
  const problems = await teardown(dir, ipv4, ctx.log);
  return { diagnostics: problems.length > 0 ? [error(`Could not destroy ${req.address} completely`, problems.join('\n'))] : [] };
}

function plan(_req: PlanRequest): PlanResponse {
  return { planned: { connection: 'local' }, diagnostics: [] };
}

/** The `local_host` resource type. */
export const localHost: ResourceType = { schema: localHostSchema, plan, read, create, update, delete: remove };

/**
 * Destroys every local host of the state in `stateDir`, as found on the machine (directories
 * under `.infra/hosts`, and claims naming that state directory), without needing the state
 * file. For tests' after() hooks and for clearing up after a lost state. Returns problems.
 */
export async function cleanupAll(stateDir: string, log: (line: string) => void = () => undefined): Promise<string[]> {
  const root = hostsRoot(stateDir);
  const problems: string[] = [];
  const dirs = new Set<string>();
  for (const name of await readdir(root).catch(() => [] as string[])) dirs.add(join(root, name));
  const claims = (await listClaims()).filter((c) => c.owner.stateDir === resolve(stateDir));
  for (const c of claims) dirs.add(c.owner.dir);
  for (const dir of [...dirs].sort()) {
    const claim = claims.find((c) => c.owner.dir === dir);
    problems.push(...(await teardown(dir, claim?.ipv4, log)));
  }
  return problems;
}
