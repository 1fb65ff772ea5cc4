/**
 * Keeps secrets (the API token, root passwords) out of everything the provider says. Messages are
 * built from status codes and Linode's `errors[].reason`, never from raw client errors (an axios
 * error carries the Authorization header); this is the second line of defence for text that
 * comes from outside, such as an error reason echoed by a proxy.
 */
import type { Diagnostic } from '../../diagnostics.js';

const REDACTED = '(redacted)';

/** Replaces known secrets in text. Secrets shorter than 4 characters are ignored (too common). */
export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: ReadonlyArray<string | null | undefined>) {
    this.secrets = secrets
      .filter((s): s is string => typeof s === 'string' && s.length >= 4)
      // Longest first, so a secret containing another is replaced whole.
      .sort((a, b) => b.length - a.length);
  }

  /** A copy that also redacts `more`. */
  with(...more: ReadonlyArray<string | null | undefined>): Redactor {
    return new Redactor([...this.secrets, ...more]);
  }

  text(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join(REDACTED);
    return out;
  }

  diagnostic(d: Diagnostic): Diagnostic {
    return {
      ...d,
      summary: this.text(d.summary),
      ...(d.detail !== undefined ? { detail: this.text(d.detail) } : {}),
    };
  }

  diagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
    return ds.map((d) => this.diagnostic(d));
  }

  log(log: (line: string) => void): (line: string) => void {
    return (line) => log(this.text(line));
  }
}
