/**
 * The Linode API as the provider uses it, over the official client `@linode/api-v4`.
 *
 * The client has one global axios instance (`baseRequest`) and a fixed address
 * (`https://api.linode.com/v4`, `/v4beta` for some calls): the token is installed with its
 * `setToken` (an interceptor, replaced when the token changes) and a second interceptor rewrites
 * the address to the configured `url` and sets the request timeout. Because that state is global,
 * one process talks to one Linode configuration at a time (the last one activated); a
 * configuration has one `provider "linode"` block, so that is all the engine needs.
 *
 * Every call returns a result, never throws for an API or network failure, and retries as
 * retry.ts describes. Every answer is checked before it is used: a body that is not what the
 * endpoint sends (not JSON, cut short, an HTML page with status 200) is an `invalid` failure
 * naming the endpoint, never a value with holes in it.
 */
import {
  allocateIp,
  assignAddresses,
  baseRequest,
  createLinode,
  deleteLinode,
  getIP,
  getImages,
  getLinode,
  getLinodes,
  getRegions,
  removeIPAddress,
  setToken,
  updateLinode,
  type APIError,
  type IPAddress,
  type CreateLinodeRequest,
  type Filter,
  type Linode,
} from '@linode/api-v4';
import { retryDecision, withRetries, type ApiFailure, type Attempted, type Outcome } from './retry.js';
import { instanceProblem, ipAddressProblem, listPageProblem, pageProblem } from './validate.js';
import type { LinodeSettings } from './settings.js';

/** The address the client library has built in. */
const CLIENT_ROOT = 'https://api.linode.com/';
/** Largest page the API serves. */
export const MAX_PAGE_SIZE = 500;

interface Session {
  readonly token: string;
  readonly apiRoot: string;
  readonly requestTimeoutMs: number;
}

let active: Session | null = null;
let tokenInterceptor: number | null = null;
let routingInstalled = false;

function activate(settings: LinodeSettings): void {
  if (!routingInstalled) {
    baseRequest.interceptors.request.use((config) => {
      const session = active;
      if (session) {
        if (typeof config.url === 'string' && config.url.startsWith(CLIENT_ROOT)) {
          config.url = `${session.apiRoot}/${config.url.slice(CLIENT_ROOT.length)}`;
        }
        config.timeout = session.requestTimeoutMs;
      }
      return config;
    });
    routingInstalled = true;
  }
  if (active?.token !== settings.token) {
    if (tokenInterceptor !== null) baseRequest.interceptors.request.eject(tokenInterceptor);
    tokenInterceptor = setToken(settings.token);
  }
  active = { token: settings.token, apiRoot: settings.apiRoot, requestTimeoutMs: settings.requestTimeoutMs };
}

/** Fields of a create request the provider sends. */
export type CreateInstanceBody = Pick<
  CreateLinodeRequest,
  'label' | 'region' | 'type' | 'image' | 'root_pass' | 'authorized_keys' | 'tags' | 'private_ip' | 'booted'
>;

/** Fields of an update request the provider sends. */
export interface UpdateInstanceBody {
  readonly label?: string;
  readonly tags?: string[];
}

/**
 * How a create ended. `unconfirmed`: the last answer may hide a created instance and the lookup
 * that would tell failed too, so nobody knows whether it exists.
 */
export type CreateAttempt = Attempted<Linode> | (Extract<Attempted<Linode>, { ok: false }> & { readonly unconfirmed: true });

/** One operation's view of the API: its settings, interruption signal and progress log. */
export class LinodeApi {
  constructor(
    readonly settings: LinodeSettings,
    private readonly signal: AbortSignal,
    private readonly log: (line: string) => void,
  ) {}

  /** One instance, or null when the API says 404. */
  getInstance(id: number, deadline?: number): Promise<Attempted<Linode | null>> {
    return this.retried(`read Linode ${id}`, deadline, async (): Promise<Outcome<Linode | null>> => {
      const got = await this.once(() => getLinode(id), `GET /linode/instances/${id}`, instanceProblem);
      if (!got.ok && got.failure.kind === 'http' && got.failure.status === 404) return { ok: true, value: null };
      return got;
    });
  }

  /**
   * Every instance matching `filter`, one request per page of 500 (the API's largest page), so a
   * state of up to 500 instances is read with one request.
   */
  async listInstances(filter: Filter, what: string, deadline?: number): Promise<Attempted<Linode[]>> {
    const byId = new Map<number, Linode>();
    let pages = 1;
    for (let page = 1; page <= pages; page++) {
      const got = await this.retried(what, deadline, () =>
        this.once(() => getLinodes({ page, page_size: MAX_PAGE_SIZE }, filter), 'GET /linode/instances', pageProblem),
      );
      if (!got.ok) return got;
      pages = got.value.pages;
      // A page boundary can shift while paging; the id keeps each instance once.
      for (const instance of got.value.data) byId.set(instance.id, instance);
    }
    return { ok: true, value: [...byId.values()] };
  }

  /**
   * Every object of a list endpoint (`GET /images`, `GET /regions`) matching `filter` (sent as
   * X-Filter), one request per page of 500; objects are checked to be objects only (the data
   * sources take the fields they know).
   */
  async listAll(endpoint: 'images' | 'regions', filter: Filter, deadline?: number): Promise<Attempted<Record<string, unknown>[]>> {
    const out: Record<string, unknown>[] = [];
    const call = endpoint === 'images' ? getImages : getRegions;
    let pages = 1;
    for (let page = 1; page <= pages; page++) {
      const got = await this.retried(`list ${endpoint}`, deadline, () =>
        this.once(() => call({ page, page_size: MAX_PAGE_SIZE }, filter) as Promise<unknown>, `GET /${endpoint}`, listPageProblem),
      );
      if (!got.ok) return got;
      const answer = got.value as { pages: number; data: Record<string, unknown>[] };
      pages = answer.pages;
      out.push(...answer.data);
    }
    return { ok: true, value: out };
  }

  /**
   * Creates an instance. After an ambiguous failure (no answer, 5xx, an answer that is not a
   * valid instance) it looks the label up before sending again: labels are unique per account,
   * so a match that carries this resource's tags (`isOurs`) is the instance the lost request
   * created, and it is returned instead of creating a second one. The lookup reads every page
   * and checks label and tags itself, so an API that ignores the filter cannot mislead it.
   */
  async createInstance(
    body: CreateInstanceBody,
    isOurs: (instance: Linode) => boolean,
    deadline?: number,
  ): Promise<CreateAttempt> {
    const label = body.label ?? '';
    const recover = async (): Promise<Outcome<Linode | undefined>> => {
      const found = await this.findByLabel(label, isOurs);
      if (!found.ok) return found;
      const match = found.value;
      if (match) this.log(`Linode "${label}" was created (id ${match.id}) although its answer was lost; using it`);
      return { ok: true, value: match };
    };
    const created = await withRetries(() => this.once(() => createLinode(body), 'POST /linode/instances', instanceProblem), {
      ...this.retryOptions(`create Linode "${label}"`, deadline),
      recover,
    });
    if (created.ok || !retryDecision(created.failure).ambiguous) return created;
    // Out of retries after an answer that may hide a created instance: look once more, so that
    // an instance that exists is returned (and recorded) rather than left behind.
    const last = await recover();
    if (last.ok && last.value !== undefined) return { ok: true, value: last.value };
    return last.ok ? created : { ...created, unconfirmed: true };
  }

  /** `findByLabel`, retried as every call is. */
  findInstance(label: string, isOurs: (instance: Linode) => boolean, deadline?: number): Promise<Attempted<Linode | undefined>> {
    return this.retried(`look up Linode "${label}"`, deadline, () => this.findByLabel(label, isOurs));
  }

  /**
   * The instance labelled `label` for which `isOurs` holds, or undefined when the API has none
   * (one pass over the pages of the label filter; label and tags checked here, not trusted to
   * the filter). Not retried: callers retry or report.
   */
  async findByLabel(label: string, isOurs: (instance: Linode) => boolean): Promise<Outcome<Linode | undefined>> {
    let pages = 1;
    for (let page = 1; page <= pages; page++) {
      const got = await this.once(() => getLinodes({ page, page_size: MAX_PAGE_SIZE }, { label }), 'GET /linode/instances', pageProblem);
      if (!got.ok) return got;
      pages = got.value.pages;
      const match = got.value.data.find((i) => i.label === label && isOurs(i));
      if (match) return { ok: true, value: match };
    }
    return { ok: true, value: undefined };
  }

  updateInstance(id: number, body: UpdateInstanceBody, deadline?: number): Promise<Attempted<Linode>> {
    // Sending the same label and tags again is harmless, so every failure may simply be retried.
    return this.retried(`update Linode ${id}`, deadline, () => this.once(() => updateLinode(id, body), `PUT /linode/instances/${id}`, instanceProblem));
  }

  /** Asks for deletion; true when the API accepted it, false when the instance was already gone. */
  deleteInstance(id: number, deadline?: number): Promise<Attempted<boolean>> {
    return this.retried(`delete Linode ${id}`, deadline, async (): Promise<Outcome<boolean>> => {
      const got = await this.once(() => deleteLinode(id), `DELETE /linode/instances/${id}`, () => null);
      if (got.ok) return { ok: true, value: true };
      if (got.failure.kind === 'http' && got.failure.status === 404) return { ok: true, value: false };
      return got;
    });
  }

  /**
   * Allocates one more public IPv4 on Linode `linodeId`. After an ambiguous failure it reads the
   * Linode and takes an address it did not have before (`before`, its addresses when the call
   * started) as the one the lost request allocated, so no address is left unrecorded.
   */
  async allocatePublicIpv4(linodeId: number, before: readonly string[], deadline?: number): Promise<Attempted<IPAddress>> {
    const recover = async (): Promise<Outcome<IPAddress | undefined>> => {
      const got = await this.once(() => getLinode(linodeId), `GET /linode/instances/${linodeId}`, instanceProblem);
      if (!got.ok) return got;
      const fresh = got.value.ipv4.find((a) => !before.includes(a) && !a.startsWith('192.168.'));
      if (fresh === undefined) return { ok: true, value: undefined };
      this.log(`IPv4 ${fresh} was allocated to Linode ${linodeId} although the answer was lost; using it`);
      return this.once(() => getIP(fresh), `GET /networking/ips/${fresh}`, ipAddressProblem);
    };
    return withRetries(() => this.once(() => allocateIp({ type: 'ipv4', public: true, linode_id: linodeId }), 'POST /networking/ips', ipAddressProblem), {
      ...this.retryOptions(`allocate an IPv4 on Linode ${linodeId}`, deadline),
      recover,
    });
  }

  /** One address, or null when the account has no such address (404). */
  getIpAddress(address: string, deadline?: number): Promise<Attempted<IPAddress | null>> {
    return this.retried(`read IP ${address}`, deadline, async (): Promise<Outcome<IPAddress | null>> => {
      const got = await this.once(() => getIP(address), `GET /networking/ips/${address}`, ipAddressProblem);
      if (!got.ok && got.failure.kind === 'http' && got.failure.status === 404) return { ok: true, value: null };
      return got;
    });
  }

  /** Moves each address to its Linode in one region, all at once (`POST /networking/ips/assign`); sending it again is harmless. */
  assignIps(region: string, assignments: readonly { readonly address: string; readonly linode_id: number }[], deadline?: number): Promise<Attempted<unknown>> {
    return this.retried(`assign ${assignments.map((a) => `${a.address} to Linode ${a.linode_id}`).join(', ')}`, deadline, () =>
      this.once(() => assignAddresses({ region, assignments: [...assignments] }), 'POST /networking/ips/assign', () => null),
    );
  }

  /** Releases an address of a Linode; true when released, false when it was gone already (404). */
  releaseIp(linodeId: number, address: string, deadline?: number): Promise<Attempted<boolean>> {
    return this.retried(`release IP ${address}`, deadline, async (): Promise<Outcome<boolean>> => {
      const got = await this.once(() => removeIPAddress({ linodeID: linodeId, address }), `DELETE /linode/instances/${linodeId}/ips/${address}`, () => null);
      if (got.ok) return { ok: true, value: true };
      if (got.failure.kind === 'http' && got.failure.status === 404) return { ok: true, value: false };
      return got;
    });
  }

  private retried<T>(what: string, deadline: number | undefined, attempt: () => Promise<Outcome<T>>): Promise<Attempted<T>> {
    return withRetries(attempt, this.retryOptions(what, deadline));
  }

  private retryOptions(what: string, deadline: number | undefined) {
    return {
      policy: this.settings.retry,
      signal: this.signal,
      what,
      log: this.log,
      ...(deadline !== undefined ? { deadline } : {}),
    };
  }

  /**
   * One request. `problem` checks the answer (null when it has the endpoint's shape); what the
   * client library typed it as is only a claim until then.
   */
  private async once<T>(call: () => Promise<T>, endpoint: string, problem: (answer: unknown) => string | null): Promise<Outcome<T>> {
    if (this.signal.aborted) return { ok: false, failure: { kind: 'aborted' } };
    activate(this.settings);
    let answer: T;
    try {
      answer = await call();
    } catch (e) {
      const failure = toFailure(e);
      // A 2xx the library could not take (strict JSON parsing) is a bad answer, not a refusal.
      if (failure.kind === 'http' && failure.status < 300) return { ok: false, failure: { kind: 'invalid', endpoint, problem: 'a body that is not JSON (or was cut short)' } };
      return { ok: false, failure };
    }
    const wrong = problem(answer);
    return wrong === null ? { ok: true, value: answer } : { ok: false, failure: { kind: 'invalid', endpoint, problem: wrong } };
  }
}

/**
 * What went wrong, from what the client rejects with: an axios error (with or without a
 * response) or, for its own validation, an array of `{reason, field}`. Anything else is a bug.
 * Only the status, Linode's error list and a few headers (`Retry-After`, `X-RateLimit-*`,
 * `X-Maintenance-Mode`, whether the body was an HTML page) are kept; the error object itself
 * carries the request, Authorization header included, and never leaves this function.
 */
export function toFailure(e: unknown, now = Date.now()): ApiFailure {
  if (Array.isArray(e)) return { kind: 'rejected', errors: apiErrorsOf({ errors: e }) };
  if (isRecord(e) && e.isAxiosError === true) {
    const response = e.response;
    if (isRecord(response) && typeof response.status === 'number') {
      const header = (name: string): unknown => (isRecord(response.headers) ? response.headers[name] : undefined);
      const contentType = header('content-type');
      return {
        kind: 'http',
        status: response.status,
        errors: apiErrorsOf(response.data),
        retryAfterMs: retryAfterMs(header('retry-after'), now) ?? rateLimitResetMs(header('x-ratelimit-remaining'), header('x-ratelimit-reset'), now),
        maintenance: header('x-maintenance-mode') !== undefined,
        html: typeof contentType === 'string' && /^text\/html/i.test(contentType),
      };
    }
    return { kind: 'network', code: typeof e.code === 'string' ? e.code : 'ERR_NETWORK' };
  }
  throw e;
}

/**
 * `Retry-After` as milliseconds: delta-seconds or an HTTP date. Zero or negative seconds (sent
 * by broken proxies) come back as 0: the retry loop never waits less than its own backoff.
 */
export function retryAfterMs(value: unknown, now = Date.now()): number | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  if (/^-?\d+$/.test(text)) return Math.max(0, Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** When no `Retry-After` came: the wait until `X-RateLimit-Reset` (epoch seconds) once nothing remains. */
function rateLimitResetMs(remaining: unknown, reset: unknown, now: number): number | null {
  if (typeof remaining !== 'string' || remaining.trim() !== '0' || typeof reset !== 'string' || !/^\d+$/.test(reset.trim())) return null;
  return Math.max(0, Number(reset.trim()) * 1000 - now);
}

function apiErrorsOf(data: unknown): APIError[] {
  if (!isRecord(data) || !Array.isArray(data.errors)) return [];
  // Linode sends `field: null` for errors about no field in particular.
  return data.errors.filter(isApiError).map((x) => (x.field ? { reason: x.reason, field: x.field } : { reason: x.reason }));
}

function isApiError(x: unknown): x is APIError {
  return isRecord(x) && typeof x.reason === 'string' && (x.field === undefined || x.field === null || typeof x.field === 'string');
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}
