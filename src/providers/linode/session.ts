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

/** Resolves the provider block (env fallbacks included) and opens the API for one operation. */
export function openSession(ctx: OperationContext, secrets: ReadonlyArray<string | null | undefined> = []): Opened {
  const resolved = resolveSettings(ctx.providerConfig, ctx.env);
  const redactor = new Redactor([...tokenCandidates(ctx.providerConfig, ctx.env), ...secrets]);
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
