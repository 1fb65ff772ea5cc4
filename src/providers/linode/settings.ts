/**
 * The provider block, resolved: the token and API address with their environment fallbacks
 * (`LINODE_TOKEN`, `LINODE_URL`, as in the Terraform Linode provider) and the tuning knobs with
 * their defaults. Pure; shared by `validateConfig` and every operation.
 */
import { error, type Diagnostic } from '../../diagnostics.js';
import type { Json } from '../../evaluate/value.js';
import type { RetryPolicy } from './retry.js';
import { LINODE_DEFAULTS } from './schema.js';

/** Everything an operation needs to talk to the API. */
export interface LinodeSettings {
  readonly token: string;
  /**
   * Scheme, host and any path prefix, without the API version: requests for
   * `https://api.linode.com/v4beta/x` go to `${apiRoot}/v4beta/x`.
   */
  readonly apiRoot: string;
  readonly retry: RetryPolicy;
  readonly requestTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly sshPort: number;
  readonly refreshReuseMs: number;
}

/** The settings, or the diagnostics saying why there are none. */
export interface ResolvedSettings {
  /** Absent when a diagnostic is an error. */
  readonly settings?: LinodeSettings;
  readonly diagnostics: readonly Diagnostic[];
}

/** Resolves the provider block against the environment; reports what is missing or malformed. */
export function resolveSettings(config: Readonly<Record<string, Json>>, env: NodeJS.ProcessEnv): ResolvedSettings {
  const diagnostics: Diagnostic[] = [];

  const token = firstNonEmpty(config.token, env.LINODE_TOKEN);
  if (token === undefined) {
    diagnostics.push(
      error(
        'No Linode API token',
        'Set token in the provider "linode" block (for example token = env("LINODE_TOKEN")) or export LINODE_TOKEN.',
      ),
    );
  }

  const url = firstNonEmpty(config.url, env.LINODE_URL) ?? LINODE_DEFAULTS.url;
  const apiRoot = apiRootOf(url);
  if (apiRoot === null) {
    diagnostics.push(
      error(
        `Invalid Linode API address "${url}"`,
        'The url (or LINODE_URL) must be an http or https address such as https://api.linode.com/v4.',
      ),
    );
  }

  const number = (name: string, fallback: number, min: number): number => {
    const v = config[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
      diagnostics.push(error(`Invalid ${name} in provider "linode"`, `Expected a number of at least ${min}.`));
      return fallback;
    }
    return v;
  };
  const minDelayMs = number('min_retry_delay_ms', LINODE_DEFAULTS.minRetryDelayMs, 0);
  const maxDelayMs = number('max_retry_delay_ms', LINODE_DEFAULTS.maxRetryDelayMs, 0);
  const maxRetries = number('max_retries', LINODE_DEFAULTS.maxRetries, 0);
  const budgetMs = number('retry_timeout_ms', LINODE_DEFAULTS.retryTimeoutMs, 0);
  const requestTimeoutMs = number('request_timeout_ms', LINODE_DEFAULTS.requestTimeoutMs, 1);
  const pollIntervalMs = number('poll_interval_ms', LINODE_DEFAULTS.pollIntervalMs, 1);
  const sshPort = number('ssh_port', LINODE_DEFAULTS.sshPort, 1);
  const refreshReuseMs = number('refresh_reuse_ms', LINODE_DEFAULTS.refreshReuseMs, 0);
  if (maxDelayMs < minDelayMs) {
    diagnostics.push(
      error('Invalid max_retry_delay_ms in provider "linode"', 'It must not be smaller than min_retry_delay_ms.'),
    );
  }
  if (sshPort > 65535 || !Number.isInteger(sshPort)) {
    diagnostics.push(error('Invalid ssh_port in provider "linode"', 'Expected a TCP port number (1-65535).'));
  }

  if (token === undefined || apiRoot === null || diagnostics.some((d) => d.severity === 'error')) {
    return { diagnostics };
  }
  return {
    settings: {
      token,
      apiRoot,
      retry: { maxRetries: Math.floor(maxRetries), minDelayMs, maxDelayMs, budgetMs },
      requestTimeoutMs,
      pollIntervalMs,
      sshPort,
      refreshReuseMs,
    },
    diagnostics,
  };
}

/**
 * `https://api.linode.com/v4` -> `https://api.linode.com`; a version path (`/v4`, `/v4beta`) is
 * dropped because the client names the version of each call itself. Null when not http(s).
 */
export function apiRootOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  const path = parsed.pathname.replace(/\/+$/, '').replace(/\/v4(beta)?$/, '');
  return `${parsed.protocol}//${parsed.host}${path}`;
}

function firstNonEmpty(...candidates: ReadonlyArray<Json | undefined>): string | undefined {
  for (const c of candidates) {
    if (typeof c === 'string' && c.trim() !== '') return c.trim();
  }
  return undefined;
}
