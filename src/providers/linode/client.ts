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
 * retry.ts describes.
 */
import {
  baseRequest,
  createLinode,
  deleteLinode,
  getLinode,
  getLinodes,
  setToken,
  updateLinode,
  type APIError,
  type CreateLinodeRequest,
  type Filter,
  type Linode,
} from '@linode/api-v4';
import { retryDecision, withRetries, type ApiFailure, type Attempted, type Outcome } from './retry.js';
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
      const got = await this.once(() => getLinode(id));
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
        this.once(() => getLinodes({ page, page_size: MAX_PAGE_SIZE }, filter)),
      );
      if (!got.ok) return got;
      pages = got.value.pages;
      // A page boundary can shift while paging; the id keeps each instance once.
      for (const instance of got.value.data) byId.set(instance.id, instance);
    }
    return { ok: true, value: [...byId.values()] };
  }

  /**
   * Creates an instance. After an ambiguous failure (no answer, 5xx) it looks the label up
   * before sending again: labels are unique per account, so a match is the instance the lost
   * request created, and it is returned instead of creating a second one.
   */
  async createInstance(
    body: CreateInstanceBody,
    isOurs: (instance: Linode) => boolean,
    deadline?: number,
  ): Promise<Attempted<Linode>> {
    const label = body.label ?? '';
    const recover = async (): Promise<Outcome<Linode | undefined>> => {
      const found = await this.once(() => getLinodes({ page: 1, page_size: 25 }, { label }));
      if (!found.ok) return found;
      const match = found.value.data.find((i) => i.label === label && isOurs(i));
      if (match) this.log(`Linode "${label}" was created (id ${match.id}) although its answer was lost; using it`);
      return { ok: true, value: match };
    };
    const created = await withRetries(() => this.once(() => createLinode(body)), {
      ...this.retryOptions(`create Linode "${label}"`, deadline),
      recover,
    });
    if (created.ok || !retryDecision(created.failure).ambiguous) return created;
    // Out of retries after an answer that may hide a created instance: look once more, so that
    // an instance that exists is returned (and recorded) rather than left behind.
    const last = await recover();
    return last.ok && last.value !== undefined ? { ok: true, value: last.value } : created;
  }

  updateInstance(id: number, body: UpdateInstanceBody, deadline?: number): Promise<Attempted<Linode>> {
    // Sending the same label and tags again is harmless, so every failure may simply be retried.
    return this.retried(`update Linode ${id}`, deadline, () => this.once(() => updateLinode(id, body)));
  }

  /** Asks for deletion; true when the API accepted it, false when the instance was already gone. */
  deleteInstance(id: number, deadline?: number): Promise<Attempted<boolean>> {
    return this.retried(`delete Linode ${id}`, deadline, async (): Promise<Outcome<boolean>> => {
      const got = await this.once(() => deleteLinode(id));
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

  private async once<T>(call: () => Promise<T>): Promise<Outcome<T>> {
    if (this.signal.aborted) return { ok: false, failure: { kind: 'aborted' } };
    activate(this.settings);
    try {
      return { ok: true, value: await call() };
    } catch (e) {
      return { ok: false, failure: toFailure(e) };
    }
  }
}

/**
 * What went wrong, from what the client rejects with: an axios error (with or without a
 * response) or, for its own validation, an array of `{reason, field}`. Anything else is a bug.
 * Only the status, Linode's error list and the Retry-After header are kept; the error object
 * itself carries the request, Authorization header included, and never leaves this function.
 */
export function toFailure(e: unknown): ApiFailure {
  if (Array.isArray(e)) return { kind: 'rejected', errors: apiErrorsOf({ errors: e }) };
  if (isRecord(e) && e.isAxiosError === true) {
    const response = e.response;
    if (isRecord(response) && typeof response.status === 'number') {
      return {
        kind: 'http',
        status: response.status,
        errors: apiErrorsOf(response.data),
        retryAfterMs: retryAfterMs(isRecord(response.headers) ? response.headers['retry-after'] : undefined),
      };
    }
    return { kind: 'network', code: typeof e.code === 'string' ? e.code : 'ERR_NETWORK' };
  }
  throw e;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function retryAfterMs(value: unknown, now = Date.now()): number | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
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
