/**
 * Which failed API requests are worth repeating, and the bounded retry loop around them.
 *
 * Retried: 429 (after `Retry-After` seconds, or until `X-RateLimit-Reset`, when given), 408,
 * 500, 502, 503, 504, Linode's "Linode busy." 400, nginx's HTML 400 page (the Terraform provider
 * retries it too: the API behind the proxy never saw the request), answers that are not what the
 * endpoint sends, and connection failures (reset, refused, timed out). The wait between tries
 * grows exponentially from `minDelayMs` to `maxDelayMs` with jitter and is never shorter than
 * that backoff, whatever `Retry-After` says (0 or negative from a broken proxy included); the
 * loop stops after `maxRetries` retries or when `budgetMs` (or the operation's own deadline)
 * would be overrun. Not retried: a 503 with `X-Maintenance-Mode` (the API is down for
 * maintenance, for far longer than a retry budget) and every other refusal.
 *
 * A failure is "ambiguous" when the request may have been carried out although no usable answer
 * came back (a 5xx, a reset after sending, a timeout, a 200 whose body is cut short). Repeating a
 * create then could make a second instance, so the loop asks `recover` first whether the first
 * one exists.
 */
import type { APIError } from '@linode/api-v4';
import { sleep } from './wait.js';

/** Bounds of the retry loop (from the provider block). */
export interface RetryPolicy {
  /** Retries after the first try. */
  readonly maxRetries: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** Total time for the first try and all retries. */
  readonly budgetMs: number;
}

/** Why one API request failed: as much as is needed to decide, and to explain it. */
export type ApiFailure =
  | {
      readonly kind: 'http';
      readonly status: number;
      readonly errors: readonly APIError[];
      /** From `Retry-After` (seconds), or `X-RateLimit-Reset` once none remain, when the answer had one. */
      readonly retryAfterMs: number | null;
      /** The answer carried `X-Maintenance-Mode`: the API is down for maintenance. */
      readonly maintenance?: boolean;
      /** The body was an HTML page (a proxy's error page), not the API's JSON. */
      readonly html?: boolean;
    }
  /** A 2xx answer without the endpoint's shape (not JSON, cut short, fields missing). */
  | { readonly kind: 'invalid'; readonly endpoint: string; readonly problem: string }
  /** No HTTP answer: `ECONNRESET`, `ECONNREFUSED`, `ECONNABORTED` (timeout), ... */
  | { readonly kind: 'network'; readonly code: string }
  /** Refused by the client library's own validation before anything was sent. */
  | { readonly kind: 'rejected'; readonly errors: readonly APIError[] }
  | { readonly kind: 'aborted' };

/** The result of one try. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: ApiFailure };

/** The end of a retry loop: the value, or the last failure and why the loop stopped. */
export type Attempted<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: ApiFailure; readonly attempts: number; readonly stopped: string | null };

/** What to do after a failure. */
export interface RetryDecision {
  readonly retry: boolean;
  /** The request may have taken effect. */
  readonly ambiguous: boolean;
  /** Wait the server asked for, overriding the backoff. */
  readonly waitMs: number | null;
}

const RETRIED_STATUS = new Set([408, 500, 502, 503, 504]);
const RETRIED_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ERR_NETWORK',
]);

/** Whether and how to retry after `failure`. */
export function retryDecision(failure: ApiFailure): RetryDecision {
  switch (failure.kind) {
    case 'http':
      if (failure.status === 429) return { retry: true, ambiguous: false, waitMs: failure.retryAfterMs };
      if (failure.status === 503 && failure.maintenance) return { retry: false, ambiguous: true, waitMs: null };
      if (failure.status === 400 && failure.html) return { retry: true, ambiguous: false, waitMs: failure.retryAfterMs };
      if (RETRIED_STATUS.has(failure.status)) return { retry: true, ambiguous: true, waitMs: failure.retryAfterMs };
      if (failure.status === 400 && failure.errors.some((e) => /^linode busy\.?$/i.test(e.reason.trim()))) {
        return { retry: true, ambiguous: false, waitMs: failure.retryAfterMs };
      }
      return { retry: false, ambiguous: false, waitMs: null };
    case 'invalid':
      return { retry: true, ambiguous: true, waitMs: null };
    case 'network':
      // A refused connection never reached the server; everything else may have.
      return RETRIED_NETWORK.has(failure.code)
        ? { retry: true, ambiguous: failure.code !== 'ECONNREFUSED', waitMs: null }
        : { retry: false, ambiguous: false, waitMs: null };
    default:
      return { retry: false, ambiguous: false, waitMs: null };
  }
}

/**
 * Wait before retry number `retry` (1-based): exponential, capped, with "equal jitter" (half
 * fixed, half random) so that waits keep growing yet many clients do not retry in step.
 */
export function backoffMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** One request's retry loop: bounds, interruption, progress and recovery. */
export interface RetryOptions<T> {
  readonly policy: RetryPolicy;
  readonly signal: AbortSignal;
  /** What the request does, for progress lines: "list instances". */
  readonly what: string;
  readonly log: (line: string) => void;
  /** Absolute time (ms since epoch) the caller's own budget ends, if earlier than the policy's. */
  readonly deadline?: number;
  /**
   * Asked before repeating a request after an ambiguous failure: `value` set means the request did
   * take effect and `value` is its result; `value` undefined means it did not (try again).
   */
  readonly recover?: () => Promise<Outcome<T | undefined>>;
}

/** Runs `attempt` until it succeeds, fails for good, or the retry bounds are reached. */
export async function withRetries<T>(attempt: () => Promise<Outcome<T>>, options: RetryOptions<T>): Promise<Attempted<T>> {
  const { policy, signal } = options;
  const start = Date.now();
  const deadline = Math.min(start + policy.budgetMs, options.deadline ?? Infinity);
  let attempts = 0;
  let retries = 0;
  let mustRecover = false;

  for (;;) {
    let outcome: Outcome<T>;
    if (mustRecover && options.recover) {
      const recovered = await options.recover();
      if (recovered.ok && recovered.value !== undefined) return { ok: true, value: recovered.value };
      if (recovered.ok) {
        mustRecover = false;
        attempts++;
        outcome = await attempt();
      } else {
        outcome = recovered;
      }
    } else {
      attempts++;
      outcome = await attempt();
    }
    if (outcome.ok) return outcome;
    const failure = outcome.failure;
    if (failure.kind === 'aborted') return { ok: false, failure, attempts, stopped: 'interrupted' };

    const decision = retryDecision(failure);
    if (!decision.retry) return { ok: false, failure, attempts, stopped: null };
    if (retries >= policy.maxRetries) {
      return { ok: false, failure, attempts, stopped: `gave up after ${plural(attempts, 'attempt')}` };
    }
    const waitMs = Math.max(decision.waitMs ?? 0, backoffMs(retries + 1, policy));
    if (Date.now() + waitMs > deadline) {
      const why =
        decision.waitMs !== null
          ? `the API asked to wait ${formatSeconds(waitMs)}, beyond the time left`
          : `gave up after ${plural(attempts, 'attempt')} in ${formatSeconds(Date.now() - start)}`;
      return { ok: false, failure, attempts, stopped: why };
    }
    retries++;
    options.log(
      `Linode API: ${describeFailure(failure)} while trying to ${options.what}; retrying in ${formatSeconds(waitMs)} (retry ${retries} of ${policy.maxRetries})`,
    );
    if (!(await sleep(waitMs, signal))) return { ok: false, failure: { kind: 'aborted' }, attempts, stopped: 'interrupted' };
    if (decision.ambiguous && options.recover) mustRecover = true;
  }
}

/** One-line description of a failure, without the request (which may carry secrets). */
export function describeFailure(failure: ApiFailure): string {
  switch (failure.kind) {
    case 'http': {
      const status = `HTTP ${failure.status}${STATUS_TEXT[failure.status] ? ` ${STATUS_TEXT[failure.status]}` : ''}`;
      if (failure.maintenance) return `${status} (the API is down for maintenance)`;
      return failure.html ? `${status} (an HTML page from a proxy, not the API's answer)` : status;
    }
    case 'invalid':
      return `${failure.endpoint} answered with ${failure.problem}`;
    case 'network':
      return NETWORK_TEXT[failure.code] ?? `connection failed (${failure.code})`;
    case 'rejected':
      return 'request refused by the client library';
    case 'aborted':
      return 'interrupted';
  }
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const NETWORK_TEXT: Readonly<Record<string, string>> = {
  ECONNRESET: 'connection reset (ECONNRESET)',
  ECONNREFUSED: 'connection refused (ECONNREFUSED)',
  ECONNABORTED: 'request timed out (ECONNABORTED)',
  ETIMEDOUT: 'request timed out (ETIMEDOUT)',
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}
