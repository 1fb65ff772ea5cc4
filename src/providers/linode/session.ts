/**
 * What every operation starts with: the resolved provider settings, an API handle, and a redactor
 * that knows the token (and any other secret the operation handles).
 */
import type { Diagnostic } from '../../diagnostics.js';
import type { Json } from '../../evaluate/value.js';
import type { OperationContext } from '../contract.js';
import { LinodeApi } from './client.js';
import { Redactor } from './redact.js';
import { resolveSettings } from './settings.js';

/** One operation's API handle and secret-aware output. */
export interface Session {
  readonly api: LinodeApi;
  readonly redactor: Redactor;
  /** ctx.log with secrets redacted. */
  readonly log: (line: string) => void;
}

/** A session, or the diagnostics (missing token, bad url) that prevent one. */
export type Opened = { readonly ok: true; readonly session: Session } | { readonly ok: false; readonly diagnostics: Diagnostic[] };

/** How an operation's output is scrubbed beyond the secrets it knows. */
export interface SessionOptions {
  /**
   * The operation does not know the instance's root password (refresh and delete: state keeps
   * only its hash), so anything shaped like a generated one, and every reason Linode gives about
   * `root_pass`, is redacted too.
   */
  readonly unknownPasswords?: boolean;
}

/** Resolves the provider block (env fallbacks included) and opens the API for one operation. */
export function openSession(ctx: OperationContext, secrets: ReadonlyArray<string | null | undefined> = [], options: SessionOptions = {}): Opened {
  const resolved = resolveSettings(ctx.providerConfig, ctx.env);
  const redactor = new Redactor([...tokenCandidates(ctx.providerConfig, ctx.env), ...secrets], options.unknownPasswords === true);
  if (!resolved.settings) return { ok: false, diagnostics: redactor.diagnostics(resolved.diagnostics) };
  const log = redactor.log(ctx.log);
  return { ok: true, session: { api: new LinodeApi(resolved.settings, ctx.signal, log), redactor, log } };
}

function tokenCandidates(config: Readonly<Record<string, Json>>, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  if (typeof config.token === 'string') out.push(config.token, config.token.trim());
  if (env.LINODE_TOKEN) out.push(env.LINODE_TOKEN, env.LINODE_TOKEN.trim());
  return out;
}
