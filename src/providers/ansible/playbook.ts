/**
 * `ansible_playbook`: provisions a host by running a playbook against it. Creating and updating
 * both run the playbook (playbooks are expected to be idempotent); the `checksum` attribute,
 * predicted at plan time, is what turns a change of the playbook's files or variables into an
 * update. Deleting undoes nothing: what the playbook set up lives on the host, and goes with it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { error, type Diagnostic } from '../../diagnostics.js';
import { containsSensitive, containsUnknown, isUnknown, Sensitive, unmarkDeep, type Json, type Value } from '../../evaluate/value.js';
import type {
  CreateRequest,
  CreateResponse,
  DeleteResponse,
  OperationContext,
  PlanRequest,
  PlanResponse,
  ReadRequest,
  ReadResponse,
  ResourceType,
  RetireRequest,
  RetireResponse,
  UpdateRequest,
  UpdateResponse,
} from '../contract.js';
import { parseHost, stateKnownHostsFile, type HostRef } from '../hostexec.js';
import { PlaybookReader, type PlaybookFileSystem } from './checksum.js';
import { runPlaybook } from './run.js';
import { ansiblePlaybookSchema } from './schema.js';

/** Variable name prefixes the inventory uses; a configuration may not set them. */
const RESERVED_PREFIXES = ['infra_', 'ansible_'];

function playbookPath(configDir: string, playbook: string): string {
  return resolve(configDir, playbook);
}

function checkPlaybook(files: PlaybookReader, configDir: string, playbook: string): Diagnostic | null {
  const path = playbookPath(configDir, playbook);
  if (files.isFile(path)) return null;
  return error(`Playbook "${playbook}" not found`, `Looked for ${path}; a playbook path is relative to the configuration directory.`);
}

function checkVars(vars: Value): Diagnostic[] {
  const plain = unmarkDeep(vars);
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain) || isUnknown(plain)) return [];
  const reserved = Object.keys(plain).filter((k) => RESERVED_PREFIXES.some((p) => k.startsWith(p)));
  return reserved.map((k) =>
    error(
      `Variable "${k}" of ansible_playbook is reserved`,
      'Names starting with infra_ or ansible_ are set by the generated inventory (the host\'s address, directory and connection); choose another name.',
    ),
  );
}

function checkHost(host: Value | Json | undefined): { host?: HostRef; diagnostics: Diagnostic[] } {
  if (host === undefined || containsUnknown(host as Value)) return { diagnostics: [] };
  const parsed = parseHost(unmarkDeep(host as Value) as Json);
  if (typeof parsed === 'string') return { diagnostics: [error('The "host" of ansible_playbook is not a host', parsed)] };
  return { host: parsed, diagnostics: [] };
}

/** The plan hook, reading playbooks through `files` (one per plan: see `PlaybookReader`). */
function planWith(files: PlaybookReader, req: PlanRequest): PlanResponse {
  const playbook = req.config['playbook'];
  const vars: Value = req.config['vars'] ?? {};
  const diagnostics = [...checkVars(vars), ...checkHost(req.config['host']).diagnostics];
  if (typeof playbook !== 'string') return { planned: {}, diagnostics };
  const missing = checkPlaybook(files, req.configDir, playbook);
  if (missing) return { planned: {}, diagnostics: [...diagnostics, missing] };
  if (containsUnknown(vars)) return { planned: {}, diagnostics };
  const checksum = files.checksum(playbookPath(req.configDir, playbook), unmarkDeep(vars) as Json);
  // A checksum is a fingerprint of the values: of a secret, it stays as secret as the secret.
  return { planned: { checksum: containsSensitive(vars) ? new Sensitive(checksum) : checksum }, diagnostics };
}

/** Runs the playbook for create and update; the new attributes, or diagnostics. */
async function apply(
  config: Readonly<Record<string, Json>>,
  configDir: string,
  ctx: OperationContext,
): Promise<{ state: Record<string, Json> | null; diagnostics: Diagnostic[] }> {
  const playbook = config['playbook'];
  const vars: Json = config['vars'] ?? {};
  if (typeof playbook !== 'string') return { state: null, diagnostics: [error('ansible_playbook needs "playbook"')] };
  const checked = checkHost(config['host']);
  const invalid = [...checkVars(vars), ...checked.diagnostics];
  // Read afresh: the files as they are now, when the run starts.
  const files = new PlaybookReader();
  const missing = checkPlaybook(files, configDir, playbook);
  if (missing) invalid.push(missing);
  if (invalid.length > 0 || !checked.host) {
    return { state: null, diagnostics: invalid.length > 0 ? invalid : [error('ansible_playbook needs "host"')] };
  }
  const path = playbookPath(configDir, playbook);
  // Taken before the run: it describes the files the run used.
  const checksum = files.checksum(path, vars);
  ctx.log(`Running ${playbook} against ${checked.host.ipv4}`);
  const diagnostics = await runPlaybook({
    playbookPath: path,
    host: checked.host,
    vars,
    log: ctx.log,
    signal: ctx.signal,
    knownHostsFile: stateKnownHostsFile(ctx),
  });
  if (diagnostics.length > 0) return { state: null, diagnostics };
  return { state: { playbook, host: config['host'] ?? null, vars, checksum }, diagnostics: [] };
}

async function create(req: CreateRequest, ctx: OperationContext): Promise<CreateResponse> {
  // On failure nothing is recorded: what ran half-way lives on the host, which owns it.
  return apply(req.config, req.configDir, ctx);
}

async function update(req: UpdateRequest, ctx: OperationContext): Promise<UpdateResponse> {
  const result = await apply(req.config, req.configDir, ctx);
  // Keeping the prior checksum on failure makes the next plan run the playbook again.
  return { state: result.state ?? req.prior, diagnostics: result.diagnostics };
}

async function read(req: ReadRequest): Promise<ReadResponse> {
  return { state: req.prior, diagnostics: [] };
}

async function remove(): Promise<DeleteResponse> {
  return { diagnostics: [] };
}

/** The variable a playbook reads to wind its service down (docs/providers/ansible.md, "Retiring"). */
export const RETIRING_VARIABLE = 'infra_retiring';

/**
 * Retiring blue: a playbook whose own file mentions `infra_retiring` runs once more against the blue
 * host with it set to true (ansible/roles/bind makes named ask TCP clients to leave); any other
 * playbook has nothing to do. The recorded variables are used as they were, unless one holds a
 * secret state keeps only as a hash (the run would write the hash): then it is not run.
 */
async function retire(req: RetireRequest, ctx: OperationContext): Promise<RetireResponse> {
  const playbook = req.prior['playbook'];
  const checked = checkHost(req.prior['host']);
  if (typeof playbook !== 'string' || !checked.host) return { diagnostics: [] };
  const path = playbookPath(req.configDir, playbook);
  // The playbook's own file, not its roles: the roles of ansible/ are shared by every playbook.
  const text = (() => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  })();
  if (!text.includes(RETIRING_VARIABLE)) return { diagnostics: [] };
  const vars = req.prior['vars'] ?? {};
  if (vars === null || typeof vars !== 'object' || Array.isArray(vars)) return { diagnostics: [] };
  if (JSON.stringify(vars).includes('sensitive:sha256:')) {
    ctx.log(`Not retiring ${req.address}: its variables hold a secret the state keeps only as a hash`);
    return { diagnostics: [] };
  }
  ctx.log(`Running ${playbook} against ${checked.host.ipv4} with ${RETIRING_VARIABLE}=true`);
  const diagnostics = await runPlaybook({
    playbookPath: path,
    host: checked.host,
    vars: { ...vars, [RETIRING_VARIABLE]: true },
    log: ctx.log,
    signal: ctx.signal,
    knownHostsFile: stateKnownHostsFile(ctx),
  });
  return { diagnostics };
}

/**
 * The plan hook for one plan: each playbook's files are read once, at its first instance, and
 * shared by the others; the next plan reads them again. `fs` is for tests that count the reads.
 */
export function startPlan(fs?: PlaybookFileSystem): (req: PlanRequest) => PlanResponse {
  const files = new PlaybookReader(fs);
  return (req) => planWith(files, req);
}

/** The `ansible_playbook` resource type. */
export const ansiblePlaybook: ResourceType = {
  schema: ansiblePlaybookSchema,
  plan: (req) => planWith(new PlaybookReader(), req),
  startPlan: () => startPlan(),
  read,
  create,
  update,
  delete: remove,
  retire,
};
