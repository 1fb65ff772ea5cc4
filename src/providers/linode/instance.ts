/**
 * `linode_instance`: create (and wait for status `running`, then for SSH), batched read, in-place
 * update of label and tags, delete (and wait until gone). See docs/providers/linode.md.
 *
 * Failure rules, as the contract asks:
 * - create fails before Linode accepted it: `state: null`; nothing exists.
 * - create fails after (status or SSH wait timed out, the instance booted to `offline`,
 *   interrupted, API failing while polling): the instance is returned as partial `state` with an
 *   error, so the engine records it and deletes it; an instance is never left untracked. A
 *   create whose answer was lost (no answer, 5xx, a body that is not a valid instance) is found
 *   by its label and tags before a retry (client.ts), so retries never make a second instance;
 *   when it can be neither found nor ruled out, the partial `state` has `id: null` and the
 *   engine keeps the record, which `resolveIntent` settles at the next refresh.
 * - resolveIntent: a record without an id (the process died during create: kill -9, a second
 *   Ctrl-C, a full disk) is looked up by label and tags and adopted, or dropped when the API
 *   has no such instance.
 * - update fails: `state` is the prior state; delete fails: the engine keeps the instance.
 */
import { randomBytes } from 'node:crypto';
import type { Linode } from '@linode/api-v4';
import { error, warning, type Diagnostic } from '../../diagnostics.js';
import { containsUnknown, unmarkDeep, type Json, type Value } from '../../evaluate/value.js';
import type {
  CreateRequest,
  CreateResponse,
  DeleteRequest,
  ImportRequest,
  ImportResponse,
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
import { checkSshSettings, forgetHostKey, stateKnownHostsFile } from '../hostexec.js';
import type { LinodeApi } from './client.js';
import { formatDuration, parseDuration } from '../../duration.js';
import { FORBIDDEN_CREATE_HINT, failureDiagnostic, isForbidden, isLabelTaken, type FailedCall } from './errors.js';
import {
  addressTags,
  allTags,
  configuredLabel,
  generationTag,
  isManagedTag,
  labelProblems,
  linodeLabel,
  stateTag,
  tagProblems,
} from './naming.js';
import { linodeSchemas, LINODE_DEFAULTS } from './schema.js';
import { openSession, type Session } from './session.js';
import { forgetListing, stateListing } from './refresh.js';
import { retryDecision } from './retry.js';
import { sleep, tcpAccepts } from './wait.js';

const READY_STATUS = 'running';
/** Statuses a new instance does not leave by itself: its boot failed (or it was shut down). */
const HALTED_STATUSES: ReadonlySet<string> = new Set(['offline', 'stopped']);
/** Polls in a row a halted status may last before a create fails, if it never seemed to boot. */
const HALTED_POLLS = 3;
/** Statuses of an instance on its way out: read treats it as gone. */
const LEAVING_STATUSES: ReadonlySet<string> = new Set(['deleting']);
/** A progress line at least this often during long waits. */
const PROGRESS_EVERY_MS = 10_000;
/** Longest single TCP connection attempt while waiting for SSH. */
const SSH_ATTEMPT_MS = 5000;

const KEPT = 'It is kept in state so that it is deleted or replaced.';
const DELETE_ACCEPTED = 'Linode accepted the delete; it stays in state until a refresh finds it gone.';
const DAMAGED = 'The state entry is damaged; remove it from state and import the instance again.';
const TAG_MISSING =
  'Refresh found it by id. Without the tag the batched refresh and "infra state orphans" do not see it: ' +
  "add the tag back in Linode, or change the resource's tags so the next apply rewrites them.";

/** The configuration of one instance, checked. */
interface InstanceConfig {
  readonly label: string;
  readonly region: string;
  readonly type: string;
  readonly image: string;
  readonly tags: readonly string[];
  readonly authorizedKeys: readonly string[];
  readonly rootPass: string | null;
  readonly privateIp: boolean;
  /** The `timeouts` block as configured, kept in state unchanged. */
  readonly timeoutsBlock: Json;
  /** The `ssh` block as configured, kept in state: hosts' consumers log in with it. */
  readonly sshBlock: Json;
  readonly timeouts: { readonly create: number; readonly update: number; readonly delete: number };
}

/** The `linode_instance` resource type. */
export const linodeInstance: ResourceType = {
  schema: linodeSchemas.linode_instance,
  plan,
  read,
  resolveIntent,
  create,
  update,
  delete: remove,
  importById,
};

function plan(req: PlanRequest): PlanResponse {
  const config: Record<string, Json | undefined> = {};
  for (const [k, v] of Object.entries(req.config)) config[k] = knownJson(v);
  const planned: Record<string, Value> = { connection: 'ssh' };
  if (config.private_ip === false || config.private_ip === null) planned.private_ipv4 = null;
  // The planner hands blue-green resources the next generation even when nothing changes, so the
  // label on Linode is predicted for new instances only; an existing one keeps its own.
  if (req.prior === null && typeof config.label === 'string') {
    planned.linode_label = linodeLabel(config.label, req.generation);
  }
  return {
    planned,
    diagnostics: [...checkConfig(config, req.generation, req.address, req.ranges), ...checkSshSettings(config.ssh, req.address, req.ranges?.ssh)],
  };
}

async function read(req: ReadRequest, ctx: OperationContext): Promise<ReadResponse> {
  const id = req.prior.id;
  const opened = openSession(ctx, [stringOr(req.prior.root_pass)], { unknownPasswords: true });
  if (!opened.ok) return { state: req.prior, diagnostics: opened.diagnostics };
  const { api, redactor } = opened.session;
  if (typeof id !== 'number') {
    return { state: req.prior, diagnostics: [error(`${req.address} has no Linode id in state`, DAMAGED)] };
  }
  const refreshFailed = (failed: FailedCall): ReadResponse => ({
    state: req.prior,
    diagnostics: redactor.diagnostics([failureDiagnostic(`Could not refresh ${req.address} (Linode ${id})`, failed)]),
  });

  const listing = await stateListing(api, ctx.lineage, ctx.signal);
  if (!listing.ok) return refreshFailed(listing);
  const diagnostics: Diagnostic[] = [];
  let instance = listing.value.get(id) ?? null;
  if (instance === null) {
    // Not in the state's listing: gone, or it lost the state tag. One GET tells which.
    const got = await api.getInstance(id);
    if (!got.ok) return refreshFailed(got);
    instance = got.value;
    if (instance !== null && !LEAVING_STATUSES.has(instance.status)) {
      const summary = `Linode ${id} "${instance.label}" (${req.address}) is missing the tag "${stateTag(ctx.lineage)}"`;
      diagnostics.push(warning(summary, TAG_MISSING));
    }
  }
  const state = instance === null || LEAVING_STATUSES.has(instance.status) ? null : stateFromInstance(instance, req.prior, req.generation);
  return { state, diagnostics: redactor.diagnostics(diagnostics) };
}

/**
 * Settles a record that may stand for an instance state never learnt the id of: with an id it is
 * returned as it is (read refreshes it); without one, the instance with the label create sent
 * and this resource copy's tags (state, address, generation) is looked up - every page, checked
 * here rather than trusted to the filter - and adopted, or the record is dropped (state null)
 * when the API answers and has none. A failed lookup is an error and the record stays.
 */
async function resolveIntent(req: ReadRequest, ctx: OperationContext): Promise<ReadResponse> {
  if (typeof req.prior.id === 'number') return { state: req.prior, diagnostics: [] };
  const label =
    stringOr(req.prior.linode_label) ?? (typeof req.prior.label === 'string' ? linodeLabel(req.prior.label, req.generation) : null);
  if (label === null) return { state: req.prior, diagnostics: [error(`${req.address} has no Linode id or label in state`, DAMAGED)] };
  const opened = openSession(ctx, [stringOr(req.prior.root_pass)], { unknownPasswords: true });
  if (!opened.ok) return { state: req.prior, diagnostics: opened.diagnostics };
  const { api, redactor, log } = opened.session;
  const found = await api.findInstance(label, ownershipTest(ctx.lineage, req.address, req.generation));
  if (!found.ok) {
    const summary = `Could not look up Linode "${label}", which an interrupted create of ${req.address} may have made`;
    const why = 'The record stays in state as an unfinished create; plan or apply again once the API answers, and it is looked up again.';
    return { state: req.prior, diagnostics: redactor.diagnostics([failureDiagnostic(summary, found, why)]) };
  }
  const instance = found.value;
  if (instance === undefined || LEAVING_STATUSES.has(instance.status)) {
    log(`No Linode "${label}" exists for ${req.address}: the interrupted create made nothing`);
    return { state: null, diagnostics: [] };
  }
  log(`Found Linode ${instance.id} "${label}", made for ${req.address} by a run that stopped before recording it; taking it into state`);
  return { state: stateFromInstance(instance, req.prior, req.generation), diagnostics: [] };
}

/**
 * Reads Linode `req.id` for `infra import`: its attributes as create records them
 * (`importedState`), the root password named unreadable (Linode never returns it). Only GETs.
 */
async function importById(req: ImportRequest, ctx: OperationContext): Promise<ImportResponse> {
  const id = /^[1-9][0-9]{0,15}$/.test(req.id) ? Number(req.id) : null;
  if (id === null) {
    return { state: null, diagnostics: [error(`Cannot import ${req.address}: "${req.id}" is not a Linode ID`, 'A Linode ID is a whole number, such as 12345 (linode-cli linodes list shows them).')] };
  }
  const opened = openSession(ctx, []);
  if (!opened.ok) return { state: null, diagnostics: opened.diagnostics };
  const { api, redactor } = opened.session;
  const got = await api.getInstance(id);
  if (!got.ok) return { state: null, diagnostics: redactor.diagnostics([failureDiagnostic(`Could not read Linode ${id} to import it as ${req.address}`, got, 'Nothing was imported.')]) };
  if (got.value === null || LEAVING_STATUSES.has(got.value.status)) {
    return { state: null, diagnostics: [error(`Cannot import ${req.address}: no Linode instance with ID ${id}`, 'The API has no such instance on this account (or it is being deleted). Nothing was imported.')] };
  }
  const instance = got.value;
  // Linode does not report the keys deployed with the image either: recorded as none.
  return { state: { ...importedState(instance, req.generation), authorized_keys: [] }, unreadable: ['root_pass'], diagnostics: [] };
}

async function create(req: CreateRequest, ctx: OperationContext): Promise<CreateResponse> {
  const started = Date.now();
  const config = readConfig(req.config, req.generation, req.address);
  if (!config.value) return { state: null, diagnostics: config.diagnostics };
  const cfg = config.value;
  if (ctx.lineage.trim() === '') {
    // Without a lineage the state tag would be shared by every new state.
    const why = 'The engine must write the state once (which gives it a lineage) before creating Linode instances.';
    return { state: null, diagnostics: [error(`Cannot create ${req.address} before the state has a lineage`, why)] };
  }
  const rootPass = cfg.rootPass ?? generateRootPass();
  const opened = openSession(ctx, [rootPass]);
  if (!opened.ok) return { state: null, diagnostics: opened.diagnostics };
  const session = opened.session;
  const { api, redactor, log } = session;
  const deadline = started + cfg.timeouts.create;
  const label = linodeLabel(cfg.label, req.generation);
  const ours = ownershipTest(ctx.lineage, req.address, req.generation);

  log(`Creating Linode "${label}" (${cfg.type} in ${cfg.region}, ${cfg.image})`);
  const created = await api.createInstance(
    {
      label,
      region: cfg.region,
      type: cfg.type,
      image: cfg.image,
      root_pass: rootPass,
      authorized_keys: [...cfg.authorizedKeys],
      tags: allTags(cfg.tags, ctx.lineage, req.address, req.generation),
      private_ip: cfg.privateIp,
      booted: true,
    },
    ours,
    deadline,
  );
  forgetListing(api, ctx.lineage);
  if (!created.ok) {
    const summary = `Could not create Linode "${label}" for ${req.address}`;
    if ('unconfirmed' in created) {
      // It may exist: the record stays (without an id) and the next refresh looks it up.
      const hint =
        'Linode may have created it without a usable answer, and looking it up failed too. It stays in state as an unfinished create: ' +
        'the next plan or apply looks it up by its label and tags, and "infra state orphans" lists it.';
      return {
        state: { id: null, label: cfg.label, linode_label: label, region: cfg.region, type: cfg.type, image: cfg.image, tags: [...cfg.tags] },
        diagnostics: redactor.diagnostics([failureDiagnostic(summary, created, hint)]),
      };
    }
    const hint = isLabelTaken(created.failure)
      ? await labelHolderHint(api, label, ours)
      : isForbidden(created.failure)
        ? FORBIDDEN_CREATE_HINT
        : retryDecision(created.failure).ambiguous
          ? 'Linode may have created it without answering, but looking it up found nothing; if it appears later it carries this state\'s tags and "infra state orphans" lists it.'
          : undefined;
    return { state: null, diagnostics: redactor.diagnostics([failureDiagnostic(summary, created, hint)]) };
  }

  const known = { ...cfg, rootPass };
  let instance = created.value;
  const partial = (i: Linode, d: Diagnostic): CreateResponse => ({
    state: stateFromConfig(i, known, req.generation),
    diagnostics: redactor.diagnostics([d]),
  });
  log(`Created Linode ${instance.id} "${label}"; waiting for status ${READY_STATUS}`);

  const booted = await waitForStatus(session, instance, req.address, deadline, ctx.signal, cfg.timeouts.create, started);
  if (!booted.ok) {
    if (booted.gone) return { state: null, diagnostics: redactor.diagnostics([booted.diagnostic]) };
    return partial(booted.instance, booted.diagnostic);
  }
  instance = booted.instance;

  const address = publicIpv4(instance.ipv4);
  if (address === null) {
    const summary = `Linode ${instance.id} "${label}" (${req.address}) has no public IPv4 address`;
    return partial(instance, error(summary, `It cannot be reached over SSH. ${KEPT}`));
  }
  // A key learned for this address belongs to an instance that had it before: gone now.
  await forgetHostKey(stateKnownHostsFile(ctx), address);
  const port = readinessPort(req.config.ssh, api.settings.sshPort);
  const ssh = await waitForSsh(session, instance, address, port, req.address, deadline, ctx.signal, cfg.timeouts.create, started);
  if (ssh) return partial(instance, ssh);

  log(`Linode ${instance.id} "${label}" is ready: SSH answers on ${address}:${port}`);
  return { state: stateFromConfig(instance, known, req.generation), diagnostics: [] };
}

async function update(req: UpdateRequest, ctx: OperationContext): Promise<UpdateResponse> {
  const started = Date.now();
  const config = readConfig(req.config, req.generation, req.address);
  if (!config.value) return { state: req.prior, diagnostics: config.diagnostics };
  const cfg = config.value;
  const id = req.prior.id;
  const rootPass = stringOr(req.prior.root_pass) ?? cfg.rootPass;
  const opened = openSession(ctx, [rootPass]);
  if (!opened.ok) return { state: req.prior, diagnostics: opened.diagnostics };
  const { api, redactor, log } = opened.session;
  if (typeof id !== 'number') {
    return { state: req.prior, diagnostics: [error(`${req.address} has no Linode id in state`, DAMAGED)] };
  }

  const label = linodeLabel(cfg.label, req.generation);
  const body: { label?: string; tags?: string[] } = {};
  if (req.prior.linode_label !== label) body.label = label;
  if (!sameTags(stringList(req.prior.tags), cfg.tags)) body.tags = allTags(cfg.tags, ctx.lineage, req.address, req.generation);
  const known = { ...cfg, rootPass };
  if (body.label === undefined && body.tags === undefined) {
    // Only attributes kept in state changed (such as timeouts): nothing to tell Linode.
    return { state: { ...req.prior, timeouts: cfg.timeoutsBlock, ssh: cfg.sshBlock }, diagnostics: [] };
  }

  log(`Updating Linode ${id} "${stringOr(req.prior.linode_label) ?? label}": ${Object.keys(body).join(' and ')}`);
  const updated = await api.updateInstance(id, body, started + cfg.timeouts.update);
  forgetListing(api, ctx.lineage);
  if (!updated.ok) {
    const gone = updated.failure.kind === 'http' && updated.failure.status === 404;
    const summary = gone
      ? `Could not update ${req.address}: Linode ${id} no longer exists`
      : `Could not update Linode ${id} "${stringOr(req.prior.linode_label) ?? label}" (${req.address})`;
    return { state: req.prior, diagnostics: redactor.diagnostics([failureDiagnostic(summary, updated)]) };
  }
  return { state: stateFromConfig(updated.value, known, req.generation), diagnostics: [] };
}

async function remove(req: DeleteRequest, ctx: OperationContext): Promise<DeleteResponse> {
  const started = Date.now();
  const id = req.prior.id;
  if (typeof id !== 'number') return { diagnostics: [] };
  const opened = openSession(ctx, [stringOr(req.prior.root_pass)], { unknownPasswords: true });
  if (!opened.ok) return { diagnostics: opened.diagnostics };
  const { api, redactor, log } = opened.session;
  const timeout = timeoutOf(req.prior.timeouts, 'delete') ?? defaultTimeout('delete');
  const deadline = started + timeout;
  const name = `Linode ${id} "${stringOr(req.prior.linode_label) ?? stringOr(req.prior.label) ?? '?'}"`;

  const asked = await api.deleteInstance(id, deadline);
  forgetListing(api, ctx.lineage);
  if (!asked.ok) {
    return { diagnostics: redactor.diagnostics([failureDiagnostic(`Could not delete ${name} (${req.address})`, asked)]) };
  }
  if (typeof req.prior.ipv4 === 'string') await forgetHostKey(stateKnownHostsFile(ctx), req.prior.ipv4);
  if (!asked.value) {
    log(`${name} was already gone`);
    return { diagnostics: [] };
  }
  log(`Deleting ${name}; waiting until it is gone`);

  let lastProgress = Date.now();
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) {
      return {
        diagnostics: [
          error(
            `Timed out deleting ${name} (${req.address})`,
            `Linode still lists it after ${formatDuration(timeout)} (timeouts.delete). ` +
              'It stays in state; apply again to finish the delete.',
          ),
        ],
      };
    }
    if (!(await sleep(Math.min(api.settings.pollIntervalMs, left), ctx.signal))) {
      return { diagnostics: [error(`Interrupted while deleting ${name} (${req.address})`, DELETE_ACCEPTED)] };
    }
    const got = await api.getInstance(id, deadline);
    if (!got.ok) {
      const failed = failureDiagnostic(`Could not confirm that ${name} (${req.address}) is gone`, got, DELETE_ACCEPTED);
      return { diagnostics: redactor.diagnostics([failed]) };
    }
    if (got.value === null) {
      log(`${name} is gone`);
      return { diagnostics: [] };
    }
    if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      log(`Still deleting... ${name} status ${got.value.status} (${formatDuration(Date.now() - started)} elapsed)`);
    }
  }
}

type StatusWait =
  | { readonly ok: true; readonly instance: Linode }
  | { readonly ok: false; readonly gone: boolean; readonly instance: Linode; readonly diagnostic: Diagnostic };

async function waitForStatus(
  session: Session,
  first: Linode,
  address: string,
  deadline: number,
  signal: AbortSignal,
  timeout: number,
  started: number,
): Promise<StatusWait> {
  const { api, log } = session;
  let instance = first;
  // The first poll is always reported; after that, changes and a line every PROGRESS_EVERY_MS.
  let lastStatus: string | null = null;
  let lastProgress = Date.now();
  let booted = false;
  let haltedPolls = 0;
  const name = (): string => `Linode ${instance.id} "${instance.label}"`;
  while (instance.status !== READY_STATUS) {
    if (instance.status === 'booting') booted = true;
    haltedPolls = HALTED_STATUSES.has(instance.status) ? haltedPolls + 1 : 0;
    // Offline after booting (or for several polls) is a failed boot: it will not come up by itself.
    if (haltedPolls > 0 && (booted || haltedPolls >= HALTED_POLLS)) {
      return {
        ok: false,
        gone: false,
        instance,
        diagnostic: error(
          `Could not create ${address}: ${name()} is ${instance.status} instead of ${READY_STATUS}`,
          `Linode created it but it did not boot (see the instance's events in the Cloud Manager). ${KEPT}`,
        ),
      };
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      return {
        ok: false,
        gone: false,
        instance,
        diagnostic: error(
          `Timed out creating ${address}: ${name()} is still ${instance.status}`,
          `It did not reach status ${READY_STATUS} within ${formatDuration(timeout)} (timeouts.create). ${KEPT}`,
        ),
      };
    }
    if (!(await sleep(Math.min(api.settings.pollIntervalMs, left), signal))) {
      const diagnostic = error(`Interrupted while creating ${address}: ${name()} is ${instance.status}`, KEPT);
      return { ok: false, gone: false, instance, diagnostic };
    }
    const got = await api.getInstance(instance.id, deadline);
    if (!got.ok) {
      const diagnostic = failureDiagnostic(`Could not follow ${name()} while creating ${address}`, got, KEPT);
      return { ok: false, gone: false, instance, diagnostic };
    }
    if (got.value === null) {
      const diagnostic = error(
        `${name()} disappeared while ${address} was being created`,
        'Linode no longer knows it (deleted outside?); nothing was recorded.',
      );
      return { ok: false, gone: true, instance, diagnostic };
    }
    instance = got.value;
    if (instance.status !== lastStatus || Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastStatus = instance.status;
      lastProgress = Date.now();
      log(`Still creating... ${name()} status ${instance.status} (${formatDuration(Date.now() - started)} elapsed)`);
    }
  }
  return { ok: true, instance };
}

/** Null when SSH answered; else why not. */
/**
 * The port that must accept connections before a new instance counts as ready: the one the
 * instance's `ssh` block logs in on when it sets one (provisioners will use it), else the
 * provider's `ssh_port`.
 */
function readinessPort(sshBlock: Value | undefined, providerPort: number): number {
  const block = sshBlock === undefined ? undefined : knownJson(sshBlock);
  const port = block !== null && typeof block === 'object' && !Array.isArray(block) ? (block as { readonly [k: string]: Json })['port'] : undefined;
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535 ? port : providerPort;
}

async function waitForSsh(
  session: Session,
  instance: Linode,
  host: string,
  port: number,
  address: string,
  deadline: number,
  signal: AbortSignal,
  timeout: number,
  started: number,
): Promise<Diagnostic | null> {
  const { api, log } = session;
  const name = `Linode ${instance.id} "${instance.label}"`;
  log(`Waiting for SSH on ${host}:${port}...`);
  let lastProgress = Date.now();
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) {
      return error(
        `Timed out creating ${address}: SSH on ${host}:${port} of ${name} does not accept connections`,
        `The instance is running but port ${port} did not answer within ${formatDuration(timeout)} (timeouts.create). ${KEPT}`,
      );
    }
    if (await tcpAccepts(host, port, Math.min(left, SSH_ATTEMPT_MS), signal)) return null;
    const afterTry = deadline - Date.now();
    if (signal.aborted || (afterTry > 0 && !(await sleep(Math.min(api.settings.pollIntervalMs, afterTry), signal)))) {
      return error(`Interrupted while waiting for SSH on ${host}:${port} of ${name} (${address})`, KEPT);
    }
    if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      log(`Still creating... waiting for SSH on ${host}:${port} (${formatDuration(Date.now() - started)} elapsed)`);
    }
  }
}

/** Explains who holds a label the API says is taken. */
async function labelHolderHint(api: LinodeApi, label: string, ours: (i: Linode) => boolean): Promise<string | undefined> {
  const found = await api.listInstances({ label }, `look up Linode "${label}"`);
  const holder = found.ok ? found.value.find((i) => i.label === label) : undefined;
  if (!holder) return undefined;
  return ours(holder)
    ? `Linode ${holder.id} already has this label and this resource's tags: a copy left behind by an interrupted run. "infra state orphans" lists it, to import or delete.`
    : `Linode ${holder.id} already has this label and does not belong to this state. Choose another label.`;
}

/** State from what Linode reports plus the configuration (for what Linode does not report). */
function stateFromConfig(instance: Linode, cfg: InstanceConfig, generation: number): Record<string, Json> {
  return {
    ...observed(instance, generation, cfg.tags),
    authorized_keys: [...cfg.authorizedKeys],
    // A generated password is known only to create: state keeps just its hash, so later
    // operations leave the attribute out rather than overwrite it.
    ...(cfg.rootPass !== null ? { root_pass: cfg.rootPass } : {}),
    private_ip: cfg.privateIp,
    timeouts: cfg.timeoutsBlock,
    ssh: cfg.sshBlock,
  };
}

/**
 * State for an instance taken into the state without having been created by this process (an
 * orphan being imported): what Linode reports. `authorized_keys` and `root_pass` cannot be read
 * back and are left out; the next plan compares them with the configuration.
 */
export function importedState(instance: Linode, generation: number): Record<string, Json> {
  return {
    ...observed(instance, generation, []),
    private_ip: privateIpv4(instance.ipv4) !== null,
    timeouts: null,
  };
}

/** State from what Linode reports plus the prior state (for what Linode does not report). */
function stateFromInstance(instance: Linode, prior: Readonly<Record<string, Json>>, generation: number): Record<string, Json> {
  return {
    // A state written before the ssh block existed gets it as the configuration has it: absent.
    ssh: null,
    ...prior,
    ...observed(instance, generation, stringList(prior.tags)),
  };
}

function observed(instance: Linode, generation: number, priorTags: readonly string[]): Record<string, Json> {
  const userTags = instance.tags.filter((t) => !isManagedTag(t));
  return {
    id: instance.id,
    label: configuredLabel(instance.label, generation) ?? instance.label,
    linode_label: instance.label,
    region: instance.region,
    type: instance.type,
    image: instance.image,
    // Linode compares tags without regard to case and lists them lower case and sorted: the same
    // tags in another case or order are no change, so the configuration's spelling is kept.
    tags: sameTags(userTags, priorTags) ? [...priorTags] : userTags,
    ipv4: publicIpv4(instance.ipv4),
    private_ipv4: privateIpv4(instance.ipv4),
    ipv6: instance.ipv6,
    status: instance.status,
    connection: 'ssh',
  };
}

/** The first public address: Linode lists private ones (192.168.128.0/17) in `ipv4` too. */
export function publicIpv4(addresses: readonly string[]): string | null {
  return addresses.find((a) => !isLinodePrivateIpv4(a)) ?? null;
}

function privateIpv4(addresses: readonly string[]): string | null {
  return addresses.find(isLinodePrivateIpv4) ?? null;
}

/**
 * True for an address in Linode's private range, 192.168.128.0/17 (the only private addresses
 * Linode assigns). Other RFC 1918 addresses are not private here: an instance can be given a
 * public address that is none of Linode's private ones.
 */
export function isLinodePrivateIpv4(a: string): boolean {
  const m = /^192\.168\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  return m !== null && Number(m[1]) >= 128 && Number(m[1]) <= 255 && Number(m[2]) <= 255;
}

/** True when `instance` carries `tag` (compared without regard to case, as Linode compares tags). */
export function hasTag(instance: Linode, tag: string): boolean {
  const wanted = tag.toLowerCase();
  return instance.tags.some((t) => t.toLowerCase() === wanted);
}

/** True for an instance carrying every tag create gives this copy (tags compared without regard to case, as Linode does). */
function ownershipTest(lineage: string, address: string, generation: number): (i: Linode) => boolean {
  const tags = [stateTag(lineage), ...addressTags(address), generationTag(generation)].map((t) => t.toLowerCase());
  return (i) => {
    const has = new Set(i.tags.map((t) => t.toLowerCase()));
    return tags.every((t) => has.has(t));
  };
}

/**
 * A root password from a secure random source: 32 random bytes, base64url (43 characters), with
 * upper case, lower case and digits so Linode's strength check accepts it.
 */
export function generateRootPass(): string {
  for (;;) {
    const candidate = randomBytes(32).toString('base64url');
    if (/[a-z]/.test(candidate) && /[A-Z]/.test(candidate) && /\d/.test(candidate)) return candidate;
  }
}

function readConfig(config: Readonly<Record<string, Json>>, generation: number, address: string): { value?: InstanceConfig; diagnostics: Diagnostic[] } {
  const diagnostics = checkConfig(config, generation, address);
  for (const name of ['label', 'region', 'type', 'image'] as const) {
    if (typeof config[name] !== 'string' || config[name] === '') {
      diagnostics.push(error(`${address}: ${name} is required`, `Set ${name} in the resource block.`));
    }
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return {
    value: {
      label: config.label as string,
      region: config.region as string,
      type: config.type as string,
      image: config.image as string,
      tags: stringList(config.tags),
      authorizedKeys: stringList(config.authorized_keys),
      rootPass: stringOr(config.root_pass),
      privateIp: config.private_ip === true,
      timeoutsBlock: config.timeouts ?? null,
      sshBlock: config.ssh ?? null,
      timeouts: {
        create: timeoutOf(config.timeouts, 'create') ?? defaultTimeout('create'),
        update: timeoutOf(config.timeouts, 'update') ?? defaultTimeout('update'),
        delete: timeoutOf(config.timeouts, 'delete') ?? defaultTimeout('delete'),
      },
    },
    diagnostics,
  };
}

/**
 * Checks what is known of a configuration (plan sees unknowns as undefined); each diagnostic
 * points at its attribute where `ranges` says where that is written.
 */
function checkConfig(
  config: Readonly<Record<string, Json | undefined>>,
  generation: number,
  address: string,
  ranges: PlanRequest['ranges'] = {},
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const label = config.label;
  if (typeof label === 'string') {
    const sent = linodeLabel(label, generation);
    const problems = labelProblems(sent);
    if (problems.length > 0) {
      const as = sent === label ? 'It' : `As sent to Linode ("${sent}") it`;
      diagnostics.push(error(`Invalid label "${label}" for ${address}`, problems.map((p) => `${as} ${p}.`).join('\n'), ranges.label));
    }
  }
  const tags = config.tags;
  if (Array.isArray(tags)) {
    for (const tag of tags) {
      if (typeof tag !== 'string') continue;
      const problems = tagProblems(tag);
      if (problems.length > 0) {
        diagnostics.push(error(`Invalid tag "${tag}" for ${address}`, problems.map((p) => `It ${p}.`).join('\n'), ranges.tags));
      }
    }
  }
  const keys = config.authorized_keys;
  if (Array.isArray(keys) && keys.some((k) => typeof k === 'string' && k.trim() === '')) {
    diagnostics.push(error(`Empty SSH key in authorized_keys of ${address}`, 'Every entry must be a public key.'));
  }
  if (config.root_pass === '') {
    diagnostics.push(error(`Empty root_pass for ${address}`, 'Leave root_pass out to have one generated.'));
  }
  const timeouts = config.timeouts;
  if (timeouts && typeof timeouts === 'object' && !Array.isArray(timeouts)) {
    for (const [name, value] of Object.entries(timeouts)) {
      if (typeof value === 'string' && parseDuration(value) === null) {
        diagnostics.push(error(`Invalid timeouts.${name} "${value}" for ${address}`, 'Expected a duration such as "10m", "90s" or "1h30m".'));
      }
    }
  }
  return diagnostics;
}

function timeoutOf(block: Json | undefined, name: 'create' | 'update' | 'delete'): number | null {
  if (!block || typeof block !== 'object' || Array.isArray(block)) return null;
  const value = (block as Readonly<Record<string, Json>>)[name];
  return typeof value === 'string' ? parseDuration(value) : null;
}

function defaultTimeout(name: 'create' | 'update' | 'delete'): number {
  const text = { create: LINODE_DEFAULTS.createTimeout, update: LINODE_DEFAULTS.updateTimeout, delete: LINODE_DEFAULTS.deleteTimeout }[name];
  return parseDuration(text) ?? 600_000;
}

function knownJson(v: Value): Json | undefined {
  const plain = unmarkDeep(v);
  return containsUnknown(plain) ? undefined : (plain as Json);
}

function stringOr(v: Json | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

function stringList(v: Json | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Same tags as Linode sees them: as a set, without regard to case. */
function sameTags(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a.map((t) => t.toLowerCase()));
  const sb = new Set(b.map((t) => t.toLowerCase()));
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}
