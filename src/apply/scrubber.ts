/**
 * The one scrubber between providers and the terminal. Providers print progress lines and report
 * diagnostics in their own words, quoting whatever a tool or an API said (Ansible's failure line
 * holds the task's variables); the engine knows which values of the run are secret and replaces
 * every one of them before a line is shown, so no provider has to remember to.
 *
 * What it knows: sensitive variables, sensitive settings of the providers (tokens, including the
 * environment variables they fall back to), and every sensitive value apply or refresh comes to
 * know (a root password a provider made up, a secret inside a provisioner's configuration).
 */
import type { Diagnostic } from '../diagnostics.js';
import type { Config } from '../config/types.js';
import { Sensitive, containsSensitive, isObject, type Json, type Value } from '../evaluate/value.js';
import type { Provider } from '../providers/contract.js';
import { isStoredSecret } from '../state/sensitive.js';

/** What a secret is replaced by, as renderings show sensitive values. */
export const SCRUBBED = '(sensitive value)';

/**
 * Secrets shorter than this are not scrubbed: replacing every "1" or "on" of a line would make
 * it unreadable, and a secret that short is guessed anyway.
 */
const MIN_SECRET_LENGTH = 4;

export class Scrubber {
  private readonly secrets = new Set<string>();
  /** Longest first, so a secret that contains another is replaced whole. */
  private ordered: string[] | null = [];

  /** Learns every sensitive part of `v` (values not marked sensitive are left alone). */
  learn(v: Value): void {
    if (v instanceof Sensitive) this.learnSecret(v.value);
    else if (Array.isArray(v)) for (const x of v) this.learn(x);
    else if (isObject(v)) for (const x of Object.values(v)) this.learn(x);
  }

  /** Learns `v` as a secret as a whole: each of its scalars, as written and as quoted in JSON. */
  learnSecret(v: Value | Json): void {
    if (v instanceof Sensitive) return this.learnSecret(v.value);
    if (typeof v === 'string') {
      // A stored form is a hash: printing it reveals nothing.
      if (isStoredSecret(v)) return;
      this.add(v);
      this.add(JSON.stringify(v).slice(1, -1));
    } else if (typeof v === 'number' || typeof v === 'bigint') this.add(String(v));
    else if (Array.isArray(v)) for (const x of v) this.learnSecret(x);
    else if (v !== null && typeof v === 'object' && isObject(v as Value)) for (const x of Object.values(v as Record<string, Value>)) this.learnSecret(x);
  }

  private add(s: string): void {
    if (s.length < MIN_SECRET_LENGTH || this.secrets.has(s)) return;
    this.secrets.add(s);
    this.ordered = null;
  }

  /** `text` with every known secret replaced by `(sensitive value)`. */
  text(text: string): string {
    if (this.secrets.size === 0) return text;
    this.ordered ??= [...this.secrets].sort((a, b) => b.length - a.length);
    let out = text;
    for (const s of this.ordered) if (out.includes(s)) out = out.split(s).join(SCRUBBED);
    return out;
  }

  /** A diagnostic with its summary and detail scrubbed. */
  diagnostic(d: Diagnostic): Diagnostic {
    const summary = this.text(d.summary);
    const detail = d.detail === undefined ? undefined : this.text(d.detail);
    return summary === d.summary && detail === d.detail ? d : { ...d, summary, ...(detail === undefined ? {} : { detail }) };
  }

  diagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
    return ds.map((d) => this.diagnostic(d));
  }
}

/**
 * A scrubber that knows the secrets of a command before anything runs: sensitive variables, and
 * the sensitive settings of the loaded providers (or the environment variables they fall back to).
 */
export function runScrubber(
  config: Config | null,
  variables: ReadonlyMap<string, Value>,
  providers: ReadonlyMap<string, Provider>,
  providerConfigs: ReadonlyMap<string, Readonly<Record<string, Json>>>,
  env: NodeJS.ProcessEnv,
): Scrubber {
  const scrub = new Scrubber();
  for (const [name, v] of variables) {
    if (config?.variables.get(name)?.sensitive || containsSensitive(v)) scrub.learnSecret(v);
  }
  for (const [name, p] of providers) {
    for (const [attr, schema] of Object.entries(p.configSchema)) {
      if (!schema.sensitive) continue;
      const set = providerConfigs.get(name)?.[attr];
      if (set !== undefined && set !== null) scrub.learnSecret(set);
      const fallback = schema.envFallback ? env[schema.envFallback] : undefined;
      if (fallback) scrub.learnSecret(fallback);
    }
  }
  return scrub;
}
