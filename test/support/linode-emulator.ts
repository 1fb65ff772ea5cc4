/**
 * An emulator of the Linode API v4 for tests: a real HTTP server on 127.0.0.1 (random port) that
 * speaks the shapes the provider uses, under both `/v4` and `/v4beta`:
 *
 * - `GET/POST /linode/instances` (list with `page`/`page_size` 25-500 and `X-Filter`; create),
 *   `GET/PUT/DELETE /linode/instances/:id`, `GET /regions`, `GET /linode/types`, `GET /images`;
 * - list envelope `{data, page, pages, results}`; errors `{errors: [{reason, field?}]}`;
 * - bearer-token auth: 401 `Invalid Token` without it or with another (the catalog endpoints are
 *   public, as on Linode, unless a wrong token is sent);
 * - validation as Linode does it: region and type required and known, label rules and uniqueness
 *   ("Label must be unique among your linodes"), root_pass required with an image and strong
 *   enough, tag lengths, SSH key format. Every problem is reported at once.
 * - status `provisioning` -> `booting` -> `running` over `timing`; DELETE makes the instance
 *   `deleting` for `timing.deletingMs`, then it is gone (404);
 * - public IPv4 addresses in 127.80.0.0/16 (so waits for SSH stay on this machine), or from
 *   `hosts` (a `HostBackend`: real hosts behind the instances, test/support/lab/); private ones
 *   in 192.168.128.0/17, IPv6 in the documentation range 2001:db8::/32;
 * - tags as Linode keeps them: case-insensitive, stored in lower case and returned sorted; a
 *   restricted user (`restrictedUser`) may not set them (403, as for a user without the
 *   grant to add tags);
 * - `X-Filter` checked as Linode checks it: a list value for a field (`{"tags": ["a"]}`) is
 *   refused (400); `ignoreFilter` makes it answer as if no filter had been sent (an API or proxy
 *   that drops the header);
 * - rate limits on creates (`createRateLimit`, default 20 per 15 s): 429 with `Retry-After` and
 *   `X-RateLimit-Limit`, `-Remaining`, `-Reset` on every create answer;
 * - injectable faults per method/path and count: an error status (429 with Retry-After, 500,
 *   503 with `X-Maintenance-Mode`, nginx's HTML 400 page, ...), extra headers, latency, hangs,
 *   dropped connections before or after the request took effect, and answers whose body is
 *   truncated or not JSON (after the request took effect);
 * - the Networking API of a service address (allocate, get, assign, release; linode-networking.ts).
 *
 * Exact reason texts for some errors (unknown region or image) are not published by Linode; the
 * emulator's are close, and the shape (`reason` + `field`) is Linode's.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IMAGES, REGIONS, TYPES } from './linode-catalog.js';
import { compileFilter } from './linode-filter.js';
import { networkingHandler, type NetworkHosts } from './linode-networking.js';

/** How to start an emulator. */
export interface LinodeEmulatorOptions {
  /** The token clients must send; random when left out. */
  readonly token?: string;
  readonly provisioningMs?: number;
  readonly bootingMs?: number;
  readonly deletingMs?: number;
  /** First instance id (default 40000001). */
  readonly firstId?: number;
  /** The token's user is restricted: it may not set tags (mutable later as `restrictedUser`). */
  readonly restrictedUser?: boolean;
  /** Creates allowed per window (default 20 per 15 s, as on Linode). */
  readonly createRateLimit?: RateLimit;
  /** Real hosts behind the instances (the lab, test/support/lab/lab-emulator.ts). */
  readonly hosts?: HostBackend;
}

/** A request budget: `limit` requests per `windowMs`. */
export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * What stands behind the instances when they are real hosts. The emulator draws each instance's
 * public IPv4 from `allocateIpv4` (seeded ones too), boots a host for each instance created
 * through the API, powers it off when the instance is deleted (through the API or outside), and
 * releases the address once the instance is gone. A deleted instance stays `deleting` until
 * its host is off (and `timing.deletingMs` has passed), so "gone from the API" means "powered
 * off". None of these may throw or reject: a backend reports its own failures.
 */
export interface HostBackend extends NetworkHosts {
  /** A free address; a released one may be handed out again (Linode reuses addresses). */
  allocateIpv4(): string;
  releaseIpv4(ipv4: string): void;
  /** Starts booting the instance's host; the API answers without waiting (sshd comes later). */
  boot(instance: EmulatedInstance, authorizedKeys: readonly string[]): void;
  /** Resolves once the host is off. */
  powerOff(instance: EmulatedInstance): Promise<void>;
}

/** How long an instance spends in each transitional status. Mutable while running. */
export interface EmulatorTiming {
  provisioningMs: number;
  bootingMs: number;
  deletingMs: number;
}

/** A fault to inject: which requests it hits, how many, and what it does to them. */
export interface FaultSpec {
  /** HTTP method to match; any when left out. */
  readonly method?: string;
  /**
   * Path after `/v4` or `/v4beta` (`/linode/instances`, `/linode/instances/*`), `*` matching
   * one segment; or a RegExp on that path. Any path when left out.
   */
  readonly path?: string | RegExp;
  /** How many matching requests the fault affects (default 1; Infinity for all). */
  readonly count?: number;
  /** Answer with this status and a Linode error body instead of handling the request. */
  readonly status?: number;
  /** `Retry-After` header value (seconds; may be 0 or negative, as broken proxies send) with `status`. */
  readonly retryAfter?: number;
  /** More headers on the answer (`X-Maintenance-Mode`). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Replace the answer's body after the request took effect: `truncated` (the JSON cut in half,
   * Content-Length matching), `invalid` (not JSON at all), `html` (nginx's HTML error page for
   * the status, `text/html`, as nginx in front of the API sends it).
   */
  readonly body?: 'truncated' | 'invalid' | 'html';
  /**
   * Carry the request out, then never answer (the connection stays open until the client gives
   * up or the emulator closes).
   */
  readonly hang?: boolean;
  /** `errors[0].reason` with `status` (default: the status text). */
  readonly reason?: string;
  /** Delay before anything else happens. */
  readonly latencyMs?: number;
  /**
   * Destroy the connection: `before` handling (the request has no effect) or `after` (it took
   * effect, the answer is lost).
   */
  readonly drop?: 'before' | 'after';
}

/** An injected fault, to check how often it struck. */
export interface FaultHandle {
  /** Requests the fault affected so far. */
  readonly hits: number;
}

/** One request as the emulator received it (the token itself is never kept). */
export interface RecordedRequest {
  readonly at: number;
  readonly method: string;
  /** As sent: `/v4beta/linode/instances`. */
  readonly path: string;
  /** Without the version: `/linode/instances`. */
  readonly apiPath: string;
  readonly query: Readonly<Record<string, string>>;
  /** Parsed `X-Filter`, or null. */
  readonly filter: unknown;
  readonly body: unknown;
  readonly auth: 'valid' | 'missing' | 'invalid';
  /** Status sent, `dropped`, or null while in progress. */
  status: number | 'dropped' | null;
  /** True when an injected fault decided the answer. */
  faulted: boolean;
}

/** An instance as `GET /linode/instances/:id` shows it. */
export interface EmulatedInstance {
  readonly id: number;
  readonly label: string;
  readonly group: string;
  readonly status: string;
  readonly created: string;
  readonly updated: string;
  readonly type: string;
  readonly region: string;
  readonly image: string | null;
  readonly ipv4: readonly string[];
  readonly ipv6: string;
  readonly tags: readonly string[];
  readonly [field: string]: unknown;
}

/** What `seedInstance` takes: an instance made without the API (someone else's, an orphan). */
export interface SeedInstance {
  readonly label: string;
  readonly region?: string;
  readonly type?: string;
  readonly image?: string;
  readonly tags?: readonly string[];
  /** Status to hold instead of following `timing` (default: running). */
  readonly status?: string;
  /** Addresses instead of one from the emulator's public range. */
  readonly ipv4?: readonly string[];
}

/** A running emulator: its address and token, its state, and controls for tests. */
export interface LinodeEmulator {
  /** `http://127.0.0.1:PORT/v4`, for the provider's url or LINODE_URL. */
  readonly url: string;
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly token: string;
  readonly timing: EmulatorTiming;
  /** Every request received, in order. */
  readonly requests: readonly RecordedRequest[];
  /** Current instances (a fresh snapshot each time). */
  readonly instances: ReadonlyMap<number, EmulatedInstance>;
  instance(id: number): EmulatedInstance | undefined;
  /** The token's user may not set tags: creates and updates with tags answer 403. */
  restrictedUser: boolean;
  /** The API ignores `X-Filter`: every list answers with every row. */
  ignoreFilter: boolean;
  /**
   * The status new instances reach after provisioning and booting (default `running`; `offline`
   * for a boot that fails). A long `timing.provisioningMs` keeps them provisioning instead.
   */
  bootsTo: string;
  /** Called after each create through the API (tests open SSH listeners on the new address). */
  onCreated: ((instance: EmulatedInstance) => void) | null;
  injectFault(fault: FaultSpec): FaultHandle;
  clearFaults(): void;
  clearRequests(): void;
  seedInstance(seed: SeedInstance): EmulatedInstance;
  /** Changes made outside the provider (in the Cloud Manager). */
  updateOutside(id: number, patch: { label?: string; tags?: readonly string[]; status?: string | null }): void;
  /** Deleted outside the provider: gone at once. */
  deleteOutside(id: number): boolean;
  /** The root password an instance was created with (for tests that check it was sent). */
  rootPassOf(id: number): string | undefined;
  close(): Promise<void>;
}

interface StoredInstance {
  readonly id: number;
  label: string;
  readonly region: string;
  readonly type: string;
  readonly image: string | null;
  tags: string[];
  readonly ipv4: string[];
  readonly ipv6: string;
  readonly rootPass: string | undefined;
  readonly createdAt: number;
  updatedAt: number;
  deletingSince: number | null;
  /** A status held regardless of timing (tests; seeded instances). */
  heldStatus: string | null;
  /** The status after provisioning and booting. */
  readonly bootsTo: string;
  /** False while a deleted instance's host (`hosts`) is still powering off. */
  hostOff: boolean;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

interface ActiveFault {
  readonly spec: FaultSpec;
  remaining: number;
  hits: number;
}

interface ApiError {
  readonly reason: string;
  readonly field?: string;
}

const INSTANCE_FILTERABLE = new Set(['id', 'label', 'region', 'type', 'image', 'status', 'tags', 'group', 'watchdog_enabled']);
const REGION_FILTERABLE = new Set(['id', 'country', 'site_type', 'status']);
const TYPE_FILTERABLE = new Set(['id', 'label', 'class', 'disk', 'memory', 'vcpus', 'gpus', 'network_out', 'transfer']);
const IMAGE_FILTERABLE = new Set(['id', 'label', 'vendor', 'is_public', 'deprecated', 'status', 'type', 'size', 'created_by']);

const STATUS_REASON: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Invalid Token',
  404: 'Not found',
  408: 'Request Timeout',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * Process-wide, so two emulators in one test run never hand out the same address; the random
 * start keeps test processes running side by side apart too.
 */
let nextAddress = 1 + Math.floor(Math.random() * 60_000);

function allocateIpv4(): string {
  const n = nextAddress++;
  // 127.80.0.0/16, skipping .0 and .255 host bytes.
  const third = Math.floor(n / 254) % 256;
  const fourth = (n % 254) + 1;
  return `127.80.${third}.${fourth}`;
}

/** Starts an emulator on 127.0.0.1 and a random port. */
export async function startLinodeEmulator(options: LinodeEmulatorOptions = {}): Promise<LinodeEmulator> {
  const token = options.token ?? `emu-${randomBytes(18).toString('hex')}`;
  const timing: EmulatorTiming = {
    provisioningMs: options.provisioningMs ?? 100,
    bootingMs: options.bootingMs ?? 100,
    deletingMs: options.deletingMs ?? 50,
  };
  const store = new Map<number, StoredInstance>();
  const requests: RecordedRequest[] = [];
  let faults: ActiveFault[] = [];
  let nextId = options.firstId ?? 40_000_001;
  let privateHost = 1;

  const statusOf = (i: StoredInstance, now: number): string => {
    if (i.deletingSince !== null) return 'deleting';
    if (i.heldStatus !== null) return i.heldStatus;
    const age = now - i.createdAt;
    if (age < timing.provisioningMs) return 'provisioning';
    if (age < timing.provisioningMs + timing.bootingMs) return 'booting';
    return i.bootsTo;
  };

  const forget = (i: StoredInstance): void => {
    store.delete(i.id);
    // Its public addresses (the first, and any allocated or assigned to it since) go with it.
    if (options.hosts) for (const a of i.ipv4) if (!a.startsWith('192.168.')) options.hosts.releaseIpv4(a);
  };

  const purge = (now: number): void => {
    for (const i of [...store.values()]) {
      if (i.deletingSince !== null && now - i.deletingSince >= timing.deletingMs && i.hostOff) forget(i);
    }
  };

  const view = (i: StoredInstance, now: number): EmulatedInstance => {
    const t = TYPES.find((x) => x.id === i.type);
    return {
      id: i.id,
      label: i.label,
      group: '',
      status: statusOf(i, now),
      created: apiTime(i.createdAt),
      updated: apiTime(i.updatedAt),
      type: i.type,
      ipv4: [...i.ipv4],
      ipv6: i.ipv6,
      image: i.image,
      region: i.region,
      site_type: 'core',
      specs: {
        disk: t?.disk ?? 0,
        memory: t?.memory ?? 0,
        vcpus: t?.vcpus ?? 0,
        gpus: 0,
        transfer: t?.transfer ?? 0,
        accelerated_devices: 0,
      },
      alerts: { cpu: 90 * (t?.vcpus ?? 1), network_in: 10, network_out: 10, transfer_quota: 80, io: 10_000 },
      backups: { enabled: false, available: false, schedule: { day: null, window: null }, last_successful: null },
      hypervisor: 'kvm',
      watchdog_enabled: true,
      tags: [...i.tags],
      host_uuid: `emu${i.id.toString(16)}`,
      has_user_data: false,
      placement_group: null,
      disk_encryption: 'disabled',
      lke_cluster_id: null,
      capabilities: [],
      locks: [],
      maintenance_policy: 'linode/migrate',
      interface_generation: 'legacy_config',
    };
  };

  const insert = (fields: {
    label: string;
    region: string;
    type: string;
    image: string | null;
    tags: string[];
    privateIp: boolean;
    rootPass: string | undefined;
    heldStatus: string | null;
    ipv4?: readonly string[];
  }): StoredInstance => {
    const id = nextId++;
    const now = Date.now();
    const ipv4 = fields.ipv4 ? [...fields.ipv4] : [options.hosts ? options.hosts.allocateIpv4() : allocateIpv4()];
    if (fields.privateIp) {
      ipv4.push(`192.168.${128 + Math.floor(privateHost / 254)}.${(privateHost % 254) + 1}`);
      privateHost++;
    }
    const stored: StoredInstance = {
      id,
      label: fields.label,
      region: fields.region,
      type: fields.type,
      image: fields.image,
      tags: normalTags(fields.tags),
      ipv4,
      ipv6: `2001:db8::${id.toString(16)}/128`,
      rootPass: fields.rootPass,
      createdAt: now,
      updatedAt: now,
      deletingSince: null,
      heldStatus: fields.heldStatus,
      bootsTo: emulator.bootsTo,
      hostOff: true,
    };
    store.set(id, stored);
    return stored;
  };

  const labelTaken = (label: string, except?: number): boolean =>
    [...store.values()].some((i) => i.label === label && i.id !== except && i.deletingSince === null);

  // ---- handlers ---------------------------------------------------------------------------

  /** Linode counts create requests per window; every answer says how much of it is left. */
  const createBudget = options.createRateLimit ?? { limit: 20, windowMs: 15_000 };
  let createTimes: number[] = [];
  const withCreateBudget = (now: number, handle: () => Answer): Answer => {
    createTimes = createTimes.filter((t) => now - t < createBudget.windowMs);
    const resetAt = (createTimes[0] ?? now) + createBudget.windowMs;
    const headers = (remaining: number): Record<string, string> => ({
      'X-RateLimit-Limit': String(createBudget.limit),
      'X-RateLimit-Remaining': String(remaining),
      'X-RateLimit-Reset': String(Math.ceil(resetAt / 1000)),
    });
    if (createTimes.length >= createBudget.limit) {
      const retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000));
      return fail(429, [{ reason: 'Too Many Requests' }], { ...headers(0), 'Retry-After': String(retryAfter) });
    }
    createTimes.push(now);
    const answer = handle();
    return { ...answer, headers: { ...(answer.headers ?? {}), ...headers(createBudget.limit - createTimes.length) } };
  };

  const list = (items: readonly Record<string, unknown>[], query: URLSearchParams, filter: unknown, filterable: ReadonlySet<string>): Answer => {
    const problems: ApiError[] = [];
    const page = intParam(query, 'page', 1);
    const pageSize = intParam(query, 'page_size', 100);
    if (page === null || page < 1) problems.push({ field: 'page', reason: 'Must be an integer of at least 1' });
    if (pageSize === null || pageSize < 25 || pageSize > 500) {
      problems.push({ field: 'page_size', reason: 'Must be an integer between 25 and 500' });
    }
    let rows = [...items];
    if (filter !== null && !emulator.ignoreFilter) {
      const compiled = compileFilter(filter, filterable);
      if (!compiled.ok) problems.push({ reason: compiled.reason });
      else {
        rows = rows.filter(compiled.matches);
        if (compiled.orderBy !== null) {
          const key = compiled.orderBy;
          const sign = compiled.order === 'desc' ? -1 : 1;
          rows.sort((a, b) => sign * compareValues(a[key], b[key]));
        }
      }
    }
    if (problems.length > 0 || page === null || pageSize === null) return fail(400, problems);
    const pages = Math.max(1, Math.ceil(rows.length / pageSize));
    return {
      status: 200,
      body: { data: rows.slice((page - 1) * pageSize, page * pageSize), page, pages, results: rows.length },
    };
  };

  const createInstance = (body: unknown): Answer => {
    if (!isObject(body)) return fail(400, [{ reason: 'Request body must be a JSON object' }]);
    const problems: ApiError[] = [];
    const str = (name: string): string | undefined => {
      const v = body[name];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') {
        problems.push({ field: name, reason: `${name} must be a string` });
        return undefined;
      }
      return v;
    };
    const region = str('region');
    const type = str('type');
    const image = str('image');
    const label = str('label');
    const rootPass = str('root_pass');
    if (region === undefined || region === '') problems.push({ field: 'region', reason: 'Region is required.' });
    else if (!REGIONS.some((r) => r.id === region)) problems.push({ field: 'region', reason: `Region ${region} does not exist` });
    if (type === undefined || type === '') problems.push({ field: 'type', reason: 'Plan is required.' });
    else if (!TYPES.some((t) => t.id === type)) problems.push({ field: 'type', reason: 'A valid plan type by that ID was not found' });
    if (image !== undefined && !IMAGES.some((i) => i.id === image)) {
      problems.push({ field: 'image', reason: `Image ${image} does not exist` });
    }
    if (label !== undefined) {
      problems.push(...labelErrors(label));
      if (labelTaken(label)) problems.push({ field: 'label', reason: 'Label must be unique among your linodes' });
    }
    if (image !== undefined) {
      if (rootPass === undefined || rootPass === '') {
        problems.push({ field: 'root_pass', reason: 'You must provide a root password when deploying from an image.' });
      } else {
        problems.push(...rootPassErrors(rootPass));
      }
    }
    const tags = stringList(body.tags, 'tags', problems);
    problems.push(...tagErrors(tags));
    if (tags.length > 0 && emulator.restrictedUser) return fail(403, [TAGS_FORBIDDEN]);
    const keys = stringList(body.authorized_keys, 'authorized_keys', problems);
    keys.forEach((k, n) => {
      if (!/^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ecdsa-sha2-nistp256|ssh-ed25519)@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/.test(k.trim())) {
        problems.push({ field: 'authorized_keys', reason: `SSH Key ${n + 1} key-type must be ssh-dss, ssh-rsa, ecdsa-sha2-nistp, ssh-ed25519, or sk-ecdsa-sha2-nistp256.` });
      }
    });
    if (body.private_ip !== undefined && body.private_ip !== null && typeof body.private_ip !== 'boolean') {
      problems.push({ field: 'private_ip', reason: 'private_ip must be a boolean' });
    }
    if (problems.length > 0) return fail(400, problems);
    const stored = insert({
      label: label ?? `linode${nextId}`,
      region: region as string,
      type: type as string,
      image: image ?? null,
      tags,
      privateIp: body.private_ip === true,
      rootPass,
      heldStatus: null,
    });
    const created = view(stored, Date.now());
    options.hosts?.boot(created, keys);
    emulator.onCreated?.(created);
    return { status: 200, body: created };
  };

  const updateInstance = (stored: StoredInstance, body: unknown): Answer => {
    if (!isObject(body)) return fail(400, [{ reason: 'Request body must be a JSON object' }]);
    const problems: ApiError[] = [];
    let label: string | undefined;
    if (body.label !== undefined) {
      if (typeof body.label !== 'string') problems.push({ field: 'label', reason: 'label must be a string' });
      else {
        label = body.label;
        problems.push(...labelErrors(label));
        if (labelTaken(label, stored.id)) problems.push({ field: 'label', reason: 'Label must be unique among your linodes' });
      }
    }
    const tags = body.tags !== undefined ? stringList(body.tags, 'tags', problems) : undefined;
    problems.push(...tagErrors(tags ?? []));
    if (tags !== undefined && emulator.restrictedUser && !sameTags(tags, stored.tags)) return fail(403, [TAGS_FORBIDDEN]);
    if (problems.length > 0) return fail(400, problems);
    if (label !== undefined) stored.label = label;
    if (tags !== undefined) stored.tags = normalTags(tags);
    stored.updatedAt = Date.now();
    return { status: 200, body: view(stored, Date.now()) };
  };

  const route = (method: string, apiPath: string, query: URLSearchParams, filter: unknown, body: unknown, auth: RecordedRequest['auth']): Answer => {
    const now = Date.now();
    const isPublic = method === 'GET' && /^\/(regions|linode\/types|images)(\/|$)/.test(apiPath);
    if (auth === 'invalid' || (auth === 'missing' && !isPublic)) return fail(401, [{ reason: 'Invalid Token' }]);

    if (apiPath === '/regions' && method === 'GET') return list(REGIONS, query, filter, REGION_FILTERABLE);
    if (apiPath === '/linode/types' && method === 'GET') return list(TYPES as unknown as Record<string, unknown>[], query, filter, TYPE_FILTERABLE);
    if (apiPath === '/images' && method === 'GET') return list(IMAGES, query, filter, IMAGE_FILTERABLE);
    const regionMatch = /^\/regions\/([^/]+)$/.exec(apiPath);
    if (regionMatch && method === 'GET') {
      const r = REGIONS.find((x) => x.id === regionMatch[1]);
      return r ? { status: 200, body: r } : fail(404, [{ reason: 'Not found' }]);
    }
    const typeMatch = /^\/linode\/types\/([^/]+)$/.exec(apiPath);
    if (typeMatch && method === 'GET') {
      const t = TYPES.find((x) => x.id === typeMatch[1]);
      return t ? { status: 200, body: t } : fail(404, [{ reason: 'Not found' }]);
    }

    if (apiPath === '/linode/instances') {
      if (method === 'GET') {
        const rows = [...store.values()].sort((a, b) => a.id - b.id).map((i) => view(i, now));
        return list(rows, query, filter, INSTANCE_FILTERABLE);
      }
      if (method === 'POST') return withCreateBudget(now, () => createInstance(body));
      return fail(405, [{ reason: 'Method Not Allowed' }]);
    }
    const one = /^\/linode\/instances\/(\d+)$/.exec(apiPath);
    if (one) {
      const stored = store.get(Number(one[1]));
      if (!stored) return fail(404, [{ reason: 'Not found' }]);
      if (method === 'GET') return { status: 200, body: view(stored, now) };
      if (method === 'PUT') return updateInstance(stored, body);
      if (method === 'DELETE') {
        if (stored.deletingSince === null) {
          stored.deletingSince = now;
          if (options.hosts) {
            stored.hostOff = false;
            void options.hosts.powerOff(view(stored, now)).then(() => {
              stored.hostOff = true;
            });
          }
          if (timing.deletingMs <= 0 && stored.hostOff) forget(stored);
        }
        return { status: 200, body: {} };
      }
      return fail(405, [{ reason: 'Method Not Allowed' }]);
    }
    return fail(404, [{ reason: 'Not found' }]);
  };

  const networking = networkingHandler({
    instances: () => store.values(),
    regions: REGIONS,
    allocate: () => (options.hosts ? options.hosts.allocateIpv4() : allocateIpv4()),
    hosts: options.hosts && {
      addIpv4: options.hosts.addIpv4?.bind(options.hosts),
      moveIpv4: options.hosts.moveIpv4?.bind(options.hosts),
      // A released address goes back to the pool.
      removeIpv4: async (id, address) => {
        await options.hosts!.removeIpv4?.(id, address);
        options.hosts!.releaseIpv4(address);
      },
    },
  });

  // ---- HTTP -------------------------------------------------------------------------------

  const takeFault = (method: string, apiPath: string): ActiveFault | undefined => {
    const fault = faults.find((f) => f.remaining > 0 && faultMatches(f.spec, method, apiPath));
    if (fault) {
      fault.remaining--;
      fault.hits++;
    }
    return fault;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = (req.method ?? 'GET').toUpperCase();
    const versioned = /^\/(v4|v4beta)(\/.*)?$/.exec(url.pathname);
    const apiPath = versioned ? (versioned[2] ?? '/').replace(/\/+$/, '') || '/' : url.pathname;
    const authHeader = req.headers.authorization;
    const auth: RecordedRequest['auth'] =
      authHeader === undefined ? 'missing' : authHeader === `Bearer ${token}` ? 'valid' : 'invalid';

    let body: unknown = null;
    let bodyError = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        bodyError = true;
      }
    }
    let filter: unknown = null;
    let filterError = false;
    const filterHeader = req.headers['x-filter'];
    if (typeof filterHeader === 'string' && filterHeader.trim() !== '') {
      try {
        filter = JSON.parse(filterHeader);
      } catch {
        filterError = true;
      }
    }
    const record: RecordedRequest = {
      at: Date.now(),
      method,
      path: url.pathname,
      apiPath,
      query: Object.fromEntries(url.searchParams),
      filter,
      body,
      auth,
      status: null,
      faulted: false,
    };
    requests.push(record);
    purge(Date.now());

    const fault = takeFault(method, apiPath);
    if (fault) record.faulted = true;
    if (fault?.spec.latencyMs) await delay(fault.spec.latencyMs);
    if (fault?.spec.drop === 'before') {
      record.status = 'dropped';
      req.socket.destroy();
      return;
    }

    let answer: Answer;
    if (fault?.spec.status !== undefined) {
      answer = fail(fault.spec.status, [{ reason: fault.spec.reason ?? STATUS_REASON[fault.spec.status] ?? 'Error' }], {
        ...(fault.spec.retryAfter !== undefined ? { 'Retry-After': String(fault.spec.retryAfter) } : {}),
      });
    } else if (!versioned) {
      answer = fail(404, [{ reason: 'Not found' }]);
    } else if (bodyError) {
      answer = fail(400, [{ reason: 'Request body is not valid JSON' }]);
    } else if (filterError) {
      answer = fail(400, [{ reason: 'X-Filter is not valid JSON' }]);
    } else {
      const networked = auth === 'valid' ? networking(method, apiPath, body) : null;
      answer = networked ? await networked : route(method, apiPath, url.searchParams, filter, body, auth);
    }

    if (fault?.spec.drop === 'after') {
      record.status = 'dropped';
      req.socket.destroy();
      return;
    }
    if (fault?.spec.hang) {
      // The request took effect; the answer never comes (close() ends the connection).
      record.status = 'dropped';
      return;
    }
    record.status = answer.status;
    const json = JSON.stringify(answer.body);
    const corrupt = fault?.spec.body;
    const text =
      corrupt === 'truncated'
        ? json.slice(0, Math.floor(json.length / 2))
        : corrupt === 'invalid'
          ? 'upstream sent something that is not JSON'
          : corrupt === 'html'
            ? nginxErrorPage(answer.status)
            : json;
    res.writeHead(answer.status, {
      'Content-Type': corrupt === 'html' ? 'text/html' : 'application/json',
      'Content-Length': Buffer.byteLength(text),
      ...(corrupt === 'html' ? { Server: 'nginx' } : {}),
      ...(answer.headers ?? {}),
      ...(fault?.spec.headers ?? {}),
    });
    res.end(text);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ reason: `emulator bug: ${e instanceof Error ? e.message : String(e)}` }] }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  const emulator: LinodeEmulator = {
    onCreated: null,
    restrictedUser: options.restrictedUser ?? false,
    ignoreFilter: false,
    bootsTo: 'running',
    url: `${origin}/v4`,
    origin,
    token,
    timing,
    requests,
    get instances(): ReadonlyMap<number, EmulatedInstance> {
      const now = Date.now();
      purge(now);
      return new Map([...store.values()].map((i) => [i.id, view(i, now)]));
    },
    instance(id) {
      const now = Date.now();
      purge(now);
      const stored = store.get(id);
      return stored ? view(stored, now) : undefined;
    },
    injectFault(spec) {
      const fault: ActiveFault = { spec, remaining: spec.count ?? 1, hits: 0 };
      faults.push(fault);
      return {
        get hits() {
          return fault.hits;
        },
      };
    },
    clearFaults() {
      faults = [];
    },
    clearRequests() {
      requests.length = 0;
    },
    seedInstance(seed) {
      const stored = insert({
        label: seed.label,
        region: seed.region ?? 'us-east',
        type: seed.type ?? 'g6-nanode-1',
        image: seed.image ?? 'linode/debian12',
        tags: [...(seed.tags ?? [])],
        privateIp: false,
        rootPass: undefined,
        heldStatus: seed.status ?? 'running',
        ...(seed.ipv4 ? { ipv4: seed.ipv4 } : {}),
      });
      return view(stored, Date.now());
    },
    updateOutside(id, patch) {
      const stored = store.get(id);
      if (!stored) throw new Error(`no instance ${id}`);
      if (patch.label !== undefined) stored.label = patch.label;
      if (patch.tags !== undefined) stored.tags = normalTags(patch.tags);
      if (patch.status !== undefined) stored.heldStatus = patch.status;
      stored.updatedAt = Date.now();
    },
    deleteOutside(id) {
      const stored = store.get(id);
      if (!stored) return false;
      if (stored.deletingSince === null) void options.hosts?.powerOff(view(stored, Date.now()));
      forget(stored);
      return true;
    },
    rootPassOf(id) {
      return store.get(id)?.rootPass;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return emulator;
}

/** What Linode answers a restricted user who sends tags (only unrestricted users may add tags). */
const TAGS_FORBIDDEN: ApiError = { field: 'tags', reason: 'Unauthorized' };

/** Tags as Linode keeps them: compared without regard to case, stored lower case, listed sorted. */
function normalTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map((t) => t.toLowerCase()))].sort();
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return normalTags(a).join('\n') === normalTags(b).join('\n');
}

/** The page nginx serves for an error status when the API behind it did not answer. */
function nginxErrorPage(status: number): string {
  const title = `${status} ${STATUS_REASON[status] ?? 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

function fail(status: number, errors: readonly ApiError[], headers?: Readonly<Record<string, string>>): Answer {
  return { status, body: { errors }, ...(headers ? { headers } : {}) };
}

/** Linode's label rules (API v4 reference). */
function labelErrors(label: string): ApiError[] {
  const errors: ApiError[] = [];
  if (label.length < 3 || label.length > 64) errors.push({ field: 'label', reason: 'Label must contain between 3 and 64 characters.' });
  if (!/^[A-Za-z0-9._-]*$/.test(label)) {
    errors.push({ field: 'label', reason: 'Label may only consist of alphanumeric characters, dashes (-), underscores (_) or periods (.).' });
  }
  // The OpenAPI pattern: ^[a-zA-Z]((?!--|__|\.\.)[a-zA-Z0-9-_.])+$
  if (!/^[A-Za-z]/.test(label)) errors.push({ field: 'label', reason: 'Label must begin with a letter.' });
  if (!/[A-Za-z0-9]$/.test(label)) errors.push({ field: 'label', reason: 'Label must end with an alphanumeric character.' });
  if (/--|__|\.\./.test(label)) {
    errors.push({ field: 'label', reason: 'Label cannot have two dashes (--), underscores (__) or periods (..) in a row.' });
  }
  return errors;
}

/** Tag lengths, worded as Linode words them (`[tags[0]] Tag 'dev' must be between 3 and 50 characters`). */
function tagErrors(tags: readonly string[]): ApiError[] {
  return tags.flatMap((tag, n) =>
    tag.length < 3 || tag.length > 50 ? [{ field: `tags[${n}]`, reason: `Tag '${tag}' must be between 3 and 50 characters` }] : [],
  );
}

/**
 * Linode scores root passwords internally; the emulator approximates it: 7-128 characters, and
 * at least 11 characters from three of upper case, lower case, digits and punctuation.
 */
function rootPassErrors(pass: string): ApiError[] {
  if (pass.length < 7 || pass.length > 128) return [{ field: 'root_pass', reason: 'Length must be 7-128 characters.' }];
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(pass)).length;
  if (pass.length < 11 || classes < 3) return [{ field: 'root_pass', reason: 'Password does not meet strength requirement.' }];
  return [];
}

function stringList(value: unknown, field: string, problems: ApiError[]): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((x) => typeof x !== 'string')) {
    problems.push({ field, reason: `${field} must be a list of strings` });
    return [];
  }
  return value as string[];
}

function faultMatches(spec: FaultSpec, method: string, apiPath: string): boolean {
  if (spec.method !== undefined && spec.method.toUpperCase() !== method) return false;
  if (spec.path === undefined) return true;
  if (spec.path instanceof RegExp) return spec.path.test(apiPath);
  const pattern = new RegExp(`^${spec.path.split('*').map(escapeRegExp).join('[^/]+')}$`);
  return pattern.test(apiPath);
}

function intParam(query: URLSearchParams, name: string, fallback: number): number | null {
  const raw = query.get(name);
  if (raw === null) return fallback;
  return /^\d+$/.test(raw) ? Number(raw) : null;
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

/** Linode's timestamp format: `2018-01-01T00:01:01` (UTC, no zone, whole seconds). */
function apiTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
